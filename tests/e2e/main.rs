//! The end-to-end suite: the real binary and library against a real PostgreSQL and real
//! Prisma-format migration folders. One test binary (fast to link); one module per command.

#![allow(clippy::print_stderr)]

mod support;

mod adoption;
mod archive_safety;
mod bench;
mod cli;
mod demo;
mod exact;
mod hooks;
mod images;
mod leftovers;
mod lint;
mod natural;
mod plan;
mod pre_migrate;
mod predict;
mod prisma_cli;
mod prune;
mod remote;
mod replay;
mod reset;
mod restore;
mod schedule;
mod snapshot;
mod status;
mod store;
mod url_params;
