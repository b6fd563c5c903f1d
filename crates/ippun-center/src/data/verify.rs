//! The verify API's writes, a batch at a time (see
//! [`group_commit`](crate::services::group_commit)): the rows a batch
//! takes, the steps it accepts, the counts it sets. Tables `users` and
//! `tokens`; each statement covers the whole batch.

use std::collections::{HashMap, HashSet};

use sqlx::Row;

use super::{
    AuditEntry, Backend, Write, audit, from_db, pad, placeholders, placeholders_from, to_db,
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

/// Takes each of `users` (service ID, user ID; sorted, no repeats, at
/// most `rows`, a power of two of at most [`MAX_SET`](super::MAX_SET)) that exists and
/// has an active token, with that token, for the rest of the transaction:
/// PostgreSQL locks both rows, in key order (so two writers taking
/// overlapping sets never wait on each other in a circle, and what is read
/// is the latest); SQLite's writes already run one at a time. Checks of
/// one user thus run one after the other, in this process or another.
pub async fn take(
    w: &mut Write<'_>,
    users: &[(&str, &str)],
    rows: usize,
) -> Result<HashMap<(String, String), Taken>, CenterError> {
    const KEY: [&str; 2] = ["TEXT", "TEXT"];
    let lock = match w.backend() {
        Backend::Postgres => " FOR UPDATE OF u, t",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "SELECT u.service_id, u.user_id, u.verify_failures, u.verify_locked_at,
                t.serial, t.last_step, t.drift_steps, t.drift_lean
         FROM (VALUES {}) AS v
         JOIN users u ON u.service_id = v.column1 AND u.user_id = v.column2
         JOIN tokens t ON t.service_id = u.service_id AND t.user_id = u.user_id
                      AND t.state = 'active'
         ORDER BY u.service_id, u.user_id{lock}",
        placeholders(rows, &KEY)
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for (sid, uid) in users {
        q = q.bind(*sid).bind(*uid);
    }
    let mut out = HashMap::with_capacity(users.len());
    for r in pad(q, rows.saturating_sub(users.len()), &KEY)
        .fetch_all(w.conn())
        .await?
    {
        out.insert(
            (r.try_get("service_id")?, r.try_get("user_id")?),
            Taken {
                user: UserState {
                    failures: r.try_get("verify_failures")?,
                    locked_at: r
                        .try_get::<Option<i64>, _>("verify_locked_at")?
                        .map(from_db),
                },
                serial: r.try_get("serial")?,
                steps: StepState {
                    last_step: r.try_get::<Option<i64>, _>("last_step")?.map(from_db),
                    drift_steps: r.try_get("drift_steps")?,
                    drift_lean: r.try_get("drift_lean")?,
                },
            },
        );
    }
    Ok(out)
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

/// Writes a batch in one round trip (each list at most `rows`, a power of
/// two of at most [`MAX_SET`](super::MAX_SET); PostgreSQL: one statement, SQLite: three
/// in one call). A step is written only if the token is still active and
/// the step is newer than the stored one, so no step is accepted twice,
/// whatever else writes. The serials whose step was written.
pub async fn write(
    w: &mut Write<'_>,
    writes: &Writes<'_>,
    rows: usize,
) -> Result<HashSet<String>, CenterError> {
    const STEP: [&str; 4] = ["TEXT", "BIGINT", "BIGINT", "BIGINT"];
    const USER: [&str; 4] = ["TEXT", "TEXT", "BIGINT", "BIGINT"];
    let accept = format!(
        "UPDATE tokens SET last_step = v.column2, drift_steps = v.column3,
            drift_lean = v.column4
         FROM (VALUES {}) AS v
         WHERE tokens.serial = v.column1 AND tokens.state = 'active'
           AND (tokens.last_step IS NULL OR tokens.last_step < v.column2)
         RETURNING tokens.serial",
        placeholders_from(1, rows, &STEP)
    );
    let users = format!(
        "UPDATE users SET verify_failures = v.column3, verify_locked_at = v.column4
         FROM (VALUES {}) AS v
         WHERE users.service_id = v.column1 AND users.user_id = v.column2",
        placeholders_from(1 + rows * STEP.len(), rows, &USER)
    );
    let audit = audit::insert_sql(1 + rows * (STEP.len() + USER.len()), rows);
    let sql = match w.backend() {
        Backend::Postgres => format!(
            "WITH accepted AS ({accept}), counted AS ({users}), audited AS ({audit})
             SELECT serial FROM accepted"
        ),
        Backend::Sqlite => format!("{accept};\n{users};\n{audit}"),
    };
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
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
    q = audit::bind_rows(q, writes.audit, rows);
    let mut out = HashSet::with_capacity(writes.accepts.len());
    for r in q.fetch_all(w.conn()).await? {
        out.insert(r.try_get("serial")?);
    }
    Ok(out)
}
