//! The bank's routes, authenticated by the service's API key: the verify
//! API and transaction confirmation.
//!
//! - `POST /v1/verify` `{"service", "user", "otp"}` answers 200 with
//!   `{"ok": true, "reason": "ok", "serial", "step", "drift_steps"}` or
//!   `{"ok": false, "reason": "wrong" | "reused" | "locked" | "expired" |
//!   "suspended" | "unknown"}` (`failures_left` with `wrong`).
//! - `POST /v1/tx/starts` `{"service", "user"}` starts transaction
//!   confirmation (`{"start_id", "state": "pending" | "enabled", "serial"}`).
//! - `POST /v1/tx/transactions` posts a transaction; `GET
//!   /v1/tx/transactions/{id}` reads it with its `state` (`pending`,
//!   `approved`, `rejected`, `withdrawn`, `expired`); `POST
//!   /v1/tx/transactions/{id}/withdraw` withdraws a waiting one.
//!
//! 401 for a missing or bad key, 403 `wrong-service` for a key of another
//! service, 400 `wrong-fields` naming the field (and the character, for
//! transaction text), 404 `unknown-user` / `unknown-transaction`, 409
//! `not-offered`, `not-enabled`, `suspended`, `too-many-pending`,
//! `already-answered`, `expired`. Demo faults never touch these routes.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use ippun_core::ids::user_id_ok;
use ippun_core::protocol::paths;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::HttpError;
use super::extract::{Bank, ProtocolJson};
use crate::Center;
use crate::services::tx::{BankError, NewTransaction, StartFor, StartStatus, TxStatus};
use crate::services::{RelyingParty, Verdict};

/// The bank's routes.
pub fn routes() -> Router<Arc<Center>> {
    Router::new()
        .route(paths::VERIFY, post(verify))
        .route(paths::TX_STARTS, post(tx_start))
        .route(paths::TX_TRANSACTIONS, post(tx_post))
        .route(paths::TX_TRANSACTION, get(tx_status))
        .route(paths::TX_WITHDRAW, post(tx_withdraw))
}

/// A relying party's question: is `otp` right for `user` of `service`?
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// Service ID (must be the API key's service).
    #[schemars(regex(pattern = r"^[A-Za-z0-9._-]{1,32}$"))]
    pub service: String,
    /// User ID (1–64 characters, no control, white space or invisible
    /// format character).
    #[schemars(length(min = 1, max = 64))]
    pub user: String,
    /// The code as typed (6–8 digits).
    #[schemars(regex(pattern = r"^[0-9]{6,8}$"))]
    pub otp: String,
}

/// The verify API's answer (HTTP 200).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct VerifyAnswer {
    /// Accepted or not.
    pub ok: bool,
    /// `reason` and its details.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Center time, Unix seconds.
    pub center_time: u64,
}

/// Checks that a bank request names the key's own service and a user by
/// the one ID rule.
fn names(c: &Center, rp: &RelyingParty, service: &str, user: &str) -> Result<(), HttpError> {
    if !user_id_ok(user) {
        return Err(HttpError::wrong_fields(
            c.now(),
            "user must be 1–64 characters without spaces, control or invisible format characters",
        ));
    }
    if service != rp.service_id {
        return Err(HttpError::new(
            c.now(),
            StatusCode::FORBIDDEN,
            "wrong-service",
            "this API key belongs to another service",
        ));
    }
    Ok(())
}

async fn verify(
    State(c): State<Arc<Center>>,
    Bank(rp): Bank,
    ProtocolJson(req): ProtocolJson<VerifyRequest>,
) -> Result<Json<VerifyAnswer>, HttpError> {
    if !(6..=8).contains(&req.otp.len()) || !req.otp.bytes().all(|b| b.is_ascii_digit()) {
        return Err(HttpError::wrong_fields(c.now(), "otp must be 6–8 digits"));
    }
    names(&c, &rp, &req.service, &req.user)?;
    let verdict = c
        .verify(&rp, &req.user, &req.otp)
        .await
        .map_err(|e| HttpError::internal(c.now(), &e))?;
    Ok(Json(VerifyAnswer {
        ok: matches!(verdict, Verdict::Ok { .. }),
        verdict,
        center_time: c.now(),
    }))
}

fn reply<T>(c: &Center, r: Result<T, BankError>) -> Result<Json<T>, HttpError> {
    r.map(Json).map_err(|e| HttpError::bank(c.now(), e))
}

async fn tx_start(
    State(c): State<Arc<Center>>,
    Bank(rp): Bank,
    ProtocolJson(req): ProtocolJson<StartFor>,
) -> Result<Json<StartStatus>, HttpError> {
    names(&c, &rp, &req.service, &req.user)?;
    let r = c.tx_request_start(&rp, &req.user).await;
    reply(&c, r)
}

async fn tx_post(
    State(c): State<Arc<Center>>,
    Bank(rp): Bank,
    ProtocolJson(req): ProtocolJson<NewTransaction>,
) -> Result<Json<TxStatus>, HttpError> {
    names(&c, &rp, &req.service, &req.user)?;
    let r = c.tx_post(&rp, &req).await;
    reply(&c, r)
}

/// The transaction ID in the path: the center's IDs are short printable
/// ASCII; anything else names no transaction.
fn tx_id(c: &Center, id: Result<Path<String>, PathRejection>) -> Result<String, HttpError> {
    match id {
        Ok(Path(id)) if id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic()) => Ok(id),
        _ => Err(HttpError::new(
            c.now(),
            StatusCode::NOT_FOUND,
            "unknown-transaction",
            "no such transaction for this service",
        )),
    }
}

async fn tx_status(
    State(c): State<Arc<Center>>,
    Bank(rp): Bank,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<TxStatus>, HttpError> {
    let id = tx_id(&c, id)?;
    let r = c.tx_status(&rp, &id).await;
    reply(&c, r)
}

async fn tx_withdraw(
    State(c): State<Arc<Center>>,
    Bank(rp): Bank,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<TxStatus>, HttpError> {
    let id = tx_id(&c, id)?;
    let r = c.tx_withdraw(Some(&rp.service_id), &id, rp.actor()).await;
    reply(&c, r)
}
