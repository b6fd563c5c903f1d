//! Reads that many requests share: the lookups waiting at one moment are
//! answered by one set-based query.
//!
//! Under load every verify request reads its API key and its user's token;
//! one query per request would cost more than the check itself. A
//! [`Lookup`] (a [`Combiner`]) gathers every key waiting (at most
//! [`MAX_SET`] per query, repeats read once), runs its [`Fetch`] and
//! answers each waiter. A lone request is not held back: it runs its query
//! itself when no query of its kind is running ([`IN_FLIGHT`]).
//!
//! A read that fails because the database is out of reach answers every
//! waiter so; any other failure is retried key by key, so one bad row
//! never fails its neighbours.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;

use sqlx::AnyConnection;
use tokio::sync::oneshot;

use super::failover::PoolCell;
use super::{Backend, Conn, Held, MAX_SET};
use crate::CenterError;
use crate::combine::{Combiner, Runner};

/// Queries of one kind running at once: one, so that under load each
/// gathers all that waited meanwhile (two or four in flight measured
/// slower: smaller queries, more of them).
pub const IN_FLIGHT: usize = 1;

/// Lookups that may wait; more are answered "busy".
const QUEUE: usize = 8192;

/// A set-based read.
pub trait Fetch: Send + Sync + 'static {
    /// What is looked up.
    type Key: Ord + std::hash::Hash + Clone + Send + Sync + 'static;
    /// What is found (absent keys are missing from the map).
    type Value: Clone + Send + 'static;

    /// The values of `keys` (distinct, sorted, at most [`MAX_SET`]) in
    /// `backend`'s database.
    fn fetch(
        conn: &mut AnyConnection,
        backend: Backend,
        keys: &[Self::Key],
    ) -> impl Future<Output = Result<HashMap<Self::Key, Self::Value>, CenterError>> + Send;
}

type Answer<F> = Result<Option<<F as Fetch>::Value>, CenterError>;
type Job<F> = (<F as Fetch>::Key, oneshot::Sender<Answer<F>>);

/// One kind of shared read.
pub struct Lookup<F: Fetch> {
    combiner: Arc<Combiner<Job<F>>>,
}

impl<F: Fetch> std::fmt::Debug for Lookup<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lookup").finish_non_exhaustive()
    }
}

impl<F: Fetch> Lookup<F> {
    /// Reads through the pool in `pool`, a database of `backend`, on a
    /// connection of its own when `keep` (see [`Held`]).
    pub fn new(pool: Arc<PoolCell>, backend: Backend, keep: bool) -> Self {
        let held = Arc::new(Held::new(keep));
        let run: Runner<Job<F>> = Box::new(move |jobs| {
            let (pool, held) = (pool.clone(), held.clone());
            Box::pin(async move {
                match held.get(&pool).await {
                    Ok(mut conn) => answer::<F>(&mut conn, backend, jobs).await,
                    Err(e) if e.is_unavailable() => {
                        tracing::warn!(error = %e, "shared read: database out of reach");
                        unavailable::<F>(jobs.into_iter().map(|(_, r)| r));
                    }
                    Err(e) => send::<F>(jobs.into_iter().map(|(_, r)| r).collect(), Err(e)),
                }
            })
        });
        Self {
            combiner: Combiner::new(IN_FLIGHT, MAX_SET, QUEUE, run),
        }
    }

    /// The value of `key` (`None`: not found), read with whatever else is
    /// waiting.
    pub async fn get(&self, key: F::Key) -> Answer<F> {
        self.combiner.call(key).await
    }
}

async fn answer<F: Fetch>(conn: &mut Conn<'_>, backend: Backend, jobs: Vec<Job<F>>) {
    let mut waiting: BTreeMap<F::Key, Vec<oneshot::Sender<Answer<F>>>> = BTreeMap::new();
    for (key, reply) in jobs {
        waiting.entry(key).or_default().push(reply);
    }
    let keys: Vec<F::Key> = waiting.keys().cloned().collect();
    let Ok(c) = conn.conn() else {
        unavailable::<F>(waiting.into_values().flatten());
        return;
    };
    let found = F::fetch(c, backend, &keys).await;
    let found = match conn.done(found) {
        Ok(found) => found,
        Err(e) if e.is_unavailable() => {
            tracing::warn!(error = %e, "shared read: database out of reach");
            unavailable::<F>(waiting.into_values().flatten());
            return;
        }
        Err(e) if keys.len() > 1 => {
            tracing::warn!(error = %e, keys = keys.len(), "shared read failed; reading each alone");
            for (key, replies) in waiting {
                let one = match conn.conn() {
                    Ok(c) => {
                        let one = F::fetch(c, backend, std::slice::from_ref(&key)).await;
                        conn.done(one)
                    }
                    Err(e) => Err(e),
                };
                send::<F>(replies, one.map(|mut m| m.remove(&key)));
            }
            return;
        }
        Err(e) => {
            send::<F>(waiting.into_values().flatten().collect(), Err(e));
            return;
        }
    };
    for (key, replies) in waiting {
        send::<F>(replies, Ok(found.get(&key).cloned()));
    }
}

/// Answers every one of `replies`: the database is out of reach.
fn unavailable<F: Fetch>(replies: impl IntoIterator<Item = oneshot::Sender<Answer<F>>>) {
    for reply in replies {
        let _ = reply.send(Err(CenterError::Unavailable));
    }
}

/// Sends `answer` to every waiter of one key (an error to the first, the
/// others [`CenterError::SharedRead`]).
fn send<F: Fetch>(replies: Vec<oneshot::Sender<Answer<F>>>, answer: Answer<F>) {
    match answer {
        Ok(v) => {
            for reply in replies {
                let _ = reply.send(Ok(v.clone()));
            }
        }
        Err(e) => {
            let mut e = Some(e);
            for reply in replies {
                let _ = reply.send(Err(e.take().unwrap_or(CenterError::SharedRead)));
            }
        }
    }
}
