//! The help-desk guide, followed to the letter: every shell block of
//! `docs/helpdesk.md` is run as written, in order, against the real
//! `ippun-center demo` and the real `ippun`, and every code the guide gives
//! commands for must come out of them (`CODE: …` on standard error).
//!
//! The demo center's start line is the one command the test runs itself,
//! in the background, as a help desk runs it in a second terminal. `HOME`
//! is a temporary folder, so `~/…` in the guide never touches the real one.
//! The guide fixes the demo's address, 127.0.0.1:8700; nothing else in the
//! test suite listens there.

#![allow(clippy::unwrap_used)] // tests: a failed step should panic

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Codes the guide explains without commands: only a changed app, a race
/// or the center's clock moving can show them, and the integration tests
/// named in their sections do so.
const WITHOUT_COMMANDS: [&str; 3] = ["S5C1", "S5D1", "S5E1"];

/// One `## …` section of the guide: its heading's code (if it is a code's
/// section) and its `sh` blocks.
#[derive(Debug)]
struct Section {
    title: String,
    code: Option<String>,
    has_reproduce: bool,
    blocks: Vec<String>,
}

fn sections(guide: &str) -> Vec<Section> {
    let mut out: Vec<Section> = Vec::new();
    let mut lines = guide.lines();
    while let Some(line) = lines.next() {
        if let Some(title) = line.strip_prefix("## ") {
            let code = title
                .split_once(" — ")
                .map(|(c, _)| c.to_owned())
                .filter(|c| c.len() == 4 && c.chars().all(|ch| ch.is_ascii_alphanumeric()));
            out.push(Section {
                title: title.to_owned(),
                code,
                has_reproduce: false,
                blocks: Vec::new(),
            });
        } else if line.starts_with("- **Reproduce:**") {
            if let Some(s) = out.last_mut() {
                s.has_reproduce = true;
            }
        } else if line == "```sh" {
            let mut block = String::new();
            for l in lines.by_ref() {
                if l == "```" {
                    break;
                }
                block.push_str(l);
                block.push('\n');
            }
            if let Some(s) = out.last_mut() {
                s.blocks.push(block);
            }
        }
    }
    out
}

fn bin_dir() -> PathBuf {
    let ippun = PathBuf::from(env!("CARGO_BIN_EXE_ippun"));
    let dir = ippun.parent().expect("a folder").to_path_buf();
    assert!(
        dir.join("ippun-center").exists(),
        "{}: no ippun-center beside ippun; run the tests with --workspace (as the README says)",
        dir.display()
    );
    dir
}

fn shell(home: &Path, bin: &Path, script: &str) -> Command {
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(script)
        .env_clear()
        .env("HOME", home)
        .env(
            "PATH",
            format!("{}:/usr/local/bin:/usr/bin:/bin", bin.display()),
        )
        .env("LANG", "C.UTF-8")
        // No desktop keyring on a build machine: the vault key in a file.
        .env("IPPUN_KEYSTORE", "file");
    cmd
}

/// The demo center, started by the guide's own line and stopped at the end.
struct Demo(Child);

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(path: &Path, deadline: Instant) {
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Runs every block of the guide as written: the demo center's start line
/// in the background, every other line in one shell, in order. The shell's
/// transcript, each section's part after an `@@ TITLE` line.
fn run(sections: &[Section], home: &Path, bin: &Path) -> String {
    // The demo center's line, run as the help desk runs it in a second
    // terminal; every other line goes to one shell, in order.
    let mut demo_line = None;
    let mut script = String::from("exec 2>&1\n");
    for s in sections {
        let _ = writeln!(script, "echo '@@ {}'", s.title);
        for block in &s.blocks {
            for line in block.lines() {
                if line.starts_with("ippun-center demo ") {
                    assert!(demo_line.is_none(), "one demo start in the guide");
                    demo_line = Some(line.to_owned());
                } else {
                    script.push_str(line);
                    script.push('\n');
                }
            }
        }
    }
    let demo_line = demo_line.expect("the guide starts the demo center");
    let deadline = Instant::now() + Duration::from_secs(30);
    let profile = home.join("ippun-helpdesk/centers/demo.control");
    let demo = Demo(
        shell(home, bin, &format!("exec {demo_line}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for(&profile, deadline);

    let mut child = shell(home, bin, &script)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let reader = {
        let mut stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = stdout.read_to_string(&mut s);
            s
        })
    };
    // Bounded: the timeouts in the guide are five seconds each.
    let limit = Instant::now() + Duration::from_secs(240);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > limit {
            let _ = child.kill();
            panic!("the guide's commands ran longer than 240 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = reader.join().unwrap();
    drop(demo);
    out
}

/// The transcript's lines by section title.
fn transcript(out: &str) -> HashMap<String, Vec<String>> {
    let mut by_title = HashMap::new();
    let mut current = String::new();
    for line in out.lines() {
        if let Some(t) = line.strip_prefix("@@ ") {
            t.clone_into(&mut current);
            continue;
        }
        by_title
            .entry(current.clone())
            .or_insert_with(Vec::new)
            .push(line.to_owned());
    }
    by_title
}

#[test]
fn the_help_desk_guide_reproduces_every_code() {
    let guide =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/helpdesk.md")).unwrap();
    let sections = sections(&guide);
    let bin = bin_dir();
    let home = tempfile::tempdir().unwrap();

    // Every code with a Reproduce line has commands, except the few the
    // guide sends to the integration tests.
    let reproducible: Vec<&Section> = sections
        .iter()
        .filter(|s| s.code.is_some() && s.has_reproduce)
        .collect();
    for s in &reproducible {
        let code = s.code.as_deref().unwrap();
        assert_eq!(
            s.blocks.is_empty(),
            WITHOUT_COMMANDS.contains(&code),
            "{code}: commands in the guide"
        );
    }
    assert!(reproducible.len() >= 40, "{}", reproducible.len());

    let by_title = transcript(&run(&sections, home.path(), &bin));

    // A code's section shows that code, and no other; a section that only
    // prepares (the tokens for the communication codes) shows none.
    let code_of = |line: &str| {
        line.split_once(": ")
            .and_then(|(c, _)| c.parse::<ippun_core::ErrorCode>().ok())
    };
    let mut wrong = Vec::new();
    for s in &sections {
        let lines = by_title.get(&s.title).cloned().unwrap_or_default();
        let shown: Vec<String> = lines
            .iter()
            .filter_map(|l| code_of(l))
            .map(|c| c.as_str().to_owned())
            .collect();
        let expected = s
            .code
            .as_deref()
            .filter(|_| s.has_reproduce && !s.blocks.is_empty());
        let ok = match expected {
            Some(code) => !shown.is_empty() && shown.iter().all(|c| c == code),
            None => shown.is_empty(),
        };
        if !ok {
            wrong.push(format!(
                "{} (expected {}):\n    {}",
                s.title,
                expected.unwrap_or("no code"),
                lines.join("\n    ")
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "the guide's commands did not show what it says:\n{}",
        wrong.join("\n")
    );
}
