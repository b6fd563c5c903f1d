//! The `tx_starts` and `transactions` tables: transaction confirmation.

use ippun_core::txconfirm::{PendingStart, Transaction};
use sqlx::Row;
use sqlx::any::AnyRow;

use super::{Db, Write, from_db, to_db};
use crate::CenterError;

/// Where a stored transaction stands. A pending one past its expiry is
/// still stored as pending; readers call it expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxState {
    /// Waits for the customer.
    Pending,
    /// Approved by the customer.
    Approved,
    /// Rejected by the customer.
    Rejected,
    /// Withdrawn by the bank.
    Withdrawn,
}

impl TxState {
    /// The stored word.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
        }
    }

    fn parse(s: &str) -> Result<Self, CenterError> {
        match s {
            "pending" => Ok(Self::Pending),
            "approved" => Ok(Self::Approved),
            "rejected" => Ok(Self::Rejected),
            "withdrawn" => Ok(Self::Withdrawn),
            _ => Err(CenterError::Corrupt(
                "a stored transaction state is unknown",
            )),
        }
    }
}

/// A transaction as stored.
#[derive(Debug, Clone)]
pub struct TxRow {
    /// The transaction as posted.
    pub tx: Transaction,
    /// Service ID.
    pub service: String,
    /// User ID.
    pub user: String,
    /// The token it was posted to.
    pub serial: String,
    /// As stored.
    pub state: TxState,
    /// When the app's answer was recorded.
    pub answered_at: Option<u64>,
    /// When the bank withdrew it.
    pub withdrawn_at: Option<u64>,
}

/// The columns [`read`] reads, for `concat!` into static SQL.
macro_rules! tx_columns {
    () => {
        "id, service_id, user_id, serial, payee, account, amount, currency, reference,
         created_at, expires_at, state, answered_at, withdrawn_at"
    };
}

fn read(r: &AnyRow) -> Result<TxRow, CenterError> {
    Ok(TxRow {
        tx: Transaction {
            id: r.try_get("id")?,
            payee: r.try_get("payee")?,
            account: r.try_get("account")?,
            amount: r.try_get("amount")?,
            currency: r.try_get("currency")?,
            reference: r.try_get("reference")?,
            created_at: from_db(r.try_get("created_at")?),
            expires_at: from_db(r.try_get("expires_at")?),
        },
        service: r.try_get("service_id")?,
        user: r.try_get("user_id")?,
        serial: r.try_get("serial")?,
        state: TxState::parse(&r.try_get::<String, _>("state")?)?,
        answered_at: r.try_get::<Option<i64>, _>("answered_at")?.map(from_db),
        withdrawn_at: r.try_get::<Option<i64>, _>("withdrawn_at")?.map(from_db),
    })
}

// --------------------------------------------------------------------------
// Starts
// --------------------------------------------------------------------------

/// The ID of the token's pending start, if any.
pub async fn pending_start_id(
    w: &mut Write<'_>,
    serial: &str,
) -> Result<Option<String>, CenterError> {
    let row = sqlx::query("SELECT id FROM tx_starts WHERE serial = $1 AND state = 'pending'")
        .bind(serial)
        .fetch_optional(w.conn())
        .await?;
    row.map(|r| r.try_get("id").map_err(CenterError::from))
        .transpose()
}

/// The token's oldest pending start, for the app's list.
pub async fn first_pending_start(
    db: &Db,
    serial: &str,
) -> Result<Option<PendingStart>, CenterError> {
    let row = sqlx::query(
        "SELECT id, requested_at FROM tx_starts WHERE serial = $1 AND state = 'pending'
         ORDER BY requested_at LIMIT 1",
    )
    .bind(serial)
    .fetch_optional(&db.pool())
    .await?;
    row.map(|r| {
        Ok(PendingStart {
            id: r.try_get("id")?,
            requested_at: from_db(r.try_get("requested_at")?),
        })
    })
    .transpose()
}

/// A start to store (pending).
#[derive(Debug, Clone)]
pub struct NewStart<'a> {
    /// Its ID.
    pub id: &'a str,
    /// The token.
    pub serial: &'a str,
    /// Service ID.
    pub service: &'a str,
    /// User ID.
    pub user: &'a str,
    /// The bank's API key ID.
    pub key_id: &'a str,
}

/// Stores a pending start, requested now.
pub async fn insert_start(w: &mut Write<'_>, s: &NewStart<'_>) -> Result<(), CenterError> {
    let at = w.at();
    sqlx::query(
        "INSERT INTO tx_starts (id, serial, service_id, user_id, state, requested_at, actor)
         VALUES ($1, $2, $3, $4, 'pending', $5, $6)",
    )
    .bind(s.id)
    .bind(s.serial)
    .bind(s.service)
    .bind(s.user)
    .bind(to_db(at))
    .bind(s.key_id)
    .execute(w.conn())
    .await?;
    Ok(())
}

/// Whether the start `id` of `serial` exists (`None`) and is pending.
pub async fn start_pending(db: &Db, id: &str, serial: &str) -> Result<Option<bool>, CenterError> {
    let row = sqlx::query("SELECT state FROM tx_starts WHERE id = $1 AND serial = $2")
        .bind(id)
        .bind(serial)
        .fetch_optional(&db.pool())
        .await?;
    row.map(|r| Ok(r.try_get::<String, _>("state")? == "pending"))
        .transpose()
}

/// Completes the pending start `id`, and with it every other pending start
/// of the token (two asked for at the same instant are served by one
/// completion); `false` if `id` was no longer pending.
pub async fn complete_starts(
    w: &mut Write<'_>,
    id: &str,
    serial: &str,
) -> Result<bool, CenterError> {
    let at = to_db(w.at());
    let n = sqlx::query(
        "UPDATE tx_starts SET state = 'done', done_at = $1 WHERE id = $2 AND state = 'pending'",
    )
    .bind(at)
    .bind(id)
    .execute(w.conn())
    .await?
    .rows_affected();
    if n != 1 {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE tx_starts SET state = 'done', done_at = $1 WHERE serial = $2 AND state = 'pending'",
    )
    .bind(at)
    .bind(serial)
    .execute(w.conn())
    .await?;
    Ok(true)
}

/// Whether a start of the token is pending.
pub async fn has_pending_start(db: &Db, serial: &str) -> Result<bool, CenterError> {
    Ok(
        sqlx::query("SELECT 1 FROM tx_starts WHERE serial = $1 AND state = 'pending'")
            .bind(serial)
            .fetch_optional(&db.pool())
            .await?
            .is_some(),
    )
}

// --------------------------------------------------------------------------
// Transactions
// --------------------------------------------------------------------------

/// How many transactions of the token wait (pending and not expired).
pub async fn count_waiting(w: &mut Write<'_>, serial: &str) -> Result<i64, CenterError> {
    let at = w.at();
    Ok(sqlx::query(
        "SELECT COUNT(*) AS n FROM transactions
         WHERE serial = $1 AND state = 'pending' AND expires_at > $2",
    )
    .bind(serial)
    .bind(to_db(at))
    .fetch_one(w.conn())
    .await?
    .try_get("n")?)
}

/// Whether a transaction of the token waits.
pub async fn has_waiting(db: &Db, serial: &str, now: u64) -> Result<bool, CenterError> {
    Ok(sqlx::query(
        "SELECT 1 FROM transactions
         WHERE serial = $1 AND state = 'pending' AND expires_at > $2 LIMIT 1",
    )
    .bind(serial)
    .bind(to_db(now))
    .fetch_optional(&db.pool())
    .await?
    .is_some())
}

/// A transaction to store (pending).
#[derive(Debug, Clone)]
pub struct NewTx<'a> {
    /// The transaction.
    pub tx: &'a Transaction,
    /// Service ID.
    pub service: &'a str,
    /// User ID.
    pub user: &'a str,
    /// The token.
    pub serial: &'a str,
    /// Posting order (center clock in nanoseconds).
    pub posted_ns: u128,
    /// The bank's API key ID.
    pub key_id: &'a str,
}

/// Stores a pending transaction.
pub async fn insert_tx(w: &mut Write<'_>, t: &NewTx<'_>) -> Result<(), CenterError> {
    sqlx::query(
        "INSERT INTO transactions (id, service_id, user_id, serial, payee, account, amount,
            currency, reference, created_at, posted_ns, expires_at, state, actor)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', $13)",
    )
    .bind(&t.tx.id)
    .bind(t.service)
    .bind(t.user)
    .bind(t.serial)
    .bind(&t.tx.payee)
    .bind(&t.tx.account)
    .bind(&t.tx.amount)
    .bind(&t.tx.currency)
    .bind(&t.tx.reference)
    .bind(to_db(t.tx.created_at))
    .bind(i64::try_from(t.posted_ns).unwrap_or(i64::MAX))
    .bind(to_db(t.tx.expires_at))
    .bind(t.key_id)
    .execute(w.conn())
    .await?;
    Ok(())
}

async fn get_on<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    ex: E,
    id: &str,
    service: Option<&str>,
) -> Result<Option<TxRow>, CenterError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        tx_columns!(),
        " FROM transactions WHERE id = $1 AND ($2 = '' OR service_id = $3)"
    ))
    .bind(id)
    .bind(service.unwrap_or(""))
    .bind(service.unwrap_or(""))
    .fetch_optional(ex)
    .await?;
    row.as_ref().map(read).transpose()
}

/// The transaction `id` (of `service` only, when given).
pub async fn get(db: &Db, id: &str, service: Option<&str>) -> Result<Option<TxRow>, CenterError> {
    get_on(&db.pool(), id, service).await
}

/// The same, read inside a write.
pub async fn get_in(
    w: &mut Write<'_>,
    id: &str,
    service: Option<&str>,
) -> Result<Option<TxRow>, CenterError> {
    get_on(w.conn(), id, service).await
}

/// Withdraws `id` (of `service` only, when given) if it waits; `false` if
/// it did not.
pub async fn withdraw(
    w: &mut Write<'_>,
    id: &str,
    service: Option<&str>,
) -> Result<bool, CenterError> {
    let at = to_db(w.at());
    let n = sqlx::query(
        "UPDATE transactions SET state = 'withdrawn', withdrawn_at = $1
         WHERE id = $2 AND ($3 = '' OR service_id = $4)
           AND state = 'pending' AND expires_at > $5",
    )
    .bind(at)
    .bind(id)
    .bind(service.unwrap_or(""))
    .bind(service.unwrap_or(""))
    .bind(at)
    .execute(w.conn())
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// Records the customer's answer (`digest`: what is kept of the response
/// code, never the code) if `id` still waits; `false` if it did not
/// (answered, withdrawn or expired meanwhile).
pub async fn answer(
    w: &mut Write<'_>,
    id: &str,
    state: TxState,
    digest: &str,
) -> Result<bool, CenterError> {
    let at = to_db(w.at());
    let n = sqlx::query(
        "UPDATE transactions SET state = $1, response = $2, answered_at = $3
         WHERE id = $4 AND state = 'pending' AND expires_at > $5",
    )
    .bind(state.as_str())
    .bind(digest)
    .bind(at)
    .bind(id)
    .bind(at)
    .execute(w.conn())
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// What waits for the token, in posting order (at most `limit`).
pub async fn waiting(
    db: &Db,
    serial: &str,
    now: u64,
    limit: i64,
) -> Result<Vec<Transaction>, CenterError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        tx_columns!(),
        " FROM transactions
         WHERE serial = $1 AND state = 'pending' AND expires_at > $2
         ORDER BY posted_ns, id LIMIT $3"
    ))
    .bind(serial)
    .bind(to_db(now))
    .bind(limit)
    .fetch_all(&db.pool())
    .await?;
    rows.iter().map(|r| read(r).map(|t| t.tx)).collect()
}

/// Transactions for the admin console, newest first (at most 1 000): of
/// one service and user when given, only the waiting ones with
/// `waiting_only`.
pub async fn list(
    db: &Db,
    service: Option<&str>,
    user: Option<&str>,
    waiting_only: bool,
    now: u64,
) -> Result<Vec<TxRow>, CenterError> {
    let rows = sqlx::query(concat!(
        "SELECT ",
        tx_columns!(),
        " FROM transactions
         WHERE ($1 = '' OR service_id = $2) AND ($3 = '' OR user_id = $4)
           AND ($5 = 0 OR (state = 'pending' AND expires_at > $6))
         ORDER BY posted_ns DESC, id LIMIT 1000"
    ))
    .bind(service.unwrap_or(""))
    .bind(service.unwrap_or(""))
    .bind(user.unwrap_or(""))
    .bind(user.unwrap_or(""))
    .bind(i64::from(waiting_only))
    .bind(to_db(now))
    .fetch_all(&db.pool())
    .await?;
    rows.iter().map(read).collect()
}
