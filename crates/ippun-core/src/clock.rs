//! The injectable clock.
//!
//! Every piece of logic that needs the time takes it from a [`Clock`]: the
//! [`SystemClock`] in production, a [`FixedClock`] or [`SteppingClock`] in tests,
//! and an [`OffsetClock`] where QA or a center correction shifts the device time.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of the current time, as a duration since the Unix epoch (UTC).
pub trait Clock: Send + Sync + fmt::Debug {
    /// The time now. A clock set before 1970 reads as the epoch itself.
    fn now(&self) -> Duration;

    /// Whole seconds since the Unix epoch.
    fn unix_seconds(&self) -> u64 {
        self.now().as_secs()
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> Duration {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Duration {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Box<C> {
    fn now(&self) -> Duration {
        (**self).now()
    }
}

/// The operating system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
    }
}

/// A clock that always reads the same instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedClock(Duration);

impl FixedClock {
    /// A clock stopped at `since_epoch`.
    pub const fn new(since_epoch: Duration) -> Self {
        Self(since_epoch)
    }

    /// A clock stopped at `secs` whole seconds after the epoch.
    pub const fn from_unix(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Duration {
        self.0
    }
}

/// Another clock shifted by a signed number of seconds (saturating at the epoch).
#[derive(Debug, Clone)]
pub struct OffsetClock<C> {
    inner: C,
    offset_secs: i64,
}

impl<C: Clock> OffsetClock<C> {
    /// `inner` shifted by `offset_secs` (negative: earlier).
    pub const fn new(inner: C, offset_secs: i64) -> Self {
        Self { inner, offset_secs }
    }

    /// `inner` shifted so that it reads `unix_secs` now and moves on in step
    /// with `inner` (what `--fake-time` does).
    pub fn starting_at(inner: C, unix_secs: u64) -> Self {
        let diff = i128::from(unix_secs) - i128::from(inner.now().as_secs());
        let offset_secs = i64::try_from(diff).unwrap_or(if diff > 0 { i64::MAX } else { i64::MIN });
        Self { inner, offset_secs }
    }

    /// The shift in seconds.
    pub const fn offset_secs(&self) -> i64 {
        self.offset_secs
    }
}

impl<C: Clock> Clock for OffsetClock<C> {
    fn now(&self) -> Duration {
        let base = self.inner.now();
        let shift = Duration::from_secs(self.offset_secs.unsigned_abs());
        if self.offset_secs >= 0 {
            base.saturating_add(shift)
        } else {
            base.saturating_sub(shift)
        }
    }
}

/// A clock for tests that moves forward by a fixed step each time it is read,
/// and can be set or advanced by hand. Reads from several threads each see a
/// distinct instant.
#[derive(Debug)]
pub struct SteppingClock {
    next_nanos: AtomicU64,
    step_nanos: u64,
}

impl SteppingClock {
    /// Starts at `start`; each read returns the current instant and then moves
    /// on by `step` (which may be zero for a clock moved only by hand).
    pub fn new(start: Duration, step: Duration) -> Self {
        Self {
            next_nanos: AtomicU64::new(saturating_nanos(start)),
            step_nanos: saturating_nanos(step),
        }
    }

    /// Sets the instant the next read returns.
    pub fn set(&self, to: Duration) {
        self.next_nanos
            .store(saturating_nanos(to), Ordering::SeqCst);
    }

    /// Moves the clock forward by `by` without reading it.
    pub fn advance(&self, by: Duration) {
        let by = saturating_nanos(by);
        // The closure never returns None, so the update always succeeds.
        let _ = self
            .next_nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(by))
            });
    }
}

impl Clock for SteppingClock {
    fn now(&self) -> Duration {
        let step = self.step_nanos;
        let read = self
            .next_nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(step))
            })
            .unwrap_or_else(|n| n);
        Duration::from_nanos(read)
    }
}

fn saturating_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_clock_reads_the_same() {
        let c = FixedClock::from_unix(59);
        assert_eq!(c.unix_seconds(), 59);
        assert_eq!(c.now(), Duration::from_secs(59));
    }

    #[test]
    fn offset_clock_shifts_both_ways_and_saturates() {
        let base = FixedClock::from_unix(100);
        assert_eq!(OffsetClock::new(base, 30).unix_seconds(), 130);
        assert_eq!(OffsetClock::new(base, -30).unix_seconds(), 70);
        assert_eq!(OffsetClock::new(base, -1000).unix_seconds(), 0);
        assert_eq!(OffsetClock::new(base, i64::MIN).unix_seconds(), 0);
    }

    #[test]
    fn offset_clock_can_start_at_a_given_time() {
        let c = OffsetClock::starting_at(FixedClock::from_unix(1_000), 59);
        assert_eq!((c.unix_seconds(), c.offset_secs()), (59, -941));
        let c = OffsetClock::starting_at(FixedClock::from_unix(0), u64::MAX);
        assert_eq!(c.offset_secs(), i64::MAX);
        let moving = SteppingClock::new(Duration::from_secs(500), Duration::from_secs(1));
        let c = OffsetClock::starting_at(&moving, 10);
        assert_eq!(c.unix_seconds(), 11);
        assert_eq!(c.unix_seconds(), 12);
    }

    #[test]
    fn stepping_clock_advances_on_each_read() {
        let c = SteppingClock::new(Duration::from_secs(10), Duration::from_millis(500));
        assert_eq!(c.now(), Duration::from_secs(10));
        assert_eq!(c.now(), Duration::from_millis(10_500));
        c.advance(Duration::from_secs(60));
        assert_eq!(c.now(), Duration::from_secs(71));
        c.set(Duration::from_secs(5));
        assert_eq!(c.unix_seconds(), 5);
    }

    #[test]
    fn clocks_work_behind_pointers() {
        let shared: Arc<dyn Clock> = Arc::new(FixedClock::from_unix(7));
        let boxed: Box<dyn Clock> = Box::new(FixedClock::from_unix(8));
        assert_eq!(shared.unix_seconds(), 7);
        let by_ref: &dyn Clock = &boxed;
        assert_eq!(by_ref.unix_seconds(), 8);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.unix_seconds() > 1_577_836_800);
    }
}
