//! The `services` table: one row per bank service.

use ippun_core::OtpParams;
use ippun_core::protocol::ServiceInfo;
use serde::Serialize;
use sqlx::Row;

use super::{Db, Write, flag, from_db, params_of, to_db};
use crate::CenterError;

/// A service as the center's logic uses it.
#[derive(Debug, Clone)]
pub struct Service {
    /// What the app is told (signed at setup).
    pub info: ServiceInfo,
    /// OTP parameters.
    pub params: OtpParams,
    /// Token validity in days.
    pub validity_days: u64,
    /// Open for setup.
    pub open: bool,
}

/// A service to store.
#[derive(Debug, Clone)]
pub struct NewService<'a> {
    /// Service ID.
    pub id: &'a str,
    /// Name.
    pub name: &'a str,
    /// Logo address.
    pub logo_url: Option<&'a str>,
    /// Web site.
    pub link_url: Option<&'a str>,
    /// OTP parameters.
    pub params: OtpParams,
    /// Token validity in days.
    pub validity_days: u64,
    /// Open for setup.
    pub open: bool,
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

/// The service `id`.
pub async fn get(db: &Db, id: &str) -> Result<Option<Service>, CenterError> {
    let row = sqlx::query(
        "SELECT id, name, logo_url, link_url, algorithm, digits, period, validity_days, open,
                tx_confirmation
         FROM services WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&db.pool())
    .await?;
    row.map(|r| -> Result<Service, CenterError> {
        Ok(Service {
            info: ServiceInfo {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                logo_url: r.try_get("logo_url")?,
                link_url: r.try_get("link_url")?,
                tx_confirmation: flag(&r, "tx_confirmation")?,
            },
            params: params_of(
                &r.try_get::<String, _>("algorithm")?,
                r.try_get("digits")?,
                r.try_get("period")?,
            )?,
            validity_days: from_db(r.try_get("validity_days")?),
            open: flag(&r, "open")?,
        })
    })
    .transpose()
}

/// Whether any service is stored.
pub async fn any(db: &Db) -> Result<bool, CenterError> {
    Ok(sqlx::query("SELECT 1 FROM services LIMIT 1")
        .fetch_optional(&db.pool())
        .await?
        .is_some())
}

/// Stores a service; `false` if one with its ID exists.
pub async fn insert(w: &mut Write<'_>, s: &NewService<'_>) -> Result<bool, CenterError> {
    let at = w.at();
    let r = sqlx::query(
        "INSERT INTO services (id, name, logo_url, link_url, algorithm, digits, period, validity_days, open, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING",
    )
    .bind(s.id)
    .bind(s.name)
    .bind(s.logo_url)
    .bind(s.link_url)
    .bind(s.params.algorithm.as_str())
    .bind(i64::from(s.params.digits.get()))
    .bind(to_db(s.params.period.secs()))
    .bind(to_db(s.validity_days))
    .bind(i64::from(s.open))
    .bind(to_db(at))
    .execute(w.conn())
    .await?;
    Ok(r.rows_affected() == 1)
}

/// A service's on/off settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flag {
    /// Open for setup.
    Open,
    /// Offers transaction confirmation.
    TxConfirmation,
}

/// Sets one on/off setting; `false` if there is no such service.
pub async fn set_flag(
    w: &mut Write<'_>,
    id: &str,
    which: Flag,
    on: bool,
) -> Result<bool, CenterError> {
    let sql = match which {
        Flag::Open => "UPDATE services SET open = $1 WHERE id = $2",
        Flag::TxConfirmation => "UPDATE services SET tx_confirmation = $1 WHERE id = $2",
    };
    let n = sqlx::query(sql)
        .bind(i64::from(on))
        .bind(id)
        .execute(w.conn())
        .await?
        .rows_affected();
    Ok(n == 1)
}

/// Every service.
pub async fn list(db: &Db) -> Result<Vec<ServiceRow>, CenterError> {
    let rows = sqlx::query(
        "SELECT id, name, algorithm, digits, period, validity_days, open, logo_url, link_url,
                tx_confirmation
         FROM services ORDER BY id",
    )
    .fetch_all(&db.pool())
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
                open: flag(r, "open")?,
                logo_url: r.try_get("logo_url")?,
                link_url: r.try_get("link_url")?,
                tx_confirmation: flag(r, "tx_confirmation")?,
            })
        })
        .collect()
}
