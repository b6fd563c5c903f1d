//! The center under an unauthenticated setup flood, on loopback: peak
//! resident memory of the center process, setup answers per second, and a
//! legitimate verify client's latency during the flood, against the same
//! center without the flood (measured in the same run).
//!
//! `cargo bench -p ippun-center --bench setup_flood`
//!
//! Method: each phase starts a fresh `ippun-center serve` process (the
//! binary built with this bench, or `IPPUN_CENTER_BIN`) on a SQLite file
//! with one service and `IPPUN_BENCH_TOKENS` imported tokens (default
//! 12 000). `N` flood threads (16, 64, 256; keep-alive HTTP/1.1) send first
//! legs of setup for new user IDs with a wrong password as fast as the
//! answers come (each thread resends one real first leg with a new user ID,
//! so that the clients' own work stays small), for `IPPUN_BENCH_SECONDS` (default 8); one verify client
//! sends one right code per token, one after the other, the whole time
//! (each a durable accept; it stops early if the tokens run out). The center's peak resident memory is its
//! `VmHWM` at the end of the phase. Variants: the center's defaults (the
//! flood comes from one address, so the per-address rate limit answers
//! most of it), and without rate limits (`--rate-per-client off
//! --rate-overall off`, as a flood from many addresses would meet it: then
//! admission control alone holds). `IPPUN_BENCH_VARIANTS=defaults` runs the
//! first only (for a center without those flags).
#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::cast_precision_loss,
    clippy::too_many_lines
)]

#[path = "../tests/support/seed.rs"]
mod seed;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ippun_center::{Center, Config, MasterKey};
use ippun_core::otp::{OtpParams, Totp};
use ippun_core::protocol::AppProvision;
use ippun_core::{Clock, SecretKey, SystemClock};

const SERVICE: &str = "FLOOD-BANK";

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    sorted[i as usize]
}

fn token_key(i: usize) -> [u8; 20] {
    let mut k = [0u8; 20];
    k[..8].copy_from_slice(&(i as u64).to_be_bytes());
    k[8..].copy_from_slice(b"ippun-flood!");
    k
}

/// A database with the service, `tokens` imported tokens and an API key.
fn prepare(db: &str, master: &std::path::Path, tokens: usize) -> String {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let c = Center::open(
            db,
            MasterKey::load_or_create(master).unwrap(),
            Arc::new(SystemClock),
            Config::default(),
        )
        .await
        .unwrap();
        let keys: Vec<[u8; 20]> = (0..tokens).map(token_key).collect();
        let key = seed::service_with_tokens(&c, SERVICE, "Flood", &keys).await;
        c.db().close().await;
        key
    })
}

/// The center process, and its standard output (kept open: the center
/// stops if what it prints cannot be written).
struct Server(
    Child,
    #[allow(dead_code)] BufReader<std::process::ChildStdout>,
);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Server {
    fn peak_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }
}

fn serve(db: &str, master: &std::path::Path, extra: &[&str]) -> (Server, String) {
    let bin = std::env::var("IPPUN_CENTER_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_ippun-center").to_owned());
    let mut child = Command::new(bin)
        .args([
            "serve",
            "--db",
            db,
            "--listen",
            "127.0.0.1:0",
            "--master-key",
        ])
        .arg(master)
        .args(extra)
        .env("IPPUN_CENTER_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    (Server(child, out), url)
}

struct Phase {
    variant: &'static str,
    flood: usize,
    setup_answers: Vec<(u16, usize)>,
    verifies: Vec<Duration>,
    verify_failures: usize,
    elapsed: Duration,
    peak_mib: f64,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn phase(variant: &'static str, extra: &[&str], flood: usize, tokens: usize, secs: u64) -> Phase {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite:{}", dir.path().join("flood.db").display());
    let master = dir.path().join("master.key");
    let api_key = prepare(&db, &master, tokens);
    let (server, url) = serve(&db, &master, extra);
    let stop = AtomicBool::new(false);
    let statuses = Mutex::new(std::collections::BTreeMap::<u16, usize>::new());
    let verifies = Mutex::new((Vec::new(), 0usize));
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..flood {
            let (url, stop, statuses) = (&url, &stop, &statuses);
            s.spawn(move || {
                let agent = agent();
                let mut seen = std::collections::BTreeMap::<u16, usize>::new();
                let mut i = 0u64;
                // One real first leg per thread, sent again and again with a
                // new user ID (a refused first leg leaves nothing behind, so
                // its nonce may come again): the clients' own work stays
                // small next to the center's.
                let app =
                    AppProvision::new(SERVICE, "x", "guess-0000-0000", SystemClock.unix_seconds())
                        .unwrap();
                let mut template = serde_json::to_value(app.request()).unwrap();
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    template["user_id"] = serde_json::json!(format!("stranger-{t}-{i}"));
                    template["device_time"] = serde_json::json!(SystemClock.unix_seconds());
                    let body = serde_json::to_vec(&template).unwrap();
                    let status = match agent
                        .post(&format!("{url}/v1/provision/start"))
                        .header("content-type", "application/json")
                        .send(&body[..])
                    {
                        Ok(mut r) => {
                            let _ = r.body_mut().read_to_vec();
                            r.status().as_u16()
                        }
                        Err(_) => 0,
                    };
                    *seen.entry(status).or_default() += 1;
                }
                let mut g = statuses.lock().unwrap();
                for (k, v) in seen {
                    *g.entry(k).or_default() += v;
                }
            });
        }
        s.spawn(|| {
            let agent = agent();
            let auth = format!("Bearer {api_key}");
            let (mut lat, mut failed) = (Vec::new(), 0usize);
            // Let the flood build up first.
            std::thread::sleep(Duration::from_millis(500));
            while start.elapsed() < Duration::from_secs(secs) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= tokens {
                    break;
                }
                let totp = Totp::new(
                    &SecretKey::from_bytes(token_key(i).to_vec()).unwrap(),
                    OtpParams::default(),
                );
                let counter = SystemClock.unix_seconds() / 60;
                let body = serde_json::json!({"service": SERVICE, "user": format!("u{i}"),
                    "otp": totp.code_at_counter(counter).to_string()})
                .to_string();
                let t = Instant::now();
                let ok = match agent
                    .post(&format!("{url}/v1/verify"))
                    .header("content-type", "application/json")
                    .header("authorization", &auth)
                    .send(body.as_bytes())
                {
                    Ok(mut r) => {
                        let s = r.body_mut().read_to_string().unwrap_or_default();
                        r.status() == 200 && s.contains("\"ok\":true")
                    }
                    Err(_) => false,
                };
                lat.push(t.elapsed());
                if !ok {
                    failed += 1;
                }
            }
            stop.store(true, Ordering::Relaxed);
            *verifies.lock().unwrap() = (lat, failed);
        });
    });
    let elapsed = start.elapsed();
    let peak_mib = server.peak_kib() as f64 / 1024.0;
    drop(server);
    let (mut lat, verify_failures) = verifies.into_inner().unwrap();
    lat.sort();
    Phase {
        variant,
        flood,
        setup_answers: statuses.into_inner().unwrap().into_iter().collect(),
        verifies: lat,
        verify_failures,
        elapsed,
        peak_mib,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // and wants a quick smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    let tokens = env_num("IPPUN_BENCH_TOKENS", 12_000);
    let secs = env_num("IPPUN_BENCH_SECONDS", if full { 8 } else { 2 }) as u64;
    let floods: &[usize] = if full { &[16, 64, 256] } else { &[16] };
    let only_defaults = std::env::var("IPPUN_BENCH_VARIANTS").is_ok_and(|v| v == "defaults");
    let mut variants: Vec<(&'static str, Vec<&str>)> = vec![("defaults", vec![])];
    if !only_defaults {
        variants.push((
            "no rate limits",
            vec!["--rate-per-client", "off", "--rate-overall", "off"],
        ));
    }
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut phases = vec![phase("defaults", &[], 0, tokens, secs)];
    for (name, extra) in &variants {
        for &n in floods {
            phases.push(phase(name, extra, n, tokens, secs));
        }
    }
    println!(
        "setup flood on loopback: {cores} cores shared by the flood clients, one verify client and the center; {secs} s per phase"
    );
    println!(
        "| center | flood connections | setup answers/s | setup answers by status | verifies | verify p50 ms | verify p99 ms | verify max ms | center peak RSS MiB |"
    );
    println!("| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |");
    for p in &phases {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let total: usize = p.setup_answers.iter().map(|(_, n)| n).sum();
        let by: Vec<String> = p
            .setup_answers
            .iter()
            .map(|(s, n)| format!("{s}: {n}"))
            .collect();
        println!(
            "| {} | {} | {:.0} | {} | {} | {:.2} | {:.2} | {:.2} | {:.0} |",
            if p.flood == 0 {
                "no flood (floor)"
            } else {
                p.variant
            },
            p.flood,
            total as f64 / p.elapsed.as_secs_f64(),
            if by.is_empty() {
                "-".into()
            } else {
                by.join(", ")
            },
            p.verifies.len(),
            ms(pct(&p.verifies, 0.50)),
            ms(pct(&p.verifies, 0.99)),
            ms(p.verifies.last().copied().unwrap_or_default()),
            p.peak_mib,
        );
    }
    for p in &phases {
        assert_eq!(p.verify_failures, 0, "every legitimate verify is accepted");
    }
}
