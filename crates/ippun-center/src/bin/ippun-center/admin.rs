//! `ippun-center admin`: one arm per command, each one act of the
//! services' admin module (one transaction, audited as `admin`).

use std::io::{self, BufRead};

use ippun_center::admin::{self, ServiceSpec};
use ippun_center::data::Actor;
use ippun_center::tx::BankError;
use ippun_center::{CenterError, Config};
use ippun_core::txconfirm::text::escape_for_terminal as esc;

use crate::args::{AdminCmd, DbArgs, ServiceCmd, TokenCmd, TxCmd, UserCmd};
use crate::output::{
    api_key_line, audit_line, json, out, service_line, token_line, tx_line, user_line,
};
use crate::start::open;

fn read_password_line() -> Result<String, CenterError> {
    let mut line = String::new();
    io::stdin().lock().read_line(&mut line)?;
    let p = line.trim_end_matches(['\r', '\n']).to_owned();
    if p.is_empty() {
        return Err(CenterError::Config(
            "empty activation password on standard input".into(),
        ));
    }
    Ok(p)
}

/// Prints an activation password the center chose (never one the operator
/// gave on standard input).
fn show_new_password(given: Option<&str>, pw: &str) -> Result<(), CenterError> {
    if given.is_some() {
        return Ok(());
    }
    out(&format!("activation password: {pw}"))
}

#[allow(clippy::too_many_lines)] // one arm per admin command
pub async fn run(db: &DbArgs, cmd: AdminCmd) -> Result<(), CenterError> {
    let center = open(db, Config::default()).await?;
    let c = &center;
    match cmd {
        AdminCmd::Key => out(&c.public_key().to_string()),
        AdminCmd::Service(ServiceCmd::Add {
            id,
            name,
            logo,
            link,
            algorithm,
            digits,
            period,
            validity_days,
            closed,
        }) => {
            let spec = ServiceSpec {
                id,
                name,
                logo_url: logo,
                link_url: link,
                algorithm,
                digits,
                period,
                validity_days,
                open: !closed,
            };
            admin::add_service(c, &spec, Actor::Admin).await?;
            out(&format!("service {} added", esc(&spec.id)))
        }
        AdminCmd::Service(ServiceCmd::List { json: j }) => {
            let v = admin::services(c).await?;
            if j {
                return json(&v);
            }
            for s in v {
                out(&service_line(&s))?;
            }
            Ok(())
        }
        AdminCmd::Service(ServiceCmd::Open { id }) => {
            admin::set_service_open(c, &id, true, Actor::Admin).await
        }
        AdminCmd::Service(ServiceCmd::Close { id }) => {
            admin::set_service_open(c, &id, false, Actor::Admin).await
        }
        AdminCmd::Service(ServiceCmd::ApiKey { id, label }) => {
            let key = admin::create_api_key(c, &id, &label, Actor::Admin).await?;
            out(&key)
        }
        AdminCmd::Service(ServiceCmd::ApiKeys { id, json: j }) => {
            let v = admin::api_keys(c, id.as_deref()).await?;
            if j {
                return json(&v);
            }
            for k in v {
                out(&api_key_line(&k))?;
            }
            Ok(())
        }
        AdminCmd::Service(ServiceCmd::RevokeKey { key_id }) => {
            admin::revoke_api_key(c, &key_id, Actor::Admin).await
        }
        AdminCmd::Service(ServiceCmd::TxConfirmation { id, state }) => {
            admin::set_tx_confirmation(c, &id, state == "on", Actor::Admin).await
        }
        AdminCmd::Tx(TxCmd::List {
            service,
            user,
            pending,
            json: j,
        }) => {
            let v = c
                .tx_all(service.as_deref(), user.as_deref(), pending)
                .await?;
            if j {
                return json(&v);
            }
            for t in v {
                out(&tx_line(&t))?;
            }
            Ok(())
        }
        AdminCmd::Tx(TxCmd::Withdraw { id }) => {
            let t = c
                .tx_withdraw(None, &id, Actor::Admin)
                .await
                .map_err(|e| match e {
                    BankError::Internal(e) => e,
                    BankError::NotFound(..) => {
                        CenterError::NotFound(format!("transaction {}", esc(&id)))
                    }
                    BankError::Conflict(_, detail) | BankError::Bad(detail) => {
                        CenterError::Conflict(detail.into())
                    }
                    BankError::Field(e) => CenterError::Conflict(e.to_string()),
                })?;
            out(&tx_line(&t))
        }
        AdminCmd::User(UserCmd::Unlock { service, user }) => {
            admin::unlock(c, &service, &user, Actor::Admin).await
        }
        AdminCmd::User(UserCmd::Add {
            service,
            user,
            password_stdin,
            validity_days,
        }) => {
            let given = password_stdin.then(read_password_line).transpose()?;
            let pw = admin::add_user(
                c,
                &service,
                &user,
                given.as_deref(),
                validity_days,
                Actor::Admin,
            )
            .await?;
            show_new_password(given.as_deref(), &pw)
        }
        AdminCmd::User(UserCmd::List { service, json: j }) => {
            let v = admin::users(c, service.as_deref()).await?;
            if j {
                return json(&v);
            }
            for u in v {
                out(&user_line(&u))?;
            }
            Ok(())
        }
        AdminCmd::User(UserCmd::Password {
            service,
            user,
            password_stdin,
        }) => {
            let given = password_stdin.then(read_password_line).transpose()?;
            let pw =
                admin::new_password(c, &service, &user, given.as_deref(), Actor::Admin).await?;
            show_new_password(given.as_deref(), &pw)
        }
        AdminCmd::User(UserCmd::Suspend { service, user }) => {
            admin::set_suspended(c, &service, &user, true, Actor::Admin).await
        }
        AdminCmd::User(UserCmd::Resume { service, user }) => {
            admin::set_suspended(c, &service, &user, false, Actor::Admin).await
        }
        AdminCmd::User(UserCmd::Reissue {
            service,
            user,
            password_stdin,
        }) => {
            let given = password_stdin.then(read_password_line).transpose()?;
            let pw = admin::reissue(c, &service, &user, given.as_deref(), Actor::Admin).await?;
            show_new_password(given.as_deref(), &pw)
        }
        AdminCmd::Token(TokenCmd::List { service, json: j }) => {
            let v = admin::tokens(c, service.as_deref()).await?;
            if j {
                return json(&v);
            }
            for t in v {
                out(&token_line(&t))?;
            }
            Ok(())
        }
        AdminCmd::Token(TokenCmd::Expiry { serial, at }) => {
            let at = ippun_core::input::parse_time(&at)
                .map_err(|e| CenterError::Config(e.to_string()))?;
            admin::set_expiry(c, &serial, at, Actor::Admin).await
        }
        AdminCmd::Audit { limit, json: j } => {
            let v = admin::audit_log(c, limit).await?;
            if j {
                return json(&v);
            }
            for a in v {
                out(&audit_line(&a))?;
            }
            Ok(())
        }
    }
}
