//! This repository's `cargo xtask`: exactly what a user's xtask is — prisma-guard's command line
//! nested in its own enum — plus `demo` on a throwaway server and `bench`.

#![allow(clippy::print_stdout, clippy::print_stderr)]

mod bench_command;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use prisma_guard::cli::{self, GlobalArgs};

/// Pre-migration snapshots and selective restores for Prisma + PostgreSQL apps (this
/// repository's xtask: prisma-guard's commands, the demo on a throwaway server, the benchmark).
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, propagate_version = true)]
struct Xtask {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    #[command(flatten)]
    Guard(cli::Command),
    /// Benchmark snapshot and restore against pg_dump/pg_restore on a generated database.
    ///
    /// Boots a throwaway PostgreSQL (or, with --database-url, creates and drops its own
    /// databases `xtask_bench_<pid>_*` on that server), generates a Prisma-style database at
    /// --scale, then times side by side, interleaved, --runs times: our snapshot vs
    /// `pg_dump -Fc` and `pg_dump -Fd -j 2` (and the raw COPY read), our restore vs `pg_restore
    /// --data-only` into freshly migrated databases (each checked for identical data), `predict`
    /// of one pending migration from the round's snapshot, `restore --strategy replay` through
    /// two later migrations vs `pg_restore --data-only` of the migrated data, `rollback` vs a
    /// full `pg_restore` into an empty database and `pg_restore --clean` into a copy of the
    /// database it rolls back, peak RSS, and `status`/the pre-push hook over 600 migrations.
    /// Each contender starts after a CHECKPOINT and a sync. Prints medians, min/max and the
    /// ratios against the targets. Run it from a release build:
    /// `cargo run --release -p xtask -- bench`.
    Bench(BenchArgs),
}

/// `cargo xtask bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Size of the generated database: 1 ≈ 1M rows, ≈ 450 MiB on disk.
    #[arg(long, default_value_t = 1.0, value_name = "FACTOR")]
    pub scale: f64,
    /// Rounds; every contender runs once per round, interleaved.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub runs: usize,
    /// Parallel connections of our snapshot and of `pg_dump -Fd -j`.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub jobs: usize,
    /// Print the report as JSON on stdout (progress still goes to stderr).
    #[arg(long)]
    pub json: bool,
}

fn main() -> ExitCode {
    let Xtask {
        mut global,
        command,
    } = Xtask::parse();
    match command {
        Command::Guard(cli::Command::Demo) if global.database_url.is_none() => {
            // The demo's own server: booted here, removed when this process ends.
            println!("booting a throwaway PostgreSQL server (removed when the demo ends)...");
            let cluster = match pg_cluster::TempCluster::start() {
                Ok(cluster) => cluster,
                Err(error) => return cli::fail(&anyhow::Error::new(error)),
            };
            global.database_url = Some(cluster.url("postgres"));
            cli::run(cli::Cli {
                global,
                command: cli::Command::Demo,
            })
        }
        Command::Guard(command) => cli::run(cli::Cli { global, command }),
        Command::Bench(args) => bench_command::main(global.database_url, args),
    }
}
