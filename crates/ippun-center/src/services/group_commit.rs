//! Group commit for the verify API: the checks of many requests written in
//! one transaction, one disk flush for all of them.
//!
//! A request reads what its check needs, opens the token key and computes
//! the codes on its own task (see [`verify`](super::verify)); what is left
//! to write (the step accepted, the wrong code counted, the audit row)
//! goes to this process's writer as a [`Check`]. The writer (a
//! [`Combiner`]: the request that finds it idle runs the batch itself)
//! takes every check waiting (up to [`MAX_BATCH`]) and, in one
//! transaction:
//!
//! 1. takes the rows of the users concerned and of their tokens
//!    (PostgreSQL: `FOR UPDATE`, in key order);
//! 2. decides each check in arrival order ([`decide`]: pure, the rules of
//!    the verify API), so checks of one user in one batch see each other;
//! 3. writes the accepted steps (each row only if its step is still newer:
//!    exactly once, whatever another process does), the users' counts and
//!    locks, and every audit row, in set-based statements;
//! 4. commits, and only then answers each request.
//!
//! A batch first tries to do all of that in one call and one
//! transaction: each request read its user's state with its token
//! ([`Check::seen`]), the batch is decided on those, and the call writes
//! only if every one of those rows is still as read
//! ([`verify::write_if_unchanged`]: on PostgreSQL one statement that takes
//! the rows `FOR UPDATE`, in key order, where they are unchanged; on a
//! SQLite file `BEGIN IMMEDIATE`, the check, the writes and `COMMIT` in
//! one call to the connection's thread). One round trip and one flush
//! per batch. If anything changed since the read (another batch, another
//! process, an admin), nothing is written and the batch is decided again
//! on rows taken as above.
//!
//! A lone request is not held back: a batch closes when nothing more is
//! waiting, and the next one gathers what arrived meanwhile. One batch is
//! in flight at a time ([`WRITERS`]). The queue is
//! bounded ([`Config::verify_queue`](crate::Config)): beyond, the request
//! is answered "busy". If a batch fails because the database is out of
//! reach, each of its requests is answered so (503); if it fails for any
//! other reason, its checks are written again one by one, so one bad row
//! never fails its neighbours.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::oneshot;

use super::verify::Verdict;
use crate::CenterError;
use crate::combine::{Combiner, Runner};
use crate::data::verify::{self, StepState, Taken, UserState};
use crate::data::{Action, Actor, AuditEntry, Db, Outcome, Who};

/// The most checks one transaction takes.
pub const MAX_BATCH: usize = crate::data::MAX_SET;

/// One verify request's writes, as its check left them.
#[derive(Debug)]
pub struct Check {
    /// Center time of the request.
    pub at: u64,
    /// The relying party's API key ID (the audit actor).
    pub key_id: String,
    /// Service ID.
    pub service_id: String,
    /// User ID.
    pub user_id: String,
    /// The user's active token, if any.
    pub serial: Option<String>,
    /// The verify API's state of the user and that token, as read.
    pub seen: Option<Taken>,
    /// What the read and the code check found.
    pub code: Code,
}

/// What the read and the code check found.
#[derive(Debug)]
pub enum Code {
    /// Answered from the read alone (unknown, suspended, locked, expired):
    /// only the audit row is written.
    Settled(Verdict),
    /// The step the code is for and its offset from the expected step, or
    /// `None` when it is for none of them (a wrong code).
    Checked(Option<(u64, i64)>),
}

/// The verify API's limits.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// Wrong codes in a row before a lock-out.
    pub max_failures: i64,
    /// How long a lock-out lasts.
    pub lock_secs: u64,
}

type Answer = Result<Verdict, CenterError>;

/// This process's verify writer.
pub struct Writer {
    combiner: Arc<Combiner<(Check, oneshot::Sender<Answer>)>>,
    counts: Arc<Counts>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

/// Batches and checks written since start, for monitoring.
#[derive(Debug, Default)]
struct Counts {
    batches: AtomicU64,
    checks: AtomicU64,
}

impl Writer {
    /// The writer of `db`: [`WRITERS`] batches in flight at once, at most
    /// `queue` checks waiting for them.
    pub fn new(db: &Arc<Db>, rules: Rules, queue: usize) -> Self {
        let counts = Arc::new(Counts::default());
        let (db, c) = (db.clone(), counts.clone());
        let run: Runner<(Check, oneshot::Sender<Answer>)> = Box::new(move |jobs| {
            let (db, counts) = (db.clone(), c.clone());
            Box::pin(async move { run(&db, rules, jobs, &counts).await })
        });
        Self {
            combiner: Combiner::new(WRITERS, MAX_BATCH, queue, run),
            counts,
        }
    }

    /// Transactions and checks written since start: their ratio is the
    /// mean batch size.
    pub fn written(&self) -> (u64, u64) {
        (
            self.counts.batches.load(Ordering::Relaxed),
            self.counts.checks.load(Ordering::Relaxed),
        )
    }

    /// Writes `check` with whatever else is waiting; its verdict once the
    /// batch is durable. [`CenterError::Busy`] at once when the queue is
    /// full.
    pub async fn write(&self, check: Check) -> Answer {
        self.combiner.call(check).await
    }
}

/// Batches in flight at once. SQLite lets one writer in at a time. On
/// PostgreSQL a batch is one statement (see [`commit`]), and a second
/// batch in flight only made both smaller: on loopback one gave 4 600
/// verifies/s against 3 900–4 200 with two and 3 500–3 900 with four (two
/// runs each), and later 10 700 against 9 800–10 000 with two. Under a
/// slower database the one batch grows instead.
pub const WRITERS: usize = 1;

/// Writes one batch and answers each of its requests.
async fn run(db: &Db, rules: Rules, jobs: Vec<(Check, oneshot::Sender<Answer>)>, counts: &Counts) {
    let (checks, replies): (Vec<Check>, Vec<_>) = jobs.into_iter().unzip();
    counts.batches.fetch_add(1, Ordering::Relaxed);
    counts
        .checks
        .fetch_add(checks.len() as u64, Ordering::Relaxed);
    let answers = write_batch(db, rules, &checks).await;
    for (reply, answer) in replies.into_iter().zip(answers) {
        // The request may have timed out meanwhile; its write stands.
        let _ = reply.send(answer);
    }
}

/// Writes `checks` in one transaction; when that fails for a reason other
/// than the database being out of reach, each alone.
async fn write_batch(db: &Db, rules: Rules, checks: &[Check]) -> Vec<Answer> {
    let e = match commit(db, rules, checks).await {
        Ok(verdicts) => return verdicts.into_iter().map(Ok).collect(),
        Err(e) => e,
    };
    if checks.len() == 1 {
        return vec![Err(e)];
    }
    if e.is_unavailable() {
        tracing::warn!(error = %e, checks = checks.len(), "verify batch: database out of reach");
        return checks
            .iter()
            .map(|_| Err(CenterError::Unavailable))
            .collect();
    }
    tracing::warn!(error = %e, checks = checks.len(), "verify batch failed; writing each alone");
    let mut out = Vec::with_capacity(checks.len());
    for check in checks {
        out.push(
            commit(db, rules, std::slice::from_ref(check))
                .await
                .map(|mut v| v.remove(0)),
        );
    }
    out
}

async fn commit(db: &Db, rules: Rules, checks: &[Check]) -> Result<Vec<Verdict>, CenterError> {
    let at = checks.iter().map(|c| c.at).max().unwrap_or_default();
    let rows = checks.len().next_power_of_two();
    if let Some(seen) = seen_by_all(checks) {
        let plan = decide(rules, checks, seen_map(&seen));
        let lists = Lists::of(checks, &plan);
        if verify::write_if_unchanged(db, &seen, &lists.writes(), rows)
            .await?
            .is_some()
        {
            return Ok(plan.verdicts.into_iter().map(|d| d.verdict).collect());
        }
    }
    let users: BTreeSet<(&str, &str)> = checks
        .iter()
        .filter(|c| matches!(c.code, Code::Checked(_)))
        .map(|c| (c.service_id.as_str(), c.user_id.as_str()))
        .collect();
    let users: Vec<_> = users.into_iter().collect();
    let (batch, taken) = verify::Batch::take(db, at, &users, rows).await?;
    let plan = decide(rules, checks, taken);
    // Fails if another writer got in between (cannot happen while the
    // rows are taken); the checks are then written again one by one.
    batch.write(&Lists::of(checks, &plan).writes()).await?;
    Ok(plan.verdicts.into_iter().map(|d| d.verdict).collect())
}

/// The state each user with a code to decide was read in (the first
/// check's, when a user has several), sorted by user; `None` when a check
/// to decide has no state read with it.
fn seen_by_all(checks: &[Check]) -> Option<Vec<(&str, &str, &Taken)>> {
    let mut seen = BTreeMap::new();
    for c in checks.iter().filter(|c| matches!(c.code, Code::Checked(_))) {
        let state = c.seen.as_ref()?;
        seen.entry((c.service_id.as_str(), c.user_id.as_str()))
            .or_insert(state);
    }
    Some(seen.into_iter().map(|((s, u), t)| (s, u, t)).collect())
}

fn seen_map(seen: &[(&str, &str, &Taken)]) -> HashMap<(String, String), Taken> {
    seen.iter()
        .map(|(s, u, t)| (((*s).to_owned(), (*u).to_owned()), (*t).clone()))
        .collect()
}

/// A plan's writes, as the data layer takes them.
struct Lists<'a> {
    accepts: Vec<(&'a str, StepState)>,
    users: Vec<(&'a str, &'a str, UserState)>,
    audit: Vec<(u64, AuditEntry<'a>)>,
}

impl<'a> Lists<'a> {
    fn of(checks: &'a [Check], plan: &'a Plan) -> Self {
        Self {
            accepts: plan
                .steps
                .iter()
                .map(|(serial, st)| (serial.as_str(), *st))
                .collect(),
            users: plan
                .users
                .iter()
                .map(|((sid, uid), st)| (sid.as_str(), uid.as_str(), *st))
                .collect(),
            audit: checks
                .iter()
                .zip(&plan.verdicts)
                .map(|(c, d)| (c.at, audit_entry(c, d)))
                .collect(),
        }
    }

    fn writes(&self) -> verify::Writes<'_> {
        verify::Writes {
            accepts: &self.accepts,
            users: &self.users,
            audit: &self.audit,
        }
    }
}

fn audit_entry<'a>(c: &'a Check, d: &Decision) -> AuditEntry<'a> {
    let who = Who {
        service: Some(&c.service_id),
        user: Some(&c.user_id),
        serial: c.serial.as_deref(),
    };
    let mut entry = AuditEntry::new(
        Actor::Bank(&c.key_id),
        Action::Verify,
        who,
        Outcome::Verdict(d.verdict.reason()),
    );
    entry.detail = match &d.verdict {
        Verdict::Ok {
            step, drift_steps, ..
        } => Some(format!("step {step}, drift {drift_steps}")),
        Verdict::Wrong { failures_left } => Some(format!("{failures_left} tries left")),
        Verdict::Locked if d.locked_here => Some("locked by this wrong code".to_owned()),
        _ => None,
    };
    entry
}

/// One check's verdict, and whether its wrong code locked the user.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Decision {
    verdict: Verdict,
    locked_here: bool,
}

impl From<Verdict> for Decision {
    fn from(verdict: Verdict) -> Self {
        Self {
            verdict,
            locked_here: false,
        }
    }
}

/// What a batch writes: each check's verdict, the users whose state
/// changed and the tokens with a newly accepted step.
#[derive(Debug, Default)]
struct Plan {
    verdicts: Vec<Decision>,
    users: HashMap<(String, String), UserState>,
    steps: HashMap<String, StepState>,
}

/// The verify API's rules over one batch, in arrival order:
///
/// - a user locked out (locked within the lock time) gets `locked`; a lock
///   that is over is cleared and counting starts again;
/// - a wrong code counts; the [`Rules::max_failures`]th in a row locks;
/// - a right code for a step not newer than the last accepted one is
///   `reused` (not counted); otherwise it is accepted, drift learned
///   slowly (it moves one step when two accepted codes in a row lean the
///   same way), and the count reset.
fn decide(rules: Rules, checks: &[Check], mut taken: HashMap<(String, String), Taken>) -> Plan {
    let mut plan = Plan::default();
    let limit = rules.max_failures.max(1);
    for c in checks {
        let matched = match &c.code {
            Code::Settled(v) => {
                plan.verdicts.push(v.clone().into());
                continue;
            }
            Code::Checked(m) => *m,
        };
        let key = (c.service_id.clone(), c.user_id.clone());
        let Some(row) = taken.get_mut(&key) else {
            // The user or their active token is gone since the read.
            plan.verdicts.push(Verdict::Unknown.into());
            continue;
        };
        let before = row.clone();
        let decision = check_one(rules, limit, c, matched, row);
        if row.user != before.user {
            plan.users.insert(key, row.user);
        }
        if row.steps != before.steps {
            plan.steps.insert(row.serial.clone(), row.steps);
        }
        plan.verdicts.push(decision);
    }
    plan
}

fn check_one(
    rules: Rules,
    limit: i64,
    c: &Check,
    matched: Option<(u64, i64)>,
    row: &mut Taken,
) -> Decision {
    let user = &mut row.user;
    if let Some(at) = user.locked_at {
        if at >= c.at.saturating_sub(rules.lock_secs) {
            return Verdict::Locked.into();
        }
        *user = UserState::default();
    }
    let Some((step, off)) = matched else {
        user.failures += 1;
        if user.failures >= limit {
            user.locked_at = Some(c.at);
            return Decision {
                verdict: Verdict::Locked,
                locked_here: true,
            };
        }
        return Verdict::Wrong {
            failures_left: u64::try_from(limit - user.failures).unwrap_or(0),
        }
        .into();
    };
    if c.serial.as_deref() != Some(row.serial.as_str()) {
        // Replaced since the read: the code was for the old token.
        return Verdict::Reused.into();
    }
    let token = &mut row.steps;
    if token.last_step.is_some_and(|last| last >= step) {
        // Not a failure: the count stays.
        return Verdict::Reused.into();
    }
    token.last_step = Some(step);
    if off != 0 && token.drift_lean == off {
        token.drift_steps += off;
        token.drift_lean = 0;
    } else {
        token.drift_lean = off;
    }
    user.failures = 0;
    Verdict::Ok {
        serial: row.serial.clone(),
        step,
        drift_steps: token.drift_steps,
    }
    .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES: Rules = Rules {
        max_failures: 3,
        lock_secs: 900,
    };

    fn check(user: &str, code: Code) -> Check {
        Check {
            at: 10_000,
            key_id: "k".into(),
            service_id: "S".into(),
            user_id: user.into(),
            serial: Some(format!("serial-{user}")),
            seen: None,
            code,
        }
    }

    fn state(users: &[&str], last_step: u64) -> HashMap<(String, String), Taken> {
        users
            .iter()
            .map(|u| {
                (
                    ("S".to_owned(), (*u).to_owned()),
                    Taken {
                        user: UserState::default(),
                        serial: format!("serial-{u}"),
                        steps: StepState {
                            last_step: Some(last_step),
                            drift_steps: 0,
                            drift_lean: 0,
                        },
                    },
                )
            })
            .collect()
    }

    fn verdicts(plan: &Plan) -> Vec<&'static str> {
        plan.verdicts.iter().map(|d| d.verdict.reason()).collect()
    }

    #[test]
    fn one_step_is_accepted_once_within_a_batch() {
        let t = state(&["a"], 99);
        let checks: Vec<Check> = (0..5)
            .map(|_| check("a", Code::Checked(Some((100, 0)))))
            .collect();
        let plan = decide(RULES, &checks, t);
        assert_eq!(
            verdicts(&plan),
            ["ok", "reused", "reused", "reused", "reused"]
        );
        assert_eq!(plan.steps["serial-a"].last_step, Some(100));
    }

    #[test]
    fn an_old_step_is_reused_and_a_newer_one_accepted() {
        let t = state(&["a"], 100);
        let checks = [
            check("a", Code::Checked(Some((100, 0)))),
            check("a", Code::Checked(Some((101, 0)))),
        ];
        assert_eq!(verdicts(&decide(RULES, &checks, t)), ["reused", "ok"]);
    }

    #[test]
    fn wrong_codes_lock_and_the_lock_holds_within_the_batch() {
        let t = state(&["a", "b"], 0);
        let checks = [
            check("a", Code::Checked(None)),
            check("b", Code::Checked(None)),
            check("a", Code::Checked(None)),
            check("a", Code::Checked(None)),
            check("a", Code::Checked(Some((5, 0)))),
            check("b", Code::Checked(Some((5, 0)))),
        ];
        let plan = decide(RULES, &checks, t);
        assert_eq!(
            verdicts(&plan),
            ["wrong", "wrong", "wrong", "locked", "locked", "ok"]
        );
        assert!(plan.verdicts[3].locked_here);
        assert!(!plan.verdicts[4].locked_here);
        let a = plan.users[&("S".to_owned(), "a".to_owned())];
        assert_eq!((a.failures, a.locked_at), (3, Some(10_000)));
        let b = plan.users[&("S".to_owned(), "b".to_owned())];
        assert_eq!(b, UserState::default(), "a right code resets the count");
        assert!(!plan.steps.contains_key("serial-a"));
    }

    #[test]
    fn a_lock_that_is_over_is_cleared() {
        let mut t = state(&["a"], 0);
        if let Some(a) = t.get_mut(&("S".to_owned(), "a".to_owned())) {
            a.user = UserState {
                failures: 3,
                locked_at: Some(10_000 - 901),
            };
        }
        let plan = decide(RULES, &[check("a", Code::Checked(None))], t);
        assert_eq!(verdicts(&plan), ["wrong"]);
        let a = plan.users[&("S".to_owned(), "a".to_owned())];
        assert_eq!((a.failures, a.locked_at), (1, None));
    }

    #[test]
    fn drift_moves_only_when_two_codes_lean_the_same_way() {
        let t = state(&["a"], 0);
        let checks = [
            check("a", Code::Checked(Some((10, 1)))),
            check("a", Code::Checked(Some((11, 1)))),
            check("a", Code::Checked(Some((12, -1)))),
        ];
        let plan = decide(RULES, &checks, t);
        let drifts: Vec<i64> = plan
            .verdicts
            .iter()
            .map(|d| match d.verdict {
                Verdict::Ok { drift_steps, .. } => drift_steps,
                _ => i64::MIN,
            })
            .collect();
        assert_eq!(drifts, [0, 1, 1]);
        assert_eq!(plan.steps["serial-a"].drift_lean, -1);
    }

    /// A batch whose audit insert fails for one row (a trigger refuses
    /// it): the batch is written again check by check, and only that
    /// check fails.
    #[tokio::test]
    async fn one_bad_row_fails_alone() {
        let db = Arc::new(
            Db::open("sqlite::memory:", std::time::Duration::from_secs(5))
                .await
                .unwrap(),
        );
        sqlx::query(
            "CREATE TRIGGER poison BEFORE INSERT ON audit WHEN NEW.user_id = 'poison'
             BEGIN SELECT RAISE(ABORT, 'poisoned row'); END",
        )
        .execute(&db.pool())
        .await
        .unwrap();
        let checks = [
            check("a", Code::Settled(Verdict::Unknown)),
            check("poison", Code::Settled(Verdict::Unknown)),
            check("b", Code::Settled(Verdict::Suspended)),
        ];
        let answers = write_batch(&db, RULES, &checks).await;
        assert!(matches!(answers[0], Ok(Verdict::Unknown)), "{answers:?}");
        assert!(answers[1].is_err(), "{answers:?}");
        assert!(matches!(answers[2], Ok(Verdict::Suspended)), "{answers:?}");
        let users: Vec<String> = sqlx::query_scalar("SELECT user_id FROM audit ORDER BY id")
            .fetch_all(&db.pool())
            .await
            .unwrap();
        assert_eq!(users, ["a", "b"]);
    }

    #[test]
    fn settled_and_unknown_checks_pass_through() {
        let t = state(&["a"], 0);
        let checks = [
            check("a", Code::Settled(Verdict::Suspended)),
            check("nobody", Code::Checked(Some((5, 0)))),
        ];
        let plan = decide(RULES, &checks, t);
        assert_eq!(verdicts(&plan), ["suspended", "unknown"]);
        assert!(plan.users.is_empty() && plan.steps.is_empty());
    }
}
