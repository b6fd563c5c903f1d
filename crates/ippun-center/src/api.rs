//! The HTTP face of the center (`/v1/…`, JSON), and serving it.
//!
//! | status | when |
//! | --- | --- |
//! | 200 | success, the protocol message |
//! | 400 | malformed JSON, wrong types, bad fields, unsupported version |
//! | 401 | a signature or key confirmation in the request is wrong |
//! | 403 | refused with a catalogue code: `{"refusal": "S0C1", …}` |
//! | 404 | unknown path, session or token |
//! | 409 | nonce unknown, used, expired or replayed |
//! | 413 | body larger than 16 KiB |
//! | 415 | not `application/json` |
//! | 500 | the center failed (no detail) |
//! | 503 | the database is out of reach for now (`Retry-After`); retry |
//!
//! Nothing is written to the database for 4xx answers other than 403.
//!
//! The verify API for relying parties, `POST /v1/verify` with
//! `Authorization: Bearer ipk_…` and `{"service", "user", "otp"}`, answers
//! 200 with `{"ok": true, "reason": "ok", "serial", "step", "drift_steps"}`
//! or `{"ok": false, "reason": "wrong" | "reused" | "locked" | "expired" |
//! "suspended" | "unknown"}` (`failures_left` with `wrong`); 401 for a
//! missing or bad key, 403 `wrong-service` for a key of another service,
//! 400 for a malformed request. Demo faults never touch it.
//!
//! Transaction confirmation, for the bank (same API key): `POST
//! /v1/tx/starts` `{"service", "user"}` starts it for a user (`{"start_id",
//! "state": "pending" | "enabled", "serial"}`); `POST /v1/tx/transactions`
//! `{"service", "user", "payee", "account", "amount", "currency",
//! "reference", "expires_in_secs"}` posts a transaction; `GET
//! /v1/tx/transactions/{id}` reads it with its `state` (`pending`,
//! `approved`, `rejected`, `withdrawn`, `expired`); `POST
//! /v1/tx/transactions/{id}/withdraw` withdraws a waiting one. 400
//! `wrong-fields` names the field (and the character, for text);
//! 404 `unknown-user` / `unknown-transaction`, 409 `not-offered`,
//! `not-enabled`, `suspended`, `too-many-pending`, `already-answered`,
//! `expired`. For the app (device-signed): `/v1/tx/list`,
//! `/v1/tx/enable`, `/v1/tx/answer`, refusals S5A1–S5E1.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ippun_core::protocol::{self, BadRequest, Refusal};
use ippun_core::txconfirm;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::center::ApiError;
use crate::fault::Fault;
use crate::net::ConnInfo;
use crate::tx::{BankError, NewTransaction, StartFor};
use crate::{Center, CenterError, RelyingParty, Verdict};

/// What the handlers share.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The center.
    pub center: Arc<Center>,
    /// The demo fault, if any.
    pub fault: Option<Fault>,
}

/// The API router.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/provision/start", post(provision_start))
        .route("/v1/provision/confirm", post(provision_confirm))
        .route("/v1/challenge", post(challenge))
        .route("/v1/renew/start", post(renew_start))
        .route("/v1/renew/confirm", post(renew_confirm))
        .route("/v1/correct", post(correct))
        .route("/v1/tx/list", post(tx_list))
        .route("/v1/tx/enable", post(tx_enable))
        .route("/v1/tx/answer", post(tx_answer))
        .layer(middleware::from_fn_with_state(state.clone(), apply_fault))
        .route("/v1/verify", post(verify))
        .route("/v1/tx/starts", post(bank_tx_start))
        .route("/v1/tx/transactions", post(bank_tx_post))
        .route("/v1/tx/transactions/{id}", get(bank_tx_status))
        .route("/v1/tx/transactions/{id}/withdraw", post(bank_tx_withdraw))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(protocol::MAX_BODY_BYTES))
        .with_state(state)
}

fn bad(center: &Center, status: StatusCode, error: &str, detail: String) -> Response {
    let body = BadRequest {
        version: protocol::VERSION,
        error: error.to_owned(),
        detail,
        center_time: center.now(),
    };
    (status, Json(body)).into_response()
}

fn answer<T: Serialize>(center: &Center, r: Result<T, ApiError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(ApiError::Refused(code)) => (
            StatusCode::FORBIDDEN,
            Json(Refusal {
                version: protocol::VERSION,
                refusal: code.as_str().to_owned(),
                center_time: center.now(),
            }),
        )
            .into_response(),
        Err(ApiError::BadRequest(error, detail)) => {
            bad(center, StatusCode::BAD_REQUEST, error, detail)
        }
        Err(ApiError::BadSignature) => bad(
            center,
            StatusCode::UNAUTHORIZED,
            "bad-signature",
            "a signature or key confirmation does not verify".into(),
        ),
        Err(ApiError::UnknownSession) => bad(
            center,
            StatusCode::NOT_FOUND,
            "unknown-session",
            "no open session with this ID".into(),
        ),
        Err(ApiError::UnknownToken) => bad(
            center,
            StatusCode::NOT_FOUND,
            "unknown-token",
            "no token with this serial".into(),
        ),
        Err(ApiError::StaleNonce) => bad(
            center,
            StatusCode::CONFLICT,
            "stale-nonce",
            "the nonce is unknown, used, expired or replayed".into(),
        ),
        Err(ApiError::Internal(e)) if e.is_unavailable() => unavailable(center, &e),
        Err(ApiError::Internal(e)) => {
            tracing::error!(error = %e, "request failed inside the center");
            bad(
                center,
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the center failed".into(),
            )
        }
    }
}

fn unavailable(center: &Center, e: &CenterError) -> Response {
    tracing::warn!(error = %e, "database out of reach");
    let mut r = bad(
        center,
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the center's database is out of reach for now; retry shortly".into(),
    );
    r.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
    r
}

/// A relying party's question: is `otp` right for `user` of `service`?
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// Service ID (must be the API key's service).
    pub service: String,
    /// User ID.
    pub user: String,
    /// The code as typed (6–8 digits).
    pub otp: String,
}

/// The verify API's answer (HTTP 200).
#[derive(Debug, Clone, Serialize)]
pub struct VerifyAnswer {
    /// Accepted or not.
    pub ok: bool,
    /// `reason` and its details.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// Center time, Unix seconds.
    pub center_time: u64,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
}

fn check_verify_request(r: &VerifyRequest) -> Result<(), &'static str> {
    let id_ok = |s: &str, max: usize| {
        !s.is_empty()
            && s.chars().count() <= max
            && !s.chars().any(|c| c.is_control() || c.is_whitespace())
    };
    if !id_ok(&r.service, 32) {
        return Err("service must be 1–32 characters without spaces");
    }
    if !id_ok(&r.user, 64) {
        return Err("user must be 1–64 characters without spaces");
    }
    if !(6..=8).contains(&r.otp.len()) || !r.otp.bytes().all(|b| b.is_ascii_digit()) {
        return Err("otp must be 6–8 digits");
    }
    Ok(())
}

async fn verify(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<VerifyRequest>, JsonRejection>,
) -> Response {
    let c = &st.center;
    let rp = match authenticate(c, &headers).await {
        Ok(rp) => rp,
        Err(resp) => return *resp,
    };
    let req = match parse::<VerifyRequest>(c, body) {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    if let Err(detail) = check_verify_request(&req) {
        return bad(c, StatusCode::BAD_REQUEST, "wrong-fields", detail.into());
    }
    if req.service != rp.service_id {
        return bad(
            c,
            StatusCode::FORBIDDEN,
            "wrong-service",
            "this API key belongs to another service".into(),
        );
    }
    match c.verify(&rp, &req.user, &req.otp).await {
        Ok(verdict) => Json(VerifyAnswer {
            ok: matches!(verdict, Verdict::Ok { .. }),
            verdict,
            center_time: c.now(),
        })
        .into_response(),
        Err(e) => answer::<()>(c, Err(ApiError::Internal(e))),
    }
}

/// The relying party behind the request's API key, or the 401 answer.
async fn authenticate(c: &Center, headers: &HeaderMap) -> Result<RelyingParty, Box<Response>> {
    let Some(key) = bearer(headers) else {
        return Err(Box::new(bad(
            c,
            StatusCode::UNAUTHORIZED,
            "no-api-key",
            "send the service's API key as Authorization: Bearer ipk_…".into(),
        )));
    };
    match c.relying_party(key).await {
        Ok(Some(rp)) => Ok(rp),
        Ok(None) => Err(Box::new(bad(
            c,
            StatusCode::UNAUTHORIZED,
            "bad-api-key",
            "the API key is unknown, wrong or revoked".into(),
        ))),
        Err(e) => Err(Box::new(answer::<()>(c, Err(ApiError::Internal(e))))),
    }
}

fn wrong_service(c: &Center) -> Response {
    bad(
        c,
        StatusCode::FORBIDDEN,
        "wrong-service",
        "this API key belongs to another service".into(),
    )
}

fn bank_answer<T: Serialize>(c: &Center, r: Result<T, BankError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(BankError::Bad(detail)) => {
            bad(c, StatusCode::BAD_REQUEST, "wrong-fields", detail.into())
        }
        Err(BankError::Field(e)) => bad(c, StatusCode::BAD_REQUEST, "wrong-fields", e.to_string()),
        Err(BankError::NotFound(error, detail)) => {
            bad(c, StatusCode::NOT_FOUND, error, detail.into())
        }
        Err(BankError::Conflict(error, detail)) => {
            bad(c, StatusCode::CONFLICT, error, detail.into())
        }
        Err(BankError::Internal(e)) => answer::<()>(c, Err(ApiError::Internal(e))),
    }
}

/// A bank request with a body: the key's relying party and the request,
/// checked to name the key's own service and a sensible user; or the answer.
async fn bank_request<T: DeserializeOwned>(
    c: &Center,
    headers: &HeaderMap,
    body: Result<Json<T>, JsonRejection>,
    names: impl Fn(&T) -> (&str, &str),
) -> Result<(RelyingParty, T), Box<Response>> {
    let rp = authenticate(c, headers).await?;
    let req = parse::<T>(c, body)?;
    let (service, user) = names(&req);
    if service != rp.service_id {
        return Err(Box::new(wrong_service(c)));
    }
    if user.is_empty() || user.len() > 128 {
        return Err(Box::new(bad(
            c,
            StatusCode::BAD_REQUEST,
            "wrong-fields",
            "user must be 1–128 bytes".into(),
        )));
    }
    Ok((rp, req))
}

async fn bank_tx_start(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<StartFor>, JsonRejection>,
) -> Response {
    let c = &st.center;
    match bank_request(c, &headers, body, |r| (&r.service, &r.user)).await {
        Ok((rp, req)) => bank_answer(c, c.tx_request_start(&rp, &req.user).await),
        Err(resp) => *resp,
    }
}

async fn bank_tx_post(
    State(st): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<NewTransaction>, JsonRejection>,
) -> Response {
    let c = &st.center;
    match bank_request(c, &headers, body, |r| (&r.service, &r.user)).await {
        Ok((rp, req)) => bank_answer(c, c.tx_post(&rp, &req).await),
        Err(resp) => *resp,
    }
}

/// What the bank does with one transaction it names in the path.
#[derive(Debug, Clone, Copy)]
enum ById {
    Read,
    Withdraw,
}

async fn bank_tx_by_id(st: &AppState, headers: &HeaderMap, id: &str, op: ById) -> Response {
    let c = &st.center;
    let rp = match authenticate(c, headers).await {
        Ok(rp) => rp,
        Err(resp) => return *resp,
    };
    let r = match op {
        ById::Read => c.tx_status(&rp, id).await,
        ById::Withdraw => c.tx_withdraw(Some(&rp.service_id), id, &rp.key_id).await,
    };
    bank_answer(c, r)
}

async fn bank_tx_status(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    bank_tx_by_id(&st, &headers, &id, ById::Read).await
}

async fn bank_tx_withdraw(
    State(st): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    bank_tx_by_id(&st, &headers, &id, ById::Withdraw).await
}

/// Turns a JSON extraction failure into a 4xx answer in the protocol's shape.
fn parse<T: DeserializeOwned>(
    center: &Center,
    body: Result<Json<T>, JsonRejection>,
) -> Result<T, Box<Response>> {
    match body {
        Ok(Json(v)) => Ok(v),
        Err(rej) => {
            let (status, error) = match &rej {
                JsonRejection::MissingJsonContentType(_) => {
                    (StatusCode::UNSUPPORTED_MEDIA_TYPE, "not-json")
                }
                JsonRejection::JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "malformed-json"),
                JsonRejection::JsonDataError(_) => (StatusCode::BAD_REQUEST, "wrong-fields"),
                JsonRejection::BytesRejection(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too-large"),
                _ => (StatusCode::BAD_REQUEST, "bad-request"),
            };
            Err(Box::new(bad(center, status, error, rej.body_text())))
        }
    }
}

macro_rules! handler {
    ($name:ident, $ty:ty, |$c:ident, $req:ident| $call:expr) => {
        async fn $name(
            State(st): State<AppState>,
            body: Result<Json<$ty>, JsonRejection>,
        ) -> Response {
            let $c = &st.center;
            match parse::<$ty>($c, body) {
                Ok($req) => answer($c, $call.await),
                Err(resp) => *resp,
            }
        }
    };
}

handler!(provision_start, protocol::ProvisionStart, |c, r| c
    .provision_start(r));
handler!(provision_confirm, protocol::Confirm, |c, r| c
    .confirm("provision", r));
handler!(challenge, protocol::ChallengeRequest, |c, r| c.challenge(r));
handler!(renew_start, protocol::RenewStart, |c, r| c.renew_start(r));
handler!(renew_confirm, protocol::Confirm, |c, r| c
    .confirm("renew", r));
handler!(correct, protocol::CorrectRequest, |c, r| c.correct(r));
handler!(tx_list, txconfirm::ListRequest, |c, r| c.tx_list(r));
handler!(tx_enable, txconfirm::StartRequest, |c, r| c.tx_enable(r));
handler!(tx_answer, txconfirm::AnswerRequest, |c, r| c.tx_answer(r));

async fn health(State(st): State<AppState>) -> Response {
    Json(serde_json::json!({
        "version": protocol::VERSION,
        "center_time": st.center.now(),
        "center_key": st.center.public_key().to_string(),
    }))
    .into_response()
}

async fn not_found(State(st): State<AppState>) -> Response {
    bad(
        &st.center,
        StatusCode::NOT_FOUND,
        "not-found",
        "no such endpoint".into(),
    )
}

/// Applies the demo fault around every request.
async fn apply_fault(
    State(st): State<AppState>,
    ConnectInfo(conn): ConnectInfo<ConnInfo>,
    req: Request,
    next: Next,
) -> Response {
    let Some(fault) = st.fault else {
        return next.run(req).await;
    };
    let commit_leg = matches!(
        req.uri().path(),
        "/v1/provision/confirm"
            | "/v1/renew/confirm"
            | "/v1/correct"
            | "/v1/tx/enable"
            | "/v1/tx/answer"
    );
    match fault {
        Fault::Refuse | Fault::BadTls => next.run(req).await,
        Fault::Stall => {
            // Hold the request far longer than any client waits.
            tokio::time::sleep(Duration::from_secs(3600)).await;
            next.run(req).await
        }
        Fault::HttpStatus => (
            StatusCode::IM_A_TEAPOT,
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body>418</body></html>",
        )
            .into_response(),
        Fault::ServerError => (
            StatusCode::SERVICE_UNAVAILABLE,
            [
                (header::RETRY_AFTER, "120"),
                (header::CONTENT_TYPE, "text/html"),
            ],
            "<html><body>Maintenance</body></html>",
        )
            .into_response(),
        Fault::Garbage => {
            let resp = next.run(req).await;
            let (mut parts, _) = resp.into_parts();
            parts.status = StatusCode::OK;
            parts.headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            Response::from_parts(
                parts,
                Body::from(&b"{\"version\":1,\"ses\x00\xff garbage"[..]),
            )
        }
        Fault::BadSignature | Fault::WrongVersion => {
            let resp = next.run(req).await;
            rewrite_json(resp, |v| {
                if fault == Fault::WrongVersion {
                    v["version"] = serde_json::json!(2);
                } else if let Some(sig) = v.get("signature").and_then(|s| s.as_str()) {
                    // Flip one bit of the signature.
                    let mut b = hex::decode(sig).unwrap_or_default();
                    if let Some(first) = b.first_mut() {
                        *first ^= 1;
                    }
                    v["signature"] = serde_json::json!(hex::encode(b));
                }
            })
            .await
        }
        Fault::DropSecondLeg => {
            let resp = next.run(req).await;
            if commit_leg {
                tracing::info!(peer = %conn.peer, "fault drop-second-leg: cutting the connection after the commit");
                conn.cut();
            }
            resp
        }
    }
}

async fn rewrite_json(resp: Response, f: impl FnOnce(&mut serde_json::Value)) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, protocol::MAX_BODY_BYTES * 4)
        .await
        .unwrap_or_default();
    let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    f(&mut v);
    let out = serde_json::to_vec(&v).unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(out))
}

/// A running server.
#[derive(Debug)]
pub struct Running {
    /// The address it listens on.
    pub addr: std::net::SocketAddr,
    /// Whether it speaks TLS.
    pub tls: bool,
    shutdown: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<(), CenterError>>,
}

impl Running {
    /// The base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stops accepting, lets requests in flight finish (at most 5 s), and
    /// waits for the server to end.
    pub async fn shutdown(self) -> Result<(), CenterError> {
        let _ = self.shutdown.send(true);
        match tokio::time::timeout(Duration::from_secs(6), self.task).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) | Err(_) => Ok(()),
        }
    }
}

/// Serves `state` on `tcp` (TLS when `tls` is given) until shut down.
pub fn serve(
    tcp: tokio::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    state: AppState,
) -> Result<Running, CenterError> {
    let is_tls = tls.is_some();
    let listener = crate::net::Listener::new(tcp, tls)?;
    let addr = listener.local();
    let (tx, mut rx) = tokio::sync::watch::channel(false);
    let app = router(state).into_make_service_with_connect_info::<ConnInfo>();
    let mut rx2 = rx.clone();
    let task = tokio::spawn(async move {
        let graceful = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = rx.wait_for(|stop| *stop).await;
        });
        tokio::select! {
            r = graceful => r.map_err(CenterError::from),
            // Requests in flight get 5 s after the signal; then we stop anyway.
            () = async {
                let _ = rx2.wait_for(|stop| *stop).await;
                tokio::time::sleep(Duration::from_secs(5)).await;
            } => Ok(()),
        }
    });
    Ok(Running {
        addr,
        tls: is_tls,
        shutdown: tx,
        task,
    })
}
