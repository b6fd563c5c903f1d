//! The window, driven through `egui_kittest` by its accessible labels, against
//! the real demo center on a loopback port and a real vault in a temporary
//! data folder. Codes read off the screen are checked with the center.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::egui;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use ippun::gui::{DemoCenter, IppunApp, Options, Screen};
use ippun_center::{RelyingParty, Verdict};
use ippun_core::vault::KeyStorePolicy;
use ippun_core::{Clock, ErrorCode, Home, Lang, SteppingClock, SystemClock, Zone};

const DAY: u64 = 86_400;

/// A window on a data folder, with the demo center inside.
struct Gui {
    h: Harness<'static, IppunApp>,
    clock: Arc<SteppingClock>,
}

/// The demo center's port for a data folder: the same across restarts of
/// the window, as the app's own preferred port is.
fn port_for(dir: &Path) -> u16 {
    let file = dir.join("test-port");
    if let Some(p) = std::fs::read_to_string(&file)
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return p;
    }
    let p = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    std::fs::write(&file, p.to_string()).unwrap();
    p
}

fn now() -> Duration {
    SystemClock.now()
}

/// The zone the window shows times in, in these tests.
fn tokyo() -> Zone {
    Zone::named("Asia/Tokyo").expect("the system time-zone database has Asia/Tokyo")
}

fn home(dir: &Path) -> Home {
    Home::new(dir.to_path_buf()).with_policy(KeyStorePolicy::FileOnly)
}

impl Gui {
    /// Opens the window on `dir` with the demo center, in English.
    fn open(dir: &Path) -> Self {
        Self::open_with(
            dir,
            Lang::En,
            true,
            Arc::new(SteppingClock::new(now(), Duration::ZERO)),
        )
    }

    fn open_with(dir: &Path, lang: Lang, demo: bool, clock: Arc<SteppingClock>) -> Self {
        let app_clock: Arc<dyn Clock> = clock.clone();
        let demo =
            demo.then(|| DemoCenter::start(dir, port_for(dir), Arc::new(SystemClock)).unwrap());
        let options = Options {
            home: home(dir),
            lang: Some(lang),
            clock: app_clock,
            zone: tokyo(),
            demo,
            started: None,
        };
        let h = Harness::builder()
            .with_size(ippun::gui::WINDOW_SIZE)
            .build_eframe(move |cc| {
                ippun::gui::prepare(&cc.egui_ctx);
                IppunApp::new(options)
            });
        let mut g = Self { h, clock };
        g.settle();
        g
    }

    fn app(&self) -> &IppunApp {
        self.h.state()
    }

    /// Runs frames until nothing is pending now (timers a second away do
    /// not count).
    fn settle(&mut self) {
        for _ in 0..6 {
            self.h.step();
        }
    }

    /// Runs frames until `done` holds (a background call answered).
    fn wait(&mut self, what: &str, done: impl Fn(&IppunApp) -> bool) {
        let start = Instant::now();
        while !done(self.h.state()) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "timed out: {what}"
            );
            self.h.step();
            std::thread::sleep(Duration::from_millis(10));
        }
        self.settle();
    }

    /// Clicks the one control (button, check box, link) labelled `label`.
    fn click(&mut self, label: &str) {
        {
            let controls: Vec<_> = self
                .h
                .query_all_by_label(label)
                .filter(|n| {
                    matches!(
                        n.accesskit_node().role(),
                        Role::Button | Role::CheckBox | Role::Link | Role::Tab
                    )
                })
                .collect();
            assert_eq!(
                controls.len(),
                1,
                "one control labelled {label:?} on {:?}",
                self.app().screen()
            );
            controls[0].click();
        }
        self.settle();
    }

    fn has(&self, label: &str) -> bool {
        self.h.query_all_by_label(label).next().is_some()
    }

    fn has_text(&self, part: &str) -> bool {
        self.h.query_all_by_label_contains(part).next().is_some()
    }

    /// The one text field labelled `label`.
    fn field<'a>(&'a self, label: &'a str) -> egui_kittest::Node<'a> {
        let fields: Vec<_> = self
            .h
            .query_all_by_label(label)
            .filter(|n| {
                matches!(
                    n.accesskit_node().role(),
                    Role::TextInput | Role::PasswordInput | Role::MultilineTextInput
                )
            })
            .collect();
        assert_eq!(fields.len(), 1, "one field labelled {label:?}");
        fields[0]
    }

    fn type_into(&mut self, label: &str, text: &str) {
        self.field(label).focus();
        self.h.step();
        self.field(label).type_text(text);
        self.settle();
    }

    fn key(&mut self, key: egui::Key) {
        self.h.key_press(key);
        self.settle();
    }

    /// Settings, app lock, on with `code` (past the warning).
    fn turn_lock_on(&mut self, code: &str) {
        self.click("Settings");
        self.click("App lock");
        self.click("Turn app lock on");
        self.click("Continue");
        self.type_into("New lock code", code);
        self.type_into("New lock code again", code);
        self.click("Save");
    }

    /// The initial-setup form filled in and sent; waits for the answer.
    fn setup(&mut self, service: &str, user: &str, password: &str) {
        self.type_into("Service ID", service);
        self.type_into("User ID", user);
        self.type_into("Activation password", password);
        self.click("I agree to the terms of use of this service.");
        self.click("Send");
        self.wait("setup answer", |a| !a.busy());
    }

    /// Setup through to the screen after the display-name suffix.
    fn setup_ok(&mut self, service: &str, user: &str, password: &str) {
        self.setup(service, user, password);
        assert!(self.has("Setup complete"), "{:?}", self.app().screen());
        self.click("Next");
        assert!(self.has("Display name"));
        self.click("Next");
    }

    /// The text of the one label containing `part`.
    fn text(&self, part: &str) -> String {
        let n = self.h.get_by_label_contains(part).accesskit_node();
        n.value().or_else(|| n.label()).unwrap_or_default()
    }

    /// The expiry date the OTP screen shows (its value labelled "Valid
    /// until"), checked to be a date as English writes it: `1 Dec 2027`.
    fn expiry(&self) -> String {
        let date = self
            .h
            .query_by(|n| {
                n.label().as_deref() == Some("Valid until")
                    && n.value().is_some_and(|v| v != "Valid until")
            })
            .and_then(|n| n.accesskit_node().value())
            .unwrap_or_default();
        let parts: Vec<&str> = date.split(' ').collect();
        assert!(
            matches!(parts[..], [d, m, y] if d.parse::<u8>().is_ok()
                && m.len() == 3 && y.len() == 4 && y.parse::<u16>().is_ok()),
            "a date such as 1 Dec 2027, not {date:?}"
        );
        date
    }

    /// The code on the OTP screen, read from its accessible label.
    fn code(&self) -> String {
        let node = self.h.get_by_label_contains("One-time password ");
        let n = node.accesskit_node();
        let text = n.value().or_else(|| n.label()).unwrap_or_default();
        // Read digit by digit: "One-time password 2 7 5 4 3 0".
        let digits = text.strip_prefix("One-time password ").unwrap_or_default();
        assert!(
            digits.split(' ').all(|d| d.len() == 1),
            "spelled digit by digit: {text:?}"
        );
        digits.replace(' ', "")
    }

    fn error(&self) -> Option<ErrorCode> {
        self.app().error_code()
    }

    fn verify(&self, service: &str, user: &str, code: &str) -> Verdict {
        let d = self.app().demo_center().unwrap();
        let rp = RelyingParty {
            key_id: "test".into(),
            service_id: service.into(),
        };
        d.block_on(d.handle.verify(&rp, user, code))
            .unwrap()
            .unwrap()
    }

    /// Sets the app's clock `secs` ahead of the real clock (the center's),
    /// not within 5 s of a step's end, so that the two differ by exactly
    /// `secs / 60` steps while a request is under way.
    fn set_ahead_of_real_time(&mut self, secs: u64) {
        let into_step = now().as_secs() % 60;
        if into_step >= 55 {
            std::thread::sleep(Duration::from_secs(61 - into_step));
        }
        self.clock.set(now() + Duration::from_secs(secs));
        self.settle();
    }

    fn advance(&mut self, secs: u64) {
        self.clock.advance(Duration::from_secs(secs));
        self.settle();
    }
}

fn tmp() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().to_path_buf();
    (d, p)
}

#[test]
fn first_setup_to_first_code_accepted_by_the_center() {
    let (_d, dir) = tmp();
    let mut g = Gui::open(&dir);
    assert!(
        g.has("Initial setup"),
        "opens on initial setup with no token"
    );
    // Send stays disabled until every field is filled in and consent given.
    g.type_into("Service ID", "DEMO-BANK");
    g.click("Send");
    assert!(matches!(g.app().screen(), Screen::Setup(_)));
    assert!(!g.app().busy());
    g.type_into("User ID", "demo-user");
    g.type_into("Activation password", "demo-1111-2222");
    g.click("I agree to the terms of use of this service.");
    g.click("Send");
    g.wait("setup", |a| !a.busy());
    assert!(g.has("Setup complete"), "{:?}", g.app().screen());
    assert!(g.has_text("Serial number"));
    g.click("Next");
    g.type_into("Suffix", " (personal)");
    assert!(g.has("Shown as: Demo Bank (personal)"));
    g.click("Next");
    assert_eq!(g.error(), Some(ErrorCode::A918), "no outer spaces");
    g.click("Close");
    g.field("Suffix").focus();
    g.key(egui::Key::Home);
    g.key(egui::Key::Delete);
    assert!(g.has("Shown as: Demo Bank(personal)"));
    g.click("Next");
    assert!(
        g.has("Demo Bank(personal)"),
        "the first token opens on its code"
    );
    let code = g.code();
    assert_eq!(code.len(), 6, "{code}");
    assert!(matches!(
        g.verify("DEMO-BANK", "demo-user", &code),
        Verdict::Ok { .. }
    ));
    // The tab bar is there; the countdown says how long is left.
    assert!(g.has("Code") && g.has("Tokens") && g.has("Settings"));
    assert!(g.has_text(" s left"));
    // The next code shows only in the last 10 seconds of a step.
    let left = 60 - (g.clock.unix_seconds() % 60);
    if left > 10 {
        assert!(!g.has_text("Next one-time password"));
        g.advance(left - 5);
    }
    assert!(g.has_text("Next one-time password"));
}

#[test]
fn a_second_token_is_listed_and_each_shows_its_own_code() {
    let (_d, dir) = tmp();
    let mut g = Gui::open(&dir);
    g.setup_ok("DEMO-BANK", "demo-user", "demo-1111-2222");
    let first = g.code();
    g.click("Settings");
    g.click("Add a token");
    assert!(g.has("Add a token"));
    g.setup_ok("DEMO-SHINKIN", "demo-user", "demo-3333-4444");
    // With two tokens the list shows after setup.
    assert!(matches!(g.app().screen(), Screen::Tokens));
    let shinkin = g.h.get_by_label_contains("Demo Shinkin\n");
    shinkin.click();
    g.settle();
    let second = g.code();
    assert_eq!(second.len(), 8, "the second service has 8-digit codes");
    assert!(matches!(
        g.verify("DEMO-SHINKIN", "demo-user", &second),
        Verdict::Ok { .. }
    ));
    g.click("Tokens");
    g.h.get_by_label_contains("Demo Bank\n").click();
    g.settle();
    assert_eq!(g.code(), first);
}

#[test]
fn the_same_user_twice_is_a916_and_a_wrong_password_is_s0c1() {
    let (_d, dir) = tmp();
    let mut g = Gui::open(&dir);
    g.setup("DEMO-BANK", "no-such-user", "demo-0000-0000");
    assert_eq!(g.error(), Some(ErrorCode::S0C1));
    assert!(g.has("S0C1"), "the dialog shows the code");
    assert!(g.has(&ErrorCode::S0C1.message(Lang::En)));
    assert!(g.has(&ErrorCode::S0C1.remedy(Lang::En)));
    assert!(g.has("Copy diagnostics"));
    g.click("Copy diagnostics");
    g.click("Close");
    assert_eq!(g.error(), None);
    // Malformed input is refused before anything is sent.
    g.type_into("Service ID", "BAD ID");
    g.type_into("Activation password", "demo-0000-0000");
    g.click("Send");
    assert_eq!(g.error(), Some(ErrorCode::A911));
    g.key(egui::Key::Escape);
    assert_eq!(g.error(), None, "Esc closes the dialog");

    let (_d2, dir2) = tmp();
    let mut g = Gui::open(&dir2);
    g.setup_ok("DEMO-BANK", "demo-user", "demo-1111-2222");
    g.click("Settings");
    g.click("Add a token");
    g.setup("DEMO-BANK", "demo-user", "demo-1111-2222");
    assert_eq!(g.error(), Some(ErrorCode::A916));
}

#[test]
fn a_center_that_does_not_answer_is_a000() {
    let (_d, dir) = tmp();
    // A center profile for an address where nothing listens.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    ippun_core::profile::write(
        &dir,
        "bank",
        &ippun_core::profile::CenterProfile {
            name: "Bank".into(),
            url,
            center_key: format!("ed25519:{}", "11".repeat(32)),
        },
    )
    .unwrap();
    let clock = Arc::new(SteppingClock::new(now(), Duration::ZERO));
    let mut g = Gui::open_with(&dir, Lang::En, false, clock);
    g.setup("DEMO-BANK", "demo-user", "demo-1111-2222");
    assert_eq!(g.error(), Some(ErrorCode::A000));
    assert!(g.has("A000"));
}

#[test]
fn deleting_the_last_token_leads_back_to_setup() {
    let (_d, dir) = tmp();
    let mut g = Gui::open(&dir);
    g.setup_ok("DEMO-BANK", "demo-user", "demo-1111-2222");
    g.click("Settings");
    g.click("Delete a token");
    assert!(
        g.has("Delete “Demo Bank”?"),
        "the confirmation names the token"
    );
    g.click("Cancel");
    assert!(g.has("Settings"));
    g.click("Delete a token");
    g.click("Delete");
    assert!(g.has("All tokens deleted"));
    g.click("Next");
    assert!(g.has("Initial setup"));
}

#[test]
fn app_lock_on_wrong_right_change_off() {
    let (_d, dir) = tmp();
    {
        let mut g = Gui::open(&dir);
        g.setup_ok("DEMO-BANK", "demo-user", "demo-1111-2222");
        g.click("Settings");
        g.click("App lock");
        assert!(g.has("App lock is off."));
        g.click("Turn app lock on");
        assert!(g.has_text("cannot be recovered"), "a warning comes first");
        g.click("Continue");
        g.type_into("New lock code", "2468");
        g.type_into("New lock code again", "2469");
        g.click("Save");
        assert_eq!(g.error(), Some(ErrorCode::A913), "typed differently twice");
        g.click("Close");
        g.type_into("New lock code", "2468");
        g.type_into("New lock code again", "2468");
        g.click("Save");
        assert!(g.has("App lock is on: the lock code is asked for each time ippun opens."));
    }
    {
        let mut g = Gui::open(&dir);
        assert!(g.app().locked(), "opens locked");
        g.type_into("Lock code", "1111");
        g.click("Unlock");
        assert_eq!(g.error(), Some(ErrorCode::A914));
        g.click("Close");
        g.type_into("Lock code", "2468");
        g.key(egui::Key::Enter);
        assert!(g.has("Demo Bank"), "Enter unlocks: {:?}", g.app().screen());
        g.click("Settings");
        g.click("App lock");
        g.click("Change the lock code");
        g.type_into("Current lock code", "2468");
        g.type_into("New lock code", "1357");
        g.type_into("New lock code again", "1357");
        g.click("Save");
        assert_eq!(g.error(), None);
        assert!(g.has("The lock code was changed."));
    }
    {
        let mut g = Gui::open(&dir);
        g.type_into("Lock code", "1357");
        g.click("Unlock");
        g.click("Settings");
        g.click("App lock");
        g.click("Turn app lock off");
        g.click("Continue");
        g.type_into("Current lock code", "2468");
        g.click("Save");
        assert_eq!(
            g.error(),
            Some(ErrorCode::A914),
            "the old code no longer works"
        );
        g.click("Close");
        g.type_into("Current lock code", "1357");
        g.click("Save");
        assert!(g.has("App lock is off."));
    }
    let g = Gui::open(&dir);
    assert!(
        matches!(g.app().screen(), Screen::Otp(_)),
        "no lock screen any more"
    );
}

/// With the app lock on, the window locks again after the idle time
/// chosen (counted on the app's clock, started again by any use) and when
/// it is minimised; the data is closed and the lock screen asks as at the
/// start.
#[test]
fn app_lock_locks_again_when_idle_or_minimised() {
    let (_d, dir) = tmp();
    let mut g = Gui::open(&dir);
    g.setup_ok("DEMO-BANK", "demo-user", "demo-1111-2222");
    g.turn_lock_on("2468");
    assert!(g.has_text("locks by itself after this long without use"));
    g.click("1 min");
    let kept = std::fs::read_to_string(dir.join("settings.json")).unwrap();
    assert!(kept.contains(r#""auto_lock_minutes":1"#), "{kept}");
    g.click("Code");
    assert!(matches!(g.app().screen(), Screen::Otp(_)));

    // 59 s without use: still open. Then a use, and 59 s more: still open.
    g.advance(59);
    assert!(matches!(g.app().screen(), Screen::Otp(_)));
    g.h.input_mut()
        .events
        .push(egui::Event::PointerMoved(egui::pos2(20.0, 300.0)));
    g.settle();
    g.advance(59);
    assert!(g.app().data_open(), "a use starts the idle time again");
    // A minute since the last use: locked, the data closed.
    g.advance(1);
    assert!(g.app().locked(), "{:?}", g.app().screen());
    assert!(!g.app().data_open());
    g.type_into("Lock code", "1111");
    g.click("Unlock");
    assert_eq!(
        g.error(),
        Some(ErrorCode::A914),
        "a wrong code, as at the start"
    );
    g.click("Close");
    g.type_into("Lock code", "2468");
    g.key(egui::Key::Enter);
    assert!(g.app().data_open());
    assert!(matches!(g.app().screen(), Screen::Otp(_)));

    // Minimised: locked at once.
    g.h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .minimized = Some(true);
    g.settle();
    assert!(g.app().locked());
    assert!(!g.app().data_open());
}

/// A private session bus (`dbus-daemon`), gone with the value.
struct PrivateBus {
    daemon: std::process::Child,
    address: String,
}

impl PrivateBus {
    fn start() -> Self {
        use std::io::BufRead;
        let mut daemon = std::process::Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--nopidfile", "--print-address=1"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("dbus-daemon (scripts/install-deps.sh installs it)");
        let mut line = String::new();
        std::io::BufReader::new(daemon.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        Self {
            daemon,
            address: line.trim().to_owned(),
        }
    }

    /// Sends a screen saver's `ActiveChanged(active)`, as the desktop does.
    fn screen_saver(&self, iface: &str, active: bool) {
        let conn = zbus::blocking::connection::Builder::address(self.address.as_str())
            .unwrap()
            .build()
            .unwrap();
        let path = format!("/{}", iface.replace('.', "/"));
        conn.emit_signal(
            None::<&str>,
            path.as_str(),
            iface,
            "ActiveChanged",
            &(active),
        )
        .unwrap();
    }
}

impl Drop for PrivateBus {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

#[test]
fn app_lock_locks_when_the_desktop_session_locks() {
    let bus = PrivateBus::start();
    let (_d, dir) = tmp();
    let mut g = Gui::open(&dir);
    let ctx = g.h.ctx.clone();
    g.h.state_mut()
        .watch_screen_saver_at(&ctx, &bus.address)
        .unwrap();
    g.setup_ok("DEMO-BANK", "demo-user", "demo-1111-2222");
    // Without the app lock, a locked session leaves the window as it is.
    bus.screen_saver("org.freedesktop.ScreenSaver", true);
    std::thread::sleep(Duration::from_millis(300));
    g.settle();
    assert!(g.app().data_open());
    g.turn_lock_on("2468");
    g.click("Code");
    // The screen saver turning off is not a lock.
    bus.screen_saver("org.freedesktop.ScreenSaver", false);
    std::thread::sleep(Duration::from_millis(300));
    g.settle();
    assert!(
        g.app().data_open(),
        "a screen saver going away does not lock"
    );
    for iface in ["org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver"] {
        bus.screen_saver(iface, true);
        g.wait(iface, IppunApp::locked);
        assert!(!g.app().data_open(), "{iface}: the data is closed");
        g.type_into("Lock code", "2468");
        g.key(egui::Key::Enter);
        assert!(g.app().data_open(), "{iface}: unlocked again");
    }
}

#[test]
fn renewal_later_then_now() {
    let (_d, dir) = tmp();
    let expires_before;
    {
        let mut g = Gui::open(&dir);
        g.setup("DEMO-BANK", "renew-ok", "demo-renew-0001");
        g.click("Next");
        g.click("Next");
        assert!(g.has("Token renewal"), "90 days left: renewal is offered");
        g.click("Remind me later");
        assert!(matches!(g.app().screen(), Screen::Otp(_)));
        assert!(g.has_text("Renewal is open"));
        expires_before = g.expiry();
    }
    let mut g = Gui::open(&dir);
    assert!(g.has("Token renewal"), "asked again at the next launch");
    g.click("Renew now");
    g.wait("renewal", |a| !a.busy());
    assert_eq!(g.error(), None);
    assert!(g.has("Renewal complete"), "{:?}", g.app().screen());
    g.click("Next");
    let after = g.expiry();
    assert_ne!(after, expires_before, "a new expiry");
    let code = g.code();
    assert!(matches!(
        g.verify("DEMO-BANK", "renew-ok", &code),
        Verdict::Ok { .. }
    ));
}

#[test]
fn an_expired_only_token_leads_to_setup() {
    let (_d, dir) = tmp();
    let mut g = Gui::open(&dir);
    g.setup_ok("DEMO-BANK", "demo-user", "demo-1111-2222");
    g.advance(400 * DAY);
    assert!(
        g.has("Token expired"),
        "the open token turns to the expired notice"
    );
    assert!(g.has_text("set up a token again"));
    g.click("OK");
    assert!(g.has("Initial setup"));
}

#[test]
fn an_expired_token_among_several_is_deleted_and_the_list_stays() {
    let (_d, dir) = tmp();
    let mut g = Gui::open(&dir);
    g.setup("DEMO-BANK", "renew-ok", "demo-renew-0001");
    g.click("Next");
    g.click("Next");
    g.click("Remind me later");
    g.click("Settings");
    g.click("Add a token");
    g.setup_ok("DEMO-BANK", "demo-user", "demo-1111-2222");
    g.advance(100 * DAY);
    // "Demo Bank" and "Demo Bank_2": the renew-ok token came first.
    g.h.get_by_label_contains("Demo Bank\n").click();
    g.settle();
    assert!(g.has("Token expired"), "{:?}", g.app().screen());
    assert!(g.has_text("your other tokens are not affected"));
    g.click("Delete this token");
    assert!(matches!(g.app().screen(), Screen::Tokens));
    assert!(g.has_text("Demo Bank_2\n"));
    assert!(g.h.query_by_label_contains("Demo Bank\n").is_none());
}

#[test]
fn correction_learns_a_fast_clock() {
    let (_d, dir) = tmp();
    let mut g = Gui::open(&dir);
    g.setup_ok("DEMO-BANK", "correct-ok", "demo-correct-01");
    g.set_ahead_of_real_time(600);
    g.click("Settings");
    g.click("Password correction");
    assert!(g.has_text("wait 2–3 minutes"));
    g.click("Run");
    g.wait("correction", |a| !a.busy());
    assert_eq!(g.error(), None);
    assert!(
        g.has_text("about 600 seconds ahead of the center (10 steps)"),
        "{:?}",
        g.app().screen()
    );
    // The fast device's code is now accepted.
    g.click("Code");
    let code = g.code();
    let v = g.verify("DEMO-BANK", "correct-ok", &code);
    assert!(matches!(v, Verdict::Ok { .. }), "{v:?}");
}

#[test]
fn the_language_switches_and_is_kept() {
    let (_d, dir) = tmp();
    {
        let mut g = Gui::open(&dir);
        g.setup_ok("DEMO-BANK", "demo-user", "demo-1111-2222");
        g.click("Settings");
        g.click("日本語");
        assert_eq!(g.app().lang(), Lang::Ja);
        assert!(g.has("設定"));
        assert!(g.has("アプリロック"));
        g.click("パスワード");
        assert!(g.has_text("ワンタイムパスワード "));
        g.click("設定");
        g.click("エラーコード一覧");
        g.type_into("検索（コードまたは言葉）", "A998");
        assert!(g.has("A998"));
        assert!(!g.has("S0C1"), "only matching codes are listed");
    }
    let clock = Arc::new(SteppingClock::new(now(), Duration::ZERO));
    // No language given: the one chosen in settings is used.
    let app_clock: Arc<dyn Clock> = clock;
    let app = IppunApp::new(Options {
        home: home(&dir),
        lang: None,
        clock: app_clock,
        zone: tokyo(),
        demo: None,
        started: None,
    });
    assert_eq!(app.lang(), Lang::Ja);
}

#[test]
fn data_from_another_device_is_a998_and_can_be_put_aside() {
    let (_d, dir) = tmp();
    {
        let mut g = Gui::open(&dir);
        g.setup_ok("DEMO-BANK", "demo-user", "demo-1111-2222");
    }
    let clock: Arc<dyn Clock> = Arc::new(SteppingClock::new(now(), Duration::ZERO));
    let options = Options {
        home: home(&dir).with_machine_id("another-computer"),
        lang: Some(Lang::En),
        clock,
        zone: tokyo(),
        demo: None,
        started: None,
    };
    let mut h = Harness::builder()
        .with_size(ippun::gui::WINDOW_SIZE)
        .build_eframe(move |cc| {
            ippun::gui::prepare(&cc.egui_ctx);
            IppunApp::new(options)
        });
    h.run_steps(4);
    assert!(
        h.state().failure().map(ippun_core::Error::code) == Some(ErrorCode::A998),
        "{:?}",
        h.state().failure()
    );
    assert!(h.query_by_label_contains("A998: ").is_some());
    let vault = dir.join("vault.ippun");
    let before = std::fs::read(&vault).unwrap();
    h.get_by_label("Put the old data aside and start again")
        .click();
    h.run_steps(4);
    assert!(matches!(h.state().screen(), Screen::Setup(_)));
    let kept: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("vault.ippun.damaged-")
        })
        .collect();
    assert_eq!(kept.len(), 1, "the old file is kept aside");
    assert_eq!(std::fs::read(kept[0].path()).unwrap(), before, "unchanged");
}

#[test]
fn keyboard_tab_moves_through_the_form_and_esc_backs_out() {
    let (_d, dir) = tmp();
    let mut g = Gui::open(&dir);
    g.field("Service ID").focus();
    g.settle();
    assert!(g.field("Service ID").is_focused());
    g.key(egui::Key::Tab);
    assert!(
        g.field("User ID").is_focused(),
        "Tab goes to the next field"
    );
    g.key(egui::Key::Tab);
    assert!(g.field("Activation password").is_focused());
    g.setup_ok("DEMO-BANK", "demo-user", "demo-1111-2222");
    g.click("Settings");
    g.click("Version and licences");
    assert!(g.has_text("ippun 一分 "));
    g.key(egui::Key::Escape);
    assert!(
        matches!(g.app().screen(), Screen::Settings),
        "Esc backs out"
    );
    g.click("Error codes");
    g.key(egui::Key::Escape);
    assert!(matches!(g.app().screen(), Screen::Settings));
}

#[test]
fn the_transaction_tab_starts_confirmation_and_approves_and_rejects() {
    let (_d, dir) = tmp();
    let mut g = Gui::open(&dir);
    g.setup_ok("DEMO-BANK", "tx-user", "demo-tx-0001");
    let state = |g: &Gui, payee: &str| {
        let d = g.app().demo_center().unwrap();
        let all = d
            .block_on(d.handle.tx_all(Some("DEMO-BANK"), Some("tx-user"), false))
            .unwrap()
            .unwrap();
        all.into_iter()
            .find(|t| t.tx.payee == payee)
            .map(|t| t.state)
    };
    // The service offers it: the tab is there. The bank asked to start.
    g.click("Confirm");
    g.wait("list", |a| !a.busy());
    assert!(
        g.has("Your bank asks to start transaction confirmation on this computer."),
        "{:?}",
        g.app().screen()
    );
    g.click("Start transaction confirmation");
    g.wait("start and list", |a| {
        !a.busy() && matches!(a.screen(), Screen::Tx { inbox: Some(_), .. })
    });
    assert_eq!(state(&g, "ヤマダ タロウ").as_deref(), Some("pending"));

    // Review the first transfer: every detail, large; approve.
    g.click("Review the transfer to ヤマダ タロウ of 150,000 JPY");
    assert!(g.has("Confirm this transaction"));
    for detail in [
        "ヤマダ タロウ",
        "Demo Bank Shibuya 001 1234567",
        "150,000 JPY",
        "Rent for December",
    ] {
        assert!(g.has(detail), "{detail}");
    }
    g.click("Approve");
    g.wait("answer", |a| !a.busy());
    assert!(g.has("Approved"), "{:?}", g.app().screen());
    let code = g.text("Confirmation code: ");
    let digits: String = code.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(digits.len(), 8, "{code}");
    assert_eq!(state(&g, "ヤマダ タロウ").as_deref(), Some("approved"));

    // Back to the list: the other one waits; reject it.
    g.click("Next");
    g.wait("list", |a| {
        !a.busy() && matches!(a.screen(), Screen::Tx { inbox: Some(_), .. })
    });
    assert!(!g.has("Review the transfer to ヤマダ タロウ of 150,000 JPY"));
    g.click("Review the transfer to Example Trading Co. of 3,980 JPY");
    g.click("Reject");
    g.wait("answer", |a| !a.busy());
    assert!(g.has("Rejected"));
    assert_eq!(
        state(&g, "Example Trading Co.").as_deref(),
        Some("rejected")
    );
    g.click("Next");
    g.wait("list", |a| {
        !a.busy() && matches!(a.screen(), Screen::Tx { inbox: Some(_), .. })
    });
    assert!(g.has("No transactions are waiting for confirmation."));

    // A service without transaction confirmation has no such tab.
    g.click("Settings");
    g.click("Add a token");
    g.setup_ok("DEMO-SHINKIN", "demo-user", "demo-3333-4444");
    g.h.get_by_label_contains("Demo Shinkin\n").click();
    g.settle();
    assert!(matches!(g.app().screen(), Screen::Otp(_)));
    assert!(!g.has("Confirm"));
    g.click("Tokens");
    g.h.get_by_label_contains("Demo Bank\n").click();
    g.settle();
    assert!(g.has("Confirm"));

    // The service offers it, but the bank has not started it for this user.
    g.click("Settings");
    g.click("Add a token");
    g.setup_ok("DEMO-BANK", "demo-user", "demo-1111-2222");
    g.h.get_by_label_contains("Demo Bank_2\n").click();
    g.settle();
    g.click("Confirm");
    g.wait("list", |a| !a.busy());
    assert!(g.has("Transaction confirmation is not in use for this token."));
    assert!(!g.has_text("Review the transfer"));
}

/// What the window shows of a transaction is its signed text: every field
/// is one label whose accessible text is exactly the field the center
/// signed, long Japanese text included; look-alike alphabets are flagged;
/// text the fonts cannot draw is not shown as if readable and cannot be
/// approved; a list the center signed over hidden characters is refused
/// whole (A503).
#[test]
#[allow(clippy::too_many_lines)] // one story, read top to bottom
fn a_transaction_on_screen_is_exactly_its_signed_text() {
    use ippun_center::tx::NewTransaction;
    use ippun_core::txconfirm::Transaction;

    let (_d, dir) = tmp();
    let mut g = Gui::open(&dir);
    g.setup_ok("DEMO-BANK", "tx-user", "demo-tx-0001");
    g.click("Confirm");
    g.wait("list", |a| !a.busy());
    g.click("Start transaction confirmation");
    g.wait("start and list", |a| {
        !a.busy() && matches!(a.screen(), Screen::Tx { inbox: Some(_), .. })
    });
    let post = |g: &Gui, payee: &str, account: &str, reference: &str| -> Transaction {
        let d = g.app().demo_center().unwrap();
        let rp = RelyingParty {
            key_id: "test".into(),
            service_id: "DEMO-BANK".into(),
        };
        let new = NewTransaction {
            service: "DEMO-BANK".into(),
            user: "tx-user".into(),
            payee: payee.into(),
            account: account.into(),
            amount: "1234567".into(),
            currency: "JPY".into(),
            reference: reference.into(),
            expires_in_secs: Some(600),
        };
        d.block_on(d.handle.tx_post(&rp, &new)).unwrap().unwrap().tx
    };
    let check_again = |g: &mut Gui| {
        g.h.get_by_label("Check again").scroll_to_me();
        g.settle();
        g.click("Check again");
        g.wait("list", |a| !a.busy());
    };
    // The list is longer than the window: scroll to the button first.
    let review = |g: &mut Gui, payee: &str| {
        let label = format!("Review the transfer to {payee} of 1,234,567 JPY");
        g.h.get_by_label(&label).scroll_to_me();
        g.settle();
        g.click(&label);
        assert!(matches!(g.app().screen(), Screen::TxDetail { .. }));
    };
    let long = post(
        &g,
        "カ）ヤマダショウジ　株式会社山田商事　東京都千代田区丸の内一丁目本店営業部御中ＡＢＣ１２３４５６７８９０あいう",
        "みずほ銀行　丸の内中央支店（ﾏﾙﾉｳﾁﾁﾕｳｵｳ）普通預金　口座番号１２３４５６７　名義ﾔﾏﾀﾞ ﾀﾛｳ",
        "１２月分　家賃（Café Müller）",
    );
    let look_alike = post(&g, "Pаypal Japan", "Demo Bank 001 7654321", "Invoice 7");
    let undrawable = post(&g, "김철수 商店", "Demo Bank 002 1111111", "Order 8");
    check_again(&mut g);

    // Every field of the long one, exactly as signed.
    review(&mut g, &long.payee);
    assert!(
        matches!(g.app().screen(), Screen::TxDetail { tx, .. } if **tx == long),
        "the screen holds the signed transaction"
    );
    // In the computer's zone (Tokyo in these tests), to the minute.
    let answer_by = tokyo().date_time(Lang::En, long.expires_at);
    assert!(answer_by.ends_with(" JST"), "{answer_by}");
    for (field, signed) in [
        ("Payee", long.payee.as_str()),
        ("Account", long.account.as_str()),
        ("Reference", long.reference.as_str()),
        ("Amount", "1,234,567 JPY"),
        ("Answer by", answer_by.as_str()),
    ] {
        let shown: Vec<(Option<String>, Option<String>)> =
            g.h.query_all_by_label(signed)
                .map(|n| {
                    let a = n.accesskit_node();
                    assert_eq!(a.role(), Role::Label);
                    (a.label(), a.value())
                })
                .collect();
        assert_eq!(
            shown,
            [(Some(field.to_owned()), Some(signed.to_owned()))],
            "one label named {field}, its text the signed text"
        );
    }
    assert!(!g.has_text("can look the same"));
    assert!(!g.has_text("cannot display"));
    g.click("Back");
    g.wait("list", |a| !a.busy());

    // Latin with a Cyrillic letter: shown, with a warning.
    review(&mut g, &look_alike.payee);
    assert!(g.has(&look_alike.payee));
    assert!(g.has(
        "This mixes letters of different alphabets (such as Latin and Cyrillic) that can look the same. Please check it carefully."
    ));
    g.click("Back");
    g.wait("list", |a| !a.busy());

    // Hangul, which the window's fonts lack: not drawn as blank boxes,
    // Approve disabled, Reject possible.
    assert!(g.has("(contains characters this app cannot display)"));
    review(&mut g, &undrawable.payee);
    assert!(!g.has(&undrawable.payee));
    assert!(g.has("(contains characters this app cannot display)"));
    assert!(g.has_text("cannot be approved here"));
    let approve = g.h.get_by_label("Approve");
    assert!(approve.accesskit_node().is_disabled());
    g.click("Reject");
    g.wait("answer", |a| !a.busy());
    assert!(g.has("Rejected"));
    g.click("Next");
    g.wait("list", |a| !a.busy());

    // A center that skipped the rule signs what its table holds: the app
    // refuses the whole list.
    let d = g.app().demo_center().unwrap();
    d.block_on(
        sqlx::query("UPDATE transactions SET payee = $1 WHERE id = $2")
            .bind("Yamada \u{202e}evil\u{202c} Taro")
            .bind(&long.id)
            .execute(&d.handle.pool()),
    )
    .unwrap()
    .unwrap();
    check_again(&mut g);
    assert_eq!(g.error(), Some(ErrorCode::A503));
    assert!(!g.has_text("evil"));
}

/// Controls and text that reach past the window's right edge, or start
/// left of it: `(role, label, right edge)`.
fn cut_off(g: &Gui) -> Vec<(Role, String, f32)> {
    let width = g.h.ctx.content_rect().max.x;
    g.h.root()
        .children_recursive()
        .filter_map(|n| {
            let a = n.accesskit_node();
            let label = a.label().unwrap_or_default();
            if label.is_empty() || a.bounding_box().is_none() {
                return None;
            }
            let r = n.rect();
            (r.max.x > width + 0.5 || r.min.x < -0.5).then(|| (a.role(), label, r.max.x))
        })
        .collect()
}

#[test]
fn every_screen_stays_usable_at_200_percent_zoom() {
    use ippun::gui::{LockForm, LockMode, SetupForm};
    for lang in [Lang::Ja, Lang::En] {
        let (_d, dir) = tmp();
        let mut g = Gui::open(&dir);
        g.setup("DEMO-BANK", "tx-user", "demo-tx-0001");
        g.click("Next");
        g.click("Next");
        g.h.state_mut().set_lang(lang);
        g.settle();
        // Ctrl and + ten times, as a user zooms in: 100 % to 200 %.
        for _ in 0..10 {
            g.h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Plus);
            g.h.step();
        }
        g.settle();
        assert!(
            (g.h.ctx.zoom_factor() - 2.0).abs() < 1e-3,
            "zoomed to {}",
            g.h.ctx.zoom_factor()
        );
        let id = g.app().token_ids()[0];
        let screens: Vec<(&str, Screen)> = vec![
            ("code", Screen::Otp(id)),
            ("tokens", Screen::Tokens),
            ("settings", Screen::Settings),
            ("setup", Screen::Setup(SetupForm::default())),
            ("setup done", Screen::SetupDone { id, first: false }),
            (
                "suffix",
                Screen::Suffix {
                    id,
                    text: String::new(),
                    after_setup: false,
                },
            ),
            ("delete", Screen::Delete(id)),
            ("all deleted", Screen::AllDeleted),
            ("app lock", Screen::LockSettings(LockForm::default())),
            (
                "app lock change",
                Screen::LockSettings(LockForm {
                    mode: LockMode::Change,
                    ..LockForm::default()
                }),
            ),
            ("correction", Screen::Correction { id, result: None }),
            ("about", Screen::About),
            ("catalogue", Screen::Catalogue(String::new())),
            ("renewal", Screen::Renewal(id)),
            ("renewed", Screen::Renewed(id)),
            ("expired", Screen::Expired(id)),
            ("transactions", Screen::Tx { id, inbox: None }),
            (
                "transaction",
                Screen::TxDetail {
                    id,
                    tx: Box::new(ippun_core::txconfirm::Transaction {
                        id: "tx_0123456789abcdef01234567".into(),
                        payee: "カ）ヤマダショウジ　株式会社山田商事　本店営業部".into(),
                        account: "みずほ銀行　丸の内中央支店　普通預金　１２３４５６７".into(),
                        amount: "1234567".into(),
                        currency: "JPY".into(),
                        reference: "１２月分　家賃".into(),
                        created_at: now().as_secs(),
                        expires_at: now().as_secs() + 600,
                    }),
                },
            ),
        ];
        let mut found = Vec::new();
        for (name, screen) in screens {
            g.h.state_mut().show(screen);
            g.settle();
            found.extend(cut_off(&g).into_iter().map(|c| (name, c)));
        }
        g.h.state_mut()
            .show_error(ippun_core::Error::new(ErrorCode::S0C1));
        g.settle();
        found.extend(cut_off(&g).into_iter().map(|c| ("error dialog", c)));
        assert!(found.is_empty(), "{lang:?}: cut off at 200 %: {found:#?}");
        // Ctrl and 0: back to 100 %.
        g.h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Num0);
        g.settle();
        assert!((g.h.ctx.zoom_factor() - 1.0).abs() < 1e-3);
    }
}
