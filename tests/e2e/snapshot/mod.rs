//! Snapshots: byte-identical data, one consistent view, the sidecar, verify, --if-changed, and
//! bad input that must leave nothing half-written.
//!
//! One file per topic; no helper is shared between them.

mod contents;
mod failures;
mod memory;
mod sidecar;
mod verify;
