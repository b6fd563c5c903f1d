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
    self as txc, AnswerRequest, Answered, Decision, List, ListRequest, StartRequest, Started,
    Transaction,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ApiError, Center, RelyingParty};
use crate::CenterError;
use crate::data::tokens::{self, TokenStatus};
use crate::data::tx::{self as store, NewStart, NewTx, TxRow, TxState};
use crate::data::{Action, Actor, AuditEntry, Outcome, Who};
use crate::services::events::Event;

/// Most transactions a user can have waiting at once.
pub const MAX_PENDING: i64 = 20;
/// Default lifetime of a transaction.
pub const DEFAULT_EXPIRES_IN_SECS: u64 = 300;
/// Shortest and longest lifetime a bank can ask for.
pub const EXPIRES_IN_RANGE: std::ops::RangeInclusive<u64> = 60..=86_400;
/// Longest start or transaction ID the app may name.
const MAX_ID_LEN: usize = 64;

/// A bank's new transaction: `POST /v1/tx/transactions`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTransaction {
    /// Service ID (must be the API key's service).
    #[schemars(regex(pattern = r"^[A-Za-z0-9._-]{1,32}$"))]
    pub service: String,
    /// User ID (1–64 characters, no control, white space or invisible
    /// format character).
    #[schemars(length(min = 1, max = 64))]
    pub user: String,
    /// Who receives the money.
    #[schemars(length(min = 1, max = 64))]
    pub payee: String,
    /// The payee's account as the bank writes it.
    #[schemars(length(min = 1, max = 64))]
    pub account: String,
    /// Decimal amount, e.g. `"150000"`: no leading zero, at most as many
    /// decimals as the currency has minor units.
    #[schemars(regex(pattern = r"^(0|[1-9][0-9]{0,14})(\.[0-9]{1,3})?$"))]
    pub amount: String,
    /// ISO 4217 code, e.g. `"JPY"`.
    #[schemars(regex(pattern = r"^[A-Z]{3}$"))]
    pub currency: String,
    /// The bank's reference.
    #[schemars(length(min = 1, max = 64))]
    pub reference: String,
    /// Lifetime in seconds (60–86 400; 300 when absent).
    #[serde(default)]
    #[schemars(range(min = 60, max = 86_400))]
    pub expires_in_secs: Option<u64>,
}

/// A bank's request to start transaction confirmation: `POST /v1/tx/starts`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartFor {
    /// Service ID (must be the API key's service).
    #[schemars(regex(pattern = r"^[A-Za-z0-9._-]{1,32}$"))]
    pub service: String,
    /// User ID (1–64 characters, no control, white space or invisible
    /// format character).
    #[schemars(length(min = 1, max = 64))]
    pub user: String,
}

/// Where a user's transaction confirmation stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct StartStatus {
    /// The start's ID (absent when confirmation was already in use).
    pub start_id: Option<String>,
    /// `pending` (waiting for the app) or `enabled`.
    #[schemars(with = "StartState")]
    pub state: &'static str,
    /// The user's token.
    pub serial: String,
}

/// Where a start stands.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // only its schema is used
enum StartState {
    /// Waiting for the app.
    Pending,
    /// In use.
    Enabled,
}

/// Where a transaction stands.
#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)] // only its schema is used
enum TxStateName {
    /// Waiting for the app's answer.
    Pending,
    /// The user approved it.
    Approved,
    /// The user rejected it.
    Rejected,
    /// The bank withdrew it.
    Withdrawn,
    /// Past its expiry without an answer.
    Expired,
}

/// A transaction and its outcome, as the bank reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
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
    #[schemars(with = "TxStateName")]
    pub state: String,
    /// When the app's answer was recorded.
    pub answered_at: Option<u64>,
    /// When the bank withdrew it.
    pub withdrawn_at: Option<u64>,
}

/// Why a bank request was not carried out.
#[derive(Debug)]
pub enum BankError {
    /// The request is malformed.
    Bad(&'static str),
    /// A transaction field breaks the text rule (naming the field and the
    /// character).
    Field(txc::FieldError),
    /// No such user with an active token, or no such transaction: an error
    /// name and a detail.
    NotFound(&'static str, &'static str),
    /// Not possible in the current state: an error name and a detail.
    Conflict(&'static str, &'static str),
    /// The center failed.
    Internal(CenterError),
}

impl From<CenterError> for BankError {
    fn from(e: CenterError) -> Self {
        Self::Internal(e)
    }
}

const UNKNOWN_USER: BankError =
    BankError::NotFound("unknown-user", "no such user with an active token");
const UNKNOWN_TX: BankError = BankError::NotFound(
    "unknown-transaction",
    "no such transaction for this service",
);
const SUSPENDED: BankError = BankError::Conflict("suspended", "the user is suspended");

fn new_id(prefix: &str) -> Result<String, CenterError> {
    let b = Bytes::<12>::random().map_err(|_| CenterError::Random)?;
    Ok(format!("{prefix}{}", b.to_hex()))
}

/// An ID the app names: short printable ASCII (the center's IDs are
/// `tx_` / `txs_` and 24 hex digits).
fn id_ok(id: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())
}

/// The user's active token: serial, whether confirmation is in use, and
/// whether the user is suspended.
struct ActiveToken {
    serial: String,
    enabled: bool,
    suspended: bool,
}

impl Center {
    async fn active_token_of(
        &self,
        sid: &str,
        uid: &str,
    ) -> Result<Option<ActiveToken>, CenterError> {
        Ok(tokens::subject(self.db(), sid, uid).await?.and_then(|s| {
            s.token.map(|t| ActiveToken {
                serial: t.serial,
                enabled: t.tx_enabled,
                suspended: s.suspended,
            })
        }))
    }

    /// A stored transaction as the bank reads it: a pending one past its
    /// expiry reads `expired`.
    fn status_of(&self, row: TxRow) -> TxStatus {
        let state = if row.state == TxState::Pending && self.now() >= row.tx.expires_at {
            "expired"
        } else {
            row.state.as_str()
        };
        TxStatus {
            tx: row.tx,
            service: row.service,
            user: row.user,
            serial: row.serial,
            state: state.to_owned(),
            answered_at: row.answered_at,
            withdrawn_at: row.withdrawn_at,
        }
    }

    /// The bank starts transaction confirmation for a user. Asking again
    /// while a start waits returns that start; once in use, `enabled`.
    pub async fn tx_request_start(
        &self,
        rp: &RelyingParty,
        uid: &str,
    ) -> Result<StartStatus, BankError> {
        let sid = rp.service_id.as_str();
        let service = crate::data::services::get(self.db(), sid)
            .await?
            .ok_or(UNKNOWN_USER)?;
        if !service.info.tx_confirmation {
            return Err(BankError::Conflict(
                "not-offered",
                "the service does not offer transaction confirmation",
            ));
        }
        let t = self.active_token_of(sid, uid).await?.ok_or(UNKNOWN_USER)?;
        if t.suspended {
            return Err(SUSPENDED);
        }
        if t.enabled {
            return Ok(StartStatus {
                start_id: None,
                state: "enabled",
                serial: t.serial,
            });
        }
        let mut w = self.db().write(self.now()).await?;
        let id = if let Some(id) = store::pending_start_id(&mut w, &t.serial).await? {
            id
        } else {
            let id = new_id("txs_")?;
            store::insert_start(
                &mut w,
                &NewStart {
                    id: &id,
                    serial: &t.serial,
                    service: sid,
                    user: uid,
                    key_id: &rp.key_id,
                },
            )
            .await?;
            w.audit(
                AuditEntry::new(
                    rp.actor(),
                    Action::TxStart,
                    Who::token(sid, uid, &t.serial),
                    Outcome::Requested,
                )
                .detail(id.clone()),
            )
            .await?;
            id
        };
        w.commit().await?;
        Ok(StartStatus {
            start_id: Some(id),
            state: "pending",
            serial: t.serial,
        })
    }

    /// The bank posts a transaction for a user whose token has confirmation
    /// in use. Refusals in this order: the text rule (payee, account,
    /// currency, amount, reference), the lifetime, the user (unknown,
    /// suspended, not enabled), too many waiting.
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
        let t = self
            .active_token_of(sid, &new.user)
            .await?
            .ok_or(UNKNOWN_USER)?;
        if t.suspended {
            return Err(SUSPENDED);
        }
        if !t.enabled {
            return Err(BankError::Conflict(
                "not-enabled",
                "transaction confirmation is not in use for this user; start it first",
            ));
        }
        let now = self.now();
        let tx = Transaction {
            id: new_id("tx_")?,
            payee: new.payee.clone(),
            account: new.account.clone(),
            amount: new.amount.clone(),
            currency: new.currency.clone(),
            reference: new.reference.clone(),
            created_at: now,
            expires_at: now + expires_in,
        };
        let mut w = self.db().write(now).await?;
        if store::count_waiting(&mut w, &t.serial).await? >= MAX_PENDING {
            return Err(BankError::Conflict(
                "too-many-pending",
                "the user already has 20 transactions waiting",
            ));
        }
        store::insert_tx(
            &mut w,
            &NewTx {
                tx: &tx,
                service: sid,
                user: &new.user,
                serial: &t.serial,
                posted_ns: self.now_nanos(),
                key_id: &rp.key_id,
            },
        )
        .await?;
        w.audit(
            AuditEntry::new(
                rp.actor(),
                Action::TxPost,
                Who::token(sid, &new.user, &t.serial),
                Outcome::Pending,
            )
            .detail(tx.id.clone()),
        )
        .await?;
        w.commit().await?;
        Ok(TxStatus {
            tx,
            service: sid.to_owned(),
            user: new.user.clone(),
            serial: t.serial,
            state: TxState::Pending.as_str().into(),
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
        actor: Actor<'_>,
    ) -> Result<TxStatus, BankError> {
        let mut w = self.db().write(self.now()).await?;
        let done = store::withdraw(&mut w, id, service).await?;
        let row = store::get_in(&mut w, id, service)
            .await?
            .ok_or(UNKNOWN_TX)?;
        let st = self.status_of(row);
        if done {
            w.audit(
                AuditEntry::new(
                    actor,
                    Action::TxWithdraw,
                    Who::token(&st.service, &st.user, &st.serial),
                    Outcome::Withdrawn,
                )
                .detail(st.tx.id.clone()),
            )
            .await?;
            w.commit().await?;
            tracing::info!(tx = st.tx.id, "transaction withdrawn");
            return Ok(st);
        }
        drop(w);
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
        let row = store::get(self.db(), id, Some(&rp.service_id))
            .await?
            .ok_or(UNKNOWN_TX)?;
        Ok(self.status_of(row))
    }

    /// Transactions for the admin console, newest first: of one service
    /// and user when given, only the waiting ones with `pending_only`.
    pub async fn tx_all(
        &self,
        service: Option<&str>,
        user: Option<&str>,
        pending_only: bool,
    ) -> Result<Vec<TxStatus>, CenterError> {
        let rows = store::list(self.db(), service, user, pending_only, self.now()).await?;
        Ok(rows.into_iter().map(|r| self.status_of(r)).collect())
    }

    /// Why renewal of `serial` must wait, if it must: a pending start
    /// (S3D3) or a waiting transaction (S3D4).
    pub(crate) async fn tx_blocks_renewal(
        &self,
        serial: &str,
        now: u64,
    ) -> Result<Option<ErrorCode>, CenterError> {
        if store::has_pending_start(self.db(), serial).await? {
            return Ok(Some(ErrorCode::S3D3));
        }
        Ok(store::has_waiting(self.db(), serial, now)
            .await?
            .then_some(ErrorCode::S3D4))
    }

    /// The app lists what waits for it (device-signed).
    pub async fn tx_list(&self, req: ListRequest) -> Result<List, ApiError> {
        let token = self
            .signed_request(req.version, &req.serial, &req.nonce, Purpose::Tx, |key| {
                txc::check_list_request(&req, key)
            })
            .await?;
        let now = self.now();
        if token.status != TokenStatus::Active {
            let who = Who::token(&token.service_id, &token.user_id, &req.serial);
            return Err(self.refuse(Action::TxList, who, ErrorCode::S5A1).await?);
        }
        let start = store::first_pending_start(self.db(), &req.serial).await?;
        let transactions = if token.tx_enabled {
            store::waiting(self.db(), &req.serial, now, MAX_PENDING).await?
        } else {
            Vec::new()
        };
        Ok(txc::center_list(
            &req,
            token.tx_enabled,
            start,
            transactions,
            now,
            self.signing(),
        ))
    }

    /// The app completes a start (device-signed, OCRA over the start).
    /// Refusals in the order docs/center.md gives: the token (S5A1), then
    /// the start (S5B1, S5D1), then the answer (S5C1).
    pub async fn tx_enable(&self, req: StartRequest) -> Result<Started, ApiError> {
        if !id_ok(&req.start_id) || req.response.len() > 16 {
            return Err(ApiError::BadRequest(
                "malformed",
                "start_id or response too long or not printable".into(),
            ));
        }
        let token = self
            .signed_request(req.version, &req.serial, &req.nonce, Purpose::Tx, |key| {
                txc::check_start_request(&req, key)
            })
            .await?;
        let now = self.now();
        let who = Who::token(&token.service_id, &token.user_id, &req.serial);
        let act = Action::TxEnable;
        if token.status != TokenStatus::Active {
            return Err(self.refuse(act, who, ErrorCode::S5A1).await?);
        }
        match store::start_pending(self.db(), &req.start_id, &req.serial).await? {
            None => return Err(self.refuse(act, who, ErrorCode::S5B1).await?),
            Some(false) => return Err(self.refuse(act, who, ErrorCode::S5D1).await?),
            Some(true) => {}
        }
        let key = self.token_key(&token)?;
        let question = txc::start_question(&req.serial, &req.start_id);
        if !txc::response_matches(&key, &question, &req.response) {
            return Err(self.refuse(act, who, ErrorCode::S5C1).await?);
        }
        let mut w = self.db().write(now).await?;
        if !store::complete_starts(&mut w, &req.start_id, &req.serial).await? {
            drop(w);
            return Err(self.refuse(act, who, ErrorCode::S5D1).await?);
        }
        tokens::enable_tx(&mut w, &req.serial).await?;
        w.audit(
            AuditEntry::new(Actor::App, act, who, Outcome::Enabled).detail(req.start_id.clone()),
        )
        .await?;
        w.commit().await?;
        self.emit(Event::TxEnabled {
            service: &token.service_id,
            user: &token.user_id,
            serial: &req.serial,
        })
        .await;
        Ok(txc::center_started(&req, now, self.signing()))
    }

    /// The transaction `req` answers, if it is this token's, pending and
    /// not expired; else the refusal.
    async fn waiting_tx(
        &self,
        req: &AnswerRequest,
        now: u64,
    ) -> Result<Result<Transaction, ErrorCode>, CenterError> {
        let Some(row) = store::get(self.db(), &req.tx_id, None).await? else {
            return Ok(Err(ErrorCode::S5B1));
        };
        // A withdrawn transaction is gone for the app, as an unknown one.
        Ok(
            if row.serial != req.serial || row.state == TxState::Withdrawn {
                Err(ErrorCode::S5B1)
            } else if row.state != TxState::Pending {
                Err(ErrorCode::S5D1)
            } else if now >= row.tx.expires_at {
                Err(ErrorCode::S5E1)
            } else {
                Ok(row.tx)
            },
        )
    }

    /// The app answers a transaction (device-signed, OCRA over the data).
    /// Refusals: the token (S5A1), the transaction (S5B1 unknown or
    /// withdrawn, S5D1 answered, S5E1 expired), the answer (S5C1).
    pub async fn tx_answer(&self, req: AnswerRequest) -> Result<Answered, ApiError> {
        if !id_ok(&req.tx_id) || req.response.len() > 16 {
            return Err(ApiError::BadRequest(
                "malformed",
                "tx_id or response too long or not printable".into(),
            ));
        }
        let token = self
            .signed_request(req.version, &req.serial, &req.nonce, Purpose::Tx, |key| {
                txc::check_answer_request(&req, key)
            })
            .await?;
        let now = self.now();
        let who = Who::token(&token.service_id, &token.user_id, &req.serial);
        let act = Action::TxAnswer;
        if token.status != TokenStatus::Active || !token.tx_enabled {
            return Err(self.refuse(act, who, ErrorCode::S5A1).await?);
        }
        let stored = match self.waiting_tx(&req, now).await? {
            Ok(tx) => tx,
            Err(code) => return Err(self.refuse(act, who, code).await?),
        };
        let key = self.token_key(&token)?;
        let question = txc::tx_question(&req.serial, &stored, req.decision);
        if !txc::response_matches(&key, &question, &req.response) {
            let entry = AuditEntry::new(Actor::App, act, who, Outcome::Refused(ErrorCode::S5C1))
                .detail(format!(
                    "{} {}: answer does not match the data",
                    req.tx_id,
                    req.decision.as_str()
                ));
            crate::data::audit::record(self.db(), now, entry).await?;
            return Err(ApiError::Refused(ErrorCode::S5C1));
        }
        let (state, outcome) = match req.decision {
            Decision::Approve => (TxState::Approved, Outcome::Approved),
            Decision::Reject => (TxState::Rejected, Outcome::Rejected),
        };
        let mut w = self.db().write(now).await?;
        let digest = self.answer_digest(&req.tx_id, &req.response)?;
        if !store::answer(&mut w, &req.tx_id, state, &digest).await? {
            // Answered, withdrawn or expired meanwhile: say which.
            drop(w);
            let code = self
                .waiting_tx(&req, now)
                .await?
                .err()
                .unwrap_or(ErrorCode::S5D1);
            return Err(self.refuse(act, who, code).await?);
        }
        w.audit(AuditEntry::new(Actor::App, act, who, outcome).detail(req.tx_id.clone()))
            .await?;
        w.commit().await?;
        tracing::info!(
            tx = req.tx_id,
            decision = state.as_str(),
            "transaction answered"
        );
        Ok(txc::center_answered(&req, now, self.signing()))
    }
}
