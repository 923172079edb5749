//! The `prisma-guard` binary (`cargo install --path crates/prisma-guard`): the same command line
//! a cargo xtask gets from [`prisma_guard::cli::main`].

fn main() -> std::process::ExitCode {
    prisma_guard::cli::main()
}
