//! Administration: services, users, activation passwords, suspension,
//! re-issue, expiry, tokens and the audit log. Every act is audited.

use serde::Serialize;
use sqlx::Row;
use zeroize::Zeroizing;

use crate::center::{audit, params_of};
use crate::secret;
use crate::{Center, CenterError, from_db, to_db};

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

fn check_id(what: &str, id: &str, max: usize) -> Result<(), CenterError> {
    if id.is_empty()
        || id.chars().count() > max
        || id.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(CenterError::Config(format!(
            "{what} must be 1–{max} characters without spaces or control characters"
        )));
    }
    Ok(())
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

/// Creates a service.
pub async fn add_service(center: &Center, s: &ServiceSpec, actor: &str) -> Result<(), CenterError> {
    check_id("service ID", &s.id, 32)?;
    if !s
        .id
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(CenterError::Config(
            "service ID: letters, digits, '-', '_' and '.' only".into(),
        ));
    }
    if s.name.trim().is_empty() || s.name.chars().count() > 40 {
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
    params_of(&s.algorithm, i64::from(s.digits), to_db(s.period))?;
    if s.validity_days == 0 || s.validity_days > 3660 {
        return Err(CenterError::Config("validity must be 1–3660 days".into()));
    }
    let now = center.now();
    let r = sqlx::query(
        "INSERT INTO services (id, name, logo_url, link_url, algorithm, digits, period, validity_days, open, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
    )
    .bind(&s.id)
    .bind(&s.name)
    .bind(&s.logo_url)
    .bind(&s.link_url)
    .bind(&s.algorithm)
    .bind(i64::from(s.digits))
    .bind(to_db(s.period))
    .bind(to_db(s.validity_days))
    .bind(i64::from(s.open))
    .bind(to_db(now))
    .execute(center.pool())
    .await?;
    if r.rows_affected() == 0 {
        return Err(CenterError::Conflict(format!("service {} exists", s.id)));
    }
    audit(
        center.pool(),
        now,
        actor,
        "service-add",
        (Some(&s.id), None, None),
        "ok",
        None,
    )
    .await
}

/// Opens or closes a service for setup.
pub async fn set_service_open(
    center: &Center,
    id: &str,
    open: bool,
    actor: &str,
) -> Result<(), CenterError> {
    let n = sqlx::query("UPDATE services SET open = ? WHERE id = ?")
        .bind(i64::from(open))
        .bind(id)
        .execute(center.pool())
        .await?
        .rows_affected();
    if n == 0 {
        return Err(CenterError::NotFound(format!("service {id}")));
    }
    let action = if open {
        "service-open"
    } else {
        "service-close"
    };
    audit(
        center.pool(),
        center.now(),
        actor,
        action,
        (Some(id), None, None),
        "ok",
        None,
    )
    .await
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
    user_id: &str,
    password: Option<&str>,
    validity_days: Option<u64>,
    actor: &str,
) -> Result<Zeroizing<String>, CenterError> {
    check_id("user ID", user_id, 64)?;
    if center.service(service_id).await?.is_none() {
        return Err(CenterError::NotFound(format!("service {service_id}")));
    }
    let (pw, hash) = password_and_hash(password).await?;
    let now = center.now();
    let r = sqlx::query(
        "INSERT INTO users (service_id, user_id, activation_hash, activation_expires_at, validity_days, created_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(service_id)
    .bind(user_id)
    .bind(hash)
    .bind(to_db(now + ACTIVATION_VALIDITY_SECS))
    .bind(validity_days.map(to_db))
    .bind(to_db(now))
    .execute(center.pool())
    .await?;
    if r.rows_affected() == 0 {
        return Err(CenterError::Conflict(format!(
            "user {user_id} exists in {service_id}"
        )));
    }
    audit(
        center.pool(),
        now,
        actor,
        "user-add",
        (Some(service_id), Some(user_id), None),
        "ok",
        None,
    )
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
    actor: &str,
) -> Result<Zeroizing<String>, CenterError> {
    let (pw, hash) = password_and_hash(password).await?;
    let now = center.now();
    let n = sqlx::query(
        "UPDATE users SET activation_hash = ?, activation_expires_at = ?, failures = 0
         WHERE service_id = ? AND user_id = ?",
    )
    .bind(hash)
    .bind(to_db(now + ACTIVATION_VALIDITY_SECS))
    .bind(service_id)
    .bind(user_id)
    .execute(center.pool())
    .await?
    .rows_affected();
    if n == 0 {
        return Err(CenterError::NotFound(format!(
            "user {user_id} in {service_id}"
        )));
    }
    audit(
        center.pool(),
        now,
        actor,
        "password",
        (Some(service_id), Some(user_id), None),
        "ok",
        None,
    )
    .await?;
    Ok(pw)
}

/// Suspends or resumes a user.
pub async fn set_suspended(
    center: &Center,
    service_id: &str,
    user_id: &str,
    suspended: bool,
    actor: &str,
) -> Result<(), CenterError> {
    let n = sqlx::query("UPDATE users SET suspended = ? WHERE service_id = ? AND user_id = ?")
        .bind(i64::from(suspended))
        .bind(service_id)
        .bind(user_id)
        .execute(center.pool())
        .await?
        .rows_affected();
    if n == 0 {
        return Err(CenterError::NotFound(format!(
            "user {user_id} in {service_id}"
        )));
    }
    let action = if suspended { "suspend" } else { "resume" };
    audit(
        center.pool(),
        center.now(),
        actor,
        action,
        (Some(service_id), Some(user_id), None),
        "ok",
        None,
    )
    .await
}

/// Re-issue: revokes the user's tokens and issues a new activation password
/// for setup on a (new) device.
pub async fn reissue(
    center: &Center,
    service_id: &str,
    user_id: &str,
    password: Option<&str>,
    actor: &str,
) -> Result<Zeroizing<String>, CenterError> {
    let pw = new_password(center, service_id, user_id, password, actor).await?;
    sqlx::query("UPDATE tokens SET state = 'revoked' WHERE service_id = ? AND user_id = ? AND state <> 'revoked'")
        .bind(service_id)
        .bind(user_id)
        .execute(center.pool())
        .await?;
    audit(
        center.pool(),
        center.now(),
        actor,
        "reissue",
        (Some(service_id), Some(user_id), None),
        "ok",
        None,
    )
    .await?;
    Ok(pw)
}

/// Sets a token's expiry.
pub async fn set_expiry(
    center: &Center,
    serial: &str,
    at: u64,
    actor: &str,
) -> Result<(), CenterError> {
    let n = sqlx::query("UPDATE tokens SET expires_at = ? WHERE serial = ?")
        .bind(to_db(at))
        .bind(serial)
        .execute(center.pool())
        .await?
        .rows_affected();
    if n == 0 {
        return Err(CenterError::NotFound(format!("token {serial}")));
    }
    let detail = at.to_string();
    audit(
        center.pool(),
        center.now(),
        actor,
        "expiry",
        (None, None, Some(serial)),
        "ok",
        Some(&detail),
    )
    .await
}

/// Demo: an active token on a device that is not this one.
pub(crate) async fn seed_active_token(
    center: &Center,
    service_id: &str,
    user_id: &str,
) -> Result<(), CenterError> {
    let service = center
        .service(service_id)
        .await?
        .ok_or_else(|| CenterError::NotFound(service_id.to_owned()))?;
    let mut key = Zeroizing::new([0u8; 20]);
    getrandom::fill(key.as_mut_slice()).map_err(|_| CenterError::Random)?;
    let device = ippun_core::protocol::new_signing_key().map_err(|_| CenterError::Random)?;
    let now = center.now();
    let serial = format!("{:08}", 90_000_000 + (now % 10_000_000));
    let sealed = center.master().seal(serial.as_bytes(), key.as_slice())?;
    sqlx::query(
        "INSERT INTO tokens (serial, service_id, user_id, state, key_enc, algorithm, digits, period,
            device_key, expires_at, created_at, activated_at)
         VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&serial)
    .bind(service_id)
    .bind(user_id)
    .bind(sealed)
    .bind(service.params.algorithm.as_str())
    .bind(i64::from(service.params.digits.get()))
    .bind(to_db(service.params.period.secs()))
    .bind(ippun_core::protocol::device_public(&device).0.as_slice())
    .bind(to_db(now + service.validity_days * 86_400))
    .bind(to_db(now))
    .bind(to_db(now))
    .execute(center.pool())
    .await?;
    sqlx::query("UPDATE users SET activation_hash = NULL, activation_expires_at = NULL WHERE service_id = ? AND user_id = ?")
        .bind(service_id)
        .bind(user_id)
        .execute(center.pool())
        .await?;
    Ok(())
}

/// One service, for listings.
#[derive(Debug, Clone, Serialize)]
pub struct ServiceRow {
    /// ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// Algorithm.
    pub algorithm: String,
    /// Digits.
    pub digits: i64,
    /// Period.
    pub period: i64,
    /// Validity in days.
    pub validity_days: i64,
    /// Open for setup.
    pub open: bool,
    /// Logo.
    pub logo_url: Option<String>,
    /// Web site.
    pub link_url: Option<String>,
}

/// Every service.
pub async fn services(center: &Center) -> Result<Vec<ServiceRow>, CenterError> {
    let rows = sqlx::query("SELECT id, name, algorithm, digits, period, validity_days, open, logo_url, link_url FROM services ORDER BY id")
        .fetch_all(center.pool())
        .await?;
    rows.iter()
        .map(|r| {
            Ok(ServiceRow {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                algorithm: r.try_get("algorithm")?,
                digits: r.try_get("digits")?,
                period: r.try_get("period")?,
                validity_days: r.try_get("validity_days")?,
                open: r.try_get::<i64, _>("open")? != 0,
                logo_url: r.try_get("logo_url")?,
                link_url: r.try_get("link_url")?,
            })
        })
        .collect()
}

/// One user, for listings (never the password or its hash).
#[derive(Debug, Clone, Serialize)]
pub struct UserRow {
    /// Service.
    pub service_id: String,
    /// User.
    pub user_id: String,
    /// Suspended.
    pub suspended: bool,
    /// An activation password is outstanding.
    pub activation_pending: bool,
    /// Wrong activation passwords so far.
    pub failures: i64,
}

/// Users of a service (all services when `None`).
pub async fn users(center: &Center, service_id: Option<&str>) -> Result<Vec<UserRow>, CenterError> {
    let rows = sqlx::query(
        "SELECT service_id, user_id, suspended, activation_hash IS NOT NULL AS pending, failures
         FROM users WHERE (?1 IS NULL OR service_id = ?1) ORDER BY service_id, user_id",
    )
    .bind(service_id)
    .fetch_all(center.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(UserRow {
                service_id: r.try_get("service_id")?,
                user_id: r.try_get("user_id")?,
                suspended: r.try_get::<i64, _>("suspended")? != 0,
                activation_pending: r.try_get::<i64, _>("pending")? != 0,
                failures: r.try_get("failures")?,
            })
        })
        .collect()
}

/// One token, for listings (never the key).
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    /// Serial.
    pub serial: String,
    /// Service.
    pub service_id: String,
    /// User.
    pub user_id: String,
    /// pending, active or revoked.
    pub state: String,
    /// Expiry, Unix seconds.
    pub expires_at: u64,
    /// Learned drift in steps.
    pub drift_steps: i64,
    /// Last accepted step.
    pub last_step: Option<i64>,
}

/// Tokens of a service (all when `None`).
pub async fn tokens(
    center: &Center,
    service_id: Option<&str>,
) -> Result<Vec<TokenInfo>, CenterError> {
    let rows = sqlx::query(
        "SELECT serial, service_id, user_id, state, expires_at, drift_steps, last_step
         FROM tokens WHERE (?1 IS NULL OR service_id = ?1) ORDER BY created_at, serial",
    )
    .bind(service_id)
    .fetch_all(center.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TokenInfo {
                serial: r.try_get("serial")?,
                service_id: r.try_get("service_id")?,
                user_id: r.try_get("user_id")?,
                state: r.try_get("state")?,
                expires_at: from_db(r.try_get("expires_at")?),
                drift_steps: r.try_get("drift_steps")?,
                last_step: r.try_get("last_step")?,
            })
        })
        .collect()
}

/// One audit record.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    /// Sequence number.
    pub id: i64,
    /// When, Unix seconds.
    pub at: u64,
    /// app, admin or demo.
    pub actor: String,
    /// What.
    pub action: String,
    /// Service.
    pub service_id: Option<String>,
    /// User.
    pub user_id: Option<String>,
    /// Token.
    pub serial: Option<String>,
    /// ok, offered, confirmed, corrected, or an S-code.
    pub outcome: String,
    /// More.
    pub detail: Option<String>,
}

/// The newest `limit` audit records, oldest first.
pub async fn audit_log(center: &Center, limit: u32) -> Result<Vec<AuditRow>, CenterError> {
    let rows = sqlx::query(
        "SELECT * FROM (SELECT id, at, actor, action, service_id, user_id, serial, outcome, detail
           FROM audit ORDER BY id DESC LIMIT ?) ORDER BY id",
    )
    .bind(i64::from(limit))
    .fetch_all(center.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditRow {
                id: r.try_get("id")?,
                at: from_db(r.try_get("at")?),
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                service_id: r.try_get("service_id")?,
                user_id: r.try_get("user_id")?,
                serial: r.try_get("serial")?,
                outcome: r.try_get("outcome")?,
                detail: r.try_get("detail")?,
            })
        })
        .collect()
}
