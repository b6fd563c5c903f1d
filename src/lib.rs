//! The ippun app as a library: the center client, the flows that talk to a
//! center, and the desktop window. The `ippun` binary puts a command line in
//! front of it; the tests drive the window through it.

pub mod client;
pub mod flows;
pub mod gui;
