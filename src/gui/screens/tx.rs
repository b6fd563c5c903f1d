//! Transaction confirmation: what waits (and starting the service), one
//! transaction large with approve and reject, and the confirmation code
//! once answered.

use eframe::egui::{self, RichText};
use ippun_core::ErrorCode;
use ippun_core::txconfirm::text::mixes_look_alike_scripts;
use ippun_core::txconfirm::{Decision, Transaction, group_code, show_amount};

use super::super::action::Action;
use super::super::app::IppunApp;
use super::super::task::Job;
use super::super::theme;
use super::{Keys, Screen, drawable, token};
use crate::flows::TxInbox;

pub(super) fn inbox(app: &IppunApp, ui: &mut egui::Ui, id: u64, inbox: Option<&TxInbox>) -> Action {
    let v = match token(app, id) {
        Ok(v) => v,
        Err(a) => return a,
    };
    theme::title(ui, &app.t("gui-tx-title"));
    ui.label(RichText::new(&v.name).strong());
    ui.add_space(6.0);
    let Some(inbox) = inbox else {
        ui.label(app.t("gui-tx-intro"));
        ui.add_space(theme::SECTION);
        if theme::main_button(ui, app.t("gui-tx-check"), true).clicked() {
            return Action::OpenTx(id);
        }
        return Action::None;
    };
    let mut action = Action::None;
    if let Some(start) = &inbox.start {
        theme::group(ui, |ui| {
            ui.label(RichText::new(app.t("gui-tx-start-note")).size(16.0));
            ui.add_space(6.0);
            if theme::main_button(ui, app.t("gui-tx-start"), true).clicked() {
                action = Action::Start(Job::TxStart(id, start.id.clone()), None);
            }
        });
        ui.add_space(10.0);
    }
    if !inbox.enabled && inbox.start.is_none() {
        ui.label(RichText::new(ErrorCode::S5A1.message(app.lang)).size(16.0));
        ui.label(ErrorCode::S5A1.remedy(app.lang));
        ui.add_space(10.0);
    }
    if inbox.enabled && inbox.transactions.is_empty() {
        ui.label(RichText::new(app.t("gui-tx-none")).size(16.0));
        ui.add_space(10.0);
    }
    for tx in &inbox.transactions {
        let amount = show_amount(app.lang, &tx.amount, &tx.currency);
        theme::group(ui, |ui| {
            ui.label(RichText::new(&amount).size(theme::PROMINENT).strong());
            for (text, size) in [(&tx.payee, 16.0), (&tx.reference, 14.0)] {
                if drawable(ui.ctx(), text) {
                    ui.add(egui::Label::new(RichText::new(text).size(size)).wrap());
                } else {
                    ui.label(RichText::new(app.t("gui-tx-unreadable-field")).weak());
                }
            }
            let r = theme::button(ui, app.t("gui-tx-review"));
            let a11y = app.tw(
                "gui-tx-review-a11y",
                &[("payee", &tx.payee), ("amount", &amount)],
            );
            r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, a11y.clone()));
            if r.clicked() {
                action = Action::Go(Screen::TxDetail {
                    id,
                    tx: Box::new(tx.clone()),
                });
            }
        });
        ui.add_space(6.0);
    }
    ui.add_space(6.0);
    if theme::button(ui, app.t("gui-tx-check-again")).clicked() {
        action = Action::OpenTx(id);
    }
    action
}

pub(super) fn detail(
    app: &IppunApp,
    ui: &mut egui::Ui,
    id: u64,
    tx: &Transaction,
    keys: Keys,
) -> Action {
    theme::title(ui, &app.t("gui-tx-detail-title"));
    ui.label(app.t("gui-tx-detail-intro"));
    ui.add_space(10.0);
    let amount = show_amount(app.lang, &tx.amount, &tx.currency);
    let expires = app.zone.date_time(app.lang, tx.expires_at);
    // Each signed field is shown whole, wrapped, never cut short; a field
    // the fonts cannot draw is not shown as if it were readable, and
    // cannot be approved.
    let mut readable = true;
    theme::group(ui, |ui| {
        for (label, value, size) in [
            ("gui-tx-payee", tx.payee.as_str(), 20.0),
            ("gui-tx-account", tx.account.as_str(), 17.0),
            ("gui-tx-amount", amount.as_str(), 28.0),
            ("gui-tx-reference", tx.reference.as_str(), 17.0),
            ("gui-tx-expires", expires.as_str(), 15.0),
        ] {
            let l = ui.label(RichText::new(app.t(label)).weak());
            let r = if drawable(ui.ctx(), value) {
                ui.add(egui::Label::new(RichText::new(value).size(size).strong()).wrap())
            } else {
                readable = false;
                theme::warning(ui, app.t("gui-tx-unreadable-field"))
            };
            r.labelled_by(l.id);
            if mixes_look_alike_scripts(value) {
                theme::warning(ui, app.t("gui-tx-look-alike"));
            }
            ui.add_space(4.0);
        }
    });
    ui.add_space(theme::SECTION);
    let live = app.now() < tx.expires_at;
    if !live {
        theme::warning(ui, app.t("gui-tx-expired-note"));
        ui.add_space(theme::GAP);
    }
    if !readable {
        theme::warning(ui, app.t("gui-tx-unreadable-note"));
        ui.add_space(theme::GAP);
    }
    let mut answer = None;
    ui.horizontal_wrapped(|ui| {
        let p = theme::palette(ui);
        let approve = egui::Button::new(
            RichText::new(app.t("gui-tx-approve"))
                .size(theme::LEAD)
                .strong()
                .color(p.on_accent),
        )
        .fill(p.accent)
        .wrap()
        .min_size(theme::ANSWER_BUTTON);
        if ui.add_enabled(live && readable, approve).clicked() {
            answer = Some(Decision::Approve);
        }
        let reject = egui::Button::new(RichText::new(app.t("gui-tx-reject")).size(theme::LEAD))
            .wrap()
            .min_size(theme::ANSWER_BUTTON);
        if ui.add_enabled(live, reject).clicked() {
            answer = Some(Decision::Reject);
        }
    });
    if let Some(d) = answer {
        return Action::Start(Job::TxAnswer(id, Box::new(tx.clone()), d), None);
    }
    ui.add_space(theme::GAP);
    if theme::button(ui, app.t("gui-back")).clicked() || keys.escape(ui) {
        return Action::OpenTx(id);
    }
    Action::None
}

pub(super) fn done(
    app: &IppunApp,
    ui: &mut egui::Ui,
    id: u64,
    decision: Decision,
    code: &str,
    keys: Keys,
) -> Action {
    let t = match decision {
        Decision::Approve => "gui-tx-approved-title",
        Decision::Reject => "gui-tx-rejected-title",
    };
    theme::title(ui, &app.t(t));
    ui.label(RichText::new(app.t("gui-tx-answered")).size(16.0));
    ui.add_space(10.0);
    let grouped = group_code(code);
    ui.label(
        RichText::new(app.tw("gui-tx-code", &[("code", &grouped)]))
            .size(theme::PROMINENT)
            .strong(),
    );
    ui.label(app.t("gui-tx-code-note"));
    ui.add_space(theme::SECTION);
    if theme::main_button(ui, app.t("gui-next"), true).clicked() || keys.enter(ui) {
        return Action::OpenTx(id);
    }
    Action::None
}
