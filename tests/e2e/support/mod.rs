//! Test support: a real PostgreSQL (from `DATABASE_URL`, or a throwaway cluster booted once per
//! test process), a fresh database per test, a temp copy of the fixture app, and a real
//! S3-compatible server (moto, one per test process) with a bucket per test.

pub mod db;
pub mod prisma;
pub mod project;
pub mod s3;

pub use db::TestDb;
pub use prisma::PrismaCli;
pub use project::TempProject;
