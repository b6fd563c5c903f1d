//! Errors as responses: every refusal and failure in the protocol's JSON
//! shape, with the center's time. Internal failures say nothing more than
//! "the center failed" (the cause goes to the log).
//!
//! | status | when |
//! | --- | --- |
//! | 400 | malformed JSON, wrong types, bad fields, unsupported version |
//! | 401 | a signature or key confirmation in the request is wrong (also: a signed request for a serial no token has); no or a bad API key |
//! | 403 | refused with a catalogue code: `{"refusal": "S0C1", …}`; an API key of another service |
//! | 404 | unknown path, session, user or transaction |
//! | 409 | nonce unknown, used, expired or replayed; a bank request the state does not allow |
//! | 413 | body larger than 16 KiB |
//! | 408 | the request took longer than the request time limit |
//! | 415 | not `application/json` |
//! | 429 | too many requests from this client or in all (`Retry-After`) |
//! | 500 | the center failed (no detail) |
//! | 503 | the database is out of reach for now, or password checks are at their limit (`busy`) (`Retry-After`); retry |

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ippun_core::protocol::{self, BadRequest, Refusal};

use crate::CenterError;
use crate::services::ApiError;
use crate::services::tx::BankError;

/// A refusal or failure, ready to be sent.
#[derive(Debug)]
pub struct HttpError {
    status: StatusCode,
    body: Body,
}

#[derive(Debug)]
enum Body {
    Refusal(Refusal),
    Bad(BadRequest),
}

impl HttpError {
    /// `status` with the error name `error` and `detail`, at center time
    /// `now`.
    pub fn new(now: u64, status: StatusCode, error: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            body: Body::Bad(BadRequest {
                version: protocol::VERSION,
                error: error.to_owned(),
                detail: detail.into(),
                center_time: now,
            }),
        }
    }

    /// An app request's failure.
    pub fn app(now: u64, e: ApiError) -> Self {
        match e {
            ApiError::Refused(code) => Self {
                status: StatusCode::FORBIDDEN,
                body: Body::Refusal(Refusal {
                    version: protocol::VERSION,
                    refusal: code.as_str().to_owned(),
                    center_time: now,
                }),
            },
            ApiError::BadRequest(error, detail) => {
                Self::new(now, StatusCode::BAD_REQUEST, error, detail)
            }
            ApiError::BadSignature => Self::new(
                now,
                StatusCode::UNAUTHORIZED,
                "bad-signature",
                "a signature or key confirmation does not verify",
            ),
            ApiError::UnknownSession => Self::new(
                now,
                StatusCode::NOT_FOUND,
                "unknown-session",
                "no open session with this ID",
            ),
            ApiError::StaleNonce => Self::new(
                now,
                StatusCode::CONFLICT,
                "stale-nonce",
                "the nonce is unknown, used, expired or replayed",
            ),
            ApiError::Busy => Self::busy(now),
            ApiError::Internal(e) => Self::internal(now, &e),
        }
    }

    /// 503 `busy`: the password checks are at their limit.
    pub fn busy(now: u64) -> Self {
        Self::new(
            now,
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "the center is busy; retry shortly",
        )
    }

    /// A bank request's failure.
    pub fn bank(now: u64, e: BankError) -> Self {
        match e {
            BankError::Bad(detail) => Self::wrong_fields(now, detail),
            BankError::Field(e) => Self::wrong_fields(now, e.to_string()),
            BankError::NotFound(error, detail) => {
                Self::new(now, StatusCode::NOT_FOUND, error, detail)
            }
            BankError::Conflict(error, detail) => {
                Self::new(now, StatusCode::CONFLICT, error, detail)
            }
            BankError::Internal(e) => Self::internal(now, &e),
        }
    }

    /// A failure inside the center: 503 when the database is out of reach
    /// for now, else 500; the cause is logged, never sent.
    pub fn internal(now: u64, e: &CenterError) -> Self {
        if matches!(e, CenterError::Busy) {
            return Self::busy(now);
        }
        if e.is_unavailable() {
            tracing::warn!(error = %e, "database out of reach");
            return Self::new(
                now,
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the center's database is out of reach for now; retry shortly",
            );
        }
        tracing::error!(error = %e, "request failed inside the center");
        Self::new(
            now,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the center failed",
        )
    }

    /// 400 `wrong-fields`.
    pub fn wrong_fields(now: u64, detail: impl Into<String>) -> Self {
        Self::new(now, StatusCode::BAD_REQUEST, "wrong-fields", detail)
    }

    /// A body that could not be read as the message.
    pub fn rejected(now: u64, rej: &JsonRejection) -> Self {
        let (status, error) = match rej {
            JsonRejection::MissingJsonContentType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "not-json")
            }
            JsonRejection::JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "malformed-json"),
            JsonRejection::JsonDataError(_) => (StatusCode::BAD_REQUEST, "wrong-fields"),
            JsonRejection::BytesRejection(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too-large"),
            _ => (StatusCode::BAD_REQUEST, "bad-request"),
        };
        Self::new(now, status, error, rej.body_text())
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut r = match self.body {
            Body::Refusal(b) => (self.status, Json(b)).into_response(),
            Body::Bad(b) => (self.status, Json(b)).into_response(),
        };
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
        }
        r
    }
}
