//! The app lock: the lock code, masked, and the wait after wrong codes.

use eframe::egui::{self, RichText};
use zeroize::Zeroizing;

use super::super::action::Action;
use super::super::app::IppunApp;
use super::super::theme;
use super::Keys;

/// `typed`: what is in the field; `wait`: seconds until another code may
/// be tried.
pub(in super::super) fn ui(
    app: &IppunApp,
    ui: &mut egui::Ui,
    typed: &mut Zeroizing<String>,
    wait: u64,
    modal: bool,
) -> Action {
    let keys = Keys { modal };
    ui.vertical_centered(|ui| {
        ui.add_space(40.0);
        ui.label(RichText::new("ippun 一分").size(28.0).strong());
        ui.add_space(24.0);
    });
    let r = theme::field(ui, &app.t("gui-lock-code"), typed, true);
    // The field takes the keyboard when nothing else has it, so the code
    // can be typed at once; Tab still reaches the button.
    if !modal && ui.memory(|m| m.focused().is_none()) {
        r.request_focus();
    }
    if wait > 0 {
        theme::warning(
            ui,
            app.tw("gui-lock-wait", &[("seconds", &wait.to_string())]),
        );
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs(1));
    }
    ui.add_space(theme::SECTION);
    let filled = !typed.is_empty();
    let go =
        theme::main_button(ui, app.t("gui-unlock"), filled).clicked() || (filled && keys.enter(ui));
    if go {
        return Action::Unlock(std::mem::take(typed));
    }
    Action::None
}
