//! Password correction: what it does, running it, and what it learned
//! about the computer's clock.

use eframe::egui::{self, RichText};

use super::super::action::Action;
use super::super::app::IppunApp;
use super::super::task::Job;
use super::super::theme;
use super::{Keys, Screen};
use crate::flows::Correction;

pub(super) fn ui(
    app: &IppunApp,
    ui: &mut egui::Ui,
    id: u64,
    result: Option<&Correction>,
    keys: Keys,
) -> Action {
    let Some(v) = app.view(id) else {
        return Action::Go(Screen::Settings);
    };
    theme::title(ui, &app.t("gui-correction-title"));
    ui.label(RichText::new(&v.name).strong());
    ui.add_space(6.0);
    ui.label(app.t("gui-correction-intro"));
    ui.add_space(6.0);
    theme::warning(ui, app.t("gui-correction-check-clock"));
    ui.add_space(10.0);
    if let Some(c) = result {
        let secs = c.offset_seconds.unsigned_abs().to_string();
        let steps = c.offset_steps.unsigned_abs().to_string();
        let msg = match c.offset_seconds.cmp(&0) {
            std::cmp::Ordering::Greater => "cli-corrected-ahead",
            std::cmp::Ordering::Less => "cli-corrected-behind",
            std::cmp::Ordering::Equal => "cli-corrected-none",
        };
        theme::group(ui, |ui| {
            ui.label(RichText::new(app.tw(msg, &[("seconds", &secs), ("steps", &steps)])).strong());
            ui.label(app.t("cli-corrected-wait"));
        });
        ui.add_space(10.0);
    }
    if theme::main_button(ui, app.t("gui-correction-run"), true).clicked() {
        return Action::Start(Job::Correct(id), None);
    }
    if theme::button(ui, app.t("gui-back")).clicked() || keys.escape(ui) {
        return Action::Go(Screen::Settings);
    }
    Action::None
}
