//! Against the real Prisma CLI (6.19.3 from `tests/prisma-cli`, through `@prisma/adapter-pg`):
//! our `status` beside `prisma migrate status` on every state the suite can make, our built-in
//! deploy beside `prisma migrate deploy` (rows and schema), and `pre-migrate --apply` and `reset`
//! with the real CLI as their commands; how a migration file runs (`migration-statements`) and
//! the seed step of `reset`.
//!
//! Each test starts with [`PrismaCli::find`](crate::support::PrismaCli::find): without Node.js
//! or the installed CLI it says so and returns, or fails when the environment requires it.

mod deploy;
mod seed;
mod statements;
mod status;
mod workflows;
