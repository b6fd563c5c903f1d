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
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
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
    let action = if open {
        "service-open"
    } else {
        "service-close"
    };
    let sql = "UPDATE services SET open = $1 WHERE id = $2";
    set_service_flag(center, id, sql, open, action, actor).await
}

/// Turns transaction confirmation on or off for a service. Apps set up from
/// then on are told so (existing tokens learn it when they list transactions).
pub async fn set_tx_confirmation(
    center: &Center,
    id: &str,
    on: bool,
    actor: &str,
) -> Result<(), CenterError> {
    let action = if on {
        "tx-confirmation-on"
    } else {
        "tx-confirmation-off"
    };
    let sql = "UPDATE services SET tx_confirmation = $1 WHERE id = $2";
    set_service_flag(center, id, sql, on, action, actor).await
}

/// Sets one on/off column of a service with `sql` (`$1` the value, `$2` the
/// ID) and audits it as `action`.
async fn set_service_flag(
    center: &Center,
    id: &str,
    sql: &'static str,
    value: bool,
    action: &str,
    actor: &str,
) -> Result<(), CenterError> {
    let n = sqlx::query(sql)
        .bind(i64::from(value))
        .bind(id)
        .execute(center.pool())
        .await?
        .rows_affected();
    if n == 0 {
        return Err(CenterError::NotFound(format!("service {id}")));
    }
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
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
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
        "UPDATE users SET activation_hash = $1, activation_expires_at = $2, failures = 0
         WHERE service_id = $3 AND user_id = $4",
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
    let n = sqlx::query("UPDATE users SET suspended = $1 WHERE service_id = $2 AND user_id = $3")
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
    sqlx::query("UPDATE tokens SET state = 'revoked' WHERE service_id = $1 AND user_id = $2 AND state <> 'revoked'")
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
    let n = sqlx::query("UPDATE tokens SET expires_at = $1 WHERE serial = $2")
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
    let mut key = Zeroizing::new([0u8; 20]);
    getrandom::fill(key.as_mut_slice()).map_err(|_| CenterError::Random)?;
    import_tokens(center, service_id, &[(user_id, key.as_slice())], "demo").await?;
    sqlx::query("UPDATE users SET activation_hash = NULL, activation_expires_at = NULL WHERE service_id = $1 AND user_id = $2")
        .bind(service_id)
        .bind(user_id)
        .execute(center.pool())
        .await?;
    Ok(())
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
    tokens: &[(&str, &[u8])],
    actor: &str,
) -> Result<Vec<String>, CenterError> {
    let service = center
        .service(service_id)
        .await?
        .ok_or_else(|| CenterError::NotFound(format!("service {service_id}")))?;
    let now = center.now();
    let mut tx = center.pool().begin().await?;
    let mut serials = Vec::with_capacity(tokens.len());
    for (user_id, key) in tokens {
        check_id("user ID", user_id, 64)?;
        if key.len() < 16 {
            return Err(CenterError::Config(
                "token keys must be at least 16 bytes".into(),
            ));
        }
        sqlx::query(
            "INSERT INTO users (service_id, user_id, created_at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(service_id)
        .bind(*user_id)
        .bind(to_db(now))
        .execute(&mut *tx)
        .await?;
        let serial = crate::center::new_serial(&mut tx).await?;
        let sealed = center.master().seal(serial.as_bytes(), key)?;
        let device = ippun_core::protocol::new_signing_key().map_err(|_| CenterError::Random)?;
        sqlx::query(
            "INSERT INTO tokens (serial, service_id, user_id, state, key_enc, algorithm, digits,
                period, device_key, expires_at, created_at, activated_at)
             VALUES ($1, $2, $3, 'active', $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&serial)
        .bind(service_id)
        .bind(*user_id)
        .bind(sealed)
        .bind(service.params.algorithm.as_str())
        .bind(i64::from(service.params.digits.get()))
        .bind(to_db(service.params.period.secs()))
        .bind(ippun_core::protocol::device_public(&device).0.as_slice())
        .bind(to_db(now + service.validity_days * 86_400))
        .bind(to_db(now))
        .bind(to_db(now))
        .execute(&mut *tx)
        .await?;
        serials.push(serial);
    }
    let detail = format!("{} tokens", tokens.len());
    audit(
        &mut *tx,
        now,
        actor,
        "token-import",
        (Some(service_id), None, None),
        "ok",
        Some(&detail),
    )
    .await?;
    tx.commit().await?;
    Ok(serials)
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
    /// Transaction confirmation offered.
    pub tx_confirmation: bool,
}

/// Every service.
pub async fn services(center: &Center) -> Result<Vec<ServiceRow>, CenterError> {
    let rows = sqlx::query("SELECT id, name, algorithm, digits, period, validity_days, open, logo_url, link_url, tx_confirmation FROM services ORDER BY id")
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
                tx_confirmation: r.try_get::<i64, _>("tx_confirmation")? != 0,
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
    /// Consecutive wrong codes at the verify API.
    pub verify_failures: i64,
    /// Locked out of the verify API (until unlocked).
    pub verify_locked: bool,
}

/// Users of a service (all services when `None`).
pub async fn users(center: &Center, service_id: Option<&str>) -> Result<Vec<UserRow>, CenterError> {
    let rows = sqlx::query(
        "SELECT service_id, user_id, suspended,
                CASE WHEN activation_hash IS NULL THEN 0 ELSE 1 END AS pending, failures,
                verify_failures, verify_locked_at
         FROM users WHERE ($1 IS NULL OR service_id = $1) ORDER BY service_id, user_id",
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
                verify_failures: r.try_get("verify_failures")?,
                verify_locked: r.try_get::<Option<i64>, _>("verify_locked_at")?.is_some(),
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
         FROM tokens WHERE ($1 IS NULL OR service_id = $1) ORDER BY created_at, serial",
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
           FROM audit ORDER BY id DESC LIMIT $1) AS newest ORDER BY id",
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

/// Clears a user's verify lock-out and wrong-code count.
pub async fn unlock(
    center: &Center,
    service_id: &str,
    user_id: &str,
    actor: &str,
) -> Result<(), CenterError> {
    let n = sqlx::query(
        "UPDATE users SET verify_failures = 0, verify_locked_at = NULL
         WHERE service_id = $1 AND user_id = $2",
    )
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
        center.now(),
        actor,
        "unlock",
        (Some(service_id), Some(user_id), None),
        "ok",
        None,
    )
    .await
}

/// Creates an API key for a relying party of `service_id`. The whole key is
/// returned once; only a hash of its secret is stored.
pub async fn create_api_key(
    center: &Center,
    service_id: &str,
    label: &str,
    actor: &str,
) -> Result<Zeroizing<String>, CenterError> {
    let mut id = [0u8; 6];
    let mut secret = Zeroizing::new([0u8; 32]);
    getrandom::fill(&mut id).map_err(|_| CenterError::Random)?;
    getrandom::fill(secret.as_mut_slice()).map_err(|_| CenterError::Random)?;
    let key = Zeroizing::new(format!(
        "{}{}_{}",
        crate::verify::KEY_PREFIX,
        hex::encode(id),
        hex::encode(secret.as_slice())
    ));
    add_api_key(center, service_id, label, &key, actor).await?;
    Ok(key)
}

/// Stores a given API key (`ipk_<12 hex>_<64 hex>`) for a relying party of
/// `service_id`: only its ID and a hash of its secret are kept.
pub(crate) async fn add_api_key(
    center: &Center,
    service_id: &str,
    label: &str,
    key: &str,
    actor: &str,
) -> Result<(), CenterError> {
    if label.trim().is_empty() || label.chars().count() > 40 || label.chars().any(char::is_control)
    {
        return Err(CenterError::Config("label must be 1–40 characters".into()));
    }
    let (id, secret) = crate::verify::split_key(key)
        .ok_or_else(|| CenterError::Config("API keys look like ipk_<12 hex>_<64 hex>".into()))?;
    center
        .service(service_id)
        .await?
        .ok_or_else(|| CenterError::NotFound(format!("service {service_id}")))?;
    sqlx::query(
        "INSERT INTO api_keys (key_id, service_id, secret_hash, label, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(service_id)
    .bind(crate::verify::secret_hash(secret))
    .bind(label)
    .bind(to_db(center.now()))
    .execute(center.pool())
    .await?;
    audit(
        center.pool(),
        center.now(),
        actor,
        "api-key-add",
        (Some(service_id), None, None),
        "ok",
        Some(&format!("key {id} ({label})")),
    )
    .await
}

/// One API key, for listings (never the secret).
#[derive(Debug, Clone, Serialize)]
pub struct ApiKeyRow {
    /// Public key ID.
    pub key_id: String,
    /// Service.
    pub service_id: String,
    /// What the key is for.
    pub label: String,
    /// Created, Unix seconds.
    pub created_at: u64,
    /// Revoked, Unix seconds.
    pub revoked_at: Option<u64>,
}

/// API keys of a service (all when `None`).
pub async fn api_keys(
    center: &Center,
    service_id: Option<&str>,
) -> Result<Vec<ApiKeyRow>, CenterError> {
    let rows = sqlx::query(
        "SELECT key_id, service_id, label, created_at, revoked_at FROM api_keys
         WHERE ($1 IS NULL OR service_id = $1) ORDER BY created_at, key_id",
    )
    .bind(service_id)
    .fetch_all(center.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ApiKeyRow {
                key_id: r.try_get("key_id")?,
                service_id: r.try_get("service_id")?,
                label: r.try_get("label")?,
                created_at: from_db(r.try_get("created_at")?),
                revoked_at: r.try_get::<Option<i64>, _>("revoked_at")?.map(from_db),
            })
        })
        .collect()
}

/// Revokes an API key at once.
pub async fn revoke_api_key(center: &Center, key_id: &str, actor: &str) -> Result<(), CenterError> {
    let row = sqlx::query(
        "UPDATE api_keys SET revoked_at = $1 WHERE key_id = $2 AND revoked_at IS NULL
         RETURNING service_id",
    )
    .bind(to_db(center.now()))
    .bind(key_id)
    .fetch_optional(center.pool())
    .await?;
    let Some(row) = row else {
        return Err(CenterError::NotFound(format!("live API key {key_id}")));
    };
    let service: String = row.try_get("service_id")?;
    audit(
        center.pool(),
        center.now(),
        actor,
        "api-key-revoke",
        (Some(&service), None, None),
        "ok",
        Some(&format!("key {key_id}")),
    )
    .await
}
