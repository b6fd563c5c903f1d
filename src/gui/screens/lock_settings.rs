//! The app lock in settings: whether it is on, turning it on or off,
//! changing its code, and how long without use before the window locks
//! again.

use eframe::egui;

use super::super::action::Action;
use super::super::app::IppunApp;
use super::super::autolock;
use super::super::theme;
use super::{Keys, LockForm, LockMode, Screen};

pub(super) fn ui(app: &IppunApp, ui: &mut egui::Ui, f: &mut LockForm, keys: Keys) -> Action {
    theme::title(ui, &app.t("gui-lock-title"));
    let intro = match f.mode {
        LockMode::Menu => return menu(app, ui, f, keys),
        LockMode::Set => "gui-lock-set-intro",
        LockMode::Change => "gui-lock-change-intro",
        LockMode::Off => "gui-lock-off-intro",
    };
    ui.label(app.t(intro));
    ui.add_space(6.0);
    if matches!(f.mode, LockMode::Change | LockMode::Off) {
        theme::field(ui, &app.t("gui-lock-current"), &mut f.current, true);
    }
    if matches!(f.mode, LockMode::Set | LockMode::Change) {
        theme::field(ui, &app.t("gui-lock-new"), &mut f.new, true);
        theme::field(ui, &app.t("gui-lock-again"), &mut f.again, true);
    }
    ui.add_space(10.0);
    let filled = match f.mode {
        LockMode::Set => !f.new.is_empty() && !f.again.is_empty(),
        LockMode::Change => !f.current.is_empty() && !f.new.is_empty() && !f.again.is_empty(),
        LockMode::Off => !f.current.is_empty(),
        LockMode::Menu => false,
    };
    let go =
        theme::main_button(ui, app.t("gui-save"), filled).clicked() || (filled && keys.enter(ui));
    if theme::button(ui, app.t("gui-cancel")).clicked() || keys.escape(ui) {
        return Action::Go(Screen::LockSettings(LockForm::default()));
    }
    if go {
        // The codes leave the form with the action: it is empty whatever
        // the answer.
        return Action::ChangeLock(std::mem::take(f));
    }
    Action::None
}

fn menu(app: &IppunApp, ui: &mut egui::Ui, f: &mut LockForm, keys: Keys) -> Action {
    let on = app.vault().is_some_and(|v| v.lock_enabled());
    ui.label(app.t(if on {
        "gui-lock-is-on"
    } else {
        "gui-lock-is-off"
    }));
    ui.add_space(10.0);
    let mut action = Action::None;
    if on {
        if theme::main_button(ui, app.t("gui-lock-change"), true).clicked() {
            f.mode = LockMode::Change;
        }
        if theme::second_button(ui, app.t("gui-lock-turn-off"), true).clicked() {
            action = Action::WarnLock(LockMode::Off);
        }
        if let Some(m) = auto_lock_choice(app, ui) {
            action = Action::SetAutoLock(m);
        }
    } else if theme::main_button(ui, app.t("gui-lock-turn-on"), true).clicked() {
        action = Action::WarnLock(LockMode::Set);
    }
    ui.add_space(6.0);
    if theme::button(ui, app.t("gui-back")).clicked() || keys.escape(ui) {
        return Action::Go(Screen::Settings);
    }
    action
}

/// How long without use before the window locks again.
fn auto_lock_choice(app: &IppunApp, ui: &mut egui::Ui) -> Option<u32> {
    ui.add_space(10.0);
    ui.label(app.t("gui-autolock-intro"));
    let mut chosen = None;
    ui.horizontal_wrapped(|ui| {
        for m in autolock::CHOICES {
            let text = app.tw("gui-autolock-minutes", &[("minutes", &m.to_string())]);
            let on = app.idle.minutes() == m;
            if ui.add(egui::Button::selectable(on, text)).clicked() {
                chosen = Some(m);
            }
        }
    });
    chosen
}
