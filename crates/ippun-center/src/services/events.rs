//! Events out of the center, for an optional hook (the demo center's
//! scenarios are one). A hook runs after the act is committed and before
//! the reply is sent; whatever it does, the act stands and the reply is the
//! act's own: a failing hook is logged, never answered as an error.

use std::future::Future;
use std::pin::Pin;

use super::Center;

/// Something that happened at the center.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// The app confirmed setup: the token is active.
    TokenActivated {
        /// Service ID.
        service: &'a str,
        /// User ID.
        user: &'a str,
        /// The new token's serial.
        serial: &'a str,
    },
    /// The app completed a start: transaction confirmation is in use.
    TxEnabled {
        /// Service ID.
        service: &'a str,
        /// User ID.
        user: &'a str,
        /// The token's serial.
        serial: &'a str,
    },
}

/// What a hook's reaction returns.
pub type HookFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Receives the center's events.
pub trait EventHook: Send + Sync + std::fmt::Debug {
    /// Reacts to `event`; may act on `center` (as an operator would).
    fn on_event<'a>(&'a self, center: &'a Center, event: Event<'a>) -> HookFuture<'a>;
}
