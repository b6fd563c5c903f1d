//! Renders every screen of the window into PNG files, in one language:
//! a real window (glow), the real demo center, a real vault in a temporary
//! data folder. `scripts/screenshots.sh` runs it under Xvfb for both
//! languages.
//!
//! `cargo run --example screens -- OUT_DIR ja|en [SCALE] [light|dark] [ZOOM]`
//! (SCALE: the display's scale factor, 1 by default; 1.5 shows what
//! high-density screens get; light unless dark is asked for; ZOOM: the
//! user's Ctrl +/− zoom in the default-sized window, 1 by default).
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use eframe::egui;
use ippun::flows::{self, Correction, TxInbox};
use ippun::gui::{DemoCenter, IppunApp, LockForm, LockMode, Options, Screen, SetupForm};
use ippun_core::vault::KeyStorePolicy;
use ippun_core::{Clock, ErrorCode, Home, Lang, LockCode, Opened, SteppingClock, SystemClock};
use zeroize::Zeroizing;

const LOCK_CODE: &str = "2468";
const DAY: u64 = 86_400;

type Act = Box<dyn FnMut(&mut IppunApp, &SteppingClock)>;

struct Step {
    name: &'static str,
    act: Act,
}

fn step(name: &'static str, act: impl FnMut(&mut IppunApp, &SteppingClock) + 'static) -> Step {
    Step {
        name,
        act: Box::new(act),
    }
}

struct Tour {
    app: IppunApp,
    clock: Arc<SteppingClock>,
    steps: Vec<Step>,
    next: usize,
    frames_to_wait: u32,
    saved: Arc<AtomicUsize>,
    asked: usize,
    out: PathBuf,
    lang: Lang,
    suffix: String,
    errors: Arc<Mutex<Vec<String>>>,
}

impl eframe::App for Tour {
    fn clear_color(&self, visuals: &egui::Visuals) -> [f32; 4] {
        self.app.clear_color(visuals)
    }

    fn ui(&mut self, ui: &mut egui::Ui, frame: &mut eframe::Frame) {
        self.app.ui(ui, frame);
        let ctx = ui.ctx().clone();
        ctx.request_repaint_after(Duration::from_millis(30));
        if self.frames_to_wait > 0 {
            self.frames_to_wait -= 1;
            return;
        }
        if self.saved.load(Ordering::Acquire) < self.asked || self.app.busy() {
            return;
        }
        if self.next > 0 && self.asked < self.next {
            // Take the picture of the step just set up.
            let name = self.steps[self.next - 1].name;
            let path = self.out.join(format!(
                "{}{}-{:02}-{name}.png",
                self.lang.as_str(),
                self.suffix,
                self.next
            ));
            let saved = self.saved.clone();
            let errors = self.errors.clone();
            self.asked += 1;
            ctx.request_screenshot(move |image| {
                if let Err(e) = save_png(&path, &image) {
                    errors
                        .lock()
                        .unwrap()
                        .push(format!("{}: {e}", path.display()));
                }
                saved.fetch_add(1, Ordering::Release);
            });
            return;
        }
        if self.next == self.steps.len() {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            return;
        }
        let s = &mut self.steps[self.next];
        (s.act)(&mut self.app, &self.clock);
        self.next += 1;
        self.frames_to_wait = 15;
    }
}

fn save_png(path: &Path, image: &egui::ColorImage) -> Result<(), String> {
    let file = std::fs::File::create(path).map_err(|e| e.to_string())?;
    let [w, h] = image.size;
    let mut enc = png::Encoder::new(
        std::io::BufWriter::new(file),
        u32::try_from(w).map_err(|e| e.to_string())?,
        u32::try_from(h).map_err(|e| e.to_string())?,
    );
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(|e| e.to_string())?;
    let bytes: Vec<u8> = image
        .pixels
        .iter()
        .flat_map(egui::Color32::to_array)
        .collect();
    writer.write_image_data(&bytes).map_err(|e| e.to_string())
}

fn home(dir: &Path) -> Home {
    Home::new(dir.to_path_buf()).with_policy(KeyStorePolicy::FileOnly)
}

/// Two tokens (a 365-day one with transaction confirmation started and two
/// transfers waiting, and one in its renewal period) set up through the
/// real exchange, and app lock on. Returns what waits for confirmation.
fn prepare(dir: &Path, demo: &DemoCenter, clock: &dyn Clock) -> TxInbox {
    let Ok(Opened::Ready(vault)) = home(dir).open() else {
        panic!("a new data folder opens ready");
    };
    let vault = Mutex::new(vault);
    let no = std::sync::atomic::AtomicBool::new(false);
    for (s, u, p) in [
        ("DEMO-BANK", "tx-user", "demo-tx-0001"),
        ("DEMO-BANK", "renew-ok", "demo-renew-0001"),
    ] {
        flows::setup(
            &vault,
            &demo.center,
            s,
            u,
            &Zeroizing::new(p.into()),
            clock,
            &no,
        )
        .unwrap();
    }
    let first = flows::tx_list(&vault, 0, clock, &no).unwrap();
    flows::tx_start(&vault, 0, &first.start.unwrap().id, clock, &no).unwrap();
    let inbox = flows::tx_list(&vault, 0, clock, &no).unwrap();
    let mut v = vault.into_inner().unwrap();
    v.rename_token(0, "(普通預金)").unwrap();
    v.set_lock(&LockCode::parse(LOCK_CODE).unwrap()).unwrap();
    inbox
}

#[allow(clippy::too_many_lines)] // a list
fn steps(inbox: &TxInbox) -> Vec<Step> {
    let starting = TxInbox {
        enabled: false,
        start: Some(ippun_core::txconfirm::PendingStart {
            id: "txs_000000000000000000000000".into(),
            requested_at: inbox.center_time,
        }),
        transactions: Vec::new(),
        center_time: inbox.center_time,
    };
    let listed = inbox.clone();
    let first_tx = Box::new(inbox.transactions[0].clone());
    // The longest payee and account the rule allows, as Japanese banks
    // write them; then a look-alike alphabet and a script the fonts lack.
    let made = |payee: &str, account: &str, reference: &str| {
        Box::new(ippun_core::txconfirm::Transaction {
            id: "tx_0123456789abcdef01234567".into(),
            payee: payee.into(),
            account: account.into(),
            amount: "1234567".into(),
            currency: "JPY".into(),
            reference: reference.into(),
            created_at: inbox.center_time,
            expires_at: inbox.center_time + 600,
        })
    };
    let long_tx = made(
        "カ）ヤマダショウジ　株式会社山田商事　東京都千代田区丸の内一丁目本店営業部御中ＡＢＣ１２３４５６７８９０あいう",
        "みずほ銀行　丸の内中央支店（ﾏﾙﾉｳﾁﾁﾕｳｵｳ）普通預金　口座番号１２３４５６７　名義ﾔﾏﾀﾞ ﾀﾛｳ",
        "１２月分　家賃（Café Müller）",
    );
    let warned_tx = made("Pаypal Japan", "김철수 商店 001 1234567", "Invoice 7");
    vec![
        step("lock", |_, _| {}),
        step("otp", |app, _| {
            app.unlock(LOCK_CODE);
            let first = app.token_ids()[0];
            app.show(Screen::Otp(first));
        }),
        step("tokens", |app, _| app.show(Screen::Tokens)),
        step("tx-start", move |app, _| {
            let id = app.token_ids()[0];
            app.show(Screen::Tx {
                id,
                inbox: Some(starting.clone()),
            });
        }),
        step("tx-list", move |app, _| {
            let id = app.token_ids()[0];
            app.show(Screen::Tx {
                id,
                inbox: Some(listed.clone()),
            });
        }),
        step("tx-detail", move |app, _| {
            let id = app.token_ids()[0];
            app.show(Screen::TxDetail {
                id,
                tx: first_tx.clone(),
            });
        }),
        step("tx-detail-long", move |app, _| {
            let id = app.token_ids()[0];
            app.show(Screen::TxDetail {
                id,
                tx: long_tx.clone(),
            });
        }),
        step("tx-detail-warnings", move |app, _| {
            let id = app.token_ids()[0];
            app.show(Screen::TxDetail {
                id,
                tx: warned_tx.clone(),
            });
        }),
        step("tx-approved", |app, _| {
            let id = app.token_ids()[0];
            app.show(Screen::TxDone {
                id,
                decision: ippun_core::txconfirm::Decision::Approve,
                code: "21560736".into(),
            });
        }),
        step("renewal", |app, _| {
            let id = app.token_ids()[1];
            app.show(Screen::Renewal(id));
        }),
        step("renewed", |app, _| {
            let id = app.token_ids()[1];
            app.show(Screen::Renewed(id));
        }),
        step("settings", |app, _| app.show(Screen::Settings)),
        step("add-token", |app, _| {
            app.show(Screen::Setup(SetupForm::default()));
        }),
        step("error-dialog", |app, _| {
            app.show_error(ippun_core::Error::new(ErrorCode::S0C1));
        }),
        step("setup-complete", |app, _| {
            app.close_dialog();
            let id = app.token_ids()[0];
            app.show(Screen::SetupDone { id, first: false });
        }),
        step("display-name", |app, _| {
            let id = app.token_ids()[0];
            app.show(Screen::Suffix {
                id,
                text: "(普通預金)".into(),
                after_setup: false,
            });
        }),
        step("delete", |app, _| {
            let id = app.token_ids()[0];
            app.show(Screen::Delete(id));
        }),
        step("app-lock", |app, _| {
            app.show(Screen::LockSettings(LockForm::default()));
        }),
        step("app-lock-warning", |app, _| {
            app.show_lock_warning(LockMode::Off);
        }),
        step("app-lock-change", |app, _| {
            app.close_dialog();
            app.show(Screen::LockSettings(LockForm {
                mode: LockMode::Change,
                ..LockForm::default()
            }));
        }),
        step("correction", |app, _| {
            let id = app.token_ids()[0];
            app.show(Screen::Correction {
                id,
                result: Some(Correction {
                    offset_seconds: 600,
                    offset_steps: 10,
                }),
            });
        }),
        step("about", |app, _| app.show(Screen::About)),
        step("catalogue", |app, _| {
            app.show(Screen::Catalogue("S0".into()));
        }),
        step("expired-several", |app, clock| {
            clock.advance(Duration::from_secs(100 * DAY));
            let id = app.token_ids()[1];
            app.show(Screen::Expired(id));
        }),
        // The tokens deleted for real, as settings does: then "all
        // deleted", and the setup that follows is the initial one.
        step("all-deleted", |app, _| {
            for id in app.token_ids() {
                app.delete_token(id);
            }
        }),
        step("initial-setup", |app, _| {
            app.show(Screen::Setup(SetupForm::default()));
        }),
        step("data-from-another-device", |app, _| {
            app.show_failure(ippun_core::Error::new(ErrorCode::A998));
        }),
    ]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let out = PathBuf::from(args.get(1).map_or("screenshots", String::as_str));
    let lang: Lang = args.get(2).map_or("en", String::as_str).parse().unwrap();
    let scale: f32 = args.get(3).map_or("1", String::as_str).parse().unwrap();
    let dark = args.get(4).is_some_and(|a| a == "dark");
    let zoom: f32 = args.get(5).map_or("1", String::as_str).parse().unwrap();
    std::fs::create_dir_all(&out).unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Start 50 s into a step, so that the next code shows.
    let real = SystemClock.unix_seconds();
    let start = real - real % 60 + 50;
    let clock = Arc::new(SteppingClock::new(
        Duration::from_secs(start),
        Duration::ZERO,
    ));
    let demo = DemoCenter::start(dir.path(), 0, Arc::new(SystemClock)).unwrap();
    let inbox = prepare(dir.path(), &demo, &SystemClock);
    let app_clock: Arc<dyn Clock> = clock.clone();
    let options = Options {
        home: home(dir.path()),
        lang: Some(lang),
        clock: app_clock,
        // The screenshots read as a customer in Japan sees them.
        zone: ippun_core::Zone::named("Asia/Tokyo").unwrap_or_else(ippun_core::Zone::system),
        demo: Some(demo),
        started: None,
    };
    let errors = Arc::new(Mutex::new(Vec::new()));
    let errs = errors.clone();
    let out2 = out.clone();
    let native = eframe::NativeOptions {
        renderer: eframe::Renderer::Glow,
        viewport: egui::ViewportBuilder::default()
            .with_inner_size([
                ippun::gui::WINDOW_SIZE[0] * scale,
                ippun::gui::WINDOW_SIZE[1] * scale,
            ])
            .with_title("ippun screens"),
        ..Default::default()
    };
    eframe::run_native(
        "ippun-screens",
        native,
        Box::new(move |cc| {
            ippun::gui::prepare_with(
                &cc.egui_ctx,
                if dark {
                    egui::ThemePreference::Dark
                } else {
                    egui::ThemePreference::Light
                },
            );
            cc.egui_ctx.set_zoom_factor(scale * zoom);
            Ok(Box::new(Tour {
                app: IppunApp::new(options),
                clock,
                steps: steps(&inbox),
                next: 0,
                frames_to_wait: 4,
                saved: Arc::new(AtomicUsize::new(0)),
                asked: 0,
                out: out2,
                lang,
                suffix: format!(
                    "{}{}{}",
                    if dark { "-dark" } else { "" },
                    if (zoom - 1.0).abs() < f32::EPSILON {
                        String::new()
                    } else {
                        format!("-zoom{zoom}")
                    },
                    if (scale - 1.0).abs() < f32::EPSILON {
                        String::new()
                    } else {
                        format!("-x{scale}")
                    }
                ),
                errors: errs,
            }))
        }),
    )
    .unwrap();
    let errors = errors.lock().unwrap();
    if !errors.is_empty() {
        for e in errors.iter() {
            eprintln!("{e}");
        }
        std::process::exit(1);
    }
    println!("screens written to {}", out.display());
}
