//! Locking again while the window is open. With the app lock on, the
//! window closes the token data after a time without use (a setting:
//! [`CHOICES`], [`DEFAULT_MINUTES`] unless chosen), when the window is
//! minimised and when the desktop session locks (where the platform says
//! so; see [`session`](super::session)). Locking drops the decrypted
//! data and the token keys (zeroized), clears a code this window copied if
//! the clipboard still holds it, and shows the lock screen, whose wrong-code
//! waits are those of the start. A background exchange with the center
//! finishes first. Time without use is measured on the app's clock.

use std::time::Duration;

/// The idle times offered, in minutes.
pub const CHOICES: [u32; 4] = [1, 5, 15, 30];

/// The idle time unless another is chosen.
pub const DEFAULT_MINUTES: u32 = 5;

/// Time without use.
#[derive(Debug, Clone, Copy)]
pub struct Idle {
    last_use: Duration,
    limit: Duration,
}

impl Idle {
    /// Used at `now`; locks after `minutes` without use.
    pub fn new(now: Duration, minutes: u32) -> Self {
        Self {
            last_use: now,
            limit: Duration::from_secs(u64::from(minutes) * 60),
        }
    }

    /// Someone used the window at `now`.
    pub fn used(&mut self, now: Duration) {
        self.last_use = self.last_use.max(now);
    }

    /// A new idle time, counted from the last use.
    pub fn set_minutes(&mut self, minutes: u32) {
        self.limit = Duration::from_secs(u64::from(minutes) * 60);
    }

    /// The idle time, in minutes.
    pub fn minutes(&self) -> u32 {
        u32::try_from(self.limit.as_secs() / 60).unwrap_or(u32::MAX)
    }

    /// Time left at `now` before the window locks (zero: lock now). A
    /// clock set back counts as use, so that it never locks early.
    pub fn left(&mut self, now: Duration) -> Duration {
        if now < self.last_use {
            self.last_use = now;
        }
        self.limit.saturating_sub(now.saturating_sub(self.last_use))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(1_800_000_000);

    #[test]
    fn locks_after_the_idle_time_and_use_starts_it_again() {
        let mut idle = Idle::new(T, 5);
        assert_eq!(idle.left(T), Duration::from_secs(300));
        assert_eq!(
            idle.left(T + Duration::from_secs(299)),
            Duration::from_secs(1)
        );
        idle.used(T + Duration::from_secs(200));
        assert_eq!(
            idle.left(T + Duration::from_secs(499)),
            Duration::from_secs(1)
        );
        assert!(idle.left(T + Duration::from_secs(500)).is_zero());
        idle.set_minutes(15);
        assert_eq!(idle.minutes(), 15);
        assert_eq!(
            idle.left(T + Duration::from_secs(500)),
            Duration::from_secs(600)
        );
    }

    #[test]
    fn a_clock_set_back_never_locks_early() {
        let mut idle = Idle::new(T, 1);
        let back = Duration::from_secs(1_799_996_400);
        assert_eq!(idle.left(back), Duration::from_secs(60));
        assert_eq!(
            idle.left(back + Duration::from_secs(59)),
            Duration::from_secs(1)
        );
        assert!(idle.left(back + Duration::from_secs(60)).is_zero());
    }
}
