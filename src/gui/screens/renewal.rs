//! A token's end of life: the renewal question while renewal is open,
//! "renewal complete", and the notice once it has expired.

use eframe::egui::{self, RichText};
use ippun_core::TokenState;

use super::super::action::Action;
use super::super::app::IppunApp;
use super::super::task::Job;
use super::super::theme;
use super::{Keys, Screen, token};

pub(super) fn question(app: &IppunApp, ui: &mut egui::Ui, id: u64, keys: Keys) -> Action {
    let v = match token(app, id) {
        Ok(v) => v,
        Err(a) => return a,
    };
    theme::title(ui, &app.t("gui-renewal-title"));
    let days = match v.state {
        TokenState::RenewalDue { days_left } => days_left,
        _ => 0,
    };
    ui.label(RichText::new(&v.name).strong());
    ui.label(app.tw(
        "gui-renewal-intro",
        &[
            ("days", &days.to_string()),
            ("date", &app.date(v.expires_at)),
        ],
    ));
    ui.add_space(theme::SECTION);
    if theme::main_button(ui, app.t("gui-renew-now"), true).clicked() {
        return Action::Start(Job::Renew(id), None);
    }
    if theme::button(ui, app.t("gui-remind-later")).clicked() || keys.escape(ui) {
        return Action::RemindLater(id);
    }
    Action::None
}

pub(super) fn renewed(app: &IppunApp, ui: &mut egui::Ui, id: u64, keys: Keys) -> Action {
    let v = match token(app, id) {
        Ok(v) => v,
        Err(a) => return a,
    };
    theme::title(ui, &app.t("gui-renewed-title"));
    ui.label(app.tw(
        "gui-renewed",
        &[("name", &v.name), ("date", &app.date(v.expires_at))],
    ));
    ui.add_space(theme::SECTION);
    if theme::main_button(ui, app.t("gui-next"), true).clicked() || keys.enter(ui) {
        return Action::Go(Screen::Otp(id));
    }
    Action::None
}

pub(super) fn expired(app: &IppunApp, ui: &mut egui::Ui, id: u64, keys: Keys) -> Action {
    let v = match token(app, id) {
        Ok(v) => v,
        Err(a) => return a,
    };
    theme::title(ui, &app.t("gui-expired-title"));
    ui.label(
        RichText::new(app.tw(
            "gui-expired",
            &[("name", &v.name), ("date", &app.date(v.expires_at))],
        ))
        .strong(),
    );
    ui.add_space(6.0);
    let only = app.views().len() == 1;
    ui.label(app.t(if only {
        "gui-expired-only"
    } else {
        "gui-expired-several"
    }));
    ui.add_space(theme::SECTION);
    let label = if only {
        "gui-expired-ok"
    } else {
        "gui-expired-delete"
    };
    if theme::main_button(ui, app.t(label), true).clicked() {
        return Action::Delete { id, expired: true };
    }
    if !only && (theme::button(ui, app.t("gui-back")).clicked() || keys.escape(ui)) {
        return Action::Go(Screen::Tokens);
    }
    Action::None
}
