//! Test support: a real PostgreSQL (from `DATABASE_URL`, or a throwaway cluster booted once per
//! test process), a fresh database per test, and a temp copy of the fixture app.

pub mod db;
pub mod prisma;
pub mod project;

pub use db::TestDb;
pub use prisma::PrismaCli;
pub use project::TempProject;
