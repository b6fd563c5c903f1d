//! The dialogs over a screen: an error (code, message, remedy, copying the
//! diagnostics for the help desk) and the warning before the app lock is
//! turned on or off.

use eframe::egui::{self, Key, RichText};

use super::super::action::Action;
use super::super::app::{Dialog, IppunApp, diagnostics};
use super::super::theme;
use super::{LockForm, LockMode, Screen};

/// Draws `dialog`; what to do next. Closing is an action like any other.
pub(in super::super) fn ui(app: &IppunApp, ctx: &egui::Context, dialog: &Dialog) -> Action {
    match dialog {
        Dialog::Error {
            error,
            clock_offset,
        } => {
            let code = error.code();
            let mut action = Action::None;
            egui::Modal::new(egui::Id::unique("error-dialog")).show(ctx, |ui| {
                ui.set_max_width(theme::dialog_width(ctx));
                ui.label(RichText::new(app.t("gui-error-title")).size(18.0).strong());
                ui.add_space(6.0);
                ui.label(RichText::new(code.as_str()).size(26.0).monospace().strong());
                ui.label(RichText::new(code.message(app.lang)).strong());
                ui.add_space(6.0);
                ui.label(code.remedy(app.lang));
                ui.add_space(10.0);
                ui.horizontal_wrapped(|ui| {
                    if theme::button(ui, app.t("gui-copy-diagnostics")).clicked() {
                        ui.ctx()
                            .copy_text(diagnostics(error, &*app.clock, *clock_offset));
                        action = Action::Say("gui-diagnostics-copied");
                    }
                    if theme::main_button(ui, app.t("gui-close"), true).clicked()
                        || ui.input(|i| i.key_pressed(Key::Escape))
                    {
                        action = Action::CloseDialog;
                    }
                });
            });
            action
        }
        Dialog::LockWarning(mode) => {
            let mode = *mode;
            let mut action = Action::None;
            egui::Modal::new(egui::Id::unique("lock-warning")).show(ctx, |ui| {
                ui.set_max_width(theme::dialog_width(ctx));
                ui.label(
                    RichText::new(app.t("gui-lock-warning-title"))
                        .size(18.0)
                        .strong(),
                );
                ui.add_space(6.0);
                ui.label(app.t(if mode == LockMode::Off {
                    "gui-lock-warning-off"
                } else {
                    "gui-lock-warning-on"
                }));
                ui.add_space(10.0);
                ui.horizontal_wrapped(|ui| {
                    if theme::main_button(ui, app.t("gui-continue"), true).clicked() {
                        action =
                            Action::CloseDialog.then(Action::Go(Screen::LockSettings(LockForm {
                                mode,
                                ..LockForm::default()
                            })));
                    }
                    if theme::button(ui, app.t("gui-cancel")).clicked()
                        || ui.input(|i| i.key_pressed(Key::Escape))
                    {
                        action = Action::CloseDialog;
                    }
                });
            });
            action
        }
    }
}
