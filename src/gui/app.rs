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

use super::action::Action;
use super::autolock::Idle;
use super::clip::Clip;
use super::demo::DemoCenter;
use super::prefs::Prefs;
use super::screens::{self, LockMode, Screen, SetupForm};
use super::task::{Done, Job, Task};
use super::theme;
use crate::flows::Center;

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

/// The token data: open, locked by the app lock, or not opened at all. The
/// screens of [`Screen`] show only while it is open; otherwise the lock
/// screen or the start-up error shows, so that what shows and what is in
/// memory cannot disagree.
pub(crate) enum Data {
    /// Decrypted, in memory.
    Open(Arc<Mutex<Vault>>),
    /// Waiting for the lock code; what is typed so far.
    Locked {
        vault: Box<LockedVault>,
        typed: Zeroizing<String>,
    },
    /// Could not be opened (damaged, foreign, unreadable).
    Failed(Error),
}

impl Data {
    fn of(opened: Result<Opened, Error>) -> Self {
        match opened {
            Ok(Opened::Ready(v)) => Self::Open(Arc::new(Mutex::new(v))),
            Ok(Opened::Locked(vault)) => Self::Locked {
                vault: Box::new(vault),
                typed: Zeroizing::default(),
            },
            Err(e) => Self::Failed(e),
        }
    }
}

/// The whole window state.
pub struct IppunApp {
    pub(crate) lang: Lang,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) zone: Zone,
    pub(crate) home: Home,
    pub(crate) data: Data,
    /// What shows while the data is open.
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
    /// Set when the desktop session locks (see [`session`](super::session)).
    session_locked: Arc<std::sync::atomic::AtomicBool>,
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
            data: Data::of(options.home.open()),
            home: options.home,
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
            session_locked: Arc::default(),
            listening: None,
        };
        if std::env::var_os("IPPUN_TIMING").is_some() {
            app.timing = options.started;
            app.first_frame = options.started;
        }
        app.go_home();
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

    /// The screen shown while the token data is open (tests).
    pub fn screen(&self) -> &Screen {
        &self.screen
    }

    /// Whether the token data is open (decrypted in memory) (tests).
    pub fn data_open(&self) -> bool {
        matches!(self.data, Data::Open(_))
    }

    /// Whether the lock screen shows (tests).
    pub fn locked(&self) -> bool {
        matches!(self.data, Data::Locked { .. })
    }

    /// Why the token data could not be opened, when the start-up error
    /// shows (tests and QA tours).
    pub fn failure(&self) -> Option<&Error> {
        match &self.data {
            Data::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// Shows the start-up error for `e` (QA tours).
    pub fn show_failure(&mut self, e: Error) {
        self.data = Data::Failed(e);
    }

    /// The language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// Shows `screen` (QA tours and tests).
    pub fn show(&mut self, screen: Screen) {
        // Someone (a QA tour, a test) is using the window.
        self.idle.used(self.clock.now());
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

    /// The open token data.
    fn open_data(&self) -> Option<&Arc<Mutex<Vault>>> {
        match &self.data {
            Data::Open(v) => Some(v),
            _ => None,
        }
    }

    pub(crate) fn vault(&self) -> Option<MutexGuard<'_, Vault>> {
        self.open_data().and_then(|v| v.lock().ok())
    }

    /// A token's display-name suffix.
    pub(crate) fn suffix_of(&self, id: u64) -> String {
        self.vault()
            .and_then(|v| v.tokens().get(id).map(|t| t.suffix.clone()))
            .unwrap_or_default()
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
        match self.open_data().map(|v| v.lock()) {
            Some(Ok(mut v)) => f(&mut v),
            _ => Err(Error::new(ErrorCode::A999).with_detail("token data not open")),
        }
    }

    /// The screen after start, unlock, or finishing a flow: setup with no
    /// token, the token with one, the list with several.
    pub(crate) fn go_home(&mut self) {
        if !self.data_open() {
            return;
        }
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
        let Some(vault) = self.open_data().cloned() else {
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
        let Data::Locked { vault, typed } = &mut self.data else {
            return;
        };
        *typed = Zeroizing::default();
        let wait = vault.wait_remaining(&*self.clock);
        if wait > 0 {
            let e = Error::new(ErrorCode::A915).with_detail(format!("{wait} s"));
            self.fail(e);
            return;
        }
        let parsed = LockCode::parse(code).map_err(|_| Error::new(ErrorCode::A914));
        match parsed.and_then(|c| vault.unlock(&c, &*self.clock)) {
            Ok(v) => {
                self.data = Data::Open(Arc::new(Mutex::new(v)));
                self.go_home();
            }
            Err(e) => self.fail(e),
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

    /// Locks the window when the desktop session locks, where the platform
    /// says so (see [`session`](super::session)).
    pub fn watch_session_locks(&mut self, ctx: &egui::Context) {
        // Connecting to the buses is off the first frame's path. Without a
        // source, the idle time and minimising still lock.
        let on_lock = self.on_session_lock(ctx);
        let _ = std::thread::Builder::new()
            .name("ippun-session".into())
            .spawn(move || super::session::watch(on_lock));
    }

    /// As [`watch_session_locks`](Self::watch_session_locks), on the screen
    /// savers of the session bus at `address` only (tests).
    pub fn watch_screen_saver_at(
        &mut self,
        ctx: &egui::Context,
        address: &str,
    ) -> Result<(), super::session::WatchError> {
        super::session::watch_screen_saver_at(address, self.on_session_lock(ctx))
    }

    fn on_session_lock(
        &self,
        ctx: &egui::Context,
    ) -> impl Fn(super::session::Source) + Send + Sync + Clone + 'static {
        let (flag, ctx) = (self.session_locked.clone(), ctx.clone());
        move |_| {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            ctx.request_repaint();
        }
    }

    /// Names the window for screen readers: `ippun`, with the token's name
    /// on its code screen.
    fn name_the_window(&self, ctx: &egui::Context) {
        let name = match (&self.data, &self.screen) {
            (Data::Open(_), Screen::Otp(id)) => self.view(*id).map_or_else(
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

    /// With the app lock on: locks again after the idle time, when the
    /// window is minimised or when the desktop session locks, unless an
    /// exchange with the center is under way (it finishes first; see
    /// [`autolock`](super::autolock)).
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
        let session = &self.session_locked;
        if !lock_on || !self.data_open() {
            session.store(false, std::sync::atomic::Ordering::SeqCst);
        }
        let session_locked = session.load(std::sync::atomic::Ordering::SeqCst);
        if lock_on
            && self.task.is_none()
            && (minimised || session_locked || self.idle.left(now).is_zero())
        {
            session.store(false, std::sync::atomic::Ordering::SeqCst);
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
        // The data goes first, so that it is never open twice.
        self.data = Data::Failed(Error::new(ErrorCode::A999).with_detail("locking"));
        self.data = Data::of(self.home.open());
        // The lock may have been turned off meanwhile (by the command line).
        self.go_home();
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
                    self.data = Data::Open(Arc::new(Mutex::new(v)));
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
        let copied = self.clip.copy(&code);
        self.say(if copied {
            "gui-copied"
        } else {
            "gui-copy-failed"
        });
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
            let cancel = theme::button(ui, self.t("gui-cancel"));
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
        if self.data_open() && self.task.is_none() {
            next = next.min(self.idle.left(now).max(Duration::from_millis(20)));
        }
        next
    }
}

impl IppunApp {
    /// Draws what shows: the start-up error, the lock screen, or the
    /// current screen; what it asks for.
    fn screen_ui(&mut self, ui: &mut egui::Ui) -> Action {
        let modal = self.dialog.is_some();
        if let Data::Failed(e) = &self.data {
            return screens::startup_ui(self, ui, e);
        }
        match &mut self.data {
            Data::Failed(_) => Action::None,
            Data::Locked { vault, typed } => {
                let wait = vault.wait_remaining(&*self.clock);
                let mut typed = std::mem::take(typed);
                let action = screens::lock_ui(self, ui, &mut typed, wait, modal);
                if let Data::Locked { typed: kept, .. } = &mut self.data {
                    *kept = typed;
                }
                action
            }
            Data::Open(_) => {
                let mut screen = std::mem::replace(&mut self.screen, Screen::Tokens);
                // The token on screen is the one the tabs and settings are
                // about.
                if let Some(id) = screen.token() {
                    self.selected = Some(id);
                }
                let action = screens::draw(self, ui, &mut screen, modal);
                self.screen = screen;
                self.first_code_timing();
                action
            }
        }
    }

    /// QA timing: the first code is on screen.
    fn first_code_timing(&mut self) {
        if let Screen::Otp(id) = self.screen
            && self.timing.is_some()
            && self.view(id).is_some_and(|v| {
                matches!(v.state, TokenState::Active | TokenState::RenewalDue { .. })
            })
            && let Some(t) = self.timing.take()
        {
            report_timing("first code on screen", t);
        }
    }
}

impl eframe::App for IppunApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let ctx = ui.ctx().clone();
        self.poll_task(&ctx);
        self.come_to_front(&ctx);
        self.auto_lock(&ctx);
        if self.data_open() {
            let tab = screens::tabs::ui(self, ui);
            self.apply(&ctx, tab);
        }
        // The panel is not filled: the window is cleared to its colour
        // (`clear_color`), so that the once-a-second repaint does not paint
        // every pixel twice (with software OpenGL, most of the idle cost).
        let frame = egui::Frame::central_panel(ui.style()).fill(egui::Color32::TRANSPARENT);
        egui::CentralPanel::default().frame(frame).show(ui, |ui| {
            egui::ScrollArea::vertical()
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    ui.set_max_width(ui.available_width());
                    if self.task.is_some() {
                        self.busy_ui(ui);
                    } else {
                        let action = self.screen_ui(ui);
                        self.apply(&ctx, action);
                    }
                    self.status_line(ui);
                });
        });
        if let Some(dialog) = &self.dialog {
            let action = screens::dialog::ui(self, &ctx, dialog);
            self.apply(&ctx, action);
        }
        self.name_the_window(&ctx);
        if let Some(t) = self.first_frame.take() {
            report_timing("first frame drawn", t);
        }
        let next = self.next_repaint();
        ctx.request_repaint_after(next);
    }

    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        visuals.panel_fill.to_normalized_gamma_f32()
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
