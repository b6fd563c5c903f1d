//! The app against a real center: the demo center's code on a loopback port
//! with a temporary SQLite file or PostgreSQL cluster (every test runs on both), driven through the `ippun` binary with a
//! real vault in a temporary data folder.
#![allow(clippy::unwrap_used)]

#[macro_use]
#[path = "../crates/ippun-center/tests/support/pg.rs"]
mod pg;
#[path = "common/recorder.rs"]
mod recorder;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use ippun_center::data::Actor;
use ippun_center::demo::Fault;
use ippun_center::http::Running;
use ippun_center::tx::{BankError, NewTransaction, StartStatus, TxStatus};
use ippun_center::{Backend, Center, Config, MasterKey, RelyingParty, Verdict, admin, demo, net};
use ippun_core::profile::{self, CenterProfile};
use ippun_core::{Clock, SystemClock};

/// The real clock plus an offset that a test can move, so that the center
/// can be made to live in the future (transaction expiry).
#[derive(Debug, Default)]
struct SkewClock(std::sync::atomic::AtomicU64);

impl SkewClock {
    fn advance(&self, secs: u64) {
        self.0.fetch_add(secs, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for SkewClock {
    fn now(&self) -> std::time::Duration {
        SystemClock.now()
            + std::time::Duration::from_secs(self.0.load(std::sync::atomic::Ordering::SeqCst))
    }
}

/// A center on a fixed loopback port that can be restarted with another
/// fault or TLS setting; its database and master key survive restarts.
struct TestCenter {
    rt: tokio::runtime::Runtime,
    dir: tempfile::TempDir,
    master: [u8; 32],
    port: u16,
    running: Option<Running>,
    center: Option<Arc<Center>>,
    db: String,
    clock: Arc<SkewClock>,
    _pg: Option<pg::PgCluster>,
}

enum Tls {
    None,
    /// A certificate from the test CA (trusted through `IPPUN_CA_FILE`).
    Trusted,
    /// A self-signed certificate nobody trusts.
    Untrusted,
}

impl TestCenter {
    fn new(backend: Backend) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut master = [0u8; 32];
        getrandom_fill(&mut master);
        write_test_ca(dir.path());
        let pg = (backend == Backend::Postgres).then(pg::PgCluster::start);
        let db = match &pg {
            Some(pg) => pg.new_db(),
            None => format!("sqlite:{}", dir.path().join("center.db").display()),
        };
        let mut c = Self {
            rt,
            dir,
            master,
            port,
            running: None,
            center: None,
            db,
            clock: Arc::new(SkewClock::default()),
            _pg: pg,
        };
        c.start(None, &Tls::None);
        c
    }

    fn db(&self) -> String {
        self.db.clone()
    }

    fn center(&self) -> Arc<Center> {
        self.center.clone().unwrap()
    }

    fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    fn start(&mut self, fault: Option<Fault>, tls: &Tls) {
        self.stop();
        let db = self.db();
        let master = MasterKey::from_bytes(self.master);
        let dir = self.dir.path().to_path_buf();
        let port = self.port;
        let clock: Arc<dyn Clock> = self.clock.clone();
        let (center, running) = self.rt.block_on(async move {
            let center = Arc::new(
                demo::open(&db, master, clock, Config::default().without_rate_limits())
                    .await
                    .unwrap(),
            );
            let tls = match tls {
                Tls::None => None,
                Tls::Trusted => {
                    Some(net::tls_from_files(&dir.join("leaf.pem"), &dir.join("leaf.key")).unwrap())
                }
                Tls::Untrusted => Some(net::tls_self_signed().unwrap()),
            };
            // The port was just freed by the previous server; retry briefly.
            let mut tcp = None;
            for _ in 0..50 {
                if let Ok(l) = tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
                    tcp = Some(l);
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
            let running = demo::serve(
                tcp.unwrap(),
                tls,
                center.clone(),
                demo::FaultSwitch::new(fault),
            )
            .unwrap();
            (center, running)
        });
        self.center = Some(center);
        self.running = Some(running);
    }

    fn stop(&mut self) {
        if let Some(r) = self.running.take() {
            self.rt.block_on(r.shutdown()).unwrap();
        }
        if let Some(c) = self.center.take() {
            self.rt.block_on(c.pool().close());
        }
    }

    fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn https_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    /// Writes the center profile for `url` into an app data folder.
    fn profile(&self, home: &Path, url: &str) {
        let p = CenterProfile {
            name: "test center".into(),
            url: url.into(),
            center_key: self.center().public_key().to_string(),
        };
        profile::write(home, "test", &p).unwrap();
    }

    fn add_user(&self, user: &str, password: &str) {
        let c = self.center();
        self.rt
            .block_on(admin::add_user(
                &c,
                demo::SERVICE,
                user,
                Some(password),
                Some(90),
                Actor::Tool("test"),
            ))
            .unwrap();
    }

    /// The demo bank's web site (its API key's relying party).
    fn bank() -> RelyingParty {
        RelyingParty {
            key_id: "test-bank".into(),
            service_id: demo::SERVICE.into(),
        }
    }

    fn tx_start(&self, user: &str) -> Result<StartStatus, BankError> {
        let c = self.center();
        self.rt.block_on(c.tx_request_start(&Self::bank(), user))
    }

    fn tx_post(
        &self,
        user: &str,
        payee: &str,
        amount: &str,
        secs: u64,
    ) -> Result<TxStatus, BankError> {
        let c = self.center();
        let new = NewTransaction {
            service: demo::SERVICE.into(),
            user: user.into(),
            payee: payee.into(),
            account: "Demo Bank 001 1234567".into(),
            amount: amount.into(),
            currency: "JPY".into(),
            reference: format!("test {payee}"),
            expires_in_secs: Some(secs),
        };
        self.rt.block_on(c.tx_post(&Self::bank(), &new))
    }

    fn tx_state(&self, id: &str) -> String {
        let c = self.center();
        self.rt
            .block_on(c.tx_status(&Self::bank(), id))
            .unwrap()
            .state
    }

    fn verify(&self, user: &str, otp: &str) -> Verdict {
        self.verify_in(demo::SERVICE, user, otp)
    }

    fn verify_in(&self, service: &str, user: &str, otp: &str) -> Verdict {
        let rp = RelyingParty {
            key_id: "test".into(),
            service_id: service.into(),
        };
        let c = self.center();
        self.rt.block_on(c.verify(&rp, user, otp)).unwrap()
    }
}

impl Drop for TestCenter {
    fn drop(&mut self) {
        self.stop();
    }
}

fn getrandom_fill(b: &mut [u8]) {
    // Any fixed-but-distinct key will do for a test master key.
    for (i, x) in b.iter_mut().enumerate() {
        *x = u8::try_from(i).unwrap().wrapping_mul(37).wrapping_add(11);
    }
}

fn write_test_ca(dir: &Path) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    std::fs::write(dir.join("ca.pem"), ca_cert.pem()).unwrap();
    std::fs::write(dir.join("leaf.pem"), leaf.pem()).unwrap();
    std::fs::write(dir.join("leaf.key"), leaf_key.serialize_pem()).unwrap();
}

/// One app data folder.
struct App {
    home: tempfile::TempDir,
    ca: PathBuf,
}

impl App {
    fn new(center: &TestCenter) -> Self {
        let app = Self {
            home: tempfile::tempdir().unwrap(),
            ca: center.ca_file(),
        };
        center.profile(app.home.path(), &center.http_url());
        let p = CenterProfile {
            name: "test center (TLS)".into(),
            url: center.https_url(),
            center_key: center.center().public_key().to_string(),
        };
        profile::write(app.home.path(), "test-tls", &p).unwrap();
        app
    }

    fn run(&self, args: &[&str], stdin: &str, offset: i64) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_ippun"));
        cmd.env("IPPUN_HOME", self.home.path())
            .env("IPPUN_KEYSTORE", "file")
            .env("IPPUN_NET_TIMEOUT_SECS", "1")
            .env("IPPUN_CA_FILE", &self.ca)
            .env_remove("IPPUN_LOCK_CODE")
            .args(["--lang", "en"]);
        if offset != 0 {
            let now = i64::try_from(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs(),
            )
            .unwrap();
            cmd.args(["--fake-time", &(now + offset).to_string()]);
        }
        cmd.args(args);
        cmd.stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        {
            use std::io::Write;
            let mut sin = child.stdin.take().unwrap();
            let _ = sin.write_all(stdin.as_bytes());
        }
        child.wait_with_output().unwrap()
    }

    fn add(&self, url: &str, service: &str, user: &str, password: &str, offset: i64) -> Output {
        self.run(
            &[
                "token",
                "add",
                "--center",
                url,
                "--service-id",
                service,
                "--user-id",
                user,
            ],
            &format!("{password}\n"),
            offset,
        )
    }

    fn code(&self, name: &str, offset: i64) -> String {
        let out = self.run(&["code", name], "", offset);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }
}

impl App {
    /// The app's vault, opened as the app opens it (no app process may run
    /// meanwhile).
    fn vault(&self) -> std::sync::Mutex<ippun_core::Vault> {
        let home = ippun_core::Home::new(self.home.path().to_path_buf())
            .with_policy(ippun_core::vault::KeyStorePolicy::FileOnly);
        match home.open().unwrap() {
            ippun_core::Opened::Ready(v) => std::sync::Mutex::new(v),
            ippun_core::Opened::Locked(_) => panic!("locked"),
        }
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[track_caller]
fn assert_ok(o: &Output) {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
}

#[track_caller]
fn assert_code(o: &Output, code: &str) {
    assert_eq!(
        o.status.code(),
        Some(1),
        "expected {code}; stdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
    assert!(
        stderr(o).starts_with(&format!("{code}: ")),
        "expected {code}, got: {}",
        stderr(o)
    );
}

fn setup_codes_verify_correct_and_renew_end_to_end(backend: Backend) {
    let c = TestCenter::new(backend);
    let app = App::new(&c);
    // The app's traffic goes through a recorder, checked against the
    // committed schemas at the end.
    let wire = recorder::Recorder::start(&c.http_url());
    let url = wire.url.clone();
    c.profile(app.home.path(), &url);
    let out = app.add(&url, demo::SERVICE, "demo-user", "demo-1111-2222", 0);
    assert_ok(&out);
    assert!(
        stdout(&out).contains("Setup complete: “Demo Bank”"),
        "{}",
        stdout(&out)
    );

    // The app's code is accepted once by the center's verification.
    let code = app.code("Demo Bank", 0);
    assert!(matches!(c.verify("demo-user", &code), Verdict::Ok { .. }));
    assert_eq!(
        c.verify("demo-user", &code),
        Verdict::Reused,
        "a used step is refused"
    );

    // A device clock 10 minutes fast: its codes are refused until corrected.
    let fast = 600;
    let skewed = app.code("Demo Bank", fast);
    assert!(matches!(
        c.verify("demo-user", &skewed),
        Verdict::Wrong { .. }
    ));
    let out = app.run(&["token", "correct", "Demo Bank"], "", fast);
    assert_ok(&out);
    assert!(
        stdout(&out).contains("600 seconds ahead") && stdout(&out).contains("10 steps"),
        "{}",
        stdout(&out)
    );
    let tokens =
        c.rt.block_on(admin::tokens(&c.center(), Some(demo::SERVICE)))
            .unwrap();
    let t = tokens.iter().find(|t| t.user_id == "demo-user").unwrap();
    assert_eq!(t.drift_steps, 10);
    assert!(
        t.last_step.is_some(),
        "correction leaves the last used step alone"
    );
    // The next step's code from the fast device is accepted now.
    let next = {
        let out = app.run(&["code", "Demo Bank", "--next"], "", fast);
        assert_ok(&out);
        stdout(&out).trim().to_owned()
    };
    assert!(
        matches!(c.verify("demo-user", &next), Verdict::Ok { .. }),
        "after correction"
    );

    // The device that said it was fast also records the center's view.
    let json = app.run(&["token", "list", "--json"], "", 0);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v[0]["offset_steps"], 10);

    // Renewal keeps the serial, changes key and expiry; new codes verify.
    let out = app.add(&url, demo::SERVICE, "renew-ok", "demo-renew-0001", 0);
    assert_ok(&out);
    let before: serde_json::Value =
        serde_json::from_slice(&app.run(&["token", "list", "--json"], "", 0).stdout).unwrap();
    let old_code = app.code("Demo Bank_2", 0);
    let out = app.run(&["token", "renew", "Demo Bank_2"], "", 0);
    assert_ok(&out);
    assert!(
        stdout(&out).contains("Renewal complete"),
        "{}",
        stdout(&out)
    );
    let after: serde_json::Value =
        serde_json::from_slice(&app.run(&["token", "list", "--json"], "", 0).stdout).unwrap();
    assert_eq!(before[1]["serial"], after[1]["serial"]);
    assert_ne!(before[1]["expires_at"], after[1]["expires_at"]);
    let new_code = app.code("Demo Bank_2", 0);
    assert_ne!(old_code, new_code, "re-keyed");
    assert!(matches!(
        c.verify("renew-ok", &new_code),
        Verdict::Ok { .. }
    ));

    // An 8-digit SHA-256 service works the same way.
    let out = app.add(&url, demo::SERVICE_2, "demo-user", "demo-3333-4444", 0);
    assert_ok(&out);
    let code = app.code("Demo Shinkin", 0);
    assert_eq!(code.len(), 8);
    assert!(matches!(
        c.verify_in(demo::SERVICE_2, "demo-user", &code),
        Verdict::Ok { .. }
    ));

    // The audit log saw every act.
    let log = c.rt.block_on(admin::audit_log(&c.center(), 500)).unwrap();
    for (action, outcome) in [
        ("provision", "confirmed"),
        ("correct", "corrected"),
        ("renew", "confirmed"),
    ] {
        assert!(
            log.iter()
                .any(|a| a.action == action && a.outcome == outcome),
            "{action} {outcome}"
        );
    }

    // Every request the app sent and every reply it got match the schemas.
    matches_the_contract(&wire, &app, &SETUP_TRAFFIC);
}

/// What the setup, correction and renewal story sends, at least.
const SETUP_TRAFFIC: [&str; 6] = [
    "POST /v1/provision/start 200",
    "POST /v1/provision/confirm 200",
    "POST /v1/challenge 200",
    "POST /v1/correct 200",
    "POST /v1/renew/start 200",
    "POST /v1/renew/confirm 200",
];

/// Checks the recorded traffic against the committed contract and that it
/// had each of `seen` (`METHOD path status`).
#[track_caller]
fn matches_the_contract(wire: &recorder::Recorder, app: &App, seen: &[&str]) {
    let report = wire.validate(app.home.path());
    eprintln!("{report}");
    for s in seen {
        assert!(report.contains(s), "{s} not in\n{report}");
    }
}

fn every_demo_user_yields_its_code(backend: Backend) {
    let c = TestCenter::new(backend);
    let url = c.http_url();
    let users: serde_json::Value = serde_json::to_value(demo::users()).unwrap();
    let mut seen = Vec::new();
    for u in users.as_array().unwrap() {
        let Some(expected) = u["expected_code"].as_str() else {
            continue;
        };
        let app = App::new(&c);
        let sid = u["service_id"].as_str().unwrap();
        let uid = u["user_id"].as_str().unwrap();
        let pw = u["activation_password"].as_str().unwrap();
        let offset = u["device_clock_offset_secs"].as_i64().unwrap_or(0);
        let out = match u["phase"].as_str().unwrap() {
            "setup" => app.add(&url, sid, uid, pw, offset),
            phase => {
                assert_ok(&app.add(&url, sid, uid, pw, 0));
                let cmd = if phase == "renewal" {
                    "renew"
                } else {
                    "correct"
                };
                app.run(&["token", cmd], "", offset)
            }
        };
        assert_code(&out, expected);
        seen.push(expected.to_owned());
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "S0A1", "S0B1", "S0B4", "S0B5", "S0C1", "S0C4", "S0F1", "S0G1", "S3B3", "S3B5", "S3D3",
            "S3D4", "S3E4", "S4E3", "S4F1"
        ]
    );
}

fn wrong_activation_passwords_lock_after_five_tries_and_nothing_is_left_behind(backend: Backend) {
    let c = TestCenter::new(backend);
    let app = App::new(&c);
    c.add_user("guesser", "right-pass-1");
    for _ in 0..4 {
        assert_code(
            &app.add(&c.http_url(), demo::SERVICE, "guesser", "wrong-pass-1", 0),
            "S0C1",
        );
    }
    assert_code(
        &app.add(&c.http_url(), demo::SERVICE, "guesser", "wrong-pass-1", 0),
        "S0C4",
    );
    // Locked: even the right password is refused now.
    assert_code(
        &app.add(&c.http_url(), demo::SERVICE, "guesser", "right-pass-1", 0),
        "S0C4",
    );
    let out = app.run(&["token", "list", "--json"], "", 0);
    assert_eq!(stdout(&out).trim(), "[]");
    // A malformed password never reaches the center.
    assert_code(
        &app.add(&c.http_url(), demo::SERVICE, "guesser", "a b", 0),
        "A911",
    );
    // Setting up twice on one device is A916, before any traffic.
    assert_ok(&app.add(
        &c.http_url(),
        demo::SERVICE,
        "demo-user",
        "demo-1111-2222",
        0,
    ));
    assert_code(
        &app.add(
            &c.http_url(),
            demo::SERVICE,
            "demo-user",
            "demo-1111-2222",
            0,
        ),
        "A916",
    );
    // The activation password is spent: another device gets S0B4.
    let other = App::new(&c);
    assert_code(
        &other.add(
            &c.http_url(),
            demo::SERVICE,
            "demo-user",
            "demo-1111-2222",
            0,
        ),
        "S0B4",
    );
}

/// Every fault in every phase gives its code; after `drop-second-leg` a plain
/// retry completes the exchange (the center had acted).
fn every_fault_in_every_phase_yields_its_code(backend: Backend) {
    let mut c = TestCenter::new(backend);
    let mut n = 0;
    for fault in Fault::ALL {
        let app = App::new(&c);
        // HTTPS throughout, so that the TLS fault can be seen in every phase.
        let url = c.https_url();
        c.start(None, &Tls::Trusted);
        n += 1;
        let (setup_user, renew_user) = (format!("fault-setup-{n}"), format!("fault-renew-{n}"));
        c.add_user(&setup_user, "fault-pass-1");
        c.add_user(&renew_user, "fault-pass-2");
        assert_ok(&app.add(&url, demo::SERVICE, &renew_user, "fault-pass-2", 0));
        // A second data folder whose token has transaction confirmation in
        // use and one transfer waiting.
        let tx_app = App::new(&c);
        let tx_user = format!("fault-tx-{n}");
        c.add_user(&tx_user, "fault-pass-3");
        assert_ok(&tx_app.add(&url, demo::SERVICE, &tx_user, "fault-pass-3", 0));
        c.tx_start(&tx_user).unwrap();
        assert_ok(&tx_app.run(&["tx", "start"], "", 0));
        let waiting = c.tx_post(&tx_user, "Fault", "100", 600).unwrap().tx;

        let tls = if fault == Fault::BadTls {
            Tls::Untrusted
        } else {
            Tls::Trusted
        };
        let with_fault = |c: &mut TestCenter| {
            if fault == Fault::Refuse {
                c.stop();
            } else {
                c.start(Some(fault), &tls);
            }
        };
        with_fault(&mut c);
        let setup = app.add(&url, demo::SERVICE, &setup_user, "fault-pass-1", 0);
        assert_code(&setup, fault.expected(ippun_core::NetPhase::Setup).as_str());
        let renew = app.run(&["token", "renew", "Demo Bank"], "", 0);
        assert_code(
            &renew,
            fault.expected(ippun_core::NetPhase::Renewal).as_str(),
        );
        let correct = app.run(&["token", "correct", "Demo Bank"], "", 0);
        assert_code(
            &correct,
            fault.expected(ippun_core::NetPhase::Correction).as_str(),
        );
        let approve = tx_app.run(&["tx", "approve", "Demo Bank", &waiting.id], "", 0);
        assert_code(
            &approve,
            fault.expected(ippun_core::NetPhase::Transaction).as_str(),
        );

        // Without the fault, trying again succeeds.
        c.start(None, &Tls::Trusted);
        if fault == Fault::DropSecondLeg {
            // The answer was recorded before the connection was cut; it is
            // no longer offered.
            assert_eq!(c.tx_state(&waiting.id), "approved");
            let again = tx_app.run(&["tx", "approve", "Demo Bank", &waiting.id], "", 0);
            assert_code(&again, "S5B1");
        } else {
            assert_eq!(c.tx_state(&waiting.id), "pending", "{fault}");
            assert_ok(&tx_app.run(&["tx", "approve", "Demo Bank", &waiting.id], "", 0));
            assert_eq!(c.tx_state(&waiting.id), "approved");
        }
        assert_ok(&app.add(&url, demo::SERVICE, &setup_user, "fault-pass-1", 0));
        assert_ok(&app.run(&["token", "renew", "Demo Bank"], "", 0));
        let code = app.code("Demo Bank_2", 0);
        assert!(
            matches!(c.verify(&setup_user, &code), Verdict::Ok { .. }),
            "{fault}"
        );
    }
}

fn plain_http_to_a_remote_center_and_unknown_keys_are_refused(backend: Backend) {
    let c = TestCenter::new(backend);
    let app = App::new(&c);
    let out = app.add(
        "http://192.0.2.1:80",
        demo::SERVICE,
        "demo-user",
        "demo-1111-2222",
        0,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let out = app.add(
        "http://127.0.0.1:9",
        demo::SERVICE,
        "demo-user",
        "demo-1111-2222",
        0,
    );
    assert_eq!(out.status.code(), Some(2), "no key known: {}", stderr(&out));
    let out = app.run(
        &[
            "token",
            "add",
            "--center",
            &c.http_url(),
            "--center-key",
            "ed25519:00",
            "--service-id",
            "S",
            "--user-id",
            "u",
        ],
        "pass\n",
        0,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    // A pinned key that is not the center's: the offer's signature fails.
    let other = format!(
        "ed25519:{}",
        "3b6a27bcceb6a42d62a3a8d02a6f0d73653215771de243a63ac048a18b59da29"
    );
    let out = app.run(
        &[
            "token",
            "add",
            "--center",
            &c.http_url(),
            "--center-key",
            &other,
            "--service-id",
            demo::SERVICE,
            "--user-id",
            "demo-user",
        ],
        "demo-1111-2222\n",
        0,
    );
    assert_code(&out, "A008");
}

/// Transaction confirmation through the command line and the app's flows:
/// the start (S3D3 meanwhile), approve and reject (S3D4 meanwhile), and the
/// center's refusals of tampered data, replays, expired transactions and
/// answers for another user's transaction.
#[allow(clippy::too_many_lines)] // one story, told in order
fn transaction_confirmation_end_to_end(backend: Backend) {
    use ippun::client::{Answer, Client};
    use ippun::flows;
    use ippun_core::protocol::{self, ChallengeRequest, Purpose};
    use ippun_core::txconfirm::{self, Decision};
    use ippun_core::{ErrorCode, NetPhase};
    use std::sync::atomic::AtomicBool;

    let c = TestCenter::new(backend);
    let wire = recorder::Recorder::start(&c.http_url());
    let url = wire.url.clone();
    let app = App::new(&c);
    c.profile(app.home.path(), &url);
    c.add_user("tx-alice", "alice-pass-1");
    assert_ok(&app.add(&url, demo::SERVICE, "tx-alice", "alice-pass-1", 0));

    // Not started yet: the app is told so, the bank cannot post.
    assert_code(&app.run(&["tx", "list"], "", 0), "S5A1");
    assert!(matches!(
        c.tx_post("tx-alice", "Early", "1", 300),
        Err(BankError::Conflict("not-enabled", _))
    ));
    assert!(matches!(
        c.tx_start("nobody"),
        Err(BankError::NotFound("unknown-user", _))
    ));

    // The bank starts it; renewal waits for the app to complete the start.
    let started = c.tx_start("tx-alice").unwrap();
    assert_eq!(started.state, "pending");
    assert_eq!(
        c.tx_start("tx-alice").unwrap(),
        started,
        "asking again is the same start"
    );
    assert_code(&app.run(&["token", "renew"], "", 0), "S3D3");
    let out = app.run(&["tx", "list"], "", 0);
    assert_ok(&out);
    assert!(stdout(&out).contains("ippun tx start"), "{}", stdout(&out));
    assert_ok(&app.run(&["tx", "start"], "", 0));
    assert_eq!(c.tx_start("tx-alice").unwrap().state, "enabled");
    assert_ok(&app.run(&["tx", "list"], "", 0));

    // Three transfers wait: renewal waits for them.
    let alpha = c.tx_post("tx-alice", "Alpha", "150000", 300).unwrap().tx;
    let bravo = c.tx_post("tx-alice", "Bravo", "2500", 300).unwrap().tx;
    let late = c.tx_post("tx-alice", "Late", "990", 60).unwrap().tx;
    assert_code(&app.run(&["token", "renew"], "", 0), "S3D4");
    let out = app.run(&["tx", "list", "--json"], "", 0);
    assert_ok(&out);
    let listed: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let ids: Vec<&str> = listed["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [alpha.id.as_str(), bravo.id.as_str(), late.id.as_str()]
    );
    assert_eq!(listed["transactions"][1]["amount"], "2500");

    // Approve one, reject another; the bank reads the outcome.
    let out = app.run(&["tx", "approve", "Demo Bank", &alpha.id], "", 0);
    assert_ok(&out);
    assert!(stdout(&out).contains("150,000 JPY"), "{}", stdout(&out));
    let code = stdout(&out)
        .lines()
        .last()
        .unwrap()
        .rsplit(": ")
        .next()
        .unwrap()
        .replace(' ', "");
    assert_eq!(code.len(), 8, "{}", stdout(&out));
    assert_eq!(c.tx_state(&alpha.id), "approved");
    assert_ok(&app.run(&["tx", "reject", "Demo Bank", &bravo.id], "", 0));
    assert_eq!(c.tx_state(&bravo.id), "rejected");
    // An answered transaction is no longer offered.
    assert_code(
        &app.run(&["tx", "approve", "Demo Bank", &alpha.id], "", 0),
        "S5B1",
    );

    // The app's own flows, for what the command line never sends.
    let vault = app.vault();
    let no = AtomicBool::new(false);
    let clock = SystemClock;
    let id = flows::lock(&vault).unwrap().tokens().tokens()[0].id;
    let token = flows::lock(&vault)
        .unwrap()
        .tokens()
        .get(id)
        .unwrap()
        .clone();
    assert!(token.tx_confirmation, "the token shows the tab");
    drop(vault);
    let listed = app.run(&["token", "list", "--json"], "", 0);
    let listed: serde_json::Value = serde_json::from_str(&stdout(&listed)).unwrap();
    assert_eq!(listed[0]["tx_confirmation"], true);
    let vault = app.vault();
    let device =
        protocol::signing_key(token.device_signing_key.as_ref().unwrap().expose()).unwrap();
    let client = Client::new(&url, NetPhase::Transaction, &clock).unwrap();
    let nonce = || -> protocol::Nonce {
        let ch: protocol::Challenge = client
            .call(
                "/v1/challenge",
                &ChallengeRequest {
                    version: protocol::VERSION,
                    serial: token.serial.clone(),
                    purpose: Purpose::Tx,
                },
            )
            .unwrap();
        ch.nonce
    };

    // Tampered: an answer over a changed payee or amount is refused.
    let c_tx = c.tx_post("tx-alice", "Charlie", "5000", 300).unwrap().tx;
    let inbox = flows::tx_list(&vault, id, &clock, &no).unwrap();
    let shown = inbox
        .transactions
        .iter()
        .find(|t| t.id == c_tx.id)
        .unwrap()
        .clone();
    assert_eq!(shown, c_tx, "the app shows exactly what the bank posted");
    let mut changed = shown.clone();
    changed.payee = "Mallory".into();
    let err = flows::tx_answer(&vault, id, &changed, Decision::Approve, &clock, &no).unwrap_err();
    assert_eq!(err.code(), ErrorCode::S5C1);
    let mut changed = shown.clone();
    changed.amount = "50000".into();
    let err = flows::tx_answer(&vault, id, &changed, Decision::Approve, &clock, &no).unwrap_err();
    assert_eq!(err.code(), ErrorCode::S5C1);
    assert_eq!(c.tx_state(&c_tx.id), "pending", "nothing recorded");

    // Replayed: the same signed answer twice is refused (its nonce is used),
    // and a fresh answer to an answered transaction is S5D1.
    let req = txconfirm::answer_request(
        &token.serial,
        nonce(),
        &shown,
        Decision::Approve,
        token.secret.expose(),
        &device,
    )
    .unwrap();
    match client
        .post::<_, txconfirm::Answered>("/v1/tx/answer", &req)
        .unwrap()
    {
        Answer::Ok(r) => txconfirm::check_answered(&req, &r, &c.center().public_key()).unwrap(),
        other => panic!("{other:?}"),
    }
    assert_eq!(c.tx_state(&c_tx.id), "approved");
    match client
        .post::<_, txconfirm::Answered>("/v1/tx/answer", &req)
        .unwrap()
    {
        Answer::Rejected(409, b) => assert_eq!(b.error, "stale-nonce"),
        other => panic!("{other:?}"),
    }
    let again = txconfirm::answer_request(
        &token.serial,
        nonce(),
        &shown,
        Decision::Reject,
        token.secret.expose(),
        &device,
    )
    .unwrap();
    match client
        .post::<_, txconfirm::Answered>("/v1/tx/answer", &again)
        .unwrap()
    {
        Answer::Refused(code) => assert_eq!(code, ErrorCode::S5D1),
        other => panic!("{other:?}"),
    }
    assert_eq!(c.tx_state(&c_tx.id), "approved", "the first answer stands");

    // Expired: the center's clock passes the transaction's expiry between
    // the list and the answer.
    let late_shown = inbox
        .transactions
        .iter()
        .find(|t| t.id == late.id)
        .unwrap()
        .clone();
    c.clock.advance(120);
    let err =
        flows::tx_answer(&vault, id, &late_shown, Decision::Approve, &clock, &no).unwrap_err();
    assert_eq!(err.code(), ErrorCode::S5E1);
    assert_eq!(c.tx_state(&late.id), "expired");
    drop(vault);

    // Another user's transaction: refused for this token.
    let bob = App::new(&c);
    c.profile(bob.home.path(), &url);
    c.add_user("tx-bob", "bob-pass-1");
    assert_ok(&bob.add(&url, demo::SERVICE, "tx-bob", "bob-pass-1", 0));
    c.tx_start("tx-bob").unwrap();
    assert_ok(&bob.run(&["tx", "start"], "", 0));
    let for_alice = c.tx_post("tx-alice", "Delta", "7000", 600).unwrap().tx;
    let bob_vault = bob.vault();
    let bob_id = flows::lock(&bob_vault).unwrap().tokens().tokens()[0].id;
    let err = flows::tx_answer(
        &bob_vault,
        bob_id,
        &for_alice,
        Decision::Approve,
        &clock,
        &no,
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::S5B1);
    drop(bob_vault);
    assert_eq!(c.tx_state(&for_alice.id), "pending");
    assert_code(
        &bob.run(&["tx", "approve", "Demo Bank", &for_alice.id], "", 0),
        "S5B1",
    );

    // With nothing left waiting, renewal goes through.
    assert_ok(&app.run(&["tx", "reject", "Demo Bank", &for_alice.id], "", 0));
    assert_ok(&app.run(&["token", "renew"], "", 0));
    // The renewed key keys the answers from then on.
    let e_tx = c.tx_post("tx-alice", "Echo", "1", 300).unwrap().tx;
    assert_ok(&app.run(&["tx", "approve", "Demo Bank", &e_tx.id], "", 0));
    assert_eq!(c.tx_state(&e_tx.id), "approved");

    // Every request and reply, refusals included, matches the schemas.
    matches_the_contract(
        &wire,
        &app,
        &[
            "POST /v1/tx/list 200",
            "POST /v1/tx/enable 200",
            "POST /v1/tx/answer 200",
            "POST /v1/tx/answer 403",
            "POST /v1/tx/answer 409",
            "POST /v1/renew/start 403",
        ],
    );
}

/// The reported payee is refused by the bank API; a center that skipped
/// the check and signed it anyway gets its whole list refused by the app
/// (A503), so the text never reaches the customer's screen.
fn a_signed_list_with_hidden_text_never_reaches_the_customer(backend: Backend) {
    use ippun_core::txconfirm::Field;

    let c = TestCenter::new(backend);
    let url = c.http_url();
    let app = App::new(&c);
    c.add_user("tx-dora", "dora-pass-1");
    assert_ok(&app.add(&url, demo::SERVICE, "tx-dora", "dora-pass-1", 0));
    c.tx_start("tx-dora").unwrap();
    assert_ok(&app.run(&["tx", "start"], "", 0));
    let reported = "Yamada \u{202e}evil\u{202c} Taro\u{200b}";
    assert!(matches!(
        c.tx_post("tx-dora", reported, "1", 300),
        Err(BankError::Field(e)) if e.field() == Field::Payee
    ));
    let t = c.tx_post("tx-dora", "Yamada Taro", "1", 300).unwrap().tx;
    let out = app.run(&["tx", "list", "--json"], "", 0);
    assert_ok(&out);
    assert!(stdout(&out).contains("Yamada Taro"));

    // Doctored at the center: the center signs what its table holds.
    c.rt.block_on(
        sqlx::query("UPDATE transactions SET payee = $1 WHERE id = $2")
            .bind(reported)
            .bind(&t.id)
            .execute(&c.center().pool()),
    )
    .unwrap();
    let out = app.run(&["tx", "list", "--json"], "", 0);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(r#""code":"A503""#),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains("evil"));
    for args in [&["tx", "list"][..], &["tx", "approve", "Demo Bank", &t.id]] {
        let out = app.run(args, "", 0);
        assert_code(&out, "A503");
        assert!(!stdout(&out).contains("evil"), "{args:?}: {}", stdout(&out));
        assert!(!stderr(&out).contains('\u{202e}'), "{}", stderr(&out));
    }
    assert_eq!(c.tx_state(&t.id), "pending", "nothing was answered");
}

/// The app's trust and addresses: `IPPUN_CA_FILE` narrows trust and never
/// widens it (a file that cannot be read or holds no certificate is an
/// error, A002, before anything is sent), every certificate of a bundle is
/// trusted (the right CA second here), and an address with a user name in
/// it is refused even when what precedes the `@` looks like loopback.
#[test]
fn the_ca_file_narrows_trust_and_addresses_are_parsed() {
    let mut c = TestCenter::new(Backend::Sqlite);
    c.start(None, &Tls::Trusted);
    let mut app = App::new(&c);
    let url = c.https_url();
    c.add_user("trust-1", "trust-pass-1");

    let out = app.add(
        "http://[::1]@bank.example/",
        demo::SERVICE,
        "trust-1",
        "trust-pass-1",
        0,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("user name or password"),
        "{}",
        stderr(&out)
    );

    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.pem");
    app.ca = missing;
    let out = app.add(&url, demo::SERVICE, "trust-1", "trust-pass-1", 0);
    assert_code(&out, "A002");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "no certificate here\n").unwrap();
    app.ca = empty;
    assert_code(
        &app.add(&url, demo::SERVICE, "trust-1", "trust-pass-1", 0),
        "A002",
    );

    // Another CA first, then the center's: the second is read too.
    let other = {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap().pem()
    };
    let bundle = dir.path().join("bundle.pem");
    let right = std::fs::read_to_string(c.ca_file()).unwrap();
    std::fs::write(&bundle, format!("{other}{right}")).unwrap();
    app.ca = bundle;
    assert_ok(&app.add(&url, demo::SERVICE, "trust-1", "trust-pass-1", 0));
}

on_both!(
    a_signed_list_with_hidden_text_never_reaches_the_customer,
    transaction_confirmation_end_to_end,
    setup_codes_verify_correct_and_renew_end_to_end,
    every_demo_user_yields_its_code,
    wrong_activation_passwords_lock_after_five_tries_and_nothing_is_left_behind,
    every_fault_in_every_phase_yields_its_code,
    plain_http_to_a_remote_center_and_unknown_keys_are_refused,
);
