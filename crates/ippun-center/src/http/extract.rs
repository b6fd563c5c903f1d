//! Extractors: a protocol message from a JSON body, and the bank behind an
//! API key. Their rejections are [`HttpError`]s, so every refusal keeps the
//! protocol's JSON shape.

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::HttpError;
use crate::Center;
use crate::services::RelyingParty;

/// A protocol message read from a JSON body (`application/json`, at most
/// 16 KiB, unknown fields refused).
#[derive(Debug)]
pub struct ProtocolJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Arc<Center>> for ProtocolJson<T> {
    type Rejection = HttpError;

    async fn from_request(req: Request, center: &Arc<Center>) -> Result<Self, HttpError> {
        match Json::<T>::from_request(req, center).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(rej) => Err(HttpError::rejected(center.now(), &rej)),
        }
    }
}

/// The bank's systems, authenticated by `Authorization: Bearer ipk_…`.
#[derive(Debug)]
pub struct Bank(pub RelyingParty);

fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
}

impl FromRequestParts<Arc<Center>> for Bank {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut Parts,
        center: &Arc<Center>,
    ) -> Result<Self, HttpError> {
        let now = center.now();
        let Some(key) = bearer(parts) else {
            return Err(HttpError::new(
                now,
                StatusCode::UNAUTHORIZED,
                "no-api-key",
                "send the service's API key as Authorization: Bearer ipk_…",
            ));
        };
        match center.relying_party(key).await {
            Ok(Some(rp)) => Ok(Self(rp)),
            Ok(None) => Err(HttpError::new(
                now,
                StatusCode::UNAUTHORIZED,
                "bad-api-key",
                "the API key is unknown, wrong or revoked",
            )),
            Err(e) => Err(HttpError::internal(now, &e)),
        }
    }
}
