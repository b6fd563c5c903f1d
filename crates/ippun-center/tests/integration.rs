//! The center's integration tests, in one test binary (see `Cargo.toml`):
//! bad and random requests (`api`), durability and failover of `serve`
//! processes, and the verify API. `attacks.rs` is a binary of its own.

#![allow(clippy::unwrap_used)] // tests: a failed step should panic

// One PostgreSQL helper for all (its port registry is per process); its
// `on_both!` is in scope for the modules below.
#[macro_use]
#[path = "support/pg.rs"]
mod pg;

mod api;
mod durability;
mod verify;
