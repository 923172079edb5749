//! This repository's own xtask, beside prisma-guard's command line: the benchmark against
//! pg_dump/pg_restore and its data generator. None of it ships in the product.

pub mod bench;
