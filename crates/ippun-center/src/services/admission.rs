//! Admission control for activation-password checks, the one expensive
//! thing a stranger can ask of the center.
//!
//! At most [`Config::hash_workers`](crate::Config) checks run at once, each
//! in a 19 MiB working area made at its first use and then reused (wiped
//! after each check), so memory never exceeds one area per worker however
//! many requests come. Up to
//! [`Config::hash_queue`](crate::Config) more wait, each at most
//! [`Config::hash_wait`](crate::Config); beyond that a request is answered
//! "busy" (503 with `Retry-After`) at once. The check for an unknown user
//! (a dummy hash) takes the same path and fails the same way, so a busy or
//! broken center never tells real users from unknown ones.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use argon2::Block;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use zeroize::{Zeroize, Zeroizing};

use crate::{CenterError, secret};

/// A working area for one check.
type Memory = Vec<Block>;

/// The password hasher's admission control.
pub struct Hasher {
    permits: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
    wait: Duration,
    memory: Mutex<Vec<Memory>>,
    checks: AtomicU64,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("free", &self.permits.available_permits())
            .field("waiting", &self.waiting.load(Ordering::Relaxed))
            .field("queue", &self.queue)
            .finish_non_exhaustive()
    }
}

/// The hasher is at its limit: come back later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// The right to run one check, with its working area.
pub struct Admitted<'a> {
    hasher: &'a Hasher,
    memory: Option<Memory>,
    _permit: OwnedSemaphorePermit,
}

impl std::fmt::Debug for Admitted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Admitted")
    }
}

impl Hasher {
    /// `workers` checks at once, `queue` more waiting at most `wait` each.
    pub fn new(workers: usize, queue: usize, wait: Duration) -> Self {
        let workers = workers.max(1);
        Self {
            permits: Arc::new(Semaphore::new(workers)),
            waiting: AtomicUsize::new(0),
            queue,
            wait,
            memory: Mutex::new(Vec::with_capacity(workers)),
            checks: AtomicU64::new(0),
        }
    }

    /// Checks run since start (real and dummy), for monitoring.
    pub fn checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }

    /// Waits for a free worker (in the bounded queue, at most the wait).
    pub async fn admit(&self) -> Result<Admitted<'_>, Busy> {
        let permit = if let Ok(p) = Arc::clone(&self.permits).try_acquire_owned() {
            p
        } else {
            if self.waiting.fetch_add(1, Ordering::AcqRel) >= self.queue {
                self.waiting.fetch_sub(1, Ordering::AcqRel);
                return Err(Busy);
            }
            let got =
                tokio::time::timeout(self.wait, Arc::clone(&self.permits).acquire_owned()).await;
            self.waiting.fetch_sub(1, Ordering::AcqRel);
            match got {
                Ok(Ok(p)) => p,
                _ => return Err(Busy),
            }
        };
        let memory = self
            .memory
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        Ok(Admitted {
            hasher: self,
            memory,
            _permit: permit,
        })
    }
}

impl Admitted<'_> {
    /// Checks `password` against `stored`, or, when there is no stored
    /// hash, spends the same work on a dummy one and answers `false`.
    pub async fn check(
        mut self,
        password: Zeroizing<String>,
        stored: Option<String>,
    ) -> Result<bool, CenterError> {
        // A free area, or a new one: never more areas than permits.
        self.hasher.checks.fetch_add(1, Ordering::Relaxed);
        let memory = self
            .memory
            .take()
            .unwrap_or_else(|| vec![Block::default(); secret::activation_blocks()]);
        let (memory, result) = tokio::task::spawn_blocking(move || {
            let mut memory = memory;
            let result = match &stored {
                Some(hash) => secret::verify_password_in(&password, hash, &mut memory),
                None => secret::dummy_verify_in(&password, &mut memory).map(|()| false),
            };
            memory.zeroize();
            (memory, result)
        })
        .await
        .map_err(|_| CenterError::Crypto("argon2 task"))?;
        self.memory = Some(memory);
        result
    }
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        if let Some(m) = self.memory.take() {
            self.hasher
                .memory
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn past_the_queue_or_the_wait_is_busy_and_areas_are_reused() {
        let none_waiting = Hasher::new(1, 0, Duration::from_secs(30));
        let held = none_waiting.admit().await.unwrap();
        assert_eq!(none_waiting.admit().await.err(), Some(Busy), "no queue");
        drop(held);

        let h = Hasher::new(1, 1, Duration::from_millis(200));
        let first = h.admit().await.unwrap();
        assert_eq!(h.admit().await.err(), Some(Busy), "waited past its time");
        let stored = secret::hash_password("ABCD-efgh-2345").unwrap();
        let right = Zeroizing::new("ABCD-efgh-2345".to_owned());
        assert!(first.check(right, Some(stored)).await.unwrap());
        let again = h.admit().await.unwrap();
        let wrong = Zeroizing::new("wrong".to_owned());
        assert!(!again.check(wrong, None).await.unwrap(), "the dummy check");
        assert_eq!(
            h.memory.lock().unwrap().len(),
            1,
            "one area, made once and given back"
        );
    }
}
