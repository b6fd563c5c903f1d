//! Combining: the jobs of concurrent requests run in batches, by the
//! requests themselves.
//!
//! A request adds its job. If a slot is free (at most `slots` batches run
//! at once) it takes everything waiting, its own job included, and runs
//! that batch in its own task: at a quiet moment a lone request runs at
//! once, handed to no one. Otherwise its job waits: when a batch is done,
//! whoever ran it looks at what gathered meanwhile and, if anything did,
//! hands it to a new task that runs batches until nothing is left (so the
//! request that ran a batch answers its own client without delay). If the
//! request running a batch is dropped half-way (its client went away),
//! the batch is finished in a task of its own, so the other requests in
//! it get their answers (a verify batch's commit is not cut off between
//! the database and the replies), and the jobs waiting are handed on all
//! the same.
//!
//! The group commit of the verify API
//! ([`group_commit`](crate::services::group_commit)) and the reads its
//! requests share ([`lookup`](crate::data::lookup)) are combiners.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::CenterError;

/// What runs a batch.
pub type Runner<J> = Box<dyn Fn(Vec<J>) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Jobs of one kind and who runs them.
pub struct Combiner<J> {
    waiting: Mutex<Vec<J>>,
    slots: Arc<Semaphore>,
    max_batch: usize,
    max_waiting: usize,
    run: Runner<J>,
}

impl<J> std::fmt::Debug for Combiner<J> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Combiner")
            .field("max_batch", &self.max_batch)
            .field("max_waiting", &self.max_waiting)
            .finish_non_exhaustive()
    }
}

/// The job was not taken: too many wait already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full;

impl<J: Send + 'static> Combiner<J> {
    /// A combiner running at most `slots` batches at once, each of at most
    /// `max_batch` jobs, with at most `max_waiting` jobs waiting.
    pub fn new(slots: usize, max_batch: usize, max_waiting: usize, run: Runner<J>) -> Arc<Self> {
        Arc::new(Self {
            waiting: Mutex::new(Vec::new()),
            slots: Arc::new(Semaphore::new(slots.max(1))),
            max_batch: max_batch.max(1),
            max_waiting: max_waiting.max(1),
            run,
        })
    }

    /// Adds `job`: runs it with whatever is waiting, in the caller's task,
    /// if a slot is free; otherwise leaves it to the batch after. Returns
    /// once the caller's part is done (the job itself answers through
    /// whatever it carries).
    pub async fn submit(self: &Arc<Self>, job: J) -> Result<(), Full> {
        let lead = {
            let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
            if waiting.len() >= self.max_waiting {
                return Err(Full);
            }
            waiting.push(job);
            match self.slots.clone().try_acquire_owned() {
                Ok(permit) => Lead {
                    combiner: self.clone(),
                    permit: Some(permit),
                },
                Err(_) => return Ok(()),
            }
        };
        let jobs = self.take();
        Running {
            batch: Some((self.run)(jobs)),
            lead: Some(lead),
        }
        .await;
        Ok(())
    }

    /// Up to a batch of the waiting jobs.
    fn take(&self) -> Vec<J> {
        let mut waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        let n = waiting.len().min(self.max_batch);
        waiting.drain(..n).collect()
    }

    /// Gives the slot back, unless jobs are waiting: then they go on in a
    /// new task with it. (Decided under the lock that adding a job takes,
    /// so no job is left behind.)
    fn hand_on(self: &Arc<Self>, permit: OwnedSemaphorePermit) {
        {
            let waiting = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
            if waiting.is_empty() {
                drop(permit);
                return;
            }
        }
        // No runtime (it is shutting down): the waiting jobs go with the
        // combiner, and their requests learn it from their dropped replies.
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            drop(permit);
            return;
        };
        let combiner = self.clone();
        runtime.spawn(async move {
            loop {
                let jobs = combiner.take();
                if !jobs.is_empty() {
                    (combiner.run)(jobs).await;
                }
                let waiting = combiner
                    .waiting
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if waiting.is_empty() {
                    drop(permit);
                    return;
                }
            }
        });
    }
}

impl<I: Send + 'static, T: Send + 'static> Combiner<(I, oneshot::Sender<Result<T, CenterError>>)> {
    /// Submits `input` with a reply channel and waits for its answer:
    /// [`CenterError::Busy`] when too many wait, [`CenterError::Unavailable`]
    /// when its batch went away unanswered.
    pub async fn call(self: &Arc<Self>, input: I) -> Result<T, CenterError> {
        let (reply, answer) = oneshot::channel();
        self.submit((input, reply))
            .await
            .map_err(|Full| CenterError::Busy)?;
        answer.await.map_err(|_| CenterError::Unavailable)?
    }
}

/// A batch run by the request that leads it, with the lead's slot (given
/// back once the batch is done). Dropped before then (the request is
/// dropped), it finishes the batch in a task of its own.
struct Running<J: Send + 'static> {
    batch: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
    lead: Option<Lead<J>>,
}

impl<J: Send + 'static> Future for Running<J> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<()> {
        if let Some(batch) = self.batch.as_mut() {
            if batch.as_mut().poll(cx).is_pending() {
                return std::task::Poll::Pending;
            }
            self.batch = None;
        }
        self.lead = None;
        std::task::Poll::Ready(())
    }
}

impl<J: Send + 'static> Drop for Running<J> {
    fn drop(&mut self) {
        let (Some(batch), lead) = (self.batch.take(), self.lead.take()) else {
            return;
        };
        // No runtime (it is shutting down): the batch goes with it, and
        // its requests learn it from their dropped replies.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                batch.await;
                drop(lead);
            });
        }
    }
}

/// A slot held by whoever runs a batch; handed on when dropped.
struct Lead<J: Send + 'static> {
    combiner: Arc<Combiner<J>>,
    permit: Option<OwnedSemaphorePermit>,
}

impl<J: Send + 'static> Drop for Lead<J> {
    fn drop(&mut self) {
        if let Some(permit) = self.permit.take() {
            self.combiner.hand_on(permit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    type Job = (usize, oneshot::Sender<usize>);

    fn doubling(batches: Arc<Mutex<Vec<usize>>>, slow: bool) -> Arc<Combiner<Job>> {
        Combiner::new(
            1,
            8,
            100,
            Box::new(move |jobs: Vec<Job>| {
                let batches = batches.clone();
                Box::pin(async move {
                    batches.lock().unwrap().push(jobs.len());
                    if slow {
                        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    }
                    for (n, reply) in jobs {
                        let _ = reply.send(n * 2);
                    }
                })
            }),
        )
    }

    async fn ask(c: &Arc<Combiner<Job>>, n: usize) -> usize {
        let (tx, rx) = oneshot::channel();
        c.submit((n, tx)).await.unwrap();
        rx.await.unwrap()
    }

    #[tokio::test]
    async fn a_lone_job_runs_at_once_in_its_own_batch() {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let c = doubling(batches.clone(), false);
        assert_eq!(ask(&c, 3).await, 6);
        assert_eq!(ask(&c, 4).await, 8);
        assert_eq!(*batches.lock().unwrap(), [1, 1]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn jobs_arriving_during_a_batch_form_the_next_ones_and_all_are_answered() {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let c = doubling(batches.clone(), true);
        let answered = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..40)
            .map(|n| {
                let (c, answered) = (c.clone(), answered.clone());
                tokio::spawn(async move {
                    assert_eq!(ask(&c, n).await, n * 2);
                    answered.fetch_add(1, Ordering::Relaxed);
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(answered.load(Ordering::Relaxed), 40);
        let batches = batches.lock().unwrap();
        assert_eq!(batches.iter().sum::<usize>(), 40);
        assert!(batches.iter().all(|&n| n <= 8), "{batches:?}");
        assert!(batches.len() < 40, "jobs were combined: {batches:?}");
    }

    #[tokio::test]
    async fn too_many_waiting_are_refused() {
        let c: Arc<Combiner<usize>> = Combiner::new(1, 1, 2, Box::new(|_| Box::pin(async {})));
        // The slot is taken, so jobs only wait.
        let _permit = c.slots.clone().try_acquire_owned().unwrap();
        assert_eq!(c.submit(1).await, Ok(()));
        assert_eq!(c.submit(2).await, Ok(()));
        assert_eq!(c.submit(3).await, Err(Full));
    }

    #[tokio::test]
    async fn a_batch_whose_runner_is_dropped_is_finished_and_the_rest_run() {
        let batches = Arc::new(Mutex::new(Vec::new()));
        let c = doubling(batches.clone(), true);
        let (tx, first) = oneshot::channel();
        // The first job's runner is dropped half-way through its batch.
        let lead = {
            let c = c.clone();
            tokio::spawn(async move { c.submit((1, tx)).await })
        };
        tokio::task::yield_now().await;
        let (tx, second) = oneshot::channel();
        c.submit((2, tx)).await.unwrap();
        lead.abort();
        assert!(lead.await.is_err_and(|e| e.is_cancelled()));
        assert_eq!(
            first.await.unwrap(),
            2,
            "the dropped runner's batch was finished"
        );
        assert_eq!(second.await.unwrap(), 4, "the waiting job still ran");
        assert_eq!(*batches.lock().unwrap(), [1, 1], "one batch at a time");
    }
}
