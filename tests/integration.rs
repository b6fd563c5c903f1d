//! The integration tests of the `ippun` binary, in one test binary (see
//! `Cargo.toml`): one module per concern. `tests/window.rs`, the real
//! window on Xvfb, is a binary of its own.

#![allow(clippy::unwrap_used)] // tests: a failed step should panic

mod common;

mod center;
mod cli;
mod gui;
mod helpdesk;
mod replies;
mod tokens;
mod vectors;
