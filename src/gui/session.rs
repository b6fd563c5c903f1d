//! The desktop session's lock, as the platform reports it: when the
//! session locks (the screen locker starts, `loginctl lock-session`, the
//! lid closes with locking on), the window locks too, like the idle time
//! running out (see [`autolock`](super::autolock)).
//!
//! On Linux two sources are watched over D-Bus, each on a thread of its
//! own that waits for signals:
//! - logind's `Lock` signal for this process's session (system bus), which
//!   every systemd desktop sends when it locks;
//! - the screen savers' `ActiveChanged(true)` (session bus:
//!   `org.freedesktop.ScreenSaver` for KDE, Xfce and others,
//!   `org.gnome.ScreenSaver` for GNOME).
//!
//! A bus that is not there (no systemd, a bare X server) is skipped; the
//! idle time and minimising still lock. Elsewhere nothing is watched.

/// Something that says the session has locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// logind's `Lock` for this session.
    Logind,
    /// A screen saver turned on.
    ScreenSaver,
}

/// What watching failed on (the bus or the match rule).
#[derive(Debug, thiserror::Error)]
#[error("watching the session's lock: {0}")]
pub struct WatchError(String);

/// Starts watching every source there is; `on_lock` runs on a watcher
/// thread each time the session locks. The sources found are returned.
pub fn watch(on_lock: impl Fn(Source) + Send + Sync + Clone + 'static) -> Vec<Source> {
    imp::watch(on_lock)
}

/// Watches the screen-saver signals on the session bus at `address` (tests
/// run a private bus).
pub fn watch_screen_saver_at(
    address: &str,
    on_lock: impl Fn(Source) + Send + Sync + 'static,
) -> Result<(), WatchError> {
    imp::watch_screen_saver_at(address, on_lock)
}

#[cfg(target_os = "linux")]
mod imp {
    use zbus::blocking::{Connection, MessageIterator};
    use zbus::message::Type;
    use zbus::{MatchRule, zvariant::OwnedObjectPath};

    use super::{Source, WatchError};

    /// The screen savers' interfaces, each with its `ActiveChanged(b)`.
    const SCREEN_SAVERS: [&str; 2] = ["org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver"];

    fn err(e: impl std::fmt::Display) -> WatchError {
        WatchError(e.to_string())
    }

    pub(super) fn watch(on_lock: impl Fn(Source) + Send + Sync + Clone + 'static) -> Vec<Source> {
        let mut found = Vec::new();
        if let Ok(conn) = Connection::system()
            && logind(&conn, on_lock.clone()).is_ok()
        {
            found.push(Source::Logind);
        }
        if let Ok(conn) = Connection::session()
            && screen_saver(&conn, on_lock).is_ok()
        {
            found.push(Source::ScreenSaver);
        }
        found
    }

    pub(super) fn watch_screen_saver_at(
        address: &str,
        on_lock: impl Fn(Source) + Send + Sync + 'static,
    ) -> Result<(), WatchError> {
        let conn = zbus::blocking::connection::Builder::address(address)
            .map_err(err)?
            .build()
            .map_err(err)?;
        screen_saver(&conn, on_lock)
    }

    /// logind's `Lock` for the session this process belongs to.
    fn logind(
        conn: &Connection,
        on_lock: impl Fn(Source) + Send + 'static,
    ) -> Result<(), WatchError> {
        let reply = conn
            .call_method(
                Some("org.freedesktop.login1"),
                "/org/freedesktop/login1",
                Some("org.freedesktop.login1.Manager"),
                "GetSessionByPID",
                &(std::process::id()),
            )
            .map_err(err)?;
        let session: OwnedObjectPath = reply.body().deserialize().map_err(err)?;
        let rule = MatchRule::builder()
            .msg_type(Type::Signal)
            .interface("org.freedesktop.login1.Session")
            .map_err(err)?
            .member("Lock")
            .map_err(err)?
            .path(session)
            .map_err(err)?
            .build();
        let signals = MessageIterator::for_match_rule(rule, conn, Some(16)).map_err(err)?;
        spawn("ippun-logind", move || {
            for _lock in signals.flatten() {
                on_lock(Source::Logind);
            }
        })
    }

    /// `ActiveChanged(true)` of either screen saver. The match rules are in
    /// place when this returns.
    fn screen_saver(
        conn: &Connection,
        on_lock: impl Fn(Source) + Send + Sync + 'static,
    ) -> Result<(), WatchError> {
        let mut rules = Vec::new();
        for iface in SCREEN_SAVERS {
            let rule = MatchRule::builder()
                .msg_type(Type::Signal)
                .interface(iface)
                .map_err(err)?
                .member("ActiveChanged")
                .map_err(err)?
                .build();
            rules.push(MessageIterator::for_match_rule(rule, conn, Some(16)).map_err(err)?);
        }
        // One iterator per rule; they share the connection, so one thread
        // reading both in turn would block on the first.
        let on_lock = std::sync::Arc::new(on_lock);
        for signals in rules {
            let on_lock = on_lock.clone();
            spawn("ippun-screensaver", move || {
                for m in signals.flatten() {
                    if m.body().deserialize::<bool>().unwrap_or(false) {
                        on_lock(Source::ScreenSaver);
                    }
                }
            })?;
        }
        Ok(())
    }

    fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> Result<(), WatchError> {
        std::thread::Builder::new()
            .name(name.into())
            .spawn(f)
            .map(|_| ())
            .map_err(err)
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::{Source, WatchError};

    pub(super) fn watch(_: impl Fn(Source) + Send + Sync + Clone + 'static) -> Vec<Source> {
        Vec::new()
    }

    pub(super) fn watch_screen_saver_at(
        _: &str,
        _: impl Fn(Source) + Send + Sync + 'static,
    ) -> Result<(), WatchError> {
        Err(WatchError("no D-Bus on this platform".into()))
    }
}
