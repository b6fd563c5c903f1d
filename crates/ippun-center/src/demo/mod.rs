//! The demo center, a plug-in outside the production path: seeded services
//! and users ([`users`]), the bank's acts right after setup as an
//! [`EventHook`], and faults ([`fault`]) added by its own router layer and
//! listener, switchable while it runs ([`control`]).
//!
//! Nothing here is reached by a production center: `ippun-center serve`
//! opens a [`Center`] without this hook and serves
//! [`http::router`](crate::http::router) on a plain listener.

pub mod control;
pub mod fault;
pub mod listener;
pub mod users;

use std::sync::Arc;

use zeroize::Zeroizing;

pub use fault::{Fault, FaultCase, FaultSwitch, UnknownFault};
pub use users::{
    CLOSED_SERVICE, DemoUser, REISSUE_PASSWORD, SERVICE, SERVICE_2, UNKNOWN_SERVICE, VERIFY_KEY,
    users,
};

use crate::data::{Actor, attempts, tokens, users as user_rows};
use crate::http::{self, Running};
use crate::services::RelyingParty;
use crate::services::admin::{self, ServiceSpec};
use crate::services::events::{Event, EventHook, HookFuture};
use crate::services::tx::{BankError, NewTransaction};
use crate::{Center, CenterError};
use users::{AfterSetup, Seed};

/// The demo bank's acts, told of the center's events.
#[derive(Debug, Default)]
pub struct DemoHook;

impl DemoHook {
    /// The hook, ready to give to [`Center::with_hook`].
    pub fn new() -> Arc<Self> {
        Arc::new(Self)
    }
}

fn scenario(sid: &str, uid: &str) -> Option<AfterSetup> {
    users()
        .into_iter()
        .find(|u| u.service_id == sid && u.user_id == uid)
        .and_then(|u| u.after_setup)
}

impl EventHook for DemoHook {
    fn on_event<'a>(&'a self, center: &'a Center, event: Event<'a>) -> HookFuture<'a> {
        Box::pin(async move {
            let r = match event {
                Event::TokenActivated {
                    service,
                    user,
                    serial,
                } => after_setup(center, service, user, serial).await,
                Event::TxEnabled { service, user, .. } => {
                    if scenario(service, user) == Some(AfterSetup::TxDemo) {
                        post_samples(center, user, SAMPLES.len()).await
                    } else {
                        Ok(())
                    }
                }
            };
            if let Err(e) = r {
                tracing::warn!(error = %e, "demo scenario failed");
            }
        })
    }
}

/// Opens the demo center on `db` with its scenarios hooked in and seeds it.
pub async fn open(
    db: &str,
    master: crate::MasterKey,
    clock: Arc<dyn ippun_core::Clock>,
    config: crate::Config,
) -> Result<Center, CenterError> {
    let center = Center::open(db, master, clock, config)
        .await?
        .with_hook(DemoHook::new());
    if seed(&center).await? {
        tracing::info!("demo data seeded");
    }
    Ok(center)
}

/// Serves the demo center's API on `tcp` (TLS when `tls` is given) with the
/// faults of `faults` applied, switchable while it runs.
pub fn serve(
    tcp: tokio::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    center: Arc<Center>,
    faults: FaultSwitch,
) -> Result<Running, CenterError> {
    let is_tls = tls.is_some();
    let listener = listener::DemoListener::new(tcp, tls, faults.clone())?;
    let routes = http::limit::limited(
        http::app::routes().layer(axum::middleware::from_fn_with_state(faults, fault::apply)),
        &center,
    )
    .merge(http::bank::routes());
    let app = http::finish(routes, Arc::clone(&center));
    Ok(http::server::run(listener, is_tls, app, center)?)
}

/// Seeds the demo services and users, unless the database already has
/// services (a demo database that is reused keeps its state).
pub async fn seed(center: &Center) -> Result<bool, CenterError> {
    if crate::data::services::any(center.db()).await? {
        return Ok(false);
    }
    let services = [
        ServiceSpec {
            id: SERVICE.into(),
            name: "Demo Bank".into(),
            logo_url: Some("https://bank.example/logo.png".into()),
            link_url: Some("https://bank.example/".into()),
            algorithm: "sha1".into(),
            digits: 6,
            period: 60,
            validity_days: 365,
            open: true,
        },
        ServiceSpec {
            id: SERVICE_2.into(),
            name: "Demo Shinkin".into(),
            logo_url: None,
            link_url: Some("https://shinkin.example/".into()),
            algorithm: "sha256".into(),
            digits: 8,
            period: 60,
            validity_days: 730,
            open: true,
        },
        ServiceSpec {
            open: false,
            ..ServiceSpec::usual(CLOSED_SERVICE, "Closed Bank")
        },
    ];
    for s in &services {
        admin::add_service(center, s, Actor::Demo).await?;
    }
    admin::set_tx_confirmation(center, SERVICE, true, Actor::Demo).await?;
    let now = center.now();
    for u in users() {
        match u.seed {
            Seed::Absent => continue,
            Seed::Active => {
                // Set up on a device that is not this one: an active token,
                // and the activation password it was set up with (used).
                let mut key = Zeroizing::new([0u8; 20]);
                getrandom::fill(key.as_mut_slice()).map_err(|_| CenterError::Random)?;
                admin::import_tokens(
                    center,
                    u.service_id,
                    &[(u.user_id, key.as_slice())],
                    Actor::Demo,
                )
                .await?;
                let hash = crate::secret::hash_password(u.activation_password)?;
                let mut w = center.db().write(now).await?;
                user_rows::set_password(&mut w, u.service_id, u.user_id, &hash, attempts::FOREVER)
                    .await?;
                user_rows::mark_activation_used(&mut w, u.service_id, u.user_id).await?;
                w.commit().await?;
                continue;
            }
            _ => {}
        }
        admin::add_user(
            center,
            u.service_id,
            u.user_id,
            Some(u.activation_password),
            u.validity_days,
            Actor::Demo,
        )
        .await?;
        match u.seed {
            Seed::Suspended => {
                admin::set_suspended(center, u.service_id, u.user_id, true, Actor::Demo).await?;
            }
            Seed::Locked => {
                // Locked for good, so that the scenario always shows S0C4
                // (a real lock ends after the center's lock time).
                let mut w = center.db().write(now).await?;
                attempts::lock(&mut w, u.service_id, u.user_id, attempts::FOREVER).await?;
                w.commit().await?;
            }
            Seed::PasswordExpired => {
                let mut w = center.db().write(now).await?;
                let past = now.saturating_sub(86_400);
                user_rows::set_activation_expiry(&mut w, u.service_id, u.user_id, past).await?;
                w.commit().await?;
            }
            Seed::Ready | Seed::Absent | Seed::Active => {}
        }
    }
    admin::add_api_key(center, SERVICE, "demo web site", VERIFY_KEY, Actor::Demo).await?;
    Ok(true)
}

/// The demo bank's act right after a user's setup completes, if the user's
/// scenario has one.
async fn after_setup(
    center: &Center,
    sid: &str,
    uid: &str,
    serial: &str,
) -> Result<(), CenterError> {
    let Some(act) = scenario(sid, uid) else {
        return Ok(());
    };
    let now = center.now();
    match act {
        AfterSetup::Suspend => admin::set_suspended(center, sid, uid, true, Actor::Demo).await?,
        AfterSetup::Reissue => {
            admin::reissue(center, sid, uid, Some(REISSUE_PASSWORD), Actor::Demo).await?;
        }
        AfterSetup::Extend => {
            admin::set_expiry(center, serial, now + 3 * 365 * 86_400, Actor::Demo).await?;
        }
        AfterSetup::Expire => admin::set_expiry(center, serial, now, Actor::Demo).await?,
        AfterSetup::TxStart | AfterSetup::TxDemo => {
            bank(center.tx_request_start(&demo_bank(), uid).await)?;
        }
        AfterSetup::TxWaiting => {
            // As if the app had completed the start at once.
            let mut w = center.db().write(now).await?;
            tokens::enable_tx(&mut w, serial).await?;
            w.commit().await?;
            post_samples(center, uid, 1).await?;
        }
    }
    Ok(())
}

fn bank<T>(r: Result<T, BankError>) -> Result<T, CenterError> {
    r.map_err(|e| match e {
        BankError::Internal(e) => e,
        other => CenterError::Conflict(format!("demo bank: {other:?}")),
    })
}

fn demo_bank() -> RelyingParty {
    RelyingParty {
        key_id: VERIFY_KEY_ID.to_owned(),
        service_id: SERVICE.to_owned(),
    }
}

/// The key ID inside [`VERIFY_KEY`].
const VERIFY_KEY_ID: &str = "de0000000001";

/// Sample transfers the demo bank posts (a day to answer them).
const SAMPLES: [(&str, &str, &str, &str); 2] = [
    (
        "ヤマダ タロウ",
        "Demo Bank Shibuya 001 1234567",
        "150000",
        "Rent for December",
    ),
    (
        "Example Trading Co.",
        "Demo Shinkin Main 100 7654321",
        "3980",
        "Invoice 2026-1125",
    ),
];

async fn post_samples(center: &Center, uid: &str, count: usize) -> Result<(), CenterError> {
    for (payee, account, amount, reference) in SAMPLES.iter().take(count) {
        let new = NewTransaction {
            service: SERVICE.to_owned(),
            user: uid.to_owned(),
            payee: (*payee).to_owned(),
            account: (*account).to_owned(),
            amount: (*amount).to_owned(),
            currency: "JPY".to_owned(),
            reference: (*reference).to_owned(),
            expires_in_secs: Some(86_400),
        };
        bank(center.tx_post(&demo_bank(), &new).await)?;
    }
    Ok(())
}

/// A fresh demo CA and a server configuration with a certificate it signed
/// for `localhost` and `127.0.0.1`: the CA's PEM (for `IPPUN_CA_FILE`) and
/// the configuration.
pub fn tls_with_demo_ca() -> Result<(String, Arc<rustls::ServerConfig>), CenterError> {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let bad = |_| CenterError::Crypto("demo CA");
    let ca_key = KeyPair::generate().map_err(bad)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(bad)?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "ippun demo CA");
    let ca_cert = ca_params.self_signed(&ca_key).map_err(bad)?;
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().map_err(bad)?;
    let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .map_err(bad)?
        .signed_by(&leaf_key, &issuer)
        .map_err(bad)?;
    let key = rustls_pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let cfg = crate::net::tls_config(vec![leaf.der().clone()], key)?;
    Ok((ca_cert.pem(), cfg))
}
