//! The app's routes: setup, challenges, renewal, correction and
//! transaction confirmation, all in the v1 protocol's JSON.

use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use ippun_core::protocol::{self, paths};
use ippun_core::txconfirm;
use serde::Serialize;

use super::HttpError;
use super::extract::ProtocolJson;
use crate::Center;
use crate::data::sessions::SessionKind;
use crate::services::ApiError;

/// The app's routes (and `GET /v1/health`).
pub fn routes() -> Router<Arc<Center>> {
    Router::new()
        .route(paths::HEALTH, get(health))
        .route(paths::PROVISION_START, post(provision_start))
        .route(paths::PROVISION_CONFIRM, post(provision_confirm))
        .route(paths::CHALLENGE, post(challenge))
        .route(paths::RENEW_START, post(renew_start))
        .route(paths::RENEW_CONFIRM, post(renew_confirm))
        .route(paths::CORRECT, post(correct))
        .route(paths::TX_LIST, post(tx_list))
        .route(paths::TX_ENABLE, post(tx_enable))
        .route(paths::TX_ANSWER, post(tx_answer))
}

type Reply<T> = Result<Json<T>, HttpError>;

fn reply<T: Serialize>(c: &Center, r: Result<T, ApiError>) -> Reply<T> {
    r.map(Json).map_err(|e| HttpError::app(c.now(), e))
}

/// One handler per message: read it, hand it to the service, answer.
macro_rules! handler {
    ($name:ident, $ty:ty, |$c:ident, $req:ident| $call:expr) => {
        async fn $name(
            State($c): State<Arc<Center>>,
            ProtocolJson($req): ProtocolJson<$ty>,
        ) -> Reply<impl Serialize> {
            let r = $call.await;
            reply(&$c, r)
        }
    };
}

handler!(provision_start, protocol::ProvisionStart, |c, r| c
    .provision_start(r));
handler!(provision_confirm, protocol::Confirm, |c, r| c
    .confirm(SessionKind::Provision, r));
handler!(challenge, protocol::ChallengeRequest, |c, r| {
    std::future::ready(c.challenge(&r))
});
handler!(renew_start, protocol::RenewStart, |c, r| c.renew_start(r));
handler!(renew_confirm, protocol::Confirm, |c, r| c
    .confirm(SessionKind::Renew, r));
handler!(correct, protocol::CorrectRequest, |c, r| c.correct(r));
handler!(tx_list, txconfirm::ListRequest, |c, r| c.tx_list(r));
handler!(tx_enable, txconfirm::StartRequest, |c, r| c.tx_enable(r));
handler!(tx_answer, txconfirm::AnswerRequest, |c, r| c.tx_answer(r));

async fn health(State(c): State<Arc<Center>>) -> Json<protocol::Health> {
    Json(protocol::Health {
        version: protocol::VERSION,
        center_time: c.now(),
        center_key: c.public_key().to_string(),
    })
}
