//! The window's state and its screens (SPEC §3–§4).
//!
//! One [`Screen`] at a time, a modal dialog on top when needed, and at most
//! one background [`Task`] talking to a center. Every string comes from the
//! Fluent files through [`Lang`].

use std::collections::HashSet;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use eframe::egui::{self, Key, RichText};
use ippun_core::{
    Clock, Error, ErrorCode, Home, Lang, LockCode, LockedVault, Opened, Token, TokenState, Vault,
    Zone,
};
use zeroize::Zeroizing;

use super::autolock::Idle;
use super::clip::Clip;
use super::demo::DemoCenter;
use super::prefs::Prefs;
use super::task::{Done, Job, Task};
use crate::flows::{Center, Correction, TxInbox};
use ippun_core::txconfirm::{Decision, Transaction};

/// How the window starts.
pub struct Options {
    /// The data folder.
    pub home: Home,
    /// The language (None: from the system locale).
    pub lang: Option<Lang>,
    /// The clock every screen reads.
    pub clock: Arc<dyn Clock>,
    /// The time zone dates and times are shown in (the computer's, or a
    /// fixed one in tests).
    pub zone: Zone,
    /// The embedded demo center, when started with `--demo`.
    pub demo: Option<DemoCenter>,
    /// When the program started: with `IPPUN_TIMING` set, the time to the
    /// first code on screen is printed on standard error (QA).
    pub started: Option<std::time::Instant>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("home", &self.home.dir())
            .field("lang", &self.lang)
            .field("demo", &self.demo.is_some())
            .finish_non_exhaustive()
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

/// Which screen shows.
#[derive(Debug)]
pub enum Screen {
    /// The vault could not be opened.
    Startup(Error),
    /// App lock: the code, masked.
    Lock(Zeroizing<String>),
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

/// A dialog over the screen.
#[derive(Debug)]
pub enum Dialog {
    /// An error: code, message, remedy, copy diagnostics.
    Error {
        error: Error,
        clock_offset: Option<i64>,
    },
    /// The warning before turning app lock on or off.
    LockWarning(LockMode),
}

/// The whole window state.
pub struct IppunApp {
    pub(crate) lang: Lang,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) zone: Zone,
    pub(crate) home: Home,
    pub(crate) vault: Option<Arc<Mutex<Vault>>>,
    pub(crate) locked: Option<LockedVault>,
    pub(crate) screen: Screen,
    pub(crate) dialog: Option<Dialog>,
    pub(crate) task: Option<Task>,
    pub(crate) demo: Option<DemoCenter>,
    pub(crate) centers: Vec<(String, Center)>,
    pub(crate) selected: Option<u64>,
    /// Tokens whose renewal question was answered this launch.
    pub(crate) renewal_answered: HashSet<u64>,
    pub(crate) clip: Clip,
    /// Time without use, for locking again.
    pub(crate) idle: Idle,
    /// A short status line ("copied", …) and until when it shows.
    pub(crate) status: Option<(String, std::time::Instant)>,
    /// Program start, until the first code is on screen (QA timing).
    pub(crate) timing: Option<std::time::Instant>,
    /// Program start, until the first frame is drawn (QA timing; the
    /// packages' smoke test waits for it).
    first_frame: Option<std::time::Instant>,
    /// Program start, for saying (QA timing) when a later launch asked
    /// this window to the front.
    started: Option<std::time::Instant>,
    /// Set when a later launch asks this window to the front.
    to_front: Arc<std::sync::atomic::AtomicBool>,
    /// This window's end of [`single`](super::single).
    #[allow(
        dead_code,
        reason = "held for its Drop: the socket file goes with the window"
    )]
    listening: Option<super::single::Listening>,
}

impl std::fmt::Debug for IppunApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IppunApp")
            .field("lang", &self.lang)
            .field("screen", &self.screen)
            .finish_non_exhaustive()
    }
}

/// Token facts a screen shows, read under the vault lock.
#[derive(Debug, Clone)]
pub(crate) struct View {
    pub id: u64,
    pub name: String,
    pub serial: String,
    pub expires_at: u64,
    pub state: TokenState,
    pub link_url: Option<String>,
    pub service_name: String,
    pub clock_offset: Option<i64>,
    /// The service offers transaction confirmation for this token.
    pub tx: bool,
}

impl View {
    fn of(t: &Token, now: u64) -> Self {
        Self {
            id: t.id,
            name: t.display_name(),
            serial: t.serial.clone(),
            expires_at: t.expires_at,
            state: t.state(now),
            link_url: t.link_url.clone(),
            service_name: t.service_name.clone(),
            clock_offset: t.clock_offset_secs,
            tx: t.tx_confirmation,
        }
    }
}

impl IppunApp {
    /// Opens the vault (or the lock screen) and picks the first screen.
    pub fn new(options: Options) -> Self {
        let lang = options
            .lang
            .or_else(|| super::saved_lang(options.home.dir()))
            .unwrap_or_else(Lang::detect);
        let mut centers = Vec::new();
        if let Some(d) = &options.demo {
            centers.push((lang.text("gui-demo-center"), d.center.clone()));
        } else {
            for p in ippun_core::profile::all(options.home.dir()) {
                if let Some(key) = p.key()
                    && crate::client::check_url(&p.url).is_ok()
                {
                    centers.push((
                        p.name.clone(),
                        Center {
                            url: p.url.clone(),
                            key,
                        },
                    ));
                }
            }
        }
        let idle = Idle::new(
            options.clock.now(),
            Prefs::load(options.home.dir()).auto_lock_minutes(),
        );
        let mut app = Self {
            lang,
            clock: options.clock,
            zone: options.zone,
            home: options.home,
            vault: None,
            locked: None,
            screen: Screen::Tokens,
            dialog: None,
            task: None,
            demo: options.demo,
            centers,
            selected: None,
            renewal_answered: HashSet::new(),
            clip: Clip::new(),
            idle,
            status: None,
            timing: None,
            first_frame: None,
            started: options.started,
            to_front: Arc::default(),
            listening: None,
        };
        if std::env::var_os("IPPUN_TIMING").is_some() {
            app.timing = options.started;
            app.first_frame = options.started;
        }
        match app.home.open() {
            Ok(Opened::Ready(v)) => {
                app.vault = Some(Arc::new(Mutex::new(v)));
                app.go_home();
            }
            Ok(Opened::Locked(l)) => {
                app.locked = Some(l);
                app.screen = Screen::Lock(Zeroizing::default());
            }
            Err(e) => app.screen = Screen::Startup(e),
        }
        app
    }

    /// The day of `unix` in the window's zone and language.
    pub(crate) fn date(&self, unix: u64) -> String {
        self.zone.date(self.lang, unix)
    }

    /// The text `id` in the current language.
    pub(crate) fn t(&self, id: &str) -> String {
        self.lang.text(id)
    }

    /// The text `id` with arguments.
    pub(crate) fn tw(&self, id: &str, args: &[(&str, &str)]) -> String {
        self.lang.text_with(id, args)
    }

    /// The current screen (tests).
    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    /// Whether the token data is open (decrypted in memory) (tests).
    pub fn data_open(&self) -> bool {
        self.vault.is_some()
    }

    /// The language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Shows `screen` (QA tours and tests).
    pub fn show(&mut self, screen: Screen) {
        self.screen = screen;
    }

    /// Shows `error` in the error dialog.
    pub fn show_error(&mut self, error: Error) {
        self.fail(error);
    }

    /// Closes any dialog.
    pub fn close_dialog(&mut self) {
        self.dialog = None;
    }

    /// Shows the warning that comes before turning app lock on or off.
    pub fn show_lock_warning(&mut self, mode: LockMode) {
        self.dialog = Some(Dialog::LockWarning(mode));
    }

    /// The tokens' ids, in the order added.
    pub fn token_ids(&self) -> Vec<u64> {
        self.views().iter().map(|v| v.id).collect()
    }

    /// The embedded demo center, when there is one.
    pub fn demo_center(&self) -> Option<&DemoCenter> {
        self.demo.as_ref()
    }

    /// The dialog's error code, if an error is shown.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match &self.dialog {
            Some(Dialog::Error { error, .. }) => Some(error.code()),
            _ => None,
        }
    }

    /// Whether a background job is running.
    pub fn busy(&self) -> bool {
        self.task.is_some()
    }

    pub(crate) fn now(&self) -> u64 {
        self.clock.unix_seconds()
    }

    pub(crate) fn vault(&self) -> Option<MutexGuard<'_, Vault>> {
        self.vault.as_ref().and_then(|v| v.lock().ok())
    }

    pub(crate) fn views(&self) -> Vec<View> {
        let now = self.now();
        self.vault()
            .map(|v| {
                v.tokens()
                    .tokens()
                    .iter()
                    .map(|t| View::of(t, now))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn view(&self, id: u64) -> Option<View> {
        let now = self.now();
        self.vault()?.tokens().get(id).map(|t| View::of(t, now))
    }

    /// Shows an error in the dialog.
    pub(crate) fn fail(&mut self, error: Error) {
        let clock_offset = self
            .selected
            .and_then(|id| self.view(id))
            .and_then(|v| v.clock_offset);
        self.dialog = Some(Dialog::Error {
            error,
            clock_offset,
        });
    }

    /// Runs a vault change; an error goes to the dialog.
    pub(crate) fn change(&mut self, f: impl FnOnce(&mut Vault) -> Result<(), Error>) -> bool {
        match self.with_vault(f) {
            Ok(()) => true,
            Err(e) => {
                self.fail(e);
                false
            }
        }
    }

    /// Runs `f` on the open vault (A999 when none is open).
    pub(crate) fn with_vault(
        &self,
        f: impl FnOnce(&mut Vault) -> Result<(), Error>,
    ) -> Result<(), Error> {
        match self.vault.as_ref().map(|v| v.lock()) {
            Some(Ok(mut v)) => f(&mut v),
            _ => Err(Error::new(ErrorCode::A999).with_detail("token data not open")),
        }
    }

    /// The screen after start, unlock, or finishing a flow: setup with no
    /// token, the token with one, the list with several.
    pub(crate) fn go_home(&mut self) {
        let views = self.views();
        match views.as_slice() {
            [] => self.screen = Screen::Setup(SetupForm::default()),
            [only] => self.open_token(only.id),
            _ => self.screen = Screen::Tokens,
        }
    }

    /// Opens a token: the renewal question, the expired notice, or its code.
    pub(crate) fn open_token(&mut self, id: u64) {
        self.selected = Some(id);
        let Some(v) = self.view(id) else {
            self.go_home();
            return;
        };
        self.screen = match v.state {
            TokenState::Expired => Screen::Expired(id),
            TokenState::RenewalDue { .. } if !self.renewal_answered.contains(&id) => {
                Screen::Renewal(id)
            }
            _ => Screen::Otp(id),
        };
    }

    /// Starts a background job.
    pub(crate) fn start(
        &mut self,
        ctx: &egui::Context,
        job: Job,
        password: Option<Zeroizing<String>>,
    ) {
        let Some(vault) = self.vault.clone() else {
            return;
        };
        let ctx = ctx.clone();
        self.task = Some(Task::start(
            job,
            password,
            vault,
            self.clock.clone(),
            move || {
                ctx.request_repaint();
            },
        ));
    }

    /// Opens transaction confirmation for `id` and fetches what waits.
    pub(crate) fn open_tx(&mut self, ctx: &egui::Context, id: u64) {
        self.selected = Some(id);
        self.screen = Screen::Tx { id, inbox: None };
        self.start(ctx, Job::TxList(id), None);
    }

    /// Takes a finished job's result.
    fn poll_task(&mut self, ctx: &egui::Context) {
        let Some(result) = self.task.as_ref().and_then(Task::poll) else {
            return;
        };
        self.task = None;
        match result {
            Ok(Done::Added(id)) => {
                let first = self.views().len() == 1;
                self.selected = Some(id);
                self.screen = Screen::SetupDone { id, first };
            }
            Ok(Done::Renewed(id)) => {
                self.renewal_answered.insert(id);
                self.screen = Screen::Renewed(id);
            }
            Ok(Done::Corrected(id, c)) => {
                self.screen = Screen::Correction {
                    id,
                    result: Some(c),
                };
            }
            Ok(Done::TxListed(id, inbox)) => {
                self.screen = Screen::Tx {
                    id,
                    inbox: Some(inbox),
                };
            }
            Ok(Done::TxStarted(id)) => self.open_tx(ctx, id),
            Ok(Done::TxAnswered(id, decision, code)) => {
                self.screen = Screen::TxDone { id, decision, code };
            }
            Err(e) => self.fail(e),
        }
    }

    /// Unlocks with the typed code (A914 wrong, A915 wait).
    pub fn unlock(&mut self, code: &str) {
        let Some(locked) = self.locked.as_mut() else {
            return;
        };
        let wait = locked.wait_remaining(&*self.clock);
        if wait > 0 {
            let e = Error::new(ErrorCode::A915).with_detail(format!("{wait} s"));
            self.fail(e);
            return;
        }
        let parsed = LockCode::parse(code).map_err(|_| Error::new(ErrorCode::A914));
        match parsed.and_then(|c| locked.unlock(&c, &*self.clock)) {
            Ok(v) => {
                self.locked = None;
                self.vault = Some(Arc::new(Mutex::new(v)));
                self.go_home();
            }
            Err(e) => {
                self.screen = Screen::Lock(Zeroizing::default());
                self.fail(e);
            }
        }
    }

    /// Answers later launches for the same data folder: each brings this
    /// window to the front (see [`single`](super::single)). Without the
    /// socket, later launches open windows of their own.
    pub fn listen_for_launches(&mut self, ctx: &egui::Context) {
        let (flag, ctx) = (self.to_front.clone(), ctx.clone());
        self.listening = super::single::listen(self.home.dir(), move || {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            ctx.request_repaint();
        })
        .ok();
    }

    /// Names the window for screen readers: `ippun`, with the token's name
    /// on its code screen.
    fn name_the_window(&self, ctx: &egui::Context) {
        let name = match &self.screen {
            Screen::Otp(id) => self.view(*id).map_or_else(
                || self.t("gui-window-a11y"),
                |v| self.tw("gui-window-a11y-token", &[("name", &v.name)]),
            ),
            _ => self.t("gui-window-a11y"),
        };
        ctx.accesskit_node_builder(egui::accesskit_root_id(), |n| n.set_label(name));
    }

    /// Brings the window to the front if a later launch asked.
    fn come_to_front(&mut self, ctx: &egui::Context) {
        if !self
            .to_front
            .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            return;
        }
        ctx.send_viewport_cmd(egui::ViewportCommand::Minimized(false));
        ctx.send_viewport_cmd(egui::ViewportCommand::Focus);
        ctx.send_viewport_cmd(egui::ViewportCommand::RequestUserAttention(
            egui::UserAttentionType::Informational,
        ));
        if std::env::var_os("IPPUN_TIMING").is_some()
            && let Some(t) = self.started
        {
            report_timing("asked to the front by a later launch", t);
        }
    }

    /// With the app lock on: locks again after the idle time, or when the
    /// window is minimised, unless an exchange with the center is under
    /// way (see [`autolock`](super::autolock)).
    fn auto_lock(&mut self, ctx: &egui::Context) {
        let lock_on = self.vault().is_some_and(|v| v.lock_enabled());
        let now = self.clock.now();
        let (used, minimised) = ctx.input(|i| {
            (
                i.events.iter().any(is_use),
                i.viewport().minimized == Some(true),
            )
        });
        if used || !lock_on {
            self.idle.used(now);
        }
        if lock_on && self.task.is_none() && (minimised || self.idle.left(now).is_zero()) {
            self.lock_again();
        }
    }

    /// Closes the token data: the decrypted data and keys are dropped
    /// (zeroized), a code copied here is cleared from the clipboard, and
    /// the lock screen asks for the lock code as at the start.
    pub(crate) fn lock_again(&mut self) {
        self.clip.clear_now();
        self.dialog = None;
        self.status = None;
        self.vault = None;
        match self.home.open() {
            Ok(Opened::Locked(l)) => {
                self.locked = Some(l);
                self.screen = Screen::Lock(Zeroizing::default());
            }
            // The lock was turned off meanwhile (by the command line).
            Ok(Opened::Ready(v)) => {
                self.vault = Some(Arc::new(Mutex::new(v)));
                self.go_home();
            }
            Err(e) => self.screen = Screen::Startup(e),
        }
    }

    /// A new idle time before locking again, kept for later launches.
    pub(crate) fn set_auto_lock(&mut self, minutes: u32) {
        self.idle.set_minutes(minutes);
        let mut p = Prefs::load(self.home.dir());
        p.auto_lock_minutes = Some(minutes);
        p.save(self.home.dir());
    }

    /// Puts the damaged or foreign token data aside and starts afresh.
    pub(crate) fn start_over(&mut self) {
        match self.home.start_over(&*self.clock) {
            Ok(_) => match self.home.open() {
                Ok(Opened::Ready(v)) => {
                    self.vault = Some(Arc::new(Mutex::new(v)));
                    self.go_home();
                }
                Ok(Opened::Locked(_)) => {
                    self.fail(Error::new(ErrorCode::A999).with_detail("new data is locked"));
                }
                Err(e) => self.fail(e),
            },
            Err(e) => self.fail(e),
        }
    }

    /// Copies the current code of `id`.
    pub(crate) fn copy_code(&mut self, id: u64) {
        let code = self.vault().and_then(|v| {
            let t = v.tokens().get(id)?;
            let g = t.generator().ok()?;
            g.current(&*self.clock).ok().map(|c| c.code.to_string())
        });
        let Some(code) = code.map(Zeroizing::new) else {
            return;
        };
        let text = if self.clip.copy(&code) {
            self.t("gui-copied")
        } else {
            self.t("gui-copy-failed")
        };
        self.status = Some((text, std::time::Instant::now() + Duration::from_secs(3)));
    }

    /// Where the device key is kept, for the about screen.
    pub(crate) fn key_store_text(&self) -> String {
        use ippun_core::vault::StoreKind;
        let id = match self.vault().and_then(|v| v.store_kind()) {
            Some(StoreKind::OsKeyring) => "gui-key-store-keyring",
            Some(StoreKind::File) => "gui-key-store-file",
            None => "gui-key-store-none",
        };
        self.t(id)
    }

    fn tabs(&mut self, ui: &mut egui::Ui) {
        let on_main = matches!(
            self.screen,
            Screen::Otp(_)
                | Screen::Tokens
                | Screen::Settings
                | Screen::LockSettings(_)
                | Screen::Correction { .. }
                | Screen::About
                | Screen::Catalogue(_)
                | Screen::Delete(_)
                | Screen::Suffix {
                    after_setup: false,
                    ..
                }
                | Screen::Tx { .. }
                | Screen::TxDetail { .. }
        );
        let has_tokens = !self.views().is_empty();
        if !on_main || !has_tokens || self.task.is_some() {
            return;
        }
        egui::Panel::bottom("tabs").show(ui, |ui| {
            ui.add_space(4.0);
            let tx_token = self
                .selected
                .and_then(|id| self.view(id))
                .filter(|v| v.tx)
                .map(|v| v.id);
            let n = if tx_token.is_some() { 4 } else { 3 };
            let ctx = ui.ctx().clone();
            ui.columns(n, |cols| {
                let otp = matches!(self.screen, Screen::Otp(_));
                let list = matches!(self.screen, Screen::Tokens);
                let tx = matches!(self.screen, Screen::Tx { .. } | Screen::TxDetail { .. });
                let settings = !otp && !list && !tx;
                // Four tabs leave less room: a little smaller, so that the
                // longest Japanese label stays on one line.
                let size = if n == 4 { 13.0 } else { 15.0 };
                let tab = |ui: &mut egui::Ui, on: bool, id: &str| {
                    ui.add_sized(
                        [ui.available_width(), 32.0],
                        egui::Button::selectable(on, RichText::new(self.lang.text(id)).size(size)),
                    )
                    .clicked()
                };
                let clicked_otp = tab(&mut cols[0], otp, "gui-tab-otp");
                let clicked_list = tab(&mut cols[1], list, "gui-tab-tokens");
                let clicked_tx = tx_token.is_some() && tab(&mut cols[2], tx, "gui-tab-tx");
                let clicked_settings = tab(&mut cols[n - 1], settings, "gui-tab-settings");
                if clicked_otp {
                    let id = self
                        .selected
                        .filter(|id| self.view(*id).is_some())
                        .or_else(|| self.views().first().map(|v| v.id));
                    if let Some(id) = id {
                        self.open_token(id);
                    }
                }
                if clicked_list {
                    self.screen = Screen::Tokens;
                }
                if clicked_tx && let Some(id) = tx_token {
                    self.open_tx(&ctx, id);
                }
                if clicked_settings {
                    self.screen = Screen::Settings;
                }
            });
            ui.add_space(4.0);
        });
    }

    fn busy_ui(&mut self, ui: &mut egui::Ui) {
        let Some(task) = &self.task else {
            return;
        };
        let what = match task.job() {
            Job::Setup { .. } => self.t("gui-busy-setup"),
            Job::Renew(_) => self.t("gui-busy-renew"),
            Job::Correct(_) => self.t("gui-busy-correct"),
            Job::TxList(_) | Job::TxStart(..) | Job::TxAnswer(..) => self.t("gui-busy-tx"),
        };
        ui.vertical_centered(|ui| {
            ui.add_space(40.0);
            ui.add(egui::Spinner::new().size(40.0));
            ui.add_space(12.0);
            ui.label(RichText::new(what).size(18.0));
            ui.add_space(12.0);
            let cancel = ui.button(self.t("gui-cancel"));
            if (cancel.clicked() || ui.input(|i| i.key_pressed(Key::Escape)))
                && let Some(t) = self.task.take()
            {
                t.cancel();
            }
        });
    }

    fn status_line(&mut self, ui: &mut egui::Ui) {
        if let Some((text, until)) = &self.status {
            if std::time::Instant::now() < *until {
                ui.vertical_centered(|ui| ui.label(RichText::new(text.as_str()).weak()));
            } else {
                self.status = None;
            }
        }
    }

    /// When the window next needs painting, with nothing happening: at the
    /// next whole second (the countdown), or sooner for a status line.
    fn next_repaint(&mut self) -> Duration {
        let now = self.clock.now();
        let to_second = Duration::from_secs(1)
            .checked_sub(Duration::from_nanos(u64::from(now.subsec_nanos())))
            .unwrap_or(Duration::from_secs(1));
        let mut next = to_second.max(Duration::from_millis(20));
        if let Some(d) = self.clip.tick() {
            next = next.min(d);
        }
        if let Some((_, until)) = &self.status {
            next = next.min(until.saturating_duration_since(std::time::Instant::now()));
        }
        if self.vault.is_some() && self.task.is_none() {
            next = next.min(self.idle.left(now).max(Duration::from_millis(20)));
        }
        next
    }
}

impl eframe::App for IppunApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.poll_task(ui.ctx());
        self.come_to_front(ui.ctx());
        self.auto_lock(ui.ctx());
        self.tabs(ui);
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    ui.set_max_width(ui.available_width());
                    if self.task.is_some() {
                        self.busy_ui(ui);
                    } else {
                        self.screen_ui(ui);
                    }
                    self.status_line(ui);
                });
        });
        self.dialog_ui(ui);
        self.name_the_window(ui.ctx());
        if let Some(t) = self.first_frame.take() {
            report_timing("first frame drawn", t);
        }
        let next = self.next_repaint();
        ui.ctx().request_repaint_after(next);
    }
}

/// Whether `e` is someone using the window (and not the window being
/// told about itself).
fn is_use(e: &egui::Event) -> bool {
    use egui::Event as E;
    matches!(
        e,
        E::Key { .. }
            | E::Text(_)
            | E::Paste(_)
            | E::Copy
            | E::Cut
            | E::PointerMoved(_)
            | E::PointerButton { .. }
            | E::MouseWheel { .. }
            | E::Touch { .. }
            | E::Zoom(_)
    )
}

/// QA timing (`IPPUN_TIMING`): says on stderr how long after `since`
/// `what` happened.
pub(crate) fn report_timing(what: &str, since: std::time::Instant) {
    let ms = since.elapsed().as_millis();
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!("ippun: {what} {ms} ms after start\n").as_bytes(),
    );
}

/// Shows `text` in the error dialog's format (tests and diagnostics).
pub fn diagnostics(error: &Error, clock: &dyn Clock, clock_offset: Option<i64>) -> String {
    error.diagnostics(env!("CARGO_PKG_VERSION"), clock.now(), clock_offset)
}

/// Whether Send is enabled: every field filled in and consent given. What
/// is typed is checked when Send is pressed (A911 names the field).
pub(crate) fn setup_ready(f: &SetupForm) -> bool {
    f.consent
        && !f.service_id.trim().is_empty()
        && !f.user_id.trim().is_empty()
        && !f.password.is_empty()
}
