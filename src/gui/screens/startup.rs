//! The token data could not be opened: the error, its remedy, and for
//! damaged or foreign data (A996, A998) starting afresh.

use eframe::egui::{self, RichText};
use ippun_core::{Error, ErrorCode};

use super::super::action::Action;
use super::super::app::IppunApp;
use super::super::theme;

pub(in super::super) fn ui(app: &IppunApp, ui: &mut egui::Ui, e: &Error) -> Action {
    theme::title(ui, &app.t("gui-startup-title"));
    let code = e.code();
    ui.label(RichText::new(format!("{code}: {}", code.message(app.lang))).strong());
    ui.add_space(6.0);
    ui.label(code.remedy(app.lang));
    ui.add_space(theme::SECTION);
    let mut action = Action::None;
    if matches!(code, ErrorCode::A996 | ErrorCode::A998) {
        ui.label(app.t("gui-start-over-note"));
        if theme::main_button(ui, app.t("gui-start-over"), true).clicked() {
            action = Action::StartOver;
        }
    }
    if theme::button(ui, app.t("gui-quit")).clicked() {
        action = Action::Quit;
    }
    action
}
