//! A bounded soak of the center on loopback: thousands of provisioning and
//! verify cycles through the real parts, then a check that nothing leaked and
//! that the data add up.
//!
//! ```sh
//! cargo build --release -p ippun-center --bin ippun-center
//! cargo run --release --example soak -- --cycles 2000
//! ```
//!
//! The center is the real `ippun-center serve` binary (next to this example
//! in `target/<profile>/`, or `IPPUN_CENTER_BIN`) on a temporary SQLite
//! database. Each cycle adds a user with an activation password (the admin
//! library, on the same database, as an operator's `admin user add` would),
//! sets the token up through the app's own setup flow into a fresh vault
//! file, computes the code from the vault and sends it to the verify API
//! twice: the first must be accepted, the second refused as reused.
//!
//! Every 100 cycles it reads the center's resident memory and open file
//! descriptors from `/proc`. It fails (exit 1) on any error, on memory that
//! grows by more than `--max-growth-mib` (default 16) between the end of the
//! warm-up (the first tenth) and the end, on descriptors that grow by more
//! than 8, or on data that do not add up.
// Rates are printed for people; a cycle count never nears 2^52.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::cast_precision_loss
)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use ippun::flows::{self, Center as CenterRef};
use ippun_center::admin::{self, ServiceSpec};
use ippun_center::data::Actor;
use ippun_center::{Center, Config, MasterKey};
use ippun_core::protocol::CenterKey;
use ippun_core::vault::KeyStorePolicy;
use ippun_core::{Home, Opened, SystemClock};
use zeroize::Zeroizing;

const SERVICE: &str = "SOAK-BANK";
const PASSWORD: &str = "soak-activation-0001";

struct Args {
    cycles: usize,
    max_growth_mib: u64,
}

fn args() -> Result<Args, String> {
    let mut opts = Args {
        cycles: 2000,
        max_growth_mib: 16,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let n: u64 = value
            .parse()
            .map_err(|_| format!("{flag}: not a number: {value}"))?;
        match flag.as_str() {
            "--cycles" => opts.cycles = usize::try_from(n).map_err(|e| e.to_string())?.max(10),
            "--max-growth-mib" => opts.max_growth_mib = n,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(opts)
}

/// The `ippun-center` binary beside this example's folder.
fn center_bin() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("IPPUN_CENTER_BIN") {
        return Ok(PathBuf::from(p));
    }
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let bin = exe
        .parent()
        .and_then(|examples| examples.parent())
        .map(|profile| profile.join("ippun-center"))
        .ok_or("no target folder")?;
    if bin.exists() {
        Ok(bin)
    } else {
        Err(format!(
            "{} is missing: cargo build --release -p ippun-center --bin ippun-center",
            bin.display()
        ))
    }
}

/// Resident memory (KiB) and open descriptors of process `pid`.
fn usage(pid: u32) -> Result<(u64, usize), String> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or("no VmRSS")?;
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map_err(|e| e.to_string())?
        .count();
    Ok((rss, fds))
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `ippun-center serve` on `db`; the process, its URL and its key.
fn serve(db: &str) -> Result<(Server, String, CenterKey), String> {
    let mut child = Command::new(center_bin()?)
        // One client address sets up thousands of tokens here, far faster
        // than any customer: the rate limits would answer most with 429.
        .args(["serve", "--db", db, "--listen", "127.0.0.1:0"])
        .args(["--rate-per-client", "off", "--rate-overall", "off"])
        .env("IPPUN_CENTER_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("ippun-center: {e}"))?;
    let out = child.stdout.take().ok_or("no stdout")?;
    let server = Server(child);
    let mut lines = BufReader::new(out).lines();
    let mut url = None;
    let mut key = None;
    for line in lines.by_ref().take(2) {
        let line = line.map_err(|e| e.to_string())?;
        if let Some(u) = line.strip_prefix("listening on ") {
            url = Some(u.to_owned());
        } else if let Some(k) = line.strip_prefix("center key ") {
            key = CenterKey::parse(k);
        }
    }
    match (url, key) {
        (Some(u), Some(k)) => Ok((server, u, k)),
        _ => Err("the center did not say where it listens".into()),
    }
}

/// Sends `otp` for `user` to the verify API; the reason it answers.
fn verify(
    agent: &ureq::Agent,
    url: &str,
    key: &str,
    user: &str,
    otp: &str,
) -> Result<String, String> {
    let body = serde_json::json!({"service": SERVICE, "user": user, "otp": otp}).to_string();
    let mut r = agent
        .post(&format!("{url}/v1/verify"))
        .header("authorization", &format!("Bearer {key}"))
        .header("content-type", "application/json")
        .send(body.as_bytes())
        .map_err(|e| format!("verify: {e}"))?;
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("verify: HTTP {status} {text}"));
    }
    let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    Ok(v["reason"].as_str().unwrap_or("").to_owned())
}

fn main() {
    match run() {
        Ok(()) => {}
        Err(e) => {
            eprintln!("soak: FAILED: {e}");
            std::process::exit(1);
        }
    }
}

#[allow(clippy::too_many_lines)] // one straight story: set up, cycle, check
fn run() -> Result<(), String> {
    let opts = args()?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let db = format!("sqlite:{}", dir.path().join("center.db").display());
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let clock = SystemClock;
    let text = |err: ippun_center::CenterError| err.to_string();

    // The operator's side: the database, a service and a verify key.
    let master =
        MasterKey::load_or_create(&dir.path().join("center.db.master-key")).map_err(text)?;
    let admin_center = rt
        .block_on(Center::open(
            &db,
            master,
            std::sync::Arc::new(SystemClock),
            Config::default(),
        ))
        .map_err(text)?;
    rt.block_on(admin::add_service(
        &admin_center,
        &ServiceSpec {
            id: SERVICE.into(),
            name: "Soak Bank".into(),
            logo_url: None,
            link_url: None,
            algorithm: "sha256".into(),
            digits: 6,
            period: 60,
            validity_days: 365,
            open: true,
        },
        Actor::Tool("soak"),
    ))
    .map_err(text)?;
    let api_key = rt
        .block_on(admin::create_api_key(
            &admin_center,
            SERVICE,
            "soak",
            Actor::Tool("soak"),
        ))
        .map_err(text)?
        .to_string();

    let (server, url, key) = serve(&db)?;
    let pid = server.0.id();
    let center = CenterRef {
        url: url.clone(),
        key,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let never = AtomicBool::new(false);
    let password = Zeroizing::new(PASSWORD.to_owned());

    println!("soak: {} cycles against {url} (pid {pid})", opts.cycles);
    println!(
        "{:>7} {:>9} {:>5} {:>9}",
        "cycles", "rss KiB", "fds", "cycles/s"
    );
    let warm_up = opts.cycles / 10;
    let mut baseline = None;
    let mut end = None;
    let started = Instant::now();
    let mut last = (Instant::now(), 0_usize);
    for i in 0..opts.cycles {
        let user = format!("soak-{i:06}");
        rt.block_on(admin::add_user(
            &admin_center,
            SERVICE,
            &user,
            Some(PASSWORD),
            None,
            Actor::Tool("soak"),
        ))
        .map_err(|err| format!("cycle {i}: add user: {err}"))?;
        let home_dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let home = Home::new(home_dir.path().to_path_buf())
            .with_machine_id("soak-machine")
            .with_policy(KeyStorePolicy::FileOnly);
        let Ok(Opened::Ready(v)) = home.open() else {
            return Err(format!("cycle {i}: a fresh vault did not open"));
        };
        let vault = Mutex::new(v);
        let id = flows::setup(&vault, &center, SERVICE, &user, &password, &clock, &never)
            .map_err(|err| format!("cycle {i}: setup: {}", err.code()))?;
        let code = {
            let v = flows::lock(&vault).map_err(|err| err.code().to_string())?;
            let t = v.tokens().get(id).ok_or("token gone")?;
            let g = t.generator().map_err(|err| err.code().to_string())?;
            g.current(&clock)
                .map_err(|err| err.to_string())?
                .code
                .to_string()
        };
        let first = verify(&agent, &url, &api_key, &user, &code)?;
        let again = verify(&agent, &url, &api_key, &user, &code)?;
        if first != "ok" || again != "reused" {
            return Err(format!("cycle {i}: verify said {first}, then {again}"));
        }
        drop(vault);
        if (i + 1) % 100 == 0 || i + 1 == opts.cycles {
            let (rss, fds) = usage(pid)?;
            let rate = (i + 1 - last.1) as f64 / last.0.elapsed().as_secs_f64();
            last = (Instant::now(), i + 1);
            println!("{:>7} {rss:>9} {fds:>5} {rate:>9.1}", i + 1);
            end = Some((rss, fds));
            if baseline.is_none() && i + 1 >= warm_up {
                baseline = Some((rss, fds));
            }
        }
    }
    let elapsed = started.elapsed();
    let (base_rss, base_fds) = baseline.ok_or("no sample after the warm-up")?;
    let (end_rss, end_fds) = end.ok_or("no samples")?;

    // Data: every user has one active token that accepted exactly one code.
    let pool = admin_center.pool();
    let count = |q: &'static str| {
        rt.block_on(async {
            sqlx::query_as::<_, (i64,)>(q)
                .bind(SERVICE)
                .fetch_one(&pool)
                .await
                .map(|r| r.0)
                .map_err(|err| format!("{q}: {err}"))
        })
    };
    let n = i64::try_from(opts.cycles).map_err(|e| e.to_string())?;
    let checks: [(&str, &'static str, i64); 8] = [
        (
            "users",
            "SELECT COUNT(*) FROM users WHERE service_id = $1",
            n,
        ),
        (
            "users whose activation password was used up",
            "SELECT COUNT(*) FROM users u WHERE u.service_id = $1 AND u.activation_used = 1
               AND NOT EXISTS (SELECT 1 FROM activation_attempts a
                               WHERE a.service_id = u.service_id AND a.user_id = u.user_id)",
            n,
        ),
        (
            "active tokens",
            "SELECT COUNT(*) FROM tokens WHERE service_id = $1 AND state = 'active'",
            n,
        ),
        (
            "tokens not active",
            "SELECT COUNT(*) FROM tokens WHERE service_id = $1 AND state <> 'active'",
            0,
        ),
        (
            "tokens with an accepted code",
            "SELECT COUNT(*) FROM tokens WHERE service_id = $1 AND last_step IS NOT NULL AND drift_steps = 0",
            n,
        ),
        (
            "audit: setups confirmed",
            "SELECT COUNT(*) FROM audit WHERE service_id = $1 AND action = 'provision' AND outcome = 'confirmed'",
            n,
        ),
        (
            "audit: codes accepted",
            "SELECT COUNT(*) FROM audit WHERE service_id = $1 AND action = 'verify' AND outcome = 'ok'",
            n,
        ),
        (
            "audit: codes refused as reused",
            "SELECT COUNT(*) FROM audit WHERE service_id = $1 AND action = 'verify' AND outcome = 'reused'",
            n,
        ),
    ];
    let mut bad = Vec::new();
    for (what, q, want) in checks {
        let got = count(q)?;
        println!("check: {what}: {got} (want {want})");
        if got != want {
            bad.push(format!("{what}: {got}, want {want}"));
        }
    }
    let open_sessions = count(
        "SELECT COUNT(*) FROM sessions s JOIN tokens t ON t.serial = s.serial
         WHERE t.service_id = $1 AND s.done = 0",
    )?;
    println!("check: provisioning sessions left open: {open_sessions} (want 0)");
    if open_sessions != 0 {
        bad.push(format!("{open_sessions} sessions left open"));
    }

    let growth_kib = end_rss.saturating_sub(base_rss);
    println!(
        "soak: {} cycles in {:.1} s ({:.1} cycles/s); center rss {} KiB after warm-up, {} KiB at the end (+{} KiB); fds {} -> {}",
        opts.cycles,
        elapsed.as_secs_f64(),
        opts.cycles as f64 / elapsed.as_secs_f64(),
        base_rss,
        end_rss,
        growth_kib,
        base_fds,
        end_fds
    );
    if growth_kib > opts.max_growth_mib * 1024 {
        bad.push(format!(
            "memory grew by {growth_kib} KiB (limit {} MiB)",
            opts.max_growth_mib
        ));
    }
    if end_fds > base_fds + 8 {
        bad.push(format!("descriptors grew from {base_fds} to {end_fds}"));
    }
    drop(server);
    if bad.is_empty() {
        println!("soak: passed");
        Ok(())
    } else {
        Err(bad.join("; "))
    }
}
