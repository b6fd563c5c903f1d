//! Helpers for driving the real `ippun` binary.

#![allow(dead_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// The result of one run.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: &Output) -> Self {
        Self {
            // A signal death has no code; -1 never matches an expected status.
            status: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ippun"));
    // Tests must not depend on the machine's locale.
    c.env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "C")
        .env("RUST_BACKTRACE", "0");
    c
}

pub fn ippun(args: &[&str]) -> Run {
    ippun_stdin(args, "")
}

pub fn ippun_stdin(args: &[&str], stdin: &str) -> Run {
    ippun_env(args, stdin, &[])
}

/// Runs with extra environment: `(name, Some(value))` sets, `(name, None)` removes.
pub fn ippun_env(args: &[&str], stdin: &str, env: &[(&str, Option<&str>)]) -> Run {
    let mut cmd = bin();
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let mut child = cmd
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ippun");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    Run::from(&child.wait_with_output().expect("wait for ippun"))
}

/// `tests/vectors` in the source tree.
pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// A run must not have panicked: no panic text, status 0, 1 or 2.
pub fn assert_clean(r: &Run) {
    assert!(
        !r.stderr.contains("panicked"),
        "panic in stderr: {}",
        r.stderr
    );
    assert!(
        matches!(r.status, 0..=2),
        "unexpected status {}: {}",
        r.status,
        r.stderr
    );
}
