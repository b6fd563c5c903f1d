//! Crash safety: a child process rewrites the vault in a loop and is killed
//! with SIGKILL at random moments, 200 times. After every kill the vault must
//! open and hold either the last content the child finished writing or the
//! one it was writing — never anything else.
//!
//! This test has its own `main` (harness = false): run with `--child DIR G`
//! it is the writer, otherwise it is the test.

#![allow(clippy::unwrap_used)] // tests: a failed step should panic
#![allow(clippy::print_stdout)] // its own harness reports on stdout

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

mod common;

use ippun_core::{FixedClock, Opened, Token, Vault};

const KILLS: usize = 200;

fn open(dir: &Path) -> Vault {
    match common::home(dir, "crash-test").open() {
        Ok(Opened::Ready(v)) => v,
        other => panic!("vault does not open after a kill: {other:?}"),
    }
}

/// The generation written last: the second token's suffix is `g<N>`.
fn generation(v: &Vault) -> u64 {
    let t = &v.tokens().tokens()[1];
    t.suffix
        .strip_prefix('g')
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("unexpected suffix {:?}", t.suffix))
}

/// Everything but the suffix, to check that nothing else ever changes.
fn fixed_part(v: &Vault) -> Vec<Token> {
    v.tokens()
        .tokens()
        .iter()
        .map(|t| Token {
            suffix: String::new(),
            ..t.clone()
        })
        .collect()
}

fn child(dir: &Path, start: u64) {
    let mut v = open(dir);
    let id = v.tokens().tokens()[1].id;
    let mut out = std::io::stdout().lock();
    let mut g = start;
    loop {
        v.rename_token(id, &format!("g{g}")).expect("write");
        writeln!(out, "{g}").expect("report");
        out.flush().expect("report");
        g += 1;
    }
}

/// A small deterministic generator; the seed is printed so a failure can be
/// replayed with `IPPUN_CRASH_SEED`.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn parent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = FixedClock::from_unix(1_800_000_000);
    let baseline = {
        let mut v = open(dir.path());
        v.add_token(common::token("Bank", "u1", &[1; 20]), &clock)
            .expect("add");
        let id = v
            .add_token(common::token("Bank", "u2", &[2; 20]), &clock)
            .expect("add");
        v.rename_token(id, "g0").expect("rename");
        fixed_part(&v)
    };
    let seed = std::env::var("IPPUN_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| getrandom::u64().unwrap_or(0x9e37_79b9_7f4a_7c15) | 1);
    println!("vault crash test: seed {seed}");
    let mut rng = XorShift(seed);
    let exe = std::env::current_exe().expect("own path");
    let mut generation_seen = 0_u64;
    let mut kills_after_a_write = 0;
    let mut kills_mid_write = 0;
    for i in 0..KILLS {
        let mut c = Command::new(&exe)
            .arg("--child")
            .arg(dir.path())
            .arg((generation_seen + 1).to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start writer");
        // Between 0 and 40 ms: sometimes before the first write, mostly in
        // the middle of the loop.
        std::thread::sleep(Duration::from_micros(rng.next() % 40_000));
        c.kill().expect("SIGKILL");
        let stdout = c.stdout.take().expect("stdout");
        let committed: Vec<u64> = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|l| l.parse().ok())
            .collect();
        c.wait().expect("reap");
        let last_done = committed.last().copied().unwrap_or(generation_seen);
        let v = open(dir.path());
        let g = generation(&v);
        assert!(
            g == last_done || g == last_done + 1,
            "kill {i}: vault holds generation {g}, the writer had finished {last_done}"
        );
        assert_eq!(fixed_part(&v), baseline, "kill {i}: other content changed");
        if !committed.is_empty() {
            kills_after_a_write += 1;
        }
        if g == last_done + 1 {
            kills_mid_write += 1;
        }
        generation_seen = g;
    }
    // A test that never killed a writer in its loop would prove nothing.
    assert!(
        kills_after_a_write > KILLS / 2,
        "only {kills_after_a_write} kills happened after a write"
    );
    println!(
        "vault crash test: {KILLS} kills, {kills_after_a_write} after at least one write, \
         {kills_mid_write} where the in-flight write had already landed, final generation {generation_seen}"
    );
    println!("1 passed, 0 failed");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--child") {
        let dir = Path::new(&args[2]);
        let start = args[3].parse().expect("start generation");
        child(dir, start);
        return;
    }
    // cargo test passes libtest flags (e.g. --list during discovery by other
    // runners); there is exactly one test here.
    if args.iter().any(|a| a == "--list") {
        println!("vault_crash: test");
        return;
    }
    parent();
}
