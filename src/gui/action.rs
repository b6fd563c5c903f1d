//! What a screen asks for, and the one place it is done.
//!
//! Screens only read the window's state; they return an [`Action`], which
//! [`IppunApp::apply`] carries out after the frame is drawn: it moves
//! between screens, changes the token data, starts an exchange with the
//! center, or opens a dialog. Reading a flow means reading the screen's
//! buttons and the matching arm here.

use std::time::{Duration, Instant};

use eframe::egui;
use ippun_core::{Error, ErrorCode, Lang, LockCode};
use zeroize::Zeroizing;

use super::app::{Dialog, IppunApp};
use super::screens::{LockForm, LockMode, Screen, SetupForm};
use super::task::Job;

/// What a screen asks for.
#[derive(Debug)]
#[must_use]
pub(crate) enum Action {
    /// Nothing: the screen stays, with what was typed.
    None,
    /// Show this screen.
    Go(Screen),
    /// The screen for the tokens there are: setup with none, the token's
    /// code with one, the list with several.
    Home,
    /// A token: its renewal question, its expired notice, or its code.
    OpenToken(u64),
    /// The token the settings and tabs are about.
    Select(u64),
    /// Transaction confirmation for a token, fetching what waits.
    OpenTx(u64),
    /// An exchange with the center, in the background.
    Start(Job, Option<Zeroizing<String>>),
    /// Shows an error; the screen stays.
    Fail(Error),
    /// Opens the token data with the typed lock code.
    Unlock(Zeroizing<String>),
    /// Puts damaged or foreign token data aside and starts afresh.
    StartOver,
    /// Closes the window.
    Quit,
    /// Copies the token's current code.
    CopyCode(u64),
    /// Shows a short message (a Fluent ID) in the status line.
    Say(&'static str),
    /// The language, now and for later launches.
    SetLang(Lang),
    /// The idle time before locking again, in minutes.
    SetAutoLock(u32),
    /// Saves a token's display-name suffix.
    Rename {
        id: u64,
        suffix: String,
        after_setup: bool,
    },
    /// Deletes a token (from its expired notice, or from settings).
    Delete { id: u64, expired: bool },
    /// Asks about renewal again later.
    RemindLater(u64),
    /// Turns the app lock on, changes its code, or turns it off, as the
    /// form says.
    ChangeLock(LockForm),
    /// The warning before turning the app lock on or off.
    WarnLock(LockMode),
    /// Closes the dialog.
    CloseDialog,
    /// One action, then another.
    Then(Box<Action>, Box<Action>),
}

impl Action {
    /// This, then `next`.
    pub(crate) fn then(self, next: Self) -> Self {
        match self {
            Self::None => next,
            first => Self::Then(Box::new(first), Box::new(next)),
        }
    }
}

impl IppunApp {
    /// Does what a screen or dialog asked for.
    #[allow(clippy::too_many_lines, reason = "one arm per action, each short")]
    pub(crate) fn apply(&mut self, ctx: &egui::Context, action: Action) {
        match action {
            Action::None => {}
            Action::Go(screen) => self.screen = screen,
            Action::Home => self.go_home(),
            Action::OpenToken(id) => self.open_token(id),
            Action::Select(id) => self.selected = Some(id),
            Action::OpenTx(id) => self.open_tx(ctx, id),
            Action::Start(job, password) => self.start(ctx, job, password),
            Action::Fail(e) => self.fail(e),
            Action::Unlock(code) => self.unlock(&code),
            Action::StartOver => self.start_over(),
            Action::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
            Action::CopyCode(id) => self.copy_code(id),
            Action::Say(id) => self.say(id),
            Action::SetLang(lang) => self.set_lang(lang),
            Action::SetAutoLock(minutes) => self.set_auto_lock(minutes),
            Action::Rename {
                id,
                suffix,
                after_setup,
            } => {
                if !self.change(|v| v.rename_token(id, &suffix)) {
                    return;
                }
                self.screen = Screen::Settings;
                if after_setup {
                    if self.views().len() == 1 {
                        self.open_token(id);
                    } else {
                        self.screen = Screen::Tokens;
                    }
                }
            }
            Action::Delete { id, expired } => self.delete(id, expired),
            Action::RemindLater(id) => {
                self.renewal_answered.insert(id);
                let now = self.now();
                self.change(|v| v.update_token(id, |t| t.renewal_postponed_at = Some(now)));
                self.screen = Screen::Otp(id);
            }
            Action::ChangeLock(form) => self.change_lock(&form),
            Action::WarnLock(mode) => self.dialog = Some(Dialog::LockWarning(mode)),
            Action::CloseDialog => self.dialog = None,
            Action::Then(first, next) => {
                self.apply(ctx, *first);
                self.apply(ctx, *next);
            }
        }
    }

    /// Deletes a token, from its expired notice or from settings: then the
    /// list, or with none left setup (expired) or "all deleted" (settings).
    fn delete(&mut self, id: u64, expired: bool) {
        if !self.change(|v| v.delete_token(id).map(|_| ())) {
            if !expired {
                self.screen = Screen::Settings;
            }
            return;
        }
        self.renewal_answered.remove(&id);
        self.selected = self.views().first().map(|v| v.id);
        self.screen = match (self.selected, expired) {
            (Some(_), _) => Screen::Tokens,
            (None, true) => Screen::Setup(SetupForm::default()),
            (None, false) => Screen::AllDeleted,
        };
    }

    /// Deletes a token as its Delete button in settings does (QA tours).
    pub fn delete_token(&mut self, id: u64) {
        self.delete(id, false);
    }

    /// A line under the screen for a few seconds.
    pub(crate) fn say(&mut self, id: &str) {
        let until = Instant::now() + Duration::from_secs(4);
        self.status = Some((self.t(id), until));
    }

    /// The app-lock form's Save: on success the menu says what changed; on
    /// a wrong or mistyped code the form is empty again and the dialog says
    /// why (A914, and the waits of A915 as on start).
    fn change_lock(&mut self, f: &LockForm) {
        let clock = self.clock.clone();
        let wrong = |_| Error::new(ErrorCode::A914);
        let result = match f.mode {
            LockMode::Set => LockCode::confirmed(&f.new, &f.again)
                .and_then(|code| self.with_vault(|v| v.set_lock(&code))),
            LockMode::Change => LockCode::confirmed(&f.new, &f.again).and_then(|new| {
                let current = LockCode::parse(&f.current).map_err(wrong)?;
                self.with_vault(|v| v.change_lock(&current, &new, &*clock))
            }),
            LockMode::Off => LockCode::parse(&f.current)
                .map_err(wrong)
                .and_then(|current| self.with_vault(|v| v.disable_lock(&current, &*clock))),
            LockMode::Menu => return,
        };
        match result {
            Ok(()) => {
                self.say(match f.mode {
                    LockMode::Set => "gui-lock-done-on",
                    LockMode::Change => "gui-lock-done-changed",
                    _ => "gui-lock-done-off",
                });
                self.screen = Screen::LockSettings(LockForm::default());
            }
            Err(e) => {
                self.screen = Screen::LockSettings(LockForm {
                    mode: f.mode,
                    ..LockForm::default()
                });
                self.fail(e);
            }
        }
    }
}
