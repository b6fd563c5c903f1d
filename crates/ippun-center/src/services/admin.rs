//! The admin console's acts: services, users, activation passwords,
//! suspension, re-issue, expiry, tokens, API keys and the audit log. Every
//! act is one transaction with its audit record; names are checked by the
//! one ID rule of [`ippun_core::ids`].

use ippun_core::ids::{ServiceId, UserId};
use zeroize::Zeroizing;

use super::Center;
use super::verify::{KEY_PREFIX, secret_hash, split_key};
use crate::data::services::{self, Flag, NewService};
use crate::data::tokens::{self, NewToken, TokenStatus};
use crate::data::users::{self, NewUser};
use crate::data::{
    Action, Actor, AuditEntry, Outcome, Who, api_keys, attempts, audit, params_of, to_db,
};
use crate::{CenterError, secret};

pub use crate::data::api_keys::ApiKeyRow;
pub use crate::data::audit::AuditRow;
pub use crate::data::services::ServiceRow;
pub use crate::data::tokens::TokenInfo;
pub use crate::data::users::UserRow;

/// Activation passwords are valid this long after they are issued.
pub const ACTIVATION_VALIDITY_SECS: u64 = 30 * 86_400;

/// A service to create.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    /// Service ID.
    pub id: String,
    /// Name shown in the app.
    pub name: String,
    /// Logo address.
    pub logo_url: Option<String>,
    /// Web site.
    pub link_url: Option<String>,
    /// `sha1`, `sha256` or `sha512`.
    pub algorithm: String,
    /// 6–8.
    pub digits: u8,
    /// Step in seconds (30 or 60).
    pub period: u64,
    /// Token validity in days.
    pub validity_days: u64,
    /// Open for setup.
    pub open: bool,
}

impl ServiceSpec {
    /// A service open for setup with the usual token: HMAC-SHA1, six
    /// digits, a 60-second step, valid 365 days; no logo or web site.
    pub fn usual(id: &str, name: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            logo_url: None,
            link_url: None,
            algorithm: "sha1".into(),
            digits: 6,
            period: 60,
            validity_days: 365,
            open: true,
        }
    }
}

fn service_id(id: &str) -> Result<ServiceId, CenterError> {
    ServiceId::new(id).map_err(|e| CenterError::Config(e.to_string()))
}

fn user_id(id: &str) -> Result<UserId, CenterError> {
    UserId::new(id).map_err(|e| CenterError::Config(e.to_string()))
}

fn check_url(u: Option<&String>) -> Result<(), CenterError> {
    if let Some(u) = u
        && !(u.starts_with("https://") || u.starts_with("http://"))
    {
        return Err(CenterError::Config(format!(
            "{u}: addresses must start with https://"
        )));
    }
    Ok(())
}

fn no_user(service_id: &str, user_id: &str) -> CenterError {
    CenterError::NotFound(format!("user {user_id} in {service_id}"))
}

/// Ends an act that changed one row: audits `entry` and commits if
/// `changed`; else rolls back and answers `missing`.
async fn audited(
    mut w: crate::data::Write<'_>,
    changed: bool,
    entry: AuditEntry<'_>,
    missing: impl FnOnce() -> CenterError,
) -> Result<(), CenterError> {
    if !changed {
        return Err(missing());
    }
    w.audit(entry).await?;
    w.commit().await
}

/// Creates a service.
pub async fn add_service(
    center: &Center,
    s: &ServiceSpec,
    actor: Actor<'_>,
) -> Result<(), CenterError> {
    let id = service_id(&s.id)?;
    if s.name.trim().is_empty()
        || s.name.chars().count() > 40
        || s.name.chars().any(char::is_control)
    {
        return Err(CenterError::Config(
            "service name must be 1–40 characters".into(),
        ));
    }
    check_url(s.logo_url.as_ref())?;
    check_url(s.link_url.as_ref())?;
    if ![30, 60].contains(&s.period) {
        return Err(CenterError::Config(
            "period must be 30 or 60 seconds".into(),
        ));
    }
    let params = params_of(&s.algorithm, i64::from(s.digits), to_db(s.period)).map_err(|_| {
        CenterError::Config("algorithm must be sha1, sha256 or sha512 and digits 6–8".into())
    })?;
    if s.validity_days == 0 || s.validity_days > 3660 {
        return Err(CenterError::Config("validity must be 1–3660 days".into()));
    }
    let mut w = center.db().write(center.now()).await?;
    let added = services::insert(
        &mut w,
        &NewService {
            id: &id,
            name: &s.name,
            logo_url: s.logo_url.as_deref(),
            link_url: s.link_url.as_deref(),
            params,
            validity_days: s.validity_days,
            open: s.open,
        },
    )
    .await?;
    let entry = AuditEntry::new(actor, Action::ServiceAdd, Who::service(&id), Outcome::Done);
    audited(w, added, entry, || {
        CenterError::Conflict(format!("service {id} exists"))
    })
    .await
}

async fn set_service_flag(
    center: &Center,
    id: &str,
    which: Flag,
    on: bool,
    action: Action,
    actor: Actor<'_>,
) -> Result<(), CenterError> {
    let mut w = center.db().write(center.now()).await?;
    let changed = services::set_flag(&mut w, id, which, on).await?;
    let entry = AuditEntry::new(actor, action, Who::service(id), Outcome::Done);
    audited(w, changed, entry, || {
        CenterError::NotFound(format!("service {id}"))
    })
    .await
}

/// Opens or closes a service for setup.
pub async fn set_service_open(
    center: &Center,
    id: &str,
    open: bool,
    actor: Actor<'_>,
) -> Result<(), CenterError> {
    let action = if open {
        Action::ServiceOpen
    } else {
        Action::ServiceClose
    };
    set_service_flag(center, id, Flag::Open, open, action, actor).await
}

/// Turns transaction confirmation on or off for a service. Apps set up from
/// then on are told so (existing tokens learn it when they list transactions).
pub async fn set_tx_confirmation(
    center: &Center,
    id: &str,
    on: bool,
    actor: Actor<'_>,
) -> Result<(), CenterError> {
    let action = if on {
        Action::TxConfirmationOn
    } else {
        Action::TxConfirmationOff
    };
    set_service_flag(center, id, Flag::TxConfirmation, on, action, actor).await
}

/// The given activation password (or a new random one) and its Argon2id
/// hash, computed off the async threads.
async fn password_and_hash(
    password: Option<&str>,
) -> Result<(Zeroizing<String>, String), CenterError> {
    let pw = match password {
        Some(p) => Zeroizing::new(p.to_owned()),
        None => secret::new_activation_password()?,
    };
    let for_hash = pw.clone();
    let hash = tokio::task::spawn_blocking(move || secret::hash_password(&for_hash))
        .await
        .map_err(|_| CenterError::Crypto("argon2 task"))??;
    Ok((pw, hash))
}

/// Creates a user with an activation password (`password`, or a new random
/// one, which is returned).
pub async fn add_user(
    center: &Center,
    service_id: &str,
    user_id_text: &str,
    password: Option<&str>,
    validity_days: Option<u64>,
    actor: Actor<'_>,
) -> Result<Zeroizing<String>, CenterError> {
    let uid = user_id(user_id_text)?;
    if services::get(center.db(), service_id).await?.is_none() {
        return Err(CenterError::NotFound(format!("service {service_id}")));
    }
    let (pw, hash) = password_and_hash(password).await?;
    let now = center.now();
    let mut w = center.db().write(now).await?;
    let added = users::insert(
        &mut w,
        &NewUser {
            service: service_id,
            user: &uid,
            activation_hash: Some(&hash),
            activation_expires_at: Some(now + ACTIVATION_VALIDITY_SECS),
            validity_days,
        },
    )
    .await?;
    let entry = AuditEntry::new(
        actor,
        Action::UserAdd,
        Who::user(service_id, &uid),
        Outcome::Done,
    );
    audited(w, added, entry, || {
        CenterError::Conflict(format!("user {uid} exists in {service_id}"))
    })
    .await?;
    Ok(pw)
}

/// Issues a new activation password and clears the failure count (also
/// unlocks S0C4).
pub async fn new_password(
    center: &Center,
    service_id: &str,
    user_id: &str,
    password: Option<&str>,
    actor: Actor<'_>,
) -> Result<Zeroizing<String>, CenterError> {
    let (pw, hash) = password_and_hash(password).await?;
    let now = center.now();
    let mut w = center.db().write(now).await?;
    let changed = users::set_password(
        &mut w,
        service_id,
        user_id,
        &hash,
        now + ACTIVATION_VALIDITY_SECS,
    )
    .await?;
    attempts::clear(&mut w, service_id, user_id).await?;
    let entry = AuditEntry::new(
        actor,
        Action::Password,
        Who::user(service_id, user_id),
        Outcome::Done,
    );
    audited(w, changed, entry, || no_user(service_id, user_id)).await?;
    Ok(pw)
}

/// Suspends or resumes a user.
pub async fn set_suspended(
    center: &Center,
    service_id: &str,
    user_id: &str,
    suspended: bool,
    actor: Actor<'_>,
) -> Result<(), CenterError> {
    let mut w = center.db().write(center.now()).await?;
    let changed = users::set_suspended(&mut w, service_id, user_id, suspended).await?;
    let action = if suspended {
        Action::Suspend
    } else {
        Action::Resume
    };
    let entry = AuditEntry::new(actor, action, Who::user(service_id, user_id), Outcome::Done);
    audited(w, changed, entry, || no_user(service_id, user_id)).await
}

/// Re-issue: revokes the user's tokens and issues a new activation password
/// for setup on a (new) device, in one transaction.
pub async fn reissue(
    center: &Center,
    service_id: &str,
    user_id: &str,
    password: Option<&str>,
    actor: Actor<'_>,
) -> Result<Zeroizing<String>, CenterError> {
    let (pw, hash) = password_and_hash(password).await?;
    let now = center.now();
    let mut w = center.db().write(now).await?;
    if !users::set_password(
        &mut w,
        service_id,
        user_id,
        &hash,
        now + ACTIVATION_VALIDITY_SECS,
    )
    .await?
    {
        return Err(no_user(service_id, user_id));
    }
    attempts::clear(&mut w, service_id, user_id).await?;
    tokens::revoke_all(&mut w, service_id, user_id).await?;
    let who = Who::user(service_id, user_id);
    w.audit(AuditEntry::new(actor, Action::Password, who, Outcome::Done))
        .await?;
    w.audit(AuditEntry::new(actor, Action::Reissue, who, Outcome::Done))
        .await?;
    w.commit().await?;
    Ok(pw)
}

/// Sets a token's expiry.
pub async fn set_expiry(
    center: &Center,
    serial: &str,
    at: u64,
    actor: Actor<'_>,
) -> Result<(), CenterError> {
    let mut w = center.db().write(center.now()).await?;
    let changed = tokens::set_expiry(&mut w, serial, at).await?;
    let entry = AuditEntry::new(actor, Action::Expiry, Who::serial(serial), Outcome::Done)
        .detail(at.to_string());
    audited(w, changed, entry, || {
        CenterError::NotFound(format!("token {serial}"))
    })
    .await
}

/// Clears a user's verify lock-out and wrong-code count.
pub async fn unlock(
    center: &Center,
    service_id: &str,
    user_id: &str,
    actor: Actor<'_>,
) -> Result<(), CenterError> {
    let mut w = center.db().write(center.now()).await?;
    let changed = users::unlock_verify(&mut w, service_id, user_id).await?;
    let entry = AuditEntry::new(
        actor,
        Action::Unlock,
        Who::user(service_id, user_id),
        Outcome::Done,
    );
    audited(w, changed, entry, || no_user(service_id, user_id)).await
}

/// Imports active tokens whose keys were made elsewhere (a move from
/// another center, hardware tokens, load tests), in one transaction. Users
/// are created as needed, without activation passwords. The tokens get the
/// service's parameters and validity and a device key nobody holds, so they
/// verify but cannot be renewed or corrected from an app. Returns the new
/// serial numbers in order.
pub async fn import_tokens(
    center: &Center,
    service_id: &str,
    imported: &[(&str, &[u8])],
    actor: Actor<'_>,
) -> Result<Vec<String>, CenterError> {
    let service = services::get(center.db(), service_id)
        .await?
        .ok_or_else(|| CenterError::NotFound(format!("service {service_id}")))?;
    for (uid, key) in imported {
        user_id(uid)?;
        if key.len() < 16 {
            return Err(CenterError::Config(
                "token keys must be at least 16 bytes".into(),
            ));
        }
    }
    let now = center.now();
    let mut w = center.db().write(now).await?;
    let mut serials = Vec::with_capacity(imported.len());
    for (uid, key) in imported {
        users::insert(
            &mut w,
            &NewUser {
                service: service_id,
                user: uid,
                activation_hash: None,
                activation_expires_at: None,
                validity_days: None,
            },
        )
        .await?;
        let serial = tokens::new_serial(&mut w).await?;
        let sealed = center.master().seal(serial.as_bytes(), key)?;
        let device = ippun_core::protocol::new_signing_key().map_err(|_| CenterError::Random)?;
        tokens::insert(
            &mut w,
            &NewToken {
                serial: &serial,
                service: service_id,
                user: uid,
                status: TokenStatus::Active,
                key_enc: &sealed,
                params: service.params,
                device_key: ippun_core::protocol::device_public(&device).0.as_slice(),
                expires_at: now + service.validity_days * 86_400,
            },
        )
        .await?;
        serials.push(serial);
    }
    w.audit(
        AuditEntry::new(
            actor,
            Action::TokenImport,
            Who::service(service_id),
            Outcome::Done,
        )
        .detail(format!("{} tokens", imported.len())),
    )
    .await?;
    w.commit().await?;
    Ok(serials)
}

/// Every service.
pub async fn services(center: &Center) -> Result<Vec<ServiceRow>, CenterError> {
    services::list(center.db()).await
}

/// Users of a service (all services when `None`).
pub async fn users(center: &Center, service_id: Option<&str>) -> Result<Vec<UserRow>, CenterError> {
    let now = center.now();
    let since = now.saturating_sub(center.config().verify_lock_secs);
    users::list(center.db(), service_id, now, since).await
}

/// Tokens of a service (all when `None`).
pub async fn tokens(
    center: &Center,
    service_id: Option<&str>,
) -> Result<Vec<TokenInfo>, CenterError> {
    tokens::list(center.db(), service_id).await
}

/// The newest `limit` audit records, oldest first.
pub async fn audit_log(center: &Center, limit: u32) -> Result<Vec<AuditRow>, CenterError> {
    audit::newest(center.db(), limit).await
}

/// Creates an API key for a relying party of `service_id`. The whole key is
/// returned once; only a hash of its secret is stored.
pub async fn create_api_key(
    center: &Center,
    service_id: &str,
    label: &str,
    actor: Actor<'_>,
) -> Result<Zeroizing<String>, CenterError> {
    let mut id = [0u8; 6];
    let mut secret = Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut id).map_err(|_| CenterError::Random)?;
    getrandom::fill(secret.as_mut_slice()).map_err(|_| CenterError::Random)?;
    let key = Zeroizing::new(format!(
        "{KEY_PREFIX}{}_{}",
        hex::encode(id),
        hex::encode(secret.as_slice())
    ));
    add_api_key(center, service_id, label, &key, actor).await?;
    Ok(key)
}

/// Stores a given API key (`ipk_<12 hex>_<64 hex>`) for a relying party of
/// `service_id`: only its ID and a hash of its secret are kept.
pub async fn add_api_key(
    center: &Center,
    service_id: &str,
    label: &str,
    key: &str,
    actor: Actor<'_>,
) -> Result<(), CenterError> {
    if label.trim().is_empty() || label.chars().count() > 40 || label.chars().any(char::is_control)
    {
        return Err(CenterError::Config("label must be 1–40 characters".into()));
    }
    let (id, secret) = split_key(key)
        .ok_or_else(|| CenterError::Config("API keys look like ipk_<12 hex>_<64 hex>".into()))?;
    services::get(center.db(), service_id)
        .await?
        .ok_or_else(|| CenterError::NotFound(format!("service {service_id}")))?;
    let mut w = center.db().write(center.now()).await?;
    api_keys::insert(&mut w, id, service_id, &secret_hash(secret), label).await?;
    w.audit(
        AuditEntry::new(
            actor,
            Action::ApiKeyAdd,
            Who::service(service_id),
            Outcome::Done,
        )
        .detail(format!("key {id} ({label})")),
    )
    .await?;
    w.commit().await
}

/// API keys of a service (all when `None`).
pub async fn api_keys(
    center: &Center,
    service_id: Option<&str>,
) -> Result<Vec<ApiKeyRow>, CenterError> {
    api_keys::list(center.db(), service_id).await
}

/// Revokes an API key at once.
pub async fn revoke_api_key(
    center: &Center,
    key_id: &str,
    actor: Actor<'_>,
) -> Result<(), CenterError> {
    let mut w = center.db().write(center.now()).await?;
    let Some(service) = api_keys::revoke(&mut w, key_id).await? else {
        return Err(CenterError::NotFound(format!("live API key {key_id}")));
    };
    w.audit(
        AuditEntry::new(
            actor,
            Action::ApiKeyRevoke,
            Who::service(&service),
            Outcome::Done,
        )
        .detail(format!("key {key_id}")),
    )
    .await?;
    w.commit().await
}
