//! `cargo xtask bench`: where the benchmark runs (a throwaway server or `--database-url`), and
//! the rendering of its report. The work is in `xtask::bench`.

use std::process::ExitCode;

use anyhow::Context;
use camino::Utf8PathBuf;
use comfy_table::Table;
use pg_cluster::ClusterError;
use prisma_guard::database::DatabaseUrl;
use xtask::bench::run::{BenchReport, Stats};
use xtask::bench::{self, BenchError, BenchOptions, BenchProgress};

use crate::BenchArgs;
use prisma_guard::cli::render;

struct StderrProgress;

impl BenchProgress for StderrProgress {
    fn step(&self, what: &str) {
        eprintln!("bench: {what}");
    }
}

/// `cargo xtask bench`: runs the benchmark on a Tokio runtime of its own; errors are reported
/// the way prisma-guard reports its own.
pub fn main(database_url: Option<String>, args: BenchArgs) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the Tokio runtime starts");
    match runtime.block_on(bench(database_url, args)) {
        Ok(code) => code,
        Err(error) => {
            let code = prisma_guard::cli::fail(&error);
            let ours = error.chain().find_map(|cause| {
                cause
                    .downcast_ref::<BenchError>()
                    .and_then(BenchError::hint)
                    .or_else(|| {
                        cause
                            .downcast_ref::<ClusterError>()
                            .and_then(ClusterError::hint)
                    })
            });
            // `fail` printed the library's hint when there is one.
            let hint = ours.filter(|_| prisma_guard::error::hint(error.as_ref()).is_none());
            if let Some(hint) = hint {
                eprintln!("hint: {hint}");
            }
            code
        }
    }
}

async fn bench(database_url: Option<String>, args: BenchArgs) -> anyhow::Result<ExitCode> {
    if cfg!(debug_assertions) {
        eprintln!(
            "warning: THIS BINARY IS NOT OPTIMIZED (debug build): its figures mean nothing.\n\
             warning: run `cargo run --release -p xtask -- bench` for real measurements."
        );
    }
    if !(args.scale > 0.0 && args.scale.is_finite()) {
        anyhow::bail!("--scale must be a positive number, got {}", args.scale);
    }
    let exe = std::env::current_exe().context("finding this program")?;
    let exe = Utf8PathBuf::from_path_buf(exe)
        .map_err(|p| anyhow::anyhow!("this program's path {} is not UTF-8", p.display()))?;
    let (_cluster, admin) = match database_url {
        Some(raw) => (None, DatabaseUrl::parse(&raw, "--database-url")?),
        None => {
            eprintln!("bench: booting a throwaway PostgreSQL server (removed when the bench ends)");
            let cluster = tokio::task::spawn_blocking(pg_cluster::TempCluster::start)
                .await
                .context("starting PostgreSQL")??;
            let url = DatabaseUrl::parse(&cluster.url("postgres"), "the throwaway server")?;
            (Some(cluster), url)
        }
    };
    let major: Option<u32> = {
        let mut conn = admin.connect().await?;
        let num: String = sqlx::query_scalar("SHOW server_version_num")
            .fetch_one(&mut conn)
            .await
            .context("reading the server version")?;
        num.parse::<u32>().ok().map(|n| n / 10000)
    };
    let pg_bin = pg_cluster::bin_dir(major).ok_or(ClusterError::NoBinaries)?;
    let options = BenchOptions {
        scale: args.scale,
        runs: args.runs.max(1),
        admin_url: admin,
        exe,
        pg_bin,
        jobs: args.jobs.max(1),
    };
    let report = bench::run(&options, &StderrProgress).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).expect("the report serializes")
        );
    } else {
        print!("{}", report_text(&report));
    }
    Ok(ExitCode::SUCCESS)
}

fn seconds(stats: &Stats) -> String {
    let fmt = |s: f64| {
        if s < 1.0 {
            format!("{:.0} ms", s * 1000.0)
        } else {
            format!("{s:.2} s")
        }
    };
    format!(
        "{} [{} – {}]",
        fmt(stats.median),
        fmt(stats.min),
        fmt(stats.max)
    )
}

fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / (1024.0 * 1024.0))
}

/// The report as text: the machine line, the figures and the ratios against their targets.
fn report_text(report: &BenchReport) -> String {
    let mut text = format!(
        "\nscale {} ({} rows, database {}), PostgreSQL {}, {} round(s), generated in {:.1} s{}\n",
        report.scale,
        report.rows,
        mib(report.database_bytes as f64),
        report.server_version,
        report.runs,
        report.generate_s,
        if report.optimized {
            ""
        } else {
            "\nWARNING: unoptimized (debug) build: these figures mean nothing"
        }
    );
    if !report.superuser {
        text += "the role is not a superuser: pg_restore --disable-triggers was not measured\n";
    }
    let mut table = Table::new();
    table.load_preset(comfy_table::presets::NOTHING);
    table.set_header(["", "wall median [min – max]", "size", "peak RSS (max)"]);
    for figure in &report.figures {
        table.add_row([
            figure.name.clone(),
            seconds(&figure.wall_s),
            figure.bytes.map(|b| mib(b.median)).unwrap_or_default(),
            figure
                .peak_rss_mib
                .map(|r| format!("{:.1} MiB", r.max))
                .unwrap_or_default(),
        ]);
    }
    text += &render(table);
    let mut ratios = Table::new();
    ratios.load_preset(comfy_table::presets::NOTHING);
    ratios.set_header(["target", "measured", "limit", ""]);
    for ratio in &report.ratios {
        ratios.add_row([
            ratio.name.clone(),
            format!("{:.2}", ratio.value),
            format!("≤ {}", ratio.target),
            if ratio.met { "met" } else { "NOT MET" }.to_string(),
        ]);
    }
    text += "\n";
    text += &render(ratios);
    text
}
