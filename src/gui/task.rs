//! Work that must not block the window: talking to a center. One task at a
//! time runs on its own thread; the window polls it each frame, shows a
//! spinner and a cancel button, and takes the result when it is there.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::sync::{Arc, Mutex};

use ippun_core::{Clock, Error, Vault};
use zeroize::Zeroizing;

use ippun_core::txconfirm::{Decision, Transaction};

use crate::flows::{self, Center, Correction, TxInbox};

/// What a task was started for.
#[derive(Debug, Clone)]
pub enum Job {
    /// Set up a new token (or finish a pending one).
    Setup {
        /// The center.
        center: Box<Center>,
        /// Service ID.
        service_id: String,
        /// User ID.
        user_id: String,
    },
    /// Renew token `id`.
    Renew(u64),
    /// Correct token `id`.
    Correct(u64),
    /// Fetch what waits in transaction confirmation for token `id`.
    TxList(u64),
    /// Complete the start of transaction confirmation (token, start ID).
    TxStart(u64, String),
    /// Answer a transaction.
    TxAnswer(u64, Box<Transaction>, Decision),
}

/// What a task produced.
#[derive(Debug)]
pub enum Done {
    /// A token is set up (its id).
    Added(u64),
    /// The token was renewed.
    Renewed(u64),
    /// Correction learned this.
    Corrected(u64, Correction),
    /// What waits in transaction confirmation.
    TxListed(u64, TxInbox),
    /// Transaction confirmation started.
    TxStarted(u64),
    /// A transaction was answered; the confirmation code.
    TxAnswered(u64, Decision, String),
}

/// A running task.
#[derive(Debug)]
pub struct Task {
    job: Job,
    rx: Receiver<Result<Done, Error>>,
    cancel: Arc<AtomicBool>,
}

impl Task {
    /// Starts `job` on a new thread. `password` is only for setup and is
    /// zeroized when the thread ends. `wake` is called when the result is
    /// ready (the window asks for a repaint).
    pub fn start(
        job: Job,
        password: Option<Zeroizing<String>>,
        vault: Arc<Mutex<Vault>>,
        clock: Arc<dyn Clock>,
        wake: impl Fn() + Send + 'static,
    ) -> Self {
        let (tx, rx) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let flag = cancel.clone();
        let work = job.clone();
        let spawned = std::thread::Builder::new()
            .name("ippun-center-call".into())
            .spawn(move || {
                let clock: &dyn Clock = &*clock;
                let result = match work {
                    Job::Setup {
                        center,
                        service_id,
                        user_id,
                    } => flows::resume_setup(&vault, &center, &service_id, &user_id, clock)
                        .and_then(|resumed| {
                            if let Some(id) = resumed {
                                return Ok(id);
                            }
                            // Finishing a pending setup the center no longer
                            // knows: it must be set up again from the start.
                            let Some(pw) = password else {
                                return Err(Error::new(ippun_core::ErrorCode::A003)
                                    .with_detail("setup session no longer known at the center"));
                            };
                            flows::setup(&vault, &center, &service_id, &user_id, &pw, clock, &flag)
                        })
                        .map(Done::Added),
                    Job::Renew(id) => {
                        flows::renew(&vault, id, clock, &flag).map(|()| Done::Renewed(id))
                    }
                    Job::Correct(id) => {
                        flows::correct(&vault, id, clock, &flag).map(|c| Done::Corrected(id, c))
                    }
                    Job::TxList(id) => {
                        flows::tx_list(&vault, id, clock, &flag).map(|i| Done::TxListed(id, i))
                    }
                    Job::TxStart(id, start) => flows::tx_start(&vault, id, &start, clock, &flag)
                        .map(|()| Done::TxStarted(id)),
                    Job::TxAnswer(id, tx, decision) => {
                        flows::tx_answer(&vault, id, &tx, decision, clock, &flag)
                            .map(|code| Done::TxAnswered(id, decision, code))
                    }
                };
                let _ = tx.send(result);
                wake();
            });
        if let Err(e) = spawned {
            let (tx, rx2) = mpsc::channel();
            let _ = tx.send(Err(Error::new(ippun_core::ErrorCode::A999)
                .with_detail(format!("could not start a thread: {e}"))));
            return Self {
                job,
                rx: rx2,
                cancel,
            };
        }
        Self { job, rx, cancel }
    }

    /// What the task is doing.
    pub fn job(&self) -> &Job {
        &self.job
    }

    /// Asks the task to stop before its next request. Its result is then
    /// ignored by the window.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Release);
    }

    /// The result, once there (`None` while running).
    pub fn poll(&self) -> Option<Result<Done, Error>> {
        match self.rx.try_recv() {
            Ok(r) => Some(r),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err(Error::new(ippun_core::ErrorCode::A999)
                .with_detail("the task ended without an answer"))),
        }
    }
}
