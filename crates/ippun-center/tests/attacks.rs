//! The center as an attacker on the internet would try it, on loopback and
//! bounded in count and time: a setup flood (bounded memory, "busy" rather
//! than failure), a burst of wrong activation passwords (five tries hold), a
//! lock that ends by itself and answers that say nothing of who exists, slow
//! and idle connections (closed), too many connections (the extra closed,
//! the center still answers), oversized heads, refusal floods in the audit
//! log (summarised), audit retention and the admin's escaped output.
#![allow(clippy::unwrap_used, clippy::needless_pass_by_value)]

#[macro_use]
#[path = "support/pg.rs"]
mod pg;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use ippun_center::admin;
use ippun_center::data::{Action, Actor, AuditEntry, Outcome, Who, audit};
use ippun_center::http::{self, Running};
use ippun_center::{Backend, Center, Config, MasterKey, demo};
use ippun_core::protocol::AppProvision;
use ippun_core::{ErrorCode, SteppingClock};

/// A step boundary plus 5 s, in 2027.
const T0: u64 = 1_800_000_000 / 60 * 60 + 5;

struct Env {
    rt: tokio::runtime::Runtime,
    clock: Arc<SteppingClock>,
    center: Arc<Center>,
    running: Option<Running>,
    url: String,
    db: String,
    dir: tempfile::TempDir,
    _pg: Option<pg::PgCluster>,
}

impl Env {
    /// The demo's services and users on `backend`, served by the
    /// production router under `config`.
    fn new(backend: Backend, config: Config) -> Self {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let pg = (backend == Backend::Postgres).then(pg::PgCluster::start);
        let db = match &pg {
            Some(pg) => pg.new_db(),
            None => format!("sqlite:{}", dir.path().join("c.db").display()),
        };
        let clock = Arc::new(SteppingClock::new(Duration::from_secs(T0), Duration::ZERO));
        let master = dir.path().join("master.key");
        let (center, running) = rt.block_on({
            let (db, clock) = (db.clone(), clock.clone());
            async move {
                let c = Arc::new(
                    demo::open(
                        &db,
                        MasterKey::load_or_create(&master).unwrap(),
                        clock,
                        config,
                    )
                    .await
                    .unwrap(),
                );
                let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let r = http::serve(tcp, None, c.clone()).unwrap();
                (c, r)
            }
        });
        let url = running.url();
        Self {
            rt,
            clock,
            center,
            running: Some(running),
            url,
            db,
            dir,
            _pg: pg,
        }
    }

    /// A first leg of setup as the app sends it; (status, Retry-After,
    /// body).
    fn start(
        &self,
        service: &str,
        user: &str,
        password: &str,
    ) -> (u16, Option<String>, serde_json::Value) {
        let app = AppProvision::new(service, user, password, self.center.now()).unwrap();
        post(
            &self.url,
            "/v1/provision/start",
            &serde_json::to_vec(app.request()).unwrap(),
        )
    }

    fn add_user(&self, user: &str) -> String {
        self.rt
            .block_on(admin::add_user(
                &self.center,
                demo::SERVICE,
                user,
                None,
                None,
                Actor::Tool("t"),
            ))
            .unwrap()
            .to_string()
    }

    fn count(&self, sql: &'static str) -> i64 {
        self.rt.block_on(async {
            let (n,): (i64,) = sqlx::query_as(sql)
                .fetch_one(&self.center.pool())
                .await
                .unwrap();
            n
        })
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            let _ = self.rt.block_on(r.shutdown());
        }
        self.rt.block_on(self.center.pool().close());
    }
}

fn post(url: &str, path: &str, body: &[u8]) -> (u16, Option<String>, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let mut r = agent
        .post(&format!("{url}{path}"))
        .header("content-type", "application/json")
        .send(body)
        .unwrap();
    let retry = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = r.body_mut().read_to_string().unwrap();
    (
        r.status().as_u16(),
        retry,
        serde_json::from_str(&text).unwrap_or_default(),
    )
}

/// The answer as the app reads it: the refusal code, the error name, or
/// `200`.
fn answer(status: u16, v: &serde_json::Value) -> String {
    match status {
        200 => "200".into(),
        403 => v["refusal"].as_str().unwrap_or("?").into(),
        _ => format!("{status} {}", v["error"].as_str().unwrap_or("?")),
    }
}

fn resident_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

// ---------------------------------------------------------------------------

/// 64 setups at once for random users, no account needed: at most two
/// password checks run (in memory made at start), four wait, the rest are
/// answered 503 `busy` with `Retry-After` at once. Memory stays bounded;
/// real and unknown users are answered alike; the center serves again at
/// once after the flood.
#[test]
fn a_setup_flood_is_admitted_in_bounded_amounts() {
    let config = Config {
        hash_workers: 2,
        hash_queue: 4,
        hash_wait: Duration::from_millis(200),
        ..Config::default().without_rate_limits()
    };
    let e = Env::new(Backend::Sqlite, config);
    let before = resident_kib("VmRSS:");
    let barrier = Barrier::new(64);
    let answers: Vec<(String, Option<String>)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..64)
            .map(|i| {
                let (e, barrier) = (&e, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let (st, retry, v) =
                        e.start(demo::SERVICE, &format!("stranger-{i}"), "guess-0000-0000");
                    (answer(st, &v), retry)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let peak = resident_kib("VmHWM:");
    let busy = answers.iter().filter(|(a, _)| a == "503 busy").count();
    assert!(busy > 0, "{answers:?}");
    for (a, retry) in &answers {
        assert!(a == "S0C1" || a == "503 busy", "{a}");
        if a == "503 busy" {
            assert!(retry.is_some(), "busy without Retry-After");
        }
    }
    // 64 checks at 19 MiB each would be 1.2 GiB.
    assert!(
        peak.saturating_sub(before) < 160 * 1024,
        "resident memory grew by {} MiB",
        peak.saturating_sub(before) / 1024
    );
    // A real user with a wrong password reads like a stranger.
    let (st, _, v) = e.start(demo::SERVICE, "demo-user", "guess-0000-0000");
    assert_eq!(answer(st, &v), "S0C1");
    let (st, _, v) = e.start(demo::SERVICE, "demo-user", "demo-1111-2222");
    assert_eq!(st, 200, "served again after the flood: {v}");
}

/// 24 wrong activation passwords in one burst: exactly five are checked
/// (four S0C1, the fifth S0C4 and the lock), the other nineteen are S0C4
/// without a check; the right password then is S0C4 too, unchecked.
/// (Counted after the check instead, every request of a burst was checked,
/// and a right one among them got an offer.)
fn five_tries_hold_under_a_burst_of_24(backend: Backend) {
    // As many checks at once as the burst, so that nothing but the
    // reservation keeps the 24 from being checked together.
    let config = Config {
        hash_workers: 24,
        hash_wait: Duration::from_secs(60),
        ..Config::default().without_rate_limits()
    };
    let e = Env::new(backend, config);
    let pw = e.add_user("burst");
    let checks = e.center.password_checks();
    let barrier = Barrier::new(24);
    let answers: Vec<String> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..24)
            .map(|i| {
                let (e, barrier) = (&e, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let (st, _, v) = e.start(demo::SERVICE, "burst", &format!("wrong-{i:04}-0000"));
                    answer(st, &v)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(e.center.password_checks() - checks, 5, "{answers:?}");
    assert_eq!(
        answers.iter().filter(|a| *a == "S0C1").count(),
        4,
        "{answers:?}"
    );
    assert_eq!(
        answers.iter().filter(|a| *a == "S0C4").count(),
        20,
        "{answers:?}"
    );
    let (st, _, v) = e.start(demo::SERVICE, "burst", &pw);
    assert_eq!(answer(st, &v), "S0C4");
    assert_eq!(
        e.center.password_checks() - checks,
        5,
        "not checked while locked"
    );
}

/// Five wrong passwords lock the pair of service and user, whether or not
/// the user exists (so the lock says nothing of who exists); the lock ends
/// by itself after the lock time. An already set-up user's wrong password
/// reads like a stranger's; only the right one tells S0B4.
fn a_lock_ends_by_itself_and_says_nothing_of_who_exists(backend: Backend) {
    let e = Env::new(backend, Config::default().without_rate_limits());
    let pw = e.add_user("carol");
    for user in ["carol", "nobody-here"] {
        let seen: Vec<String> = (0..6)
            .map(|i| {
                let (st, _, v) = e.start(demo::SERVICE, user, &format!("wrong-{i:04}-0000"));
                answer(st, &v)
            })
            .collect();
        assert_eq!(
            seen,
            ["S0C1", "S0C1", "S0C1", "S0C1", "S0C4", "S0C4"],
            "{user}"
        );
    }
    let (st, _, v) = e.start(demo::SERVICE, "carol", &pw);
    assert_eq!(answer(st, &v), "S0C4", "locked even for the right password");
    e.clock.advance(Duration::from_secs(
        Config::default().activation_lock_secs + 1,
    ));
    let (st, _, v) = e.start(demo::SERVICE, "carol", &pw);
    assert_eq!(st, 200, "the lock ended by itself: {v}");
    let (st, _, v) = e.start(demo::SERVICE, "nobody-here", "wrong-0000-0000");
    assert_eq!(answer(st, &v), "S0C1");
    // Set up on another device: a wrong password is just wrong.
    let (st, _, v) = e.start(demo::SERVICE, "already-active", "wrong-0000-0000");
    assert_eq!(answer(st, &v), "S0C1");
    let (st, _, v) = e.start(demo::SERVICE, "already-active", "demo-active-01");
    assert_eq!(answer(st, &v), ErrorCode::S0B4.as_str());
}

/// 150 setups for services that do not exist, then a minute later: the
/// audit log holds the first 20 one row each and one summary row for the
/// other 130, not 150 rows. Rows older than the retention go at the sweep;
/// and the admin prints a stored ID with escapes and line breaks escaped.
fn refusal_floods_are_summarised_and_old_rows_deleted(backend: Backend) {
    let config = Config {
        audit_refusals_per_minute: 20,
        ..Config::default().without_rate_limits()
    };
    let e = Env::new(backend, config);
    let base = e.count("SELECT COUNT(*) FROM audit");
    for i in 0..150 {
        let (st, _, v) = e.start(&format!("NO-BANK-{i}"), "someone", "guess-0000-0000");
        assert_eq!(answer(st, &v), "S0A1");
    }
    assert_eq!(e.count("SELECT COUNT(*) FROM audit") - base, 20);
    e.clock.advance(Duration::from_secs(60));
    e.rt.block_on(e.center.sweep()).unwrap();
    assert_eq!(e.count("SELECT COUNT(*) FROM audit") - base, 21);
    let summary = e.rt.block_on(admin::audit_log(&e.center, 1)).unwrap();
    assert_eq!(summary[0].outcome, "S0A1");
    assert_eq!(summary[0].user_id, None);
    assert!(
        summary[0]
            .detail
            .as_deref()
            .unwrap_or("")
            .starts_with("130 more"),
        "{summary:?}"
    );

    // A row from long ago, and one with a hostile ID (as an older center
    // stored them, before IDs were checked at the API).
    let now = e.center.now();
    let hostile = "evil\u{1b}[2J\nFORGED admin ok";
    e.rt.block_on(async {
        let old = AuditEntry::new(
            Actor::App,
            Action::Provision,
            Who::default(),
            Outcome::Offered,
        );
        audit::record(e.center.db(), now - 401 * 86_400, old)
            .await
            .unwrap();
        let bad = AuditEntry::new(
            Actor::App,
            Action::Provision,
            Who::user(demo::SERVICE, hostile),
            Outcome::Refused(ErrorCode::S0C1),
        );
        audit::record(e.center.db(), now, bad).await.unwrap();
    });
    let before = e.count("SELECT COUNT(*) FROM audit");
    let swept = e.rt.block_on(e.center.sweep()).unwrap();
    assert_eq!(swept.audit, 1);
    assert_eq!(e.count("SELECT COUNT(*) FROM audit"), before - 1);

    let mut args = vec!["admin".to_owned(), "--db".into(), e.db.clone()];
    args.extend([
        "--master-key".into(),
        e.dir.path().join("master.key").display().to_string(),
    ]);
    args.extend(["audit".into(), "--limit".into(), "2".into()]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ippun-center"))
        .args(&args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "raw escape printed: {text:?}");
    assert_eq!(text.lines().count(), 2, "one line per row: {text:?}");
    assert!(text.lines().all(|l| !l.starts_with("FORGED")), "{text:?}");
    assert!(
        text.contains("FORGED"),
        "the ID is shown, escaped: {text:?}"
    );
}

on_both!(
    five_tries_hold_under_a_burst_of_24,
    a_lock_ends_by_itself_and_says_nothing_of_who_exists,
    refusal_floods_are_summarised_and_old_rows_deleted,
);

/// Reads until the server closes `s` (EOF or reset); false if it is still
/// open after `within`.
fn closed_within(s: &mut TcpStream, within: Duration) -> bool {
    s.set_read_timeout(Some(within)).unwrap();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) => {
                return !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                );
            }
        }
    }
}

fn health(url: &str) -> u16 {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .build()
        .into();
    agent
        .get(&format!("{url}/v1/health"))
        .call()
        .map_or(0, |r| r.status().as_u16())
}

/// Idle connections, slowloris (a header line every 300 ms) and more
/// connections than the center takes: the extra are closed at once, the
/// idle and slow ones when the header time (1 s here) is up, and the
/// center answers health checks again as soon as they are gone. A head
/// larger than the limit is refused, not buffered.
#[test]
fn slow_idle_and_surplus_connections_are_closed() {
    let mut config = Config::default();
    config.http.header_timeout = Duration::from_secs(1);
    config.http.max_connections = 40;
    let e = Env::new(Backend::Sqlite, config);
    let addr = e.url.trim_start_matches("http://").to_owned();
    let t0 = Instant::now();
    let mut idle: Vec<TcpStream> = (0..30)
        .map(|_| TcpStream::connect(&addr).unwrap())
        .collect();
    let mut slow: Vec<TcpStream> = (0..10)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(b"GET /v1/health HTTP/1.1\r\nHost: x\r\n")
                .unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    // The center is full: one more is closed at once.
    let mut surplus = TcpStream::connect(&addr).unwrap();
    assert!(
        closed_within(&mut surplus, Duration::from_millis(900)),
        "surplus kept open"
    );
    for _ in 0..4 {
        std::thread::sleep(Duration::from_millis(300));
        for s in &mut slow {
            let _ = s.write_all(b"X-Slow: 1\r\n");
        }
    }
    for (i, s) in idle.iter_mut().chain(slow.iter_mut()).enumerate() {
        assert!(
            closed_within(s, Duration::from_secs(3)),
            "connection {i} still open"
        );
    }
    assert!(t0.elapsed() < Duration::from_secs(6));
    assert_eq!(health(&e.url), 200, "serving again");

    let mut big = TcpStream::connect(&addr).unwrap();
    let head = format!(
        "GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(40 * 1024)
    );
    let _ = big.write_all(head.as_bytes());
    big.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    let mut reply = Vec::new();
    let _ = big.read_to_end(&mut reply);
    let reply = String::from_utf8_lossy(&reply);
    assert!(
        reply.is_empty() || reply.starts_with("HTTP/1.1 431"),
        "oversized head answered: {reply}"
    );
}

/// The per-address rate limit on the app's endpoints: a burst beyond it is
/// answered 429 with Retry-After, while the bank's verify API (which needs
/// a key) is not limited by it.
#[test]
fn a_client_beyond_its_rate_gets_429() {
    let mut config = Config::default();
    config.http.per_client = Some(ippun_center::Rate {
        per_second: 1,
        burst: 5,
    });
    let e = Env::new(Backend::Sqlite, config);
    let body = br#"{"version":1,"serial":"12345678","purpose":"renew"}"#;
    let got: Vec<(u16, Option<String>)> = (0..8)
        .map(|_| {
            let (st, retry, _) = post(&e.url, "/v1/challenge", body);
            (st, retry)
        })
        .collect();
    // The burst of five, then refusals (one more may pass if a second went
    // by meanwhile: the rate is one a second).
    assert!(got[..5].iter().all(|(s, _)| *s == 200), "{got:?}");
    let refused = got[5..]
        .iter()
        .filter(|(s, r)| *s == 429 && r.is_some())
        .count();
    assert!(refused >= 2, "{got:?}");
    assert!(
        got[5..].iter().all(|(s, _)| *s == 200 || *s == 429),
        "{got:?}"
    );
    let v = serde_json::json!({"service": demo::SERVICE, "user": "demo-user", "otp": "000000"});
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let r = agent
        .post(&format!("{}/v1/verify", e.url))
        .header("authorization", &format!("Bearer {}", demo::VERIFY_KEY))
        .header("content-type", "application/json")
        .send(v.to_string().as_bytes())
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}
