//! The error catalogue (SPEC §5), searchable: every code with its message,
//! and on opening its phase, remedy and what the help desk checks.

use eframe::egui::{self, RichText};
use ippun_core::ErrorCode;

use super::super::action::Action;
use super::super::app::IppunApp;
use super::super::theme;
use super::{Keys, Screen};

pub(super) fn ui(app: &IppunApp, ui: &mut egui::Ui, q: &mut String, keys: Keys) -> Action {
    theme::title(ui, &app.t("gui-catalogue-title"));
    theme::field(ui, &app.t("gui-catalogue-search"), q, false);
    ui.add_space(6.0);
    let needle = q.trim().to_lowercase();
    let mut shown = 0;
    for code in ErrorCode::ALL {
        let e = code.explain(app.lang);
        let hay = format!("{} {} {}", e.code, e.message, e.remedy).to_lowercase();
        if !needle.is_empty() && !hay.contains(&needle) {
            continue;
        }
        shown += 1;
        theme::group(ui, |ui| {
            ui.label(RichText::new(e.code).monospace().strong());
            ui.label(&e.message);
            theme::disclosure(
                ui,
                ("code", e.code),
                &app.t("gui-catalogue-details"),
                |ui| {
                    for (what, text) in [
                        ("gui-catalogue-phase", &e.phase_label),
                        ("gui-catalogue-remedy", &e.remedy),
                        ("gui-catalogue-helpdesk", &e.helpdesk),
                    ] {
                        ui.label(RichText::new(app.t(what)).weak());
                        ui.label(text);
                    }
                },
            );
        });
    }
    if shown == 0 {
        ui.label(app.t("gui-catalogue-none"));
    }
    ui.add_space(theme::GAP);
    if theme::button(ui, app.t("gui-back")).clicked() || keys.escape(ui) {
        return Action::Go(Screen::Settings);
    }
    Action::None
}
