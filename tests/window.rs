//! The window as a real process on a real X server: Xvfb, started here on
//! a display it picks itself, with Mesa's software OpenGL
//! (`scripts/install-deps.sh` installs both). A second launch on the same
//! data hands over to the open window, which is asked to the front, and
//! ends with status 0; a command-line command still finds the data in use
//! (A997).

#![allow(clippy::unwrap_used)] // tests: a failed step should panic

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A child process killed when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Xvfb on a free display; the display's name (`:N`).
fn xvfb() -> (Killed, String) {
    let mut child = Command::new("Xvfb")
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
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let n: u32 = line.trim().parse().expect("Xvfb says its display");
    (Killed(child), format!(":{n}"))
}

fn ippun(display: &str, home: &std::path::Path) -> Command {
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
    let (_x, display) = xvfb();
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
