//! Transaction confirmation (取引確認) at the center.
//!
//! The bank (with its service's API key) starts transaction confirmation for
//! a user, posts transactions and reads their outcome; the app (with its
//! device key over a fresh nonce) lists what waits, completes a start and
//! answers. See [`ippun_core::txconfirm`] for what each side signs and how
//! an answer is bound to the transaction data.
//!
//! States: a start is `pending` until the app completes it (`done`); a
//! transaction is `pending` until answered (`approved` or `rejected`, once,
//! by one conditional `UPDATE`), withdrawn by the bank (`withdrawn`, by the
//! same kind of `UPDATE`, so an answer and a withdrawal racing each other
//! end with exactly one of them), or until it expires (its row stays
//! `pending` and reads as `expired`). While a start is pending, renewal
//! answers S3D3; while a transaction is pending and not expired, S3D4.
//!
//! Every text the bank sets passes the rule of
//! [`ippun_core::txconfirm::text`] before anything is written; the app
//! applies the same rule to what it is sent.

use ippun_core::ErrorCode;
use ippun_core::protocol::{Bytes, Purpose};
use ippun_core::txconfirm::{
    self as txc, AnswerRequest, Answered, Decision, List, ListRequest, PendingStart, StartRequest,
    Started, Transaction,
};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::center::{ApiError, audit};
use crate::{Center, CenterError, RelyingParty, from_db, to_db};

/// Most transactions a user can have waiting at once.
pub const MAX_PENDING: i64 = 20;
/// Default lifetime of a transaction.
pub const DEFAULT_EXPIRES_IN_SECS: u64 = 300;
/// Shortest and longest lifetime a bank can ask for.
pub const EXPIRES_IN_RANGE: std::ops::RangeInclusive<u64> = 60..=86_400;

/// A bank's new transaction: `POST /v1/tx/transactions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewTransaction {
    /// Service ID (must be the API key's service).
    pub service: String,
    /// User ID.
    pub user: String,
    /// Who receives the money.
    pub payee: String,
    /// The payee's account as the bank writes it.
    pub account: String,
    /// Decimal amount, e.g. `"150000"`.
    pub amount: String,
    /// ISO 4217 code, e.g. `"JPY"`.
    pub currency: String,
    /// The bank's reference.
    pub reference: String,
    /// Lifetime in seconds (60–86 400; 300 when absent).
    #[serde(default)]
    pub expires_in_secs: Option<u64>,
}

/// A bank's request to start transaction confirmation: `POST /v1/tx/starts`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartFor {
    /// Service ID (must be the API key's service).
    pub service: String,
    /// User ID.
    pub user: String,
}

/// Where a user's transaction confirmation stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StartStatus {
    /// The start's ID (absent when confirmation was already in use).
    pub start_id: Option<String>,
    /// `pending` (waiting for the app) or `enabled`.
    pub state: &'static str,
    /// The user's token.
    pub serial: String,
}

/// A transaction and its outcome, as the bank reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TxStatus {
    /// The transaction as posted.
    #[serde(flatten)]
    pub tx: Transaction,
    /// Service ID.
    pub service: String,
    /// User ID.
    pub user: String,
    /// The token it was posted to.
    pub serial: String,
    /// `pending`, `approved`, `rejected`, `withdrawn` or `expired`.
    pub state: String,
    /// When the app's answer was recorded.
    pub answered_at: Option<u64>,
    /// When the bank withdrew it.
    pub withdrawn_at: Option<u64>,
}

/// Why a bank request was not carried out.
#[derive(Debug)]
pub enum BankError {
    /// The request is malformed (HTTP 400).
    Bad(&'static str),
    /// A transaction field breaks the text rule (HTTP 400, naming the field
    /// and the character).
    Field(txc::FieldError),
    /// No such user with an active token, or no such transaction (HTTP 404).
    NotFound(&'static str, &'static str),
    /// Not possible in the current state (HTTP 409).
    Conflict(&'static str, &'static str),
    /// The center failed.
    Internal(CenterError),
}

impl From<CenterError> for BankError {
    fn from(e: CenterError) -> Self {
        Self::Internal(e)
    }
}

impl From<sqlx::Error> for BankError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(e.into())
    }
}

fn new_id(prefix: &str) -> Result<String, CenterError> {
    let b = Bytes::<12>::random().map_err(|_| CenterError::Random)?;
    Ok(format!("{prefix}{}", b.to_hex()))
}

/// A stored transaction, with its state as stored (`pending` past its expiry
/// included).
fn read_tx(r: &sqlx::any::AnyRow) -> Result<TxStatus, CenterError> {
    Ok(TxStatus {
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
        state: r.try_get("state")?,
        answered_at: r.try_get::<Option<i64>, _>("answered_at")?.map(from_db),
        withdrawn_at: r.try_get::<Option<i64>, _>("withdrawn_at")?.map(from_db),
    })
}

/// The columns [`read_tx`] reads, for `concat!` into static SQL.
macro_rules! tx_columns {
    () => {
        "id, service_id, user_id, serial, payee, account, amount, currency, reference,
         created_at, expires_at, state, answered_at, withdrawn_at"
    };
}

impl Center {
    /// The user's active token (serial), whether confirmation is in use on
    /// it, and whether the user is suspended.
    async fn active_token_of(
        &self,
        sid: &str,
        uid: &str,
    ) -> Result<Option<(String, bool, bool)>, CenterError> {
        Ok(self
            .subject(sid, uid)
            .await?
            .and_then(|s| s.token.map(|t| (t.serial, t.row.tx_enabled, s.suspended))))
    }

    /// The bank starts transaction confirmation for a user. Asking again
    /// while a start waits returns that start; once in use, `enabled`.
    pub async fn tx_request_start(
        &self,
        rp: &RelyingParty,
        uid: &str,
    ) -> Result<StartStatus, BankError> {
        let sid = rp.service_id.as_str();
        let service = self.service(sid).await?.ok_or(BankError::NotFound(
            "unknown-user",
            "no such user with an active token",
        ))?;
        if !service.info.tx_confirmation {
            return Err(BankError::Conflict(
                "not-offered",
                "the service does not offer transaction confirmation",
            ));
        }
        let (serial, enabled, suspended) =
            self.active_token_of(sid, uid)
                .await?
                .ok_or(BankError::NotFound(
                    "unknown-user",
                    "no such user with an active token",
                ))?;
        if suspended {
            return Err(BankError::Conflict("suspended", "the user is suspended"));
        }
        if enabled {
            return Ok(StartStatus {
                start_id: None,
                state: "enabled",
                serial,
            });
        }
        let now = self.now();
        let turn = self.write_turn().await?;
        let mut tx = self.pool.begin().await?;
        let existing =
            sqlx::query("SELECT id FROM tx_starts WHERE serial = $1 AND state = 'pending'")
                .bind(&serial)
                .fetch_optional(&mut *tx)
                .await?;
        let id = if let Some(r) = existing {
            r.try_get("id")?
        } else {
            let id = new_id("txs_")?;
            sqlx::query(
                "INSERT INTO tx_starts (id, serial, service_id, user_id, state, requested_at, actor)
                 VALUES ($1, $2, $3, $4, 'pending', $5, $6)",
            )
            .bind(&id)
            .bind(&serial)
            .bind(sid)
            .bind(uid)
            .bind(to_db(now))
            .bind(&rp.key_id)
            .execute(&mut *tx)
            .await?;
            audit(
                &mut *tx,
                now,
                &rp.key_id,
                "tx-start",
                (Some(sid), Some(uid), Some(&serial)),
                "requested",
                Some(&id),
            )
            .await?;
            id
        };
        tx.commit().await?;
        drop(turn);
        Ok(StartStatus {
            start_id: Some(id),
            state: "pending",
            serial,
        })
    }

    /// The bank posts a transaction for a user whose token has confirmation
    /// in use.
    pub async fn tx_post(
        &self,
        rp: &RelyingParty,
        new: &NewTransaction,
    ) -> Result<TxStatus, BankError> {
        txc::check_fields(
            &new.payee,
            &new.account,
            &new.amount,
            &new.currency,
            &new.reference,
        )
        .map_err(BankError::Field)?;
        let expires_in = new.expires_in_secs.unwrap_or(DEFAULT_EXPIRES_IN_SECS);
        if !EXPIRES_IN_RANGE.contains(&expires_in) {
            return Err(BankError::Bad("expires_in_secs must be 60–86400"));
        }
        let sid = rp.service_id.as_str();
        let (serial, enabled, suspended) =
            self.active_token_of(sid, &new.user)
                .await?
                .ok_or(BankError::NotFound(
                    "unknown-user",
                    "no such user with an active token",
                ))?;
        if suspended {
            return Err(BankError::Conflict("suspended", "the user is suspended"));
        }
        if !enabled {
            return Err(BankError::Conflict(
                "not-enabled",
                "transaction confirmation is not in use for this user; start it first",
            ));
        }
        let now = self.now();
        let tx_data = Transaction {
            id: new_id("tx_")?,
            payee: new.payee.clone(),
            account: new.account.clone(),
            amount: new.amount.clone(),
            currency: new.currency.clone(),
            reference: new.reference.clone(),
            created_at: now,
            expires_at: now + expires_in,
        };
        let turn = self.write_turn().await?;
        let mut db = self.pool.begin().await?;
        let waiting: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM transactions WHERE serial = $1 AND state = 'pending' AND expires_at > $2",
        )
        .bind(&serial)
        .bind(to_db(now))
        .fetch_one(&mut *db)
        .await?
        .try_get("n")?;
        if waiting >= MAX_PENDING {
            return Err(BankError::Conflict(
                "too-many-pending",
                "the user already has 20 transactions waiting",
            ));
        }
        sqlx::query(
            "INSERT INTO transactions (id, service_id, user_id, serial, payee, account, amount,
                currency, reference, created_at, posted_ns, expires_at, state, actor)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', $13)",
        )
        .bind(&tx_data.id)
        .bind(sid)
        .bind(&new.user)
        .bind(&serial)
        .bind(&tx_data.payee)
        .bind(&tx_data.account)
        .bind(&tx_data.amount)
        .bind(&tx_data.currency)
        .bind(&tx_data.reference)
        .bind(to_db(tx_data.created_at))
        .bind(i64::try_from(self.now_nanos()).unwrap_or(i64::MAX))
        .bind(to_db(tx_data.expires_at))
        .bind(&rp.key_id)
        .execute(&mut *db)
        .await?;
        audit(
            &mut *db,
            now,
            &rp.key_id,
            "tx-post",
            (Some(sid), Some(&new.user), Some(&serial)),
            "pending",
            Some(&tx_data.id),
        )
        .await?;
        db.commit().await?;
        drop(turn);
        Ok(TxStatus {
            tx: tx_data,
            service: sid.to_owned(),
            user: new.user.clone(),
            serial,
            state: "pending".into(),
            answered_at: None,
            withdrawn_at: None,
        })
    }

    /// Withdraws a waiting transaction: the bank no longer wants it
    /// confirmed. Of the relying party's service only when `service` is
    /// given (the bank API); any (the admin console) otherwise. Withdrawing
    /// again answers the withdrawn transaction; an answered or expired one
    /// cannot be withdrawn. One conditional `UPDATE`, so an answer racing
    /// the withdrawal either lands before it (the withdrawal is refused) or
    /// is refused itself (S5B1).
    pub async fn tx_withdraw(
        &self,
        service: Option<&str>,
        id: &str,
        actor: &str,
    ) -> Result<TxStatus, BankError> {
        let now = self.now();
        let turn = self.write_turn().await?;
        let mut db = self.pool.begin().await?;
        let n = sqlx::query(
            "UPDATE transactions SET state = 'withdrawn', withdrawn_at = $1
             WHERE id = $2 AND ($3 = '' OR service_id = $4)
               AND state = 'pending' AND expires_at > $5",
        )
        .bind(to_db(now))
        .bind(id)
        .bind(service.unwrap_or(""))
        .bind(service.unwrap_or(""))
        .bind(to_db(now))
        .execute(&mut *db)
        .await?
        .rows_affected();
        let row = sqlx::query(concat!(
            "SELECT ",
            tx_columns!(),
            " FROM transactions WHERE id = $1 AND ($2 = '' OR service_id = $3)"
        ))
        .bind(id)
        .bind(service.unwrap_or(""))
        .bind(service.unwrap_or(""))
        .fetch_optional(&mut *db)
        .await?;
        let Some(row) = row else {
            return Err(BankError::NotFound(
                "unknown-transaction",
                "no such transaction for this service",
            ));
        };
        let st = self.status_of(&row)?;
        if n == 1 {
            audit(
                &mut *db,
                now,
                actor,
                "tx-withdraw",
                (Some(&st.service), Some(&st.user), Some(&st.serial)),
                "withdrawn",
                Some(&st.tx.id),
            )
            .await?;
            db.commit().await?;
            drop(turn);
            tracing::info!(tx = st.tx.id, "transaction withdrawn");
            return Ok(st);
        }
        drop(db);
        drop(turn);
        match st.state.as_str() {
            "withdrawn" => Ok(st),
            "expired" => Err(BankError::Conflict(
                "expired",
                "the transaction has expired; it can no longer be answered",
            )),
            _ => Err(BankError::Conflict(
                "already-answered",
                "the customer has already answered the transaction",
            )),
        }
    }

    /// A transaction of the relying party's service, with its outcome.
    pub async fn tx_status(&self, rp: &RelyingParty, id: &str) -> Result<TxStatus, BankError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            tx_columns!(),
            " FROM transactions WHERE id = $1 AND service_id = $2"
        ))
        .bind(id)
        .bind(&rp.service_id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(BankError::NotFound(
            "unknown-transaction",
            "no such transaction for this service",
        ))?;
        Ok(self.status_of(&row)?)
    }

    fn status_of(&self, row: &sqlx::any::AnyRow) -> Result<TxStatus, CenterError> {
        let mut st = read_tx(row)?;
        if st.state == "pending" && self.now() >= st.tx.expires_at {
            "expired".clone_into(&mut st.state);
        }
        Ok(st)
    }

    /// Transactions for the admin console, newest first: of one service
    /// and user when given, only the waiting ones with `pending_only`.
    pub async fn tx_all(
        &self,
        service: Option<&str>,
        user: Option<&str>,
        pending_only: bool,
    ) -> Result<Vec<TxStatus>, CenterError> {
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
        .bind(i64::from(pending_only))
        .bind(to_db(self.now()))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| self.status_of(r)).collect()
    }

    /// Why renewal of `serial` must wait, if it must: a pending start
    /// (S3D3) or a waiting transaction (S3D4).
    pub(crate) async fn tx_blocks_renewal(
        &self,
        serial: &str,
        now: u64,
    ) -> Result<Option<ErrorCode>, CenterError> {
        let start = sqlx::query("SELECT 1 FROM tx_starts WHERE serial = $1 AND state = 'pending'")
            .bind(serial)
            .fetch_optional(&self.pool)
            .await?;
        if start.is_some() {
            return Ok(Some(ErrorCode::S3D3));
        }
        let waiting = sqlx::query(
            "SELECT 1 FROM transactions WHERE serial = $1 AND state = 'pending' AND expires_at > $2 LIMIT 1",
        )
        .bind(serial)
        .bind(to_db(now))
        .fetch_optional(&self.pool)
        .await?;
        Ok(waiting.map(|_| ErrorCode::S3D4))
    }

    /// The app lists what waits for it (device-signed).
    pub async fn tx_list(&self, req: ListRequest) -> Result<List, ApiError> {
        let token = self
            .signed_request(req.version, &req.serial, &req.nonce, Purpose::Tx, |key| {
                txc::check_list_request(&req, key)
            })
            .await?;
        let now = self.now();
        if token.state != "active" {
            let who = token.who(&req.serial);
            return Err(self.refuse("tx-list", who, ErrorCode::S5A1).await?);
        }
        let enabled = token.tx_enabled;
        let start = sqlx::query(
            "SELECT id, requested_at FROM tx_starts WHERE serial = $1 AND state = 'pending'
             ORDER BY requested_at LIMIT 1",
        )
        .bind(&req.serial)
        .fetch_optional(&self.pool)
        .await?
        .map(|r| -> Result<PendingStart, CenterError> {
            Ok(PendingStart {
                id: r.try_get("id")?,
                requested_at: from_db(r.try_get("requested_at")?),
            })
        })
        .transpose()?;
        // LIMIT is MAX_PENDING.
        let rows = sqlx::query(concat!(
            "SELECT ",
            tx_columns!(),
            " FROM transactions
             WHERE serial = $1 AND state = 'pending' AND expires_at > $2
             ORDER BY posted_ns, id LIMIT 20"
        ))
        .bind(&req.serial)
        .bind(to_db(now))
        .fetch_all(&self.pool)
        .await?;
        let transactions = if enabled {
            rows.iter()
                .map(|r| read_tx(r).map(|t| t.tx))
                .collect::<Result<Vec<_>, _>>()?
        } else {
            Vec::new()
        };
        Ok(txc::center_list(
            &req,
            enabled,
            start,
            transactions,
            now,
            &self.signing,
        ))
    }

    /// The app completes a start (device-signed, OCRA over the start).
    pub async fn tx_enable(&self, req: StartRequest) -> Result<Started, ApiError> {
        if req.start_id.len() > 64 || req.response.len() > 16 {
            return Err(ApiError::BadRequest(
                "malformed",
                "start_id or response too long".into(),
            ));
        }
        let token = self
            .signed_request(req.version, &req.serial, &req.nonce, Purpose::Tx, |key| {
                txc::check_start_request(&req, key)
            })
            .await?;
        let now = self.now();
        let who = token.who(&req.serial);
        // Refusals in the order docs/center.md gives: the token, then the
        // start, then the answer.
        if token.state != "active" {
            return Err(self.refuse("tx-enable", who, ErrorCode::S5A1).await?);
        }
        let start = sqlx::query("SELECT state FROM tx_starts WHERE id = $1 AND serial = $2")
            .bind(&req.start_id)
            .bind(&req.serial)
            .fetch_optional(&self.pool)
            .await?;
        let Some(start) = start else {
            return Err(self.refuse("tx-enable", who, ErrorCode::S5B1).await?);
        };
        if start.try_get::<String, _>("state")? != "pending" {
            return Err(self.refuse("tx-enable", who, ErrorCode::S5D1).await?);
        }
        let key = self.token_key(&req.serial, &token)?;
        let question = txc::start_question(&req.serial, &req.start_id);
        if !txc::response_matches(&key, &question, &req.response) {
            return Err(self.refuse("tx-enable", who, ErrorCode::S5C1).await?);
        }
        let turn = self.write_turn().await?;
        let mut db = self.pool.begin().await?;
        let n = sqlx::query(
            "UPDATE tx_starts SET state = 'done', done_at = $1 WHERE id = $2 AND state = 'pending'",
        )
        .bind(to_db(now))
        .bind(&req.start_id)
        .execute(&mut *db)
        .await?
        .rows_affected();
        if n != 1 {
            drop(db);
            drop(turn);
            return Err(self.refuse("tx-enable", who, ErrorCode::S5D1).await?);
        }
        sqlx::query("UPDATE tokens SET tx_enabled = 1 WHERE serial = $1")
            .bind(&req.serial)
            .execute(&mut *db)
            .await?;
        // Two starts asked for at the same instant may both be pending; one
        // completion serves them all, so none is left to block renewal.
        sqlx::query(
            "UPDATE tx_starts SET state = 'done', done_at = $1 WHERE serial = $2 AND state = 'pending'",
        )
        .bind(to_db(now))
        .bind(&req.serial)
        .execute(&mut *db)
        .await?;
        audit(
            &mut *db,
            now,
            "app",
            "tx-enable",
            who,
            "enabled",
            Some(&req.start_id),
        )
        .await?;
        db.commit().await?;
        drop(turn);
        crate::demo::after_tx_enable(self, who.0.unwrap_or(""), who.1.unwrap_or("")).await?;
        Ok(txc::center_started(&req, now, &self.signing))
    }

    /// The transaction `req` answers, if it is this token's, pending and
    /// not expired; else the refusal.
    async fn waiting_tx(
        &self,
        req: &AnswerRequest,
        now: u64,
    ) -> Result<Result<Transaction, ErrorCode>, CenterError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            tx_columns!(),
            " FROM transactions WHERE id = $1"
        ))
        .bind(&req.tx_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(Err(ErrorCode::S5B1));
        };
        let st = read_tx(&row)?;
        // A withdrawn transaction is gone for the app, as an unknown one.
        Ok(if st.serial != req.serial || st.state == "withdrawn" {
            Err(ErrorCode::S5B1)
        } else if st.state != "pending" {
            Err(ErrorCode::S5D1)
        } else if now >= st.tx.expires_at {
            Err(ErrorCode::S5E1)
        } else {
            Ok(st.tx)
        })
    }

    /// The app answers a transaction (device-signed, OCRA over the data).
    pub async fn tx_answer(&self, req: AnswerRequest) -> Result<Answered, ApiError> {
        if req.tx_id.len() > 64 || req.response.len() > 16 {
            return Err(ApiError::BadRequest(
                "malformed",
                "tx_id or response too long".into(),
            ));
        }
        let token = self
            .signed_request(req.version, &req.serial, &req.nonce, Purpose::Tx, |key| {
                txc::check_answer_request(&req, key)
            })
            .await?;
        let now = self.now();
        let who = token.who(&req.serial);
        if token.state != "active" || !token.tx_enabled {
            return Err(self.refuse("tx-answer", who, ErrorCode::S5A1).await?);
        }
        let stored = match self.waiting_tx(&req, now).await? {
            Ok(tx) => tx,
            Err(code) => return Err(self.refuse("tx-answer", who, code).await?),
        };
        let key = self.token_key(&req.serial, &token)?;
        let question = txc::tx_question(&req.serial, &stored, req.decision);
        if !txc::response_matches(&key, &question, &req.response) {
            self.audit(
                "app",
                "tx-answer",
                who,
                ErrorCode::S5C1.as_str(),
                Some(&format!(
                    "{} {}: answer does not match the data",
                    req.tx_id,
                    req.decision.as_str()
                )),
            )
            .await?;
            return Err(ApiError::Refused(ErrorCode::S5C1));
        }
        let new_state = match req.decision {
            Decision::Approve => "approved",
            Decision::Reject => "rejected",
        };
        let turn = self.write_turn().await?;
        let mut db = self.pool.begin().await?;
        let n = sqlx::query(
            "UPDATE transactions SET state = $1, response = $2, answered_at = $3
             WHERE id = $4 AND state = 'pending' AND expires_at > $5",
        )
        .bind(new_state)
        .bind(&req.response)
        .bind(to_db(now))
        .bind(&req.tx_id)
        .bind(to_db(now))
        .execute(&mut *db)
        .await?
        .rows_affected();
        if n != 1 {
            // Answered, withdrawn or expired meanwhile: say which.
            drop(db);
            drop(turn);
            let code = self
                .waiting_tx(&req, now)
                .await?
                .err()
                .unwrap_or(ErrorCode::S5D1);
            return Err(self.refuse("tx-answer", who, code).await?);
        }
        audit(
            &mut *db,
            now,
            "app",
            "tx-answer",
            who,
            new_state,
            Some(&req.tx_id),
        )
        .await?;
        db.commit().await?;
        drop(turn);
        tracing::info!(tx = req.tx_id, decision = new_state, "transaction answered");
        Ok(txc::center_answered(&req, now, &self.signing))
    }
}
