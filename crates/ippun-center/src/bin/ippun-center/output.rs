//! What the command line prints: one line per record, every stored text
//! escaped for the terminal (a user ID that arrived over the network may
//! hold escape sequences or line breaks), or JSON.

use std::io::{self, Write};

use ippun_center::CenterError;
use ippun_center::admin::{ApiKeyRow, AuditRow, ServiceRow, TokenInfo, UserRow};
use ippun_center::tx::TxStatus;
use ippun_core::input::format_utc;
use ippun_core::txconfirm::text::escape_for_terminal as esc;

/// Prints one line.
pub fn out(text: &str) -> Result<(), CenterError> {
    let mut o = io::stdout().lock();
    writeln!(o, "{text}")?;
    o.flush()?;
    Ok(())
}

/// Prints `v` as pretty JSON (JSON escapes control characters itself).
pub fn json<T: serde::Serialize>(v: &T) -> Result<(), CenterError> {
    out(&serde_json::to_string_pretty(v).map_err(|e| CenterError::Config(e.to_string()))?)
}

fn opt(s: Option<&String>) -> String {
    s.map(|s| esc(s).into_owned()).unwrap_or_default()
}

/// One transaction.
pub fn tx_line(t: &TxStatus) -> String {
    let at = format_utc(t.tx.created_at).unwrap_or_default();
    format!(
        "{} {at} {:<16} {:<24} {} {:<9} {} {} → {} ({})",
        esc(&t.tx.id),
        esc(&t.service),
        esc(&t.user),
        esc(&t.serial),
        t.state,
        esc(&ippun_core::txconfirm::group_amount(&t.tx.amount)),
        esc(&t.tx.currency),
        esc(&t.tx.payee),
        esc(&t.tx.reference)
    )
}

/// One audit record.
pub fn audit_line(a: &AuditRow) -> String {
    let at = format_utc(a.at).unwrap_or_default();
    format!(
        "{:>6} {} {:<5} {:<14} {} {} {} {}{}",
        a.id,
        at,
        esc(&a.actor),
        esc(&a.action),
        opt(a.service_id.as_ref()),
        opt(a.user_id.as_ref()),
        opt(a.serial.as_ref()),
        esc(&a.outcome),
        a.detail
            .as_ref()
            .map(|d| format!(" ({})", esc(d)))
            .unwrap_or_default()
    )
}

/// One service.
pub fn service_line(s: &ServiceRow) -> String {
    format!(
        "{:<16} {:<24} {} {} digits {} s, {} days, {}{}",
        esc(&s.id),
        esc(&s.name),
        esc(&s.algorithm),
        s.digits,
        s.period,
        s.validity_days,
        if s.open { "open" } else { "closed" },
        if s.tx_confirmation {
            ", transaction confirmation"
        } else {
            ""
        }
    )
}

/// One API key (never its secret).
pub fn api_key_line(k: &ApiKeyRow) -> String {
    let created = format_utc(k.created_at).unwrap_or_default();
    let revoked = k
        .revoked_at
        .and_then(format_utc)
        .map(|t| format!(" revoked {t}"))
        .unwrap_or_default();
    format!(
        "{} {:<16} created {created}{revoked}  {}",
        esc(&k.key_id),
        esc(&k.service_id),
        esc(&k.label)
    )
}

/// One user.
pub fn user_line(u: &UserRow) -> String {
    format!(
        "{:<16} {:<24} {}{}{}{}failures {}, wrong codes {}",
        esc(&u.service_id),
        esc(&u.user_id),
        if u.suspended { "suspended " } else { "" },
        if u.activation_pending {
            "activation-pending "
        } else {
            ""
        },
        if u.activation_locked {
            "activation-locked "
        } else {
            ""
        },
        if u.verify_locked { "locked " } else { "" },
        u.failures,
        u.verify_failures
    )
}

/// One token.
pub fn token_line(t: &TokenInfo) -> String {
    let exp = format_utc(t.expires_at).unwrap_or_default();
    format!(
        "{} {:<16} {:<24} {:<8} expires {} drift {}",
        esc(&t.serial),
        esc(&t.service_id),
        esc(&t.user_id),
        t.state,
        exp,
        t.drift_steps
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_user_ids_are_escaped() {
        let a = AuditRow {
            id: 1,
            at: 0,
            actor: "app".into(),
            action: "provision".into(),
            service_id: Some("DEMO-BANK".into()),
            user_id: Some("evil\u{1b}[2J\nforged".into()),
            serial: None,
            outcome: "S0C1".into(),
            detail: None,
        };
        let line = audit_line(&a);
        assert!(!line.contains('\u{1b}') && !line.contains('\n'), "{line}");
        assert!(line.contains("evil\\u{001b}[2J\\u{000a}forged"), "{line}");
    }
}
