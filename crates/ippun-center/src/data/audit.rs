//! The `audit` table: who did what to whom, with what outcome.

use ippun_core::ErrorCode;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::{Backend, Db, from_db, to_db};
use crate::CenterError;

/// Who acted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor<'a> {
    /// The app (a customer's device, or anyone speaking the app protocol).
    App,
    /// An operator at the admin console.
    Admin,
    /// The demo center's scenarios.
    Demo,
    /// The bank's systems, by the ID of the API key they used.
    Bank(&'a str),
    /// A named tool or test (bulk imports, load tests).
    Tool(&'a str),
}

impl Actor<'_> {
    /// How the audit log stores it: `app`, `admin`, `demo`, `rp:KEY-ID` or
    /// the tool's name.
    pub fn stored(self) -> String {
        match self {
            Self::App => "app".into(),
            Self::Admin => "admin".into(),
            Self::Demo => "demo".into(),
            Self::Bank(key) => format!("rp:{key}"),
            Self::Tool(name) => name.into(),
        }
    }
}

macro_rules! actions {
    ($($(#[$doc:meta])* $v:ident = $s:literal,)*) => {
        /// What was done.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $($(#[$doc])* $v,)*
        }

        impl Action {
            /// The stored word.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$v => $s,)*
                }
            }
        }
    };
}

actions! {
    /// Provisioning (offer and confirmation).
    Provision = "provision",
    /// Renewal (offer and confirmation).
    Renew = "renew",
    /// Correction.
    Correct = "correct",
    /// A code checked through the verify API.
    Verify = "verify",
    /// The bank asked to start transaction confirmation.
    TxStart = "tx-start",
    /// The bank posted a transaction.
    TxPost = "tx-post",
    /// The bank withdrew a transaction.
    TxWithdraw = "tx-withdraw",
    /// The app listed what waits.
    TxList = "tx-list",
    /// The app completed a start.
    TxEnable = "tx-enable",
    /// The app answered a transaction.
    TxAnswer = "tx-answer",
    /// A service was created.
    ServiceAdd = "service-add",
    /// A service was opened for setup.
    ServiceOpen = "service-open",
    /// A service was closed for setup.
    ServiceClose = "service-close",
    /// Transaction confirmation offered.
    TxConfirmationOn = "tx-confirmation-on",
    /// Transaction confirmation no longer offered.
    TxConfirmationOff = "tx-confirmation-off",
    /// A user was created.
    UserAdd = "user-add",
    /// A new activation password.
    Password = "password",
    /// A user was suspended.
    Suspend = "suspend",
    /// A user was resumed.
    Resume = "resume",
    /// A user's tokens were revoked and a new password issued.
    Reissue = "reissue",
    /// A token's expiry was set.
    Expiry = "expiry",
    /// Tokens were imported.
    TokenImport = "token-import",
    /// A verify lock-out was cleared.
    Unlock = "unlock",
    /// An API key was created.
    ApiKeyAdd = "api-key-add",
    /// An API key was revoked.
    ApiKeyRevoke = "api-key-revoke",
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// An admin act was carried out.
    Done,
    /// An offer was made (first leg).
    Offered,
    /// A key exchange was confirmed.
    Confirmed,
    /// Correction stored a drift.
    Corrected,
    /// A start of transaction confirmation was asked for.
    Requested,
    /// A transaction waits.
    Pending,
    /// A transaction was withdrawn.
    Withdrawn,
    /// The app completed a start.
    Enabled,
    /// The customer approved.
    Approved,
    /// The customer rejected.
    Rejected,
    /// Refused with a catalogue code.
    Refused(ErrorCode),
    /// The verify API's answer (its reason word).
    Verdict(&'static str),
}

impl Outcome {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "ok",
            Self::Offered => "offered",
            Self::Confirmed => "confirmed",
            Self::Corrected => "corrected",
            Self::Requested => "requested",
            Self::Pending => "pending",
            Self::Withdrawn => "withdrawn",
            Self::Enabled => "enabled",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Refused(code) => code.as_str(),
            Self::Verdict(reason) => reason,
        }
    }
}

/// Whom an act concerns: a service, a user of it, a token.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Who<'a> {
    /// Service ID.
    pub service: Option<&'a str>,
    /// User ID.
    pub user: Option<&'a str>,
    /// Token serial.
    pub serial: Option<&'a str>,
}

impl<'a> Who<'a> {
    /// A service.
    pub fn service(service: &'a str) -> Self {
        Self {
            service: Some(service),
            ..Self::default()
        }
    }

    /// A user of a service.
    pub fn user(service: &'a str, user: &'a str) -> Self {
        Self {
            service: Some(service),
            user: Some(user),
            serial: None,
        }
    }

    /// A user's token.
    pub fn token(service: &'a str, user: &'a str, serial: &'a str) -> Self {
        Self {
            service: Some(service),
            user: Some(user),
            serial: Some(serial),
        }
    }

    /// A token by its serial alone.
    pub fn serial(serial: &'a str) -> Self {
        Self {
            serial: Some(serial),
            ..Self::default()
        }
    }
}

/// One audit record to write.
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    /// Who acted.
    pub actor: Actor<'a>,
    /// What was done.
    pub action: Action,
    /// To whom.
    pub who: Who<'a>,
    /// How it ended.
    pub outcome: Outcome,
    /// More, in words (never a secret).
    pub detail: Option<String>,
}

impl<'a> AuditEntry<'a> {
    /// A record without detail.
    pub fn new(actor: Actor<'a>, action: Action, who: Who<'a>, outcome: Outcome) -> Self {
        Self {
            actor,
            action,
            who,
            outcome,
            detail: None,
        }
    }

    /// The same with `detail`.
    #[must_use]
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

pub(super) async fn insert(
    conn: &mut AnyConnection,
    backend: Backend,
    at: u64,
    e: &AuditEntry<'_>,
) -> Result<(), CenterError> {
    let one = [(at, e.clone())];
    let sql = insert_sql(backend, 1, 1);
    bind_rows(sqlx::query(sqlx::AssertSqlSafe(sql)), &one, 1)
        .execute(conn)
        .await?;
    Ok(())
}

/// The types of an audit row's columns, in [`insert_sql`]'s order.
const TYPES: [&str; 8] = [
    "BIGINT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "TEXT",
];

/// The audit row insert of a set-based statement: its first `$n` is
/// `first`, `rows` rows (bound with [`bind_rows`], padding skipped).
pub(super) fn insert_sql(backend: Backend, first: usize, rows: usize) -> String {
    format!(
        "INSERT INTO audit (at, actor, action, service_id, user_id, serial, outcome, detail)
         SELECT * FROM (VALUES {}) AS v WHERE v.column1 IS NOT NULL",
        super::placeholders_from(backend, first, rows, &TYPES)
    )
}

/// Binds `entries` (each with its time) and `rows - entries.len()` padding
/// rows for [`insert_sql`].
pub(super) fn bind_rows<'q>(
    mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    entries: &'q [(u64, AuditEntry<'_>)],
    rows: usize,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for (at, e) in entries {
        q = q
            .bind(to_db(*at))
            .bind(e.actor.stored())
            .bind(e.action.as_str())
            .bind(e.who.service)
            .bind(e.who.user)
            .bind(e.who.serial)
            .bind(e.outcome.as_str())
            .bind(e.detail.as_deref());
    }
    super::pad(q, rows.saturating_sub(entries.len()), &TYPES)
}

/// Writes one record on its own (a refusal: nothing else changes).
pub async fn record(db: &Db, at: u64, entry: AuditEntry<'_>) -> Result<(), CenterError> {
    let mut w = db.write(at).await?;
    w.audit(entry).await?;
    w.commit().await
}

/// Deletes the records from before `before`; how many.
pub async fn prune(w: &mut super::Write<'_>, before: u64) -> Result<u64, CenterError> {
    let n = sqlx::query("DELETE FROM audit WHERE at < $1")
        .bind(to_db(before))
        .execute(w.conn())
        .await?
        .rows_affected();
    Ok(n)
}

/// One audit record as stored.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    /// Sequence number.
    pub id: i64,
    /// When, Unix seconds.
    pub at: u64,
    /// app, admin, demo, `rp:KEY-ID`, or a tool's name.
    pub actor: String,
    /// What.
    pub action: String,
    /// Service.
    pub service_id: Option<String>,
    /// User.
    pub user_id: Option<String>,
    /// Token.
    pub serial: Option<String>,
    /// ok, offered, confirmed, corrected, or an S-code.
    pub outcome: String,
    /// More.
    pub detail: Option<String>,
}

/// The newest `limit` audit records, oldest first.
pub async fn newest(db: &Db, limit: u32) -> Result<Vec<AuditRow>, CenterError> {
    let rows = sqlx::query(
        "SELECT * FROM (SELECT id, at, actor, action, service_id, user_id, serial, outcome, detail
           FROM audit ORDER BY id DESC LIMIT $1) AS newest ORDER BY id",
    )
    .bind(i64::from(limit))
    .fetch_all(&db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditRow {
                id: r.try_get("id")?,
                at: from_db(r.try_get("at")?),
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                service_id: r.try_get("service_id")?,
                user_id: r.try_get("user_id")?,
                serial: r.try_get("serial")?,
                outcome: r.try_get("outcome")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect()
}
