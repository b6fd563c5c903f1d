//! The ippun authentication center: provisions tokens over the v1
//! protocol of `ippun_core::protocol`, renews and corrects them, verifies
//! codes, confirms transactions, and keeps an audit log. SQLite (WAL) by
//! default, PostgreSQL for scale, through the same code and migrations.
//!
//! In layers, each using only the ones below it:
//!
//! | layer | module | what |
//! | --- | --- | --- |
//! | HTTP | [`http`] | the app's and the bank's routers, extractors, errors as responses, serving |
//! | services | [`services`] | the rules of each flow; [`Center`] |
//! | data | [`data`] | every table, typed rows, the write guard; the only SQL |
//!
//! Beside them: [`config`], [`error`], [`events`] (the hook the demo
//! plugs into, part of the services), [`secret`] (master key, password hashing), [`net`]
//! (listener, TLS), [`combine`] (requests' jobs run in batches: the verify
//! API's group commit and shared reads). The [`demo`] center (cargo feature `demo`, on by
//! default) is a plug-in: its scenarios as an event hook, its faults as
//! its own router layer and listener.

pub mod combine;
pub mod config;
pub mod data;
#[cfg(feature = "demo")]
pub mod demo;
pub mod error;
pub mod http;
pub mod net;
pub mod secret;
pub mod services;

pub use config::{Config, HttpLimits, Rate};
pub use data::Backend;
pub use error::CenterError;
pub use secret::MasterKey;
pub use services::{ApiError, Center, RelyingParty, Verdict, admin, events, tx};
