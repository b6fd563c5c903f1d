//! The verify API's writes, a batch at a time (see
//! [`group_commit`](crate::services::group_commit)): the rows a batch
//! takes, the steps it accepts, the counts it sets. Tables `users` and
//! `tokens`; each statement covers the whole batch.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

use super::{
    AuditEntry, Backend, Conn, Db, Turn, Write, audit, fetch_json, flag, from_db, json_rows, pad,
    placeholders, placeholders_from, to_db,
};
use crate::CenterError;

/// A user's verify-API state: wrong codes in a row, and when a wrong code
/// locked them out (if it did).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct UserState {
    /// Wrong codes in a row.
    pub failures: i64,
    /// When the last lock-out began.
    pub locked_at: Option<u64>,
}

/// Where an active token's accepted steps stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepState {
    /// The last accepted step.
    pub last_step: Option<u64>,
    /// Learned drift, in steps.
    pub drift_steps: i64,
    /// The offset of the last accepted code (drift moves when two in a row
    /// lean the same way).
    pub drift_lean: i64,
}

/// A user being verified and their active token, as a batch takes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    /// The user's counts.
    pub user: UserState,
    /// The active token's serial.
    pub serial: String,
    /// The active token's steps.
    pub steps: StepState,
}

/// One row a batch takes, as [`json_rows`] gives it: service ID, user
/// ID, wrong codes in a row, lock time, serial, last step, drift, lean.
type TakenColumns = (
    String,
    String,
    i64,
    Option<i64>,
    String,
    Option<i64>,
    i64,
    i64,
);

/// A verify batch's transaction: begun by [`Batch::take`], committed by
/// [`Batch::write`]. Dropped before that, it is rolled back.
pub struct Batch<'a> {
    inner: Inner<'a>,
    backend: Backend,
    rows: usize,
}

impl std::fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

enum Inner<'a> {
    /// A transaction like any other write (PostgreSQL, in-memory SQLite).
    Tx(Write<'a>),
    /// SQLite: this process's write turn and a connection of its own. The
    /// transaction's `BEGIN IMMEDIATE` goes in the same call as the read,
    /// and its `COMMIT` in the same call as the writes: SQLite runs on its
    /// own thread, and each call is a hand-off to it and back.
    Sqlite { _turn: Turn<'a>, conn: Conn<'a> },
    /// Committed: the turn given back, the kept connection kept.
    Done,
}

impl Drop for Batch<'_> {
    fn drop(&mut self) {
        if let Inner::Sqlite { conn, .. } = &mut self.inner {
            // The connection may be inside the transaction: it is closed,
            // not used again, and closing rolls it back.
            conn.discard();
        }
    }
}

impl<'a> Batch<'a> {
    /// Begins a batch at center time `at` and takes each of `users`
    /// (service ID, user ID; sorted, no repeats, at most `rows`, a power
    /// of two of at most [`MAX_SET`](super::MAX_SET)) that exists and has
    /// an active token, with that token, for the rest of the transaction:
    /// PostgreSQL locks both rows, in key order (so two writers taking
    /// overlapping sets never wait on each other in a circle, and what is
    /// read is the latest); on SQLite the transaction holds the database's
    /// write lock from its start. Checks of one user thus run one after
    /// the other, in this process or another.
    pub async fn take(
        db: &'a Db,
        at: u64,
        users: &[(&str, &str)],
        rows: usize,
    ) -> Result<(Self, HashMap<(String, String), Taken>), CenterError> {
        const KEY: [&str; 2] = ["TEXT", "TEXT"];
        let backend = db.backend();
        let lock = match backend {
            Backend::Postgres => " FOR UPDATE OF u, t",
            Backend::Sqlite => "",
        };
        let select = format!(
            "SELECT {} AS taken FROM (
               SELECT u.service_id, u.user_id, u.verify_failures, u.verify_locked_at,
                      t.serial, t.last_step, t.drift_steps, t.drift_lean
               FROM (VALUES {}) AS v
               JOIN users u ON u.service_id = v.column1 AND u.user_id = v.column2
               JOIN tokens t ON t.service_id = u.service_id AND t.user_id = u.user_id
                            AND t.state = 'active'
               ORDER BY u.service_id, u.user_id{lock}) AS s",
            json_rows(
                backend,
                "s.service_id, s.user_id, s.verify_failures, s.verify_locked_at, \
                 s.serial, s.last_step, s.drift_steps, s.drift_lean"
            ),
            placeholders(backend, rows, &KEY)
        );
        let (inner, sql) = match backend {
            Backend::Postgres => (Inner::Tx(db.write(at).await?), select),
            // An in-memory SQLite database is its one pooled connection:
            // a transaction like any other write.
            Backend::Sqlite if !db.keeps_verify_conn() => (Inner::Tx(db.write(at).await?), select),
            Backend::Sqlite => {
                let turn = db.turn().await?;
                let inner = Inner::Sqlite {
                    _turn: turn,
                    conn: db.verify_conn().await?,
                };
                (inner, format!("BEGIN IMMEDIATE;\n{select}"))
            }
        };
        let mut batch = Self {
            inner,
            backend,
            rows,
        };
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (sid, uid) in users {
            q = q.bind(*sid).bind(*uid);
        }
        let found: Vec<TakenColumns> = fetch_json(
            pad(q, rows.saturating_sub(users.len()), &KEY),
            batch.conn()?,
            "taken",
            "the rows a batch took gave no readable value",
        )
        .await?;
        let mut out = HashMap::with_capacity(found.len());
        for (sid, uid, failures, locked_at, serial, last_step, drift_steps, drift_lean) in found {
            out.insert(
                (sid, uid),
                Taken {
                    user: UserState {
                        failures,
                        locked_at: locked_at.map(from_db),
                    },
                    serial,
                    steps: StepState {
                        last_step: last_step.map(from_db),
                        drift_steps,
                        drift_lean,
                    },
                },
            );
        }
        Ok((batch, out))
    }

    fn conn(&mut self) -> Result<&mut AnyConnection, CenterError> {
        match &mut self.inner {
            Inner::Tx(w) => Ok(w.conn()),
            Inner::Sqlite { conn, .. } => conn.conn(),
            Inner::Done => Err(CenterError::Corrupt("a verify batch used after its commit")),
        }
    }
}

/// What a batch writes: the steps it accepts (serial and the token's new
/// state, whose `last_step` is the step), the users' new counts, and one
/// audit row per check.
#[derive(Debug)]
pub struct Writes<'a> {
    /// Steps accepted.
    pub accepts: &'a [(&'a str, StepState)],
    /// Users' new counts (service ID, user ID, state).
    pub users: &'a [(&'a str, &'a str, UserState)],
    /// Audit rows, each with its time.
    pub audit: &'a [(u64, AuditEntry<'a>)],
}

impl Batch<'_> {
    /// Writes the batch and commits it, in one call (each list at most
    /// the batch's `rows`; PostgreSQL: one statement, then the commit;
    /// SQLite: the statements and the commit in one call). A step is
    /// written only if the token is still active and the step is newer than
    /// the stored one, so no step is accepted twice, whatever else writes.
    ///
    /// How many steps were written: on PostgreSQL a count short of the
    /// accepts fails the batch before it commits. On SQLite it cannot be
    /// short (the write lock is held since the read), and a short count
    /// after the commit is answered as an error all the same.
    pub async fn write(mut self, writes: &Writes<'_>) -> Result<u64, CenterError> {
        let [accept, users, audit] = write_sql(self.backend, 1, self.rows, "");
        let mut sql = match self.backend {
            Backend::Postgres => format!(
                "WITH accepted AS ({accept} RETURNING 1), counted AS ({users}),
                      audited AS ({audit})
                 SELECT count(*) AS accepted FROM accepted"
            ),
            Backend::Sqlite => {
                format!("{accept};\nSELECT changes() AS accepted;\n{users};\n{audit}")
            }
        };
        if let Inner::Sqlite { .. } = self.inner {
            sql.push_str(";\nCOMMIT");
        }
        let q = bind_writes(sqlx::query(sqlx::AssertSqlSafe(sql)), writes, self.rows);
        // All rows, not the first: on SQLite a query stopped at its first row
        // would leave the statements after it unrun.
        let found = q.fetch_all(self.conn()?).await.map_err(CenterError::from);
        let found = match &mut self.inner {
            // Ended: dropped now, it need not be closed (an error still
            // closes it, through the drop of the batch).
            Inner::Sqlite { conn, .. } => conn.done(found),
            Inner::Tx(_) | Inner::Done => found,
        }?;
        let accepted = match found.as_slice() {
            [r] => from_db(r.try_get("accepted")?),
            _ => return Err(CenterError::Corrupt("a batch's write gave no count")),
        };
        let short = accepted != writes.accepts.len() as u64;
        // Out of the batch, so that dropping the batch now rolls nothing
        // back: a transaction short of its steps is dropped (rolled back)
        // here, and a SQLite one is already committed.
        match std::mem::replace(&mut self.inner, Inner::Done) {
            Inner::Tx(_) if short => Err(stepped_meanwhile()),
            Inner::Tx(w) => {
                w.commit().await?;
                Ok(accepted)
            }
            Inner::Sqlite { .. } if short => {
                tracing::error!("a verify batch wrote fewer steps than it accepted");
                Err(stepped_meanwhile())
            }
            Inner::Sqlite { .. } | Inner::Done => Ok(accepted),
        }
    }
}

/// Column types of a step accepted and of a user's new counts, as
/// [`write_sql`] and [`bind_writes`] place them.
const STEP: [&str; 4] = ["TEXT", "BIGINT", "BIGINT", "BIGINT"];
const USER: [&str; 4] = ["TEXT", "TEXT", "BIGINT", "BIGINT"];

/// The three statements that write a batch of `rows` (the steps accepted,
/// the users' counts, the audit rows), whose placeholders start at
/// `first`, each with `guard` added to its condition.
fn write_sql(backend: Backend, first: usize, rows: usize, guard: &str) -> [String; 3] {
    let accept = format!(
        "UPDATE tokens SET last_step = v.column2, drift_steps = v.column3,
            drift_lean = v.column4
         FROM (VALUES {}) AS v
         WHERE tokens.serial = v.column1 AND tokens.state = 'active'
           AND (tokens.last_step IS NULL OR tokens.last_step < v.column2){guard}",
        placeholders_from(backend, first, rows, &STEP)
    );
    let users = format!(
        "UPDATE users SET verify_failures = v.column3, verify_locked_at = v.column4
         FROM (VALUES {}) AS v
         WHERE users.service_id = v.column1 AND users.user_id = v.column2{guard}",
        placeholders_from(backend, first + rows * STEP.len(), rows, &USER)
    );
    let audit = format!(
        "{}{guard}",
        audit::insert_sql(backend, first + rows * (STEP.len() + USER.len()), rows)
    );
    [accept, users, audit]
}

/// `q` with `writes` bound for [`write_sql`], each list padded to `rows`.
fn bind_writes<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    writes: &'q Writes<'_>,
    rows: usize,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for (serial, st) in writes.accepts {
        q = q
            .bind(*serial)
            .bind(st.last_step.map(to_db))
            .bind(st.drift_steps)
            .bind(st.drift_lean);
    }
    q = pad(q, rows.saturating_sub(writes.accepts.len()), &STEP);
    for (sid, uid, st) in writes.users {
        q = q
            .bind(*sid)
            .bind(*uid)
            .bind(st.failures)
            .bind(st.locked_at.map(to_db));
    }
    q = pad(q, rows.saturating_sub(writes.users.len()), &USER);
    audit::bind_rows(q, writes.audit, rows)
}

/// Writes a batch decided on the state its requests read (`seen`:
/// service ID, user ID and their state, sorted by user, no repeats, at
/// most `rows`) in one call and one transaction, if and only if every one
/// of those users and their active token are still as read; else writes
/// nothing.
///
/// - PostgreSQL: one statement. It first takes those rows (`FOR UPDATE`,
///   in key order, as [`Batch::take`] does) where they are unchanged, and
///   writes only if it took them all.
/// - A SQLite file: `BEGIN IMMEDIATE` (the write lock, as in
///   [`Batch::take`]), the check of the rows kept in this connection's
///   gate table, the writes, each only if the gate says yes, and
///   `COMMIT`, all in one call to the connection's thread. An in-memory
///   database answers `None` at once.
///
/// `Some(steps written)`, or `None` when something changed since the read
/// (nothing is written; the batch must be decided again on rows taken
/// with [`Batch::take`]). Each step is still written only if it is newer
/// than the stored one.
pub async fn write_if_unchanged(
    db: &Db,
    seen: &[(&str, &str, &Taken)],
    writes: &Writes<'_>,
    rows: usize,
) -> Result<Option<u64>, CenterError> {
    let backend = db.backend();
    let first = 2 + rows * SEEN.len();
    let same = format!(
        "FROM (VALUES {}) AS s
         JOIN users u ON u.service_id = s.column1 AND u.user_id = s.column2
         JOIN tokens t ON t.service_id = u.service_id AND t.user_id = u.user_id
                      AND t.state = 'active' AND t.serial = s.column5
         WHERE u.verify_failures = s.column3
           AND u.verify_locked_at IS NOT DISTINCT FROM s.column4
           AND t.last_step IS NOT DISTINCT FROM s.column6
           AND t.drift_steps = s.column7 AND t.drift_lean = s.column8",
        placeholders(backend, rows, &SEEN),
    );
    let sql = match backend {
        Backend::Postgres => {
            let [accept, users, audit] =
                write_sql(backend, first, rows, " AND (SELECT yes FROM same)");
            format!(
                "WITH taken AS (
                   SELECT 1 {same}
                   ORDER BY u.service_id, u.user_id FOR UPDATE OF u, t),
                 same AS (SELECT count(*) = CAST(${} AS BIGINT) AS yes FROM taken),
                 accepted AS ({accept} RETURNING 1), counted AS ({users}), audited AS ({audit})
                 SELECT CAST(CASE WHEN (SELECT yes FROM same) THEN 1 ELSE 0 END AS BIGINT)
                          AS unchanged,
                        (SELECT count(*) FROM accepted) AS accepted",
                first - 1,
            )
        }
        Backend::Sqlite if !db.keeps_verify_conn() => return Ok(None),
        Backend::Sqlite => {
            let [accept, users, audit] = write_sql(
                backend,
                first,
                rows,
                " AND (SELECT yes FROM temp.verify_gate)",
            );
            format!(
                "BEGIN IMMEDIATE;
                 DELETE FROM temp.verify_gate;
                 INSERT INTO temp.verify_gate (yes)
                   SELECT (SELECT count(*) {same}) = CAST(? AS BIGINT);
                 {accept};
                 SELECT (SELECT yes FROM temp.verify_gate) AS unchanged, changes() AS accepted;
                 {users};
                 {audit};
                 COMMIT"
            )
        }
    };
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (sid, uid, t) in seen {
        q = q
            .bind(*sid)
            .bind(*uid)
            .bind(t.user.failures)
            .bind(t.user.locked_at.map(to_db))
            .bind(t.serial.as_str())
            .bind(t.steps.last_step.map(to_db))
            .bind(t.steps.drift_steps)
            .bind(t.steps.drift_lean);
    }
    q = pad(q, rows.saturating_sub(seen.len()), &SEEN);
    q = q.bind(i64::try_from(seen.len()).unwrap_or(i64::MAX));
    let q = bind_writes(q, writes, rows);
    // SQLite: one writer at a time in this process (the same turn as
    // every other write), on the writer's kept connection.
    let _turn = db.turn().await?;
    let mut conn = db.verify_conn().await?;
    let found = q.fetch_all(conn.conn()?).await.map_err(CenterError::from);
    let found = match found {
        Ok(found) => conn.done(Ok(found))?,
        Err(e) => {
            // A SQLite call that failed half-way may have left its
            // transaction open: the connection is closed, which rolls it
            // back.
            conn.discard();
            return Err(e);
        }
    };
    let (unchanged, accepted): (bool, i64) = match found.as_slice() {
        [r] => (flag(r, "unchanged")?, r.try_get("accepted")?),
        _ => return Err(CenterError::Corrupt("a batch's write gave no count")),
    };
    let accepted = from_db(accepted);
    if !unchanged {
        return Ok(None);
    }
    if accepted != writes.accepts.len() as u64 {
        // Cannot happen with the rows taken unchanged; committed all the
        // same, so it is answered as an error.
        tracing::error!("a verify batch wrote fewer steps than it accepted");
        return Err(stepped_meanwhile());
    }
    Ok(Some(accepted))
}

/// Column types of the state a batch was decided on (see
/// [`write_if_unchanged`]).
const SEEN: [&str; 8] = [
    "TEXT", "TEXT", "BIGINT", "BIGINT", "TEXT", "BIGINT", "BIGINT", "BIGINT",
];

/// The SQLite verify writer's gate: one row saying whether the batch's
/// rows were found as read, for the statements after the check in the
/// same call. Created on each SQLite connection (a temporary table is the
/// connection's own).
pub(crate) const GATE_TABLE: &str = "CREATE TEMP TABLE IF NOT EXISTS verify_gate (yes INTEGER)";

/// A step the batch accepted was written by someone else meanwhile.
fn stepped_meanwhile() -> CenterError {
    CenterError::Conflict("a step the batch accepted was written meanwhile".into())
}
