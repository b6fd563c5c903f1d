//! The window as a real process on a real X server: Xvfb, started here on
//! a display it picks itself, with Mesa's software OpenGL
//! (`scripts/install-deps.sh` installs both, and the accessibility stack).
//!
//! - A second launch on the same data hands over to the open window, which
//!   is asked to the front, and ends with status 0; a command-line command
//!   still finds the data in use (A997).
//! - A screen reader's view through the Linux accessibility stack
//!   (at-spi2-core, pyatspi, in a `dbus-run-session` of its own, with
//!   `ScreenReaderEnabled` set as Orca does; `tests/a11y/tree.py`): the code
//!   screen and the setup form, in both languages.

#![allow(clippy::unwrap_used)] // tests: a failed step should panic

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, PoisonError, mpsc};
use std::time::{Duration, Instant};

/// One real-window test at a time: run side by side, a window of one test
/// was at times refused by its own X server while the other test's
/// processes ended.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Xvfb on a display of its own; the display's name (`:N`). Xvfb here
/// makes no lock files, so a "free" display it picks itself may be another
/// test's: each test takes a number by locking a file of ours for as long
/// as its server runs (the lock goes with the process, however it ends).
fn xvfb() -> (Killed, std::fs::File, String) {
    for n in 240..400 {
        let path = std::env::temp_dir().join(format!("ippun-tests-x{n}.lock"));
        let lock = std::fs::File::create(path).unwrap();
        if lock.try_lock().is_err() {
            continue;
        }
        let mut child = Command::new("Xvfb")
            .arg(format!(":{n}"))
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1024x768x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb (scripts/install-deps.sh installs it)");
        // It writes the number once it accepts clients.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        if line.trim() != n.to_string() {
            // Another X server holds this display: the next one.
            drop(Killed(child));
            continue;
        }
        return (Killed(child), lock, format!(":{n}"));
    }
    panic!("no display number free")
}

fn ippun(display: &str, home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ippun"));
    cmd.args(["--lang", "en", "--home"])
        .arg(home)
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .env("IPPUN_KEYSTORE", "file")
        .env("IPPUN_TIMING", "1")
        .stdin(Stdio::null());
    cmd
}

/// Waits up to `limit` for `child` to end; its status code.
fn wait_for(child: &mut Child, limit: Duration) -> Option<i32> {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// Waits up to `limit` for a line containing `what`; every line read.
fn wait_line(lines: &mpsc::Receiver<String>, what: &str, limit: Duration) -> Result<(), String> {
    let end = Instant::now() + limit;
    let mut seen = String::new();
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(l) if l.contains(what) => return Ok(()),
            Ok(l) => {
                seen.push_str(&l);
                seen.push('\n');
            }
            Err(_) => break,
        }
    }
    Err(seen)
}

#[test]
fn a_second_launch_brings_the_open_window_forward_and_exits_0() {
    let _one = one_at_a_time();
    let (_x, _lock, display) = xvfb();
    let dir = tempfile::tempdir().unwrap();
    let mut first = ippun(&display, dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let err = BufReader::new(first.stderr.take().unwrap());
    let mut first = Killed(first);
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for l in err.lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    wait_line(&lines, "first frame drawn", Duration::from_secs(60))
        .unwrap_or_else(|seen| panic!("the first window did not come up: {seen}"));

    let started = Instant::now();
    let mut second = ippun(&display, dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let code = wait_for(&mut second, Duration::from_secs(20));
    if code.is_none() {
        // A window of its own: not what a second launch should do.
        let _ = second.kill();
    }
    let out = second.wait_with_output().unwrap();
    assert_eq!(
        code,
        Some(0),
        "the second launch ends at once: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("A997"),
        "no A997 from a second window"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
    wait_line(
        &lines,
        "asked to the front by a later launch",
        Duration::from_secs(10),
    )
    .unwrap_or_else(|seen| panic!("the open window was not asked to the front: {seen}"));
    assert_eq!(
        wait_for(&mut first.0, Duration::from_millis(200)),
        None,
        "the open window stays open"
    );

    // The command line still finds the data in use.
    let list = ippun(&display, dir.path())
        .args(["token", "list"])
        .output()
        .unwrap();
    assert_eq!(list.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&list.stderr).starts_with("A997"),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
}

/// One node of the tree as AT-SPI gives it.
#[derive(Debug, serde::Deserialize)]
struct Node {
    role: String,
    name: String,
    text: Option<String>,
}

/// The window's accessibility tree, read through AT-SPI while `ippun` (as
/// installed: a screen reader names the application by the full program's
/// file name) runs on `display`.
fn atspi_tree(display: &str, ippun: &Path, home: &Path, lang: &str) -> Vec<Node> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/a11y/tree.py");
    let out = Command::new("dbus-run-session")
        .arg("--")
        .arg("/usr/bin/python3")
        .arg(script)
        .arg(ippun)
        .args(["--lang", lang, "--home"])
        .arg(home)
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env_remove("AT_SPI_BUS_ADDRESS")
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .env("IPPUN_KEYSTORE", "file")
        .stdin(Stdio::null())
        .output()
        .expect("dbus-run-session (scripts/install-deps.sh installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let tree: Vec<Node> = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        !tree.is_empty(),
        "no tree read: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    tree
}

fn find<'a>(tree: &'a [Node], role: &str, name: &str) -> &'a Node {
    tree.iter()
        .find(|n| n.role == role && n.name == name)
        .unwrap_or_else(|| panic!("no {role} named {name:?} in {tree:#?}"))
}

#[test]
fn screen_readers_read_the_code_screen_and_the_setup_form() {
    let _one = one_at_a_time();
    let (_x, _lock, display) = xvfb();
    let prefix = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let ippun = common::installed(prefix.path());
    let with_token = tempfile::tempdir().unwrap();
    common::seed(with_token.path(), &[("Bank", "u1", 1)]);
    for (lang, window, code, left) in [
        (
            "en",
            "ippun — Bank",
            "One-time password ",
            "Time left for this password: ",
        ),
        (
            "ja",
            "ippun — Bank",
            "ワンタイムパスワード ",
            "このパスワードの残り時間：",
        ),
    ] {
        let tree = atspi_tree(&display, &ippun, with_token.path(), lang);
        find(&tree, "frame", window);
        // The code: said digit by digit, shown grouped.
        let label = tree
            .iter()
            .find(|n| n.role == "label" && n.name.starts_with(code))
            .unwrap_or_else(|| panic!("no code label in {tree:#?}"));
        let spoken = &label.name[code.len()..];
        assert!(
            spoken.len() == 15 && spoken.split(' ').all(|d| d.len() == 1),
            "eight digits, one by one: {spoken:?}"
        );
        let shown = label.text.as_deref().unwrap_or_default();
        assert_eq!(shown.replace(' ', ""), spoken.replace(' ', ""));
        assert_eq!(shown.len(), 9, "shown in two groups: {shown:?}");
        // The countdown bar says the seconds left.
        let bar = tree
            .iter()
            .find(|n| n.role == "progress bar")
            .unwrap_or_else(|| panic!("no countdown in {tree:#?}"));
        let secs: String = bar
            .name
            .strip_prefix(left)
            .unwrap_or_else(|| panic!("countdown named {:?}", bar.name))
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        assert!(matches!(secs.parse::<u32>(), Ok(1..=60)), "{:?}", bar.name);
    }

    let fresh = tempfile::tempdir().unwrap();
    for (lang, fields, send) in [
        ("en", ["Service ID", "User ID"], "Send"),
        ("ja", ["サービスID", "ユーザーID"], "送信"),
    ] {
        let tree = atspi_tree(&display, &ippun, fresh.path(), lang);
        find(&tree, "frame", "ippun");
        for f in fields {
            let entry = find(&tree, "entry", f);
            assert_eq!(entry.text.as_deref(), Some(""));
        }
        assert_eq!(
            tree.iter().filter(|n| n.role == "password text").count(),
            1,
            "the activation password field is masked for screen readers too"
        );
        find(&tree, "push button", send);
    }
}
