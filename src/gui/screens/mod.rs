//! The screens, one file each (or one per small group), and the one
//! function that draws whichever shows.
//!
//! A screen draws itself from the window's state, which it only reads,
//! and the state of its own form, which it may change; anything else it
//! wants done (go elsewhere, change the token data, talk to a center) it
//! returns as an [`Action`], applied in one place
//! ([`IppunApp::apply`](super::app::IppunApp)). The lock screen and the
//! start-up error are not screens here: they show whenever the token data
//! is locked or failed to open (see [`Data`](super::app::Data)).

use eframe::egui::{self, Key, RichText};
use ippun_core::Error;
use zeroize::Zeroizing;

use super::action::Action;
use super::app::{IppunApp, View};
use super::theme;
use crate::flows::{Correction, TxInbox};
use ippun_core::txconfirm::{Decision, Transaction};

mod about;
mod catalogue;
mod correction;
pub(super) mod dialog;
mod lock;
mod lock_settings;
mod otp;
mod renewal;
mod settings;
mod setup;
mod startup;
pub(super) mod tabs;
mod tokens;
mod tx;

pub(super) use lock::ui as lock_ui;
pub(super) use startup::ui as startup_ui;

/// Which screen shows while the token data is open.
#[derive(Debug)]
pub enum Screen {
    /// Initial setup / add a token.
    Setup(SetupForm),
    /// Setup complete; Next goes to the suffix.
    SetupDone { id: u64, first: bool },
    /// Display-name suffix (after setup, or from settings).
    Suffix {
        id: u64,
        text: String,
        after_setup: bool,
    },
    /// The code of one token.
    Otp(u64),
    /// All tokens.
    Tokens,
    /// Settings menu.
    Settings,
    /// Delete a token (confirmation).
    Delete(u64),
    /// The last token was deleted.
    AllDeleted,
    /// App lock on/off/change.
    LockSettings(LockForm),
    /// Password correction, with its result once run.
    Correction { id: u64, result: Option<Correction> },
    /// Version, licences, data location.
    About,
    /// The error catalogue, searchable.
    Catalogue(String),
    /// Renewal is open for this token.
    Renewal(u64),
    /// Renewal done.
    Renewed(u64),
    /// This token has expired.
    Expired(u64),
    /// Transaction confirmation: what waits (`None` before the first fetch).
    Tx { id: u64, inbox: Option<TxInbox> },
    /// One transaction, large, with approve and reject.
    TxDetail { id: u64, tx: Box<Transaction> },
    /// The answer was recorded; its confirmation code.
    TxDone {
        id: u64,
        decision: Decision,
        code: String,
    },
}

impl Screen {
    /// The token this screen is about, if it is about one.
    pub fn token(&self) -> Option<u64> {
        match self {
            Self::SetupDone { id, .. }
            | Self::Suffix { id, .. }
            | Self::Otp(id)
            | Self::Delete(id)
            | Self::Correction { id, .. }
            | Self::Renewal(id)
            | Self::Renewed(id)
            | Self::Expired(id)
            | Self::Tx { id, .. }
            | Self::TxDetail { id, .. }
            | Self::TxDone { id, .. } => Some(*id),
            Self::Setup(_)
            | Self::Tokens
            | Self::Settings
            | Self::AllDeleted
            | Self::LockSettings(_)
            | Self::About
            | Self::Catalogue(_) => None,
        }
    }

    /// Whether the tabs show under this screen (the main screens, not the
    /// steps of a flow).
    pub fn has_tabs(&self) -> bool {
        matches!(
            self,
            Self::Otp(_)
                | Self::Tokens
                | Self::Settings
                | Self::LockSettings(_)
                | Self::Correction { .. }
                | Self::About
                | Self::Catalogue(_)
                | Self::Delete(_)
                | Self::Suffix {
                    after_setup: false,
                    ..
                }
                | Self::Tx { .. }
                | Self::TxDetail { .. }
        )
    }
}

/// The setup form.
#[derive(Debug, Default)]
pub struct SetupForm {
    pub center: usize,
    pub service_id: String,
    pub user_id: String,
    pub password: Zeroizing<String>,
    pub consent: bool,
}

/// The app-lock form.
#[derive(Debug, Default)]
pub struct LockForm {
    /// What the form does.
    pub mode: LockMode,
    pub current: Zeroizing<String>,
    pub new: Zeroizing<String>,
    pub again: Zeroizing<String>,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Shows the state and the buttons.
    #[default]
    Menu,
    /// Turning it on: new code twice.
    Set,
    /// Changing: current, new twice.
    Change,
    /// Turning it off: current.
    Off,
}

/// Draws `screen` and says what to do next. `modal`: a dialog is over the
/// screen, so Enter and Escape are the dialog's.
pub(super) fn draw(app: &IppunApp, ui: &mut egui::Ui, screen: &mut Screen, modal: bool) -> Action {
    let keys = Keys { modal };
    match screen {
        Screen::Setup(form) => setup::form(app, ui, form, keys),
        Screen::SetupDone { id, .. } => setup::done(app, ui, *id, keys),
        Screen::Suffix {
            id,
            text,
            after_setup,
        } => setup::suffix(app, ui, *id, text, *after_setup, keys),
        Screen::Otp(id) => otp::ui(app, ui, *id),
        Screen::Tokens => tokens::ui(app, ui),
        Screen::Settings => settings::menu(app, ui),
        Screen::Delete(id) => settings::delete(app, ui, *id, keys),
        Screen::AllDeleted => settings::all_deleted(app, ui, keys),
        Screen::LockSettings(form) => lock_settings::ui(app, ui, form, keys),
        Screen::Correction { id, result } => correction::ui(app, ui, *id, result.as_ref(), keys),
        Screen::About => about::ui(app, ui, keys),
        Screen::Catalogue(q) => catalogue::ui(app, ui, q, keys),
        Screen::Renewal(id) => renewal::question(app, ui, *id, keys),
        Screen::Renewed(id) => renewal::renewed(app, ui, *id, keys),
        Screen::Expired(id) => renewal::expired(app, ui, *id, keys),
        Screen::Tx { id, inbox } => tx::inbox(app, ui, *id, inbox.as_ref()),
        Screen::TxDetail { id, tx } => tx::detail(app, ui, *id, tx, keys),
        Screen::TxDone { id, decision, code } => tx::done(app, ui, *id, *decision, code, keys),
    }
}

/// Enter and Escape, which belong to a dialog when one is open.
#[derive(Debug, Clone, Copy)]
pub(super) struct Keys {
    modal: bool,
}

impl Keys {
    /// Enter was pressed (and no dialog takes it).
    fn enter(self, ui: &egui::Ui) -> bool {
        !self.modal && ui.input(|i| i.key_pressed(Key::Enter))
    }

    /// Escape was pressed (and no dialog takes it).
    fn escape(self, ui: &egui::Ui) -> bool {
        !self.modal && ui.input(|i| i.key_pressed(Key::Escape))
    }
}

/// The token a screen is about, or home when it has gone.
fn token(app: &IppunApp, id: u64) -> Result<View, Action> {
    app.view(id).ok_or(Action::Home)
}

/// A code as a screen reader should say it: digit by digit (`2 7 5 4 3 0`).
pub(super) fn spelled(code: &str) -> String {
    let mut out = String::with_capacity(code.len() * 2);
    for (i, c) in code.chars().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Whether the window's fonts draw every character of `s`: a transaction
/// field with a character they lack would show a blank box instead of a
/// character that is signed, so it is not shown as if it were readable.
fn drawable(ctx: &egui::Context, s: &str) -> bool {
    ctx.fonts_mut(|f| f.has_glyphs(&egui::FontId::proportional(16.0), s))
}

/// A token's serial number and expiry date: side by side, or one under
/// the other where the window is narrow (zoomed in).
fn facts(app: &IppunApp, ui: &mut egui::Ui, v: &View) {
    let rows = [
        (app.t("gui-serial"), RichText::new(&v.serial).monospace()),
        (app.t("gui-expires"), RichText::new(app.date(v.expires_at))),
    ];
    if ui.available_width() < 320.0 {
        for (what, value) in rows {
            let l = ui.label(RichText::new(what).weak());
            ui.label(value).labelled_by(l.id);
        }
        return;
    }
    egui::Grid::new(("facts", v.id))
        .num_columns(2)
        .spacing([theme::SECTION, theme::GAP])
        .show(ui, |ui| {
            for (what, value) in rows {
                let l = ui.label(RichText::new(what).weak());
                ui.label(value).labelled_by(l.id);
                ui.end_row();
            }
        });
}

/// An error a screen found while drawing (`A999`: something that should
/// not happen), shown in the dialog.
fn internal(detail: &'static str) -> Error {
    Error::new(ippun_core::ErrorCode::A999).with_detail(detail)
}

#[cfg(test)]
mod tests {
    #[test]
    fn codes_are_spelled_digit_by_digit() {
        assert_eq!(super::spelled("275430"), "2 7 5 4 3 0");
        assert_eq!(super::spelled(""), "");
    }
}
