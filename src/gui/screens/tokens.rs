//! All tokens: one row each (name, serial, state), and adding another.

use eframe::egui::{self, RichText};
use ippun_core::TokenState;

use super::super::action::Action;
use super::super::app::IppunApp;
use super::super::theme;
use super::{Screen, SetupForm};

pub(super) fn ui(app: &IppunApp, ui: &mut egui::Ui) -> Action {
    theme::title(ui, &app.t("gui-tokens-title"));
    let views = app.views();
    let mut action = Action::None;
    for v in &views {
        let state = match v.state {
            TokenState::Pending => app.t("gui-state-pending"),
            TokenState::Active => app.t("gui-state-active"),
            TokenState::RenewalDue { days_left } => {
                app.tw("gui-state-renewal", &[("days", &days_left.to_string())])
            }
            TokenState::Expired => app.t("gui-state-expired"),
        };
        let text = format!(
            "{}\n{} {} · {}",
            v.name,
            app.t("gui-serial"),
            v.serial,
            state
        );
        let b = egui::Button::new(RichText::new(text).size(16.0))
            .wrap()
            .min_size(egui::vec2(ui.available_width(), 52.0));
        if ui.add(b).clicked() {
            action = Action::OpenToken(v.id);
        }
        ui.add_space(4.0);
    }
    ui.add_space(theme::GAP);
    let room = views.len() < ippun_core::token::MAX_TOKENS;
    if theme::second_button(ui, app.t("gui-add-token"), room).clicked() {
        action = Action::Go(Screen::Setup(SetupForm::default()));
    }
    action
}
