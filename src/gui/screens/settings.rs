//! Settings: the token they are about, the menu, the language; and the
//! two steps of deleting a token.

use eframe::egui::{self, RichText};
use ippun_core::Lang;

use super::super::action::Action;
use super::super::app::IppunApp;
use super::super::theme;
use super::{Keys, LockForm, Screen, SetupForm};

pub(super) fn menu(app: &IppunApp, ui: &mut egui::Ui) -> Action {
    theme::title(ui, &app.t("gui-settings-title"));
    let views = app.views();
    let shown = app
        .selected
        .filter(|id| views.iter().any(|v| v.id == *id))
        .or_else(|| views.first().map(|v| v.id));
    let mut sel = shown;
    if views.len() > 1 {
        let l = ui.label(app.t("gui-settings-token"));
        let current = views
            .iter()
            .find(|v| Some(v.id) == sel)
            .map(|v| v.name.clone())
            .unwrap_or_default();
        egui::ComboBox::from_id_salt("settings-token")
            .selected_text(current)
            .width(ui.available_width() * 0.9)
            .show_ui(ui, |ui| {
                for v in &views {
                    ui.selectable_value(&mut sel, Some(v.id), &v.name);
                }
            })
            .response
            .labelled_by(l.id);
    }
    // The token shown is the one the settings and the tabs are about.
    let select = match sel {
        Some(id) if app.selected != Some(id) => Action::Select(id),
        _ => Action::None,
    };
    ui.add_space(theme::GAP);
    let room = views.len() < ippun_core::token::MAX_TOKENS;
    let item = |ui: &mut egui::Ui, id: &str, enabled: bool| {
        theme::row_button(ui, app.t(id), enabled).clicked()
    };
    let mut go = None;
    if item(ui, "gui-add-token", room) {
        go = Some(Screen::Setup(SetupForm::default()));
    }
    if item(ui, "gui-delete-token", sel.is_some()) {
        go = sel.map(Screen::Delete);
    }
    if item(ui, "gui-app-lock", true) {
        go = Some(Screen::LockSettings(LockForm::default()));
    }
    if item(ui, "gui-correction", sel.is_some()) {
        go = sel.map(|id| Screen::Correction { id, result: None });
    }
    if item(ui, "gui-display-name", sel.is_some()) {
        go = sel.map(|id| Screen::Suffix {
            id,
            text: app.suffix_of(id),
            after_setup: false,
        });
    }
    if item(ui, "gui-about", true) {
        go = Some(Screen::About);
    }
    if item(ui, "gui-catalogue", true) {
        go = Some(Screen::Catalogue(String::new()));
    }
    ui.add_space(10.0);
    let mut lang = None;
    ui.horizontal_wrapped(|ui| {
        ui.label(app.t("gui-language"));
        for (l, name) in [(Lang::Ja, "日本語"), (Lang::En, "English")] {
            if ui.selectable_label(app.lang == l, name).clicked() && app.lang != l {
                lang = Some(l);
            }
        }
    });
    let then = match (go, lang) {
        (Some(s), _) => Action::Go(s),
        (None, Some(l)) => Action::SetLang(l),
        (None, None) => Action::None,
    };
    select.then(then)
}

pub(super) fn delete(app: &IppunApp, ui: &mut egui::Ui, id: u64, keys: Keys) -> Action {
    let Some(v) = app.view(id) else {
        return Action::Go(Screen::Settings);
    };
    theme::title(ui, &app.t("gui-delete-title"));
    ui.label(RichText::new(app.tw("gui-delete-confirm", &[("name", &v.name)])).strong());
    ui.label(app.t("gui-delete-note"));
    ui.add_space(theme::SECTION);
    if theme::danger_button(ui, app.t("gui-delete")).clicked() {
        return Action::Delete { id, expired: false };
    }
    if theme::button(ui, app.t("gui-cancel")).clicked() || keys.escape(ui) {
        return Action::Go(Screen::Settings);
    }
    Action::None
}

pub(super) fn all_deleted(app: &IppunApp, ui: &mut egui::Ui, keys: Keys) -> Action {
    theme::title(ui, &app.t("gui-all-deleted-title"));
    ui.label(app.t("gui-all-deleted"));
    ui.add_space(theme::SECTION);
    if theme::main_button(ui, app.t("gui-next"), true).clicked() || keys.enter(ui) {
        return Action::Go(Screen::Setup(SetupForm::default()));
    }
    Action::None
}
