//! Helpers for driving the real `ippun` binary.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ippun_core::token::{NewToken, Provisioning, SecretBytes};
use ippun_core::vault::KeyStorePolicy;
use ippun_core::{Digits, FixedClock, Home, Opened, OtpParams};

/// A multiple of 60: the start of a step; the time seeded tokens are added.
pub const T0: u64 = 1_800_000_000;
/// When seeded tokens expire.
pub const EXPIRES: u64 = T0 + 400 * 86_400;

/// The data folder `dir`, its device key in a file.
pub fn home(dir: &Path) -> Home {
    Home::new(dir.to_path_buf()).with_policy(KeyStorePolicy::FileOnly)
}

/// Puts active tokens in the vault of `dir` through the core API, as
/// provisioning does: (service name, user, key byte), 8 digits, SHA-1,
/// 60 s; service `SVC-<name>`, serial `1000000<key>`.
pub fn seed(dir: &Path, tokens: &[(&str, &str, u8)]) {
    let Opened::Ready(mut v) = home(dir).open().unwrap() else {
        panic!("a fresh vault opens unlocked")
    };
    for (service, user, key) in tokens {
        v.add_token(
            NewToken {
                service_id: format!("SVC-{service}"),
                service_name: (*service).to_owned(),
                user_id: (*user).to_owned(),
                serial: format!("1000000{key}"),
                expires_at: EXPIRES,
                logo_url: None,
                link_url: None,
                params: OtpParams {
                    digits: Digits::EIGHT,
                    ..OtpParams::default()
                },
                secret: SecretBytes::new(vec![*key; 20]),
                device_signing_key: None,
                provisioning: Provisioning::Active,
                center_url: None,
                center_key: None,
                pending_confirm: None,
            },
            &FixedClock::from_unix(T0),
        )
        .unwrap();
    }
}

/// The result of one run.
#[derive(Debug, PartialEq, Eq)]
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

/// The `ippun` command (which becomes `ippun-app` for all but plain `otp`).
pub fn bin() -> Command {
    program(Path::new(env!("CARGO_BIN_EXE_ippun")))
}

/// `bin/ippun` and `libexec/ippun/ippun` (the full program) in a folder of
/// their own, as the Linux packages install them; the path of `bin/ippun`.
/// Hard links where the file system allows (the full program is large).
pub fn installed(dir: &Path) -> PathBuf {
    let place = |from: &str, to: PathBuf| {
        std::fs::create_dir_all(to.parent().expect("a parent")).expect("make the folder");
        if std::fs::hard_link(from, &to).is_err() {
            std::fs::copy(from, &to).expect("copy the program");
        }
        to
    };
    place(
        env!("CARGO_BIN_EXE_ippun-app"),
        dir.join("libexec/ippun/ippun"),
    );
    place(env!("CARGO_BIN_EXE_ippun"), dir.join("bin/ippun"))
}

/// A program of ours, in the test environment.
pub fn program(path: &Path) -> Command {
    let mut c = Command::new(path);
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
    run(bin(), args, stdin, env)
}

/// Runs `cmd` with `args`, `stdin` and extra environment.
pub fn run(mut cmd: Command, args: &[&str], stdin: &str, env: &[(&str, Option<&str>)]) -> Run {
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
