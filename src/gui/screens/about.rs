//! About: the version, where the data and its key are kept, and the
//! licences.

use eframe::egui::{self, RichText};

use super::super::action::Action;
use super::super::app::IppunApp;
use super::super::theme;
use super::{Keys, Screen};

pub(super) fn ui(app: &IppunApp, ui: &mut egui::Ui, keys: Keys) -> Action {
    theme::title(ui, &app.t("gui-about-title"));
    ui.label(RichText::new(format!("ippun 一分 {}", env!("CARGO_PKG_VERSION"))).strong());
    ui.label(app.t("gui-about-what"));
    ui.add_space(theme::GAP);
    let fact = |ui: &mut egui::Ui, what: String, value: String, mono: bool| {
        ui.label(RichText::new(what).weak());
        let v = RichText::new(value);
        ui.label(if mono { v.monospace() } else { v });
        ui.add_space(2.0);
    };
    fact(
        ui,
        app.t("gui-about-data"),
        app.home.dir().display().to_string(),
        true,
    );
    fact(
        ui,
        app.t("gui-about-key-store"),
        app.key_store_text(),
        false,
    );
    fact(
        ui,
        app.t("gui-about-licence"),
        "Apache-2.0 OR MIT".into(),
        false,
    );
    fact(
        ui,
        app.t("gui-about-font"),
        "BIZ UDPGothic — SIL Open Font License 1.1".into(),
        false,
    );
    ui.add_space(6.0);
    theme::disclosure(ui, "ofl", &app.t("gui-about-ofl"), |ui| {
        ui.add(egui::Label::new(RichText::new(super::super::OFL_TEXT).small()).wrap());
    });
    ui.label(app.t("gui-about-crates"));
    ui.add_space(theme::GAP);
    if theme::button(ui, app.t("gui-back")).clicked() || keys.escape(ui) {
        return Action::Go(Screen::Settings);
    }
    Action::None
}
