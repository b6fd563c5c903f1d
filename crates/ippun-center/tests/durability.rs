//! The verify API's acceptances as durable as its answers claim, with real
//! `ippun-center serve` processes: exactly once across two centers on one
//! PostgreSQL database; every `ok` stored after the center is killed with
//! SIGKILL under load (SQLite and PostgreSQL); and PostgreSQL losing its
//! primary under load, the synchronous standby promoted, the center moving
//! to it by itself.
#![allow(clippy::unwrap_used, clippy::needless_pass_by_value)]

use crate::pg;
#[path = "support/seed.rs"]
mod seed;
#[path = "support/served.rs"]
mod served;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex};
use std::time::{Duration, Instant};

use ippun_center::Backend;
use pg::PgCluster;
use served::{Accepted, Answer, Bank, Served, check_stored, code_at, code_now, seed};

/// 64 attempts of one right code at once, half to each of two centers on
/// one database, for several users: exactly one `ok` per code, the others
/// `reused`, and one `ok` audit row.
#[test]
fn two_centers_on_one_postgres_accept_a_code_once() {
    const USERS: usize = 6;
    const ATTEMPTS: usize = 64;
    let cluster = PgCluster::start();
    let db = cluster.new_db();
    let dir = tempfile::tempdir().unwrap();
    let seeded = seed(&db, dir.path(), USERS);
    let a = Served::start(&seeded, &db);
    let b = Served::start(&seeded, &db);
    let mut oks = Vec::new();
    for (user, totp) in seeded.tokens.iter().enumerate() {
        let otp = code_now(totp);
        let barrier = Barrier::new(ATTEMPTS);
        let answers: Vec<Answer> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..ATTEMPTS)
                .map(|i| {
                    let (base, barrier, otp) =
                        (if i % 2 == 0 { &a.url } else { &b.url }, &barrier, &otp);
                    let bank = Bank::new(&seeded.api_key);
                    s.spawn(move || {
                        bank.warm(base);
                        barrier.wait();
                        bank.verify(base, &format!("u{user}"), otp).unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let reasons: Vec<&str> = answers
            .iter()
            .map(|(s, v)| {
                assert_eq!(*s, 200, "{v}");
                v["reason"].as_str().unwrap_or("(none)")
            })
            .collect();
        let ok = reasons.iter().filter(|r| **r == "ok").count();
        let reused = reasons.iter().filter(|r| **r == "reused").count();
        assert_eq!((ok, reused), (1, ATTEMPTS - 1), "u{user}: {reasons:?}");
        let v = &answers.iter().find(|(_, v)| v["reason"] == "ok").unwrap().1;
        oks.push(Accepted::of(user, v).unwrap());
    }
    drop((a, b));
    check_stored(&db, &oks);
}

/// Right codes for distinct users from `clients` threads against `base`
/// while `go` holds (each token once, in turn, `next` the one after the
/// last taken); every answer, with the user. A request that gets no answer
/// ends its thread when `stop_on_cut`.
fn load(
    bank_key: &str,
    base: &str,
    tokens: &[ippun_core::otp::Totp],
    clients: usize,
    (next, go): (&AtomicUsize, &AtomicBool),
    stop_on_cut: bool,
) -> Vec<(usize, Option<Answer>)> {
    let all = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..clients {
            s.spawn(|| {
                let bank = Bank::new(bank_key);
                let mut mine = Vec::new();
                while go.load(Ordering::Relaxed) {
                    let user = next.fetch_add(1, Ordering::Relaxed);
                    let Some(totp) = tokens.get(user) else { break };
                    let answer = bank.verify(base, &format!("u{user}"), &code_now(totp));
                    let cut = answer.is_none();
                    if matches!(answer, Some((503, _))) {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    mine.push((user, answer));
                    if cut && stop_on_cut {
                        break;
                    }
                }
                all.lock().unwrap().extend(mine);
            });
        }
    });
    all.into_inner().unwrap()
}

/// Waits until `next` reaches `n` (at most 20 s).
fn wait_until(next: &AtomicUsize, n: usize) {
    let end = Instant::now() + Duration::from_secs(20);
    while next.load(Ordering::Relaxed) < n && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn oks(answers: &[(usize, Option<Answer>)]) -> Vec<Accepted> {
    answers
        .iter()
        .filter_map(|(u, a)| {
            a.as_ref()
                .and_then(|(s, v)| (*s == 200).then(|| Accepted::of(*u, v))?)
        })
        .collect()
}

/// The center killed with SIGKILL under load and started again: every
/// `ok` a client received is stored with its audit row, nothing is
/// half-written, and each of those codes sent again is `reused`.
fn killed_under_load(backend: Backend) {
    const TOKENS: usize = 4000;
    let dir = tempfile::tempdir().unwrap();
    let cluster = (backend == Backend::Postgres).then(PgCluster::start);
    let db = match &cluster {
        Some(c) => c.new_db(),
        None => format!("sqlite:{}", dir.path().join("center.db").display()),
    };
    let seeded = seed(&db, dir.path(), TOKENS);
    let mut center = Served::start(&seeded, &db);
    let base = center.url.clone();
    let (next, go) = (AtomicUsize::new(0), AtomicBool::new(true));
    let answers = std::thread::scope(|s| {
        let h = s.spawn(|| {
            load(
                &seeded.api_key,
                &base,
                &seeded.tokens,
                16,
                (&next, &go),
                true,
            )
        });
        wait_until(&next, TOKENS / 2);
        center.kill();
        let answers = h.join().unwrap();
        go.store(false, Ordering::Relaxed);
        answers
    });
    let oks = oks(&answers);
    assert!(
        oks.len() > 100,
        "load ran before the kill: {} accepted",
        oks.len()
    );
    for (_, a) in &answers {
        if let Some((s, v)) = a {
            assert!(
                *s == 200 && v["reason"] == "ok",
                "before the kill only ok: {s} {v}"
            );
        }
    }
    // Started again on the same database.
    let again = Served::start(&seeded, &db);
    check_stored(&db, &oks);
    let bank = Bank::new(&seeded.api_key);
    for ok in &oks {
        let (s, v) = bank
            .verify(
                &again.url,
                &format!("u{}", ok.user),
                &code_at(&seeded.tokens[ok.user], ok.step),
            )
            .unwrap();
        assert_eq!(
            (s, v["reason"].as_str()),
            (200, Some("reused")),
            "{ok:?}: {v}"
        );
    }
}

on_both!(killed_under_load);

/// PostgreSQL with a synchronous standby loses its primary (`pg_ctl -m
/// immediate`) under verify load; the standby is promoted. The center,
/// given both hosts, answers only 200 or 503 throughout, serves again
/// without a restart, and every `ok` it gave is on the new primary.
#[test]
fn postgres_fails_over_to_its_standby_under_load() {
    const TOKENS: usize = 6000;
    let primary = PgCluster::start();
    let standby = primary.standby();
    let db = primary.new_db();
    let name = db.rsplit('/').next().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let seeded = seed(&db, dir.path(), TOKENS);
    let hosts = format!(
        "postgres://postgres@127.0.0.1:{},127.0.0.1:{}/{name}",
        primary.port(),
        standby.port()
    );
    let center = Served::start(&seeded, &hosts);
    let (next, go) = (AtomicUsize::new(0), AtomicBool::new(true));
    // The last token is kept for the check after the load.
    let loaded = &seeded.tokens[..TOKENS - 1];
    let answers = std::thread::scope(|s| {
        let h = s.spawn(|| load(&seeded.api_key, &center.url, loaded, 8, (&next, &go), false));
        wait_until(&next, TOKENS / 4);
        primary.down();
        std::thread::sleep(Duration::from_millis(300));
        standby.promote();
        // Load goes on until the tokens run out or 10 s have passed.
        let end = Instant::now() + Duration::from_secs(10);
        while Instant::now() < end && next.load(Ordering::Relaxed) < loaded.len() {
            std::thread::sleep(Duration::from_millis(50));
        }
        go.store(false, Ordering::Relaxed);
        h.join().unwrap()
    });
    let mut statuses = std::collections::BTreeMap::new();
    for (_, a) in &answers {
        let (s, v) = a.as_ref().expect("every request is answered");
        *statuses.entry(*s).or_insert(0) += 1;
        assert!(*s == 200 || *s == 503, "only 200 or 503: {s} {v}");
        if *s == 200 {
            assert_eq!(v["reason"], "ok", "{v}");
        }
    }
    assert!(
        statuses.contains_key(&503),
        "the outage was seen: {statuses:?}"
    );
    let oks = oks(&answers);
    // Served again after the promotion, by the same process.
    let bank = Bank::new(&seeded.api_key);
    let user = TOKENS - 1;
    let (s, v) = bank
        .verify(
            &center.url,
            &format!("u{user}"),
            &code_now(&seeded.tokens[user]),
        )
        .unwrap();
    assert_eq!((s, v["reason"].as_str()), (200, Some("ok")), "{v}");
    drop(center);
    let new_primary = format!("postgres://postgres@127.0.0.1:{}/{name}", standby.port());
    check_stored(&new_primary, &oks);
    eprintln!("failover: {statuses:?}, {} accepted", oks.len());
}
