//! Load on the verify API over loopback, on SQLite and on PostgreSQL, with
//! the same server's health endpoint as the floor and the raw HOTP check
//! rate of the machine as the ceiling.
//!
//! `cargo bench -p ippun-center --bench verify_load`
//!
//! Method: a center with `IPPUN_BENCH_TOKENS` imported tokens (default
//! 20 000) serves on 127.0.0.1; `IPPUN_BENCH_CLIENTS` client threads
//! (default 32, keep-alive HTTP/1.1) send one right code per token, so every
//! request is a full accept: API-key check, read, HMAC, the atomic update
//! and the audit row, committed (SQLite: WAL, synchronous=FULL; PostgreSQL:
//! a throw-away cluster with default settings, fsync on). A run stops after
//! every token or `IPPUN_BENCH_SECONDS` (default 30 s), whichever comes
//! first. Then the same clients on the same server and connections ask
//! `GET /v1/health` as often (the floor: HTTP alone), and a fresh center
//! serves one client alone (a tenth of the tokens). Clients and server
//! share the machine's cores. As a second floor, the same center is also
//! asked directly, with no HTTP at all: as many tasks as clients call
//! `Center::verify` with the codes of the next step (what the data path
//! alone can do). `IPPUN_BENCH_BACKEND=sqlite` or `postgres`
//! runs one backend.
#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::cast_precision_loss)]

#[path = "../tests/support/pg.rs"]
mod pg;
#[path = "../tests/support/seed.rs"]
mod seed;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ippun_center::http;
use ippun_center::{Backend, Center, Config, MasterKey};
use ippun_core::otp::{OtpParams, Totp};
use ippun_core::{Clock, SecretKey, SteppingClock};

const SERVICE: &str = "LOAD-BANK";
const T0: u64 = 1_800_000_000 / 60 * 60 + 5;

fn env_num(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Outcome {
    backend: &'static str,
    clients: usize,
    verify: Run,
    health: Run,
    /// The same center asked without HTTP.
    direct: Run,
    /// Mean checks per commit.
    batch: f64,
}

/// One load phase: answers as hoped, others, time, each request's latency.
struct Run {
    ok: usize,
    other: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Run {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }
}

/// What one client (thread or task) saw, and then all of them together.
#[derive(Default)]
struct Tally {
    ok: usize,
    other: usize,
    latencies: Vec<Duration>,
}

impl Tally {
    /// One request: how long it took, whether it was answered as hoped.
    fn record(&mut self, took: Duration, good: bool) {
        self.latencies.push(took);
        if good {
            self.ok += 1;
        } else {
            self.other += 1;
        }
    }

    fn absorb(&mut self, other: Tally) {
        self.ok += other.ok;
        self.other += other.other;
        self.latencies.extend(other.latencies);
    }

    /// The phase, over `elapsed`, latencies sorted.
    fn into_run(mut self, elapsed: Duration) -> Run {
        self.latencies.sort();
        Run {
            ok: self.ok,
            other: self.other,
            elapsed,
            latencies: self.latencies,
        }
    }
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round();
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    sorted[i as usize]
}

/// The token keys of the run: distinct, reproducible.
fn token_keys(tokens: usize) -> Vec<[u8; 20]> {
    let mut keys: Vec<[u8; 20]> = vec![[0; 20]; tokens];
    for (i, k) in keys.iter_mut().enumerate() {
        k[..8].copy_from_slice(&(i as u64).to_be_bytes());
        k[8..].copy_from_slice(b"ippun-bench!");
    }
    keys
}

/// Each token's user (`u<i>`) and its right code at HOTP `counter`.
fn codes_at(keys: &[[u8; 20]], counter: u64) -> Vec<(String, String)> {
    keys.iter()
        .enumerate()
        .map(|(i, k)| {
            let totp = Totp::new(
                &SecretKey::from_bytes(k.to_vec()).unwrap(),
                OtpParams::default(),
            );
            (format!("u{i}"), totp.code_at_counter(counter).to_string())
        })
        .collect()
}

/// A center on `db` with one imported token per key, serving on loopback;
/// its API key.
fn start_center(
    rt: &tokio::runtime::Runtime,
    db: &str,
    keys: &[[u8; 20]],
) -> (Arc<Center>, http::Running, String) {
    let clock: Arc<dyn Clock> =
        Arc::new(SteppingClock::new(Duration::from_secs(T0), Duration::ZERO));
    rt.block_on(async {
        let c = Arc::new(
            Center::open(
                db,
                MasterKey::generate().unwrap(),
                clock,
                Config::default().without_rate_limits(),
            )
            .await
            .unwrap(),
        );
        let key = seed::service_with_tokens(&c, SERVICE, "Load", keys).await;
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let running = http::serve(tcp, None, c.clone()).unwrap();
        (c, running, key)
    })
}

fn run(backend: Backend, db: &str, tokens: usize, clients: usize, limit: Duration) -> Outcome {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let keys = token_keys(tokens);
    let (center, running, api_key) = start_center(&rt, db, &keys);
    let url = format!("{}/v1/verify", running.url());
    let step = T0 / 60;
    let bodies: Vec<String> = codes_at(&keys, step)
        .into_iter()
        .map(|(user, otp)| {
            serde_json::json!({"service": SERVICE, "user": user, "otp": otp}).to_string()
        })
        .collect();
    let auth = format!("Bearer {api_key}");
    let verify = load(clients, bodies.len(), limit, |agent, i| {
        match agent
            .post(&url)
            .header("content-type", "application/json")
            .header("authorization", &auth)
            .send(bodies[i].as_bytes())
        {
            Ok(mut r) => {
                let s = r.body_mut().read_to_string().unwrap_or_default();
                r.status() == 200 && s.contains("\"ok\":true")
            }
            Err(_) => false,
        }
    });
    // The floor: the same server, clients and connections, on the one
    // endpoint that does no work.
    let health_url = format!("{}/v1/health", running.url());
    let health = load(clients, bodies.len().max(20_000), limit, |agent, _| {
        agent
            .get(&health_url)
            .call()
            .is_ok_and(|mut r| r.status() == 200 && r.body_mut().read_to_string().is_ok())
    });
    let (batches, checks) = center.verify_batches();
    let next = codes_at(&keys, step + 1);
    let direct = rt.block_on(direct(&center, &api_key, next, clients, limit));
    rt.block_on(async {
        running.shutdown().await.unwrap();
        center.pool().close().await;
    });
    Outcome {
        clients,
        batch: checks as f64 / batches.max(1) as f64,
        backend: match backend {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        },
        verify,
        health,
        direct,
    }
}

/// `codes` (user, code) verified by `tasks` tasks calling the center
/// directly, one after the other per task; stops early after `limit`.
async fn direct(
    center: &Arc<Center>,
    api_key: &str,
    codes: Vec<(String, String)>,
    tasks: usize,
    limit: Duration,
) -> Run {
    let rp = Arc::new(center.relying_party(api_key).await.unwrap().unwrap());
    let codes = Arc::new(codes);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let deadline = start + limit;
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let (center, rp, codes, next) =
                (center.clone(), rp.clone(), codes.clone(), next.clone());
            tokio::spawn(async move {
                let mut tally = Tally::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= codes.len() || Instant::now() > deadline {
                        break;
                    }
                    let t = Instant::now();
                    let good = center
                        .verify(&rp, &codes[i].0, &codes[i].1)
                        .await
                        .is_ok_and(|v| v.reason() == "ok");
                    tally.record(t.elapsed(), good);
                }
                tally
            })
        })
        .collect();
    let mut all = Tally::default();
    for h in handles {
        all.absorb(h.await.unwrap());
    }
    all.into_run(start.elapsed())
}

/// `n` requests (`send(agent, i)`, true when answered as hoped) from
/// `clients` threads, each with its own keep-alive connection, one after
/// the other per thread; stops early after `limit`.
fn load(
    clients: usize,
    n: usize,
    limit: Duration,
    send: impl Fn(&ureq::Agent, usize) -> bool + Sync,
) -> Run {
    let next = AtomicUsize::new(0);
    let all = Mutex::new(Tally {
        latencies: Vec::with_capacity(n),
        ..Tally::default()
    });
    let start = Instant::now();
    let deadline = start + limit;
    std::thread::scope(|scope| {
        for _ in 0..clients {
            scope.spawn(|| {
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .build()
                    .into();
                let mut tally = Tally::default();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n || Instant::now() > deadline {
                        break;
                    }
                    let t = Instant::now();
                    let good = send(&agent, i);
                    tally.record(t.elapsed(), good);
                }
                all.lock().unwrap().absorb(tally);
            });
        }
    });
    all.into_inner().unwrap().into_run(start.elapsed())
}

/// Raw HOTP checks per second (HMAC-SHA1, 6 digits, key already in memory)
/// on `threads` threads for about a second: the ceiling for any center.
fn raw_hmac_rate(threads: usize) -> f64 {
    let totp = Totp::new(
        &SecretKey::from_bytes(b"12345678901234567890".to_vec()).unwrap(),
        OtpParams::default(),
    );
    let totp = Arc::new(totp);
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let totp = totp.clone();
            std::thread::spawn(move || {
                let mut n = 0u64;
                let mut hits = 0u64;
                let end = Instant::now() + Duration::from_secs(1);
                while Instant::now() < end {
                    for k in 0..1000u64 {
                        if totp
                            .code_at_counter(t as u64 * 1_000_000 + n + k)
                            .to_string()
                            == "123456"
                        {
                            hits += 1;
                        }
                    }
                    n += 1000;
                }
                std::hint::black_box(hits);
                n
            })
        })
        .collect();
    let total: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    total as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // and wants a quick smoke run.
    let full = std::env::args().any(|a| a == "--bench");
    let tokens = env_num("IPPUN_BENCH_TOKENS", if full { 20_000 } else { 200 });
    let clients = env_num("IPPUN_BENCH_CLIENTS", 32);
    let limit = Duration::from_secs(env_num("IPPUN_BENCH_SECONDS", 30) as u64);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);

    // A lone client too, on a fresh center: its latency is what one
    // customer at a quiet hour sees.
    let lone = (tokens / 10).max(100);
    let dir = tempfile::tempdir().unwrap();
    let sqlite = |name: &str| format!("sqlite:{}", dir.path().join(name).display());
    let only = std::env::var("IPPUN_BENCH_BACKEND").unwrap_or_default();
    let mut outcomes = Vec::new();
    if only != "postgres" {
        outcomes.push(run(
            Backend::Sqlite,
            &sqlite("load.db"),
            tokens,
            clients,
            limit,
        ));
        outcomes.push(run(Backend::Sqlite, &sqlite("lone.db"), lone, 1, limit));
    }
    if only != "sqlite" {
        let cluster = pg::PgCluster::start_with(true);
        let pg = Backend::Postgres;
        outcomes.push(run(pg, &cluster.new_db(), tokens, clients, limit));
        outcomes.push(run(pg, &cluster.new_db(), lone, 1, limit));
        drop(cluster);
    }
    let one = raw_hmac_rate(1);
    let all = raw_hmac_rate(cores);

    println!(
        "verify API on loopback: {tokens} tokens ({lone} for one client), {cores} cores shared by clients and center"
    );
    println!(
        "| backend | clients | requests | accepted | other | seconds | verifies/s | p50 ms | p99 ms | max ms | health/s (floor) | verify / floor | checks per commit | no HTTP: verifies/s | p50 ms | p99 ms |"
    );
    println!(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for o in &outcomes {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let v = &o.verify;
        println!(
            "| {} | {} | {} | {} | {} | {:.2} | {:.0} | {:.2} | {:.2} | {:.2} | {:.0} | {:.1} % | {:.1} | {:.0} | {:.2} | {:.2} |",
            o.backend,
            o.clients,
            v.latencies.len(),
            v.ok,
            v.other,
            v.elapsed.as_secs_f64(),
            v.rate(),
            ms(pct(&v.latencies, 0.50)),
            ms(pct(&v.latencies, 0.99)),
            ms(v.latencies.last().copied().unwrap_or_default()),
            o.health.rate(),
            100.0 * v.rate() / o.health.rate(),
            o.batch,
            o.direct.rate(),
            ms(pct(&o.direct.latencies, 0.50)),
            ms(pct(&o.direct.latencies, 0.99)),
        );
    }
    println!(
        "| raw HOTP check (ceiling) | 1 thread: {one:.0}/s | {cores} threads: {all:.0}/s | | | | | | | | | | | | | |"
    );
    for o in &outcomes {
        assert_eq!(
            o.verify.other, 0,
            "{}: every request must be accepted",
            o.backend
        );
        assert_eq!(
            o.direct.other, 0,
            "{}: every direct check must be accepted",
            o.backend
        );
        assert_eq!(
            o.health.other, 0,
            "{}: every health request must be answered",
            o.backend
        );
    }
}
