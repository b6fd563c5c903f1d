//! `ippun token …`, `ippun code`, `ippun lock …` and `ippun start-over` on a
//! real vault in a temporary `IPPUN_HOME`. Tokens are put there through the
//! core API, as provisioning will.

#![allow(clippy::unwrap_used)] // tests: a failed step should panic

use crate::common;

use std::fs;
use std::path::Path;

use common::{EXPIRES, Run, T0, home, seed};
use ippun_core::{Digits, OtpParams, Period, SecretKey, Totp};

fn expected_code(key: u8, t: u64) -> String {
    let k = SecretKey::from_bytes(vec![key; 20]).unwrap();
    let p = OtpParams {
        digits: Digits::EIGHT,
        period: Period::SIXTY,
        ..OtpParams::default()
    };
    Totp::new(&k, p).code_at(t).unwrap().to_string()
}

fn run(dir: &Path, args: &[&str], stdin: &str, lock_code: Option<&str>) -> Run {
    let home = dir.to_str().unwrap();
    let r = common::ippun_env(
        args,
        stdin,
        &[
            ("IPPUN_HOME", Some(home)),
            ("IPPUN_KEYSTORE", Some("file")),
            ("IPPUN_LOCK_CODE", lock_code),
        ],
    );
    common::assert_clean(&r);
    r
}

fn at(t: u64) -> String {
    t.to_string()
}

#[test]
fn list_and_codes() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &["token", "list"], "", None);
    assert_eq!(
        (r.status, r.stdout.as_str()),
        (0, "There are no tokens yet.\n")
    );
    seed(
        dir.path(),
        &[("Bank", "u1", 1), ("Bank", "u2", 2), ("Card", "u1", 3)],
    );

    let r = run(
        dir.path(),
        &["--fake-time", &at(T0), "token", "list"],
        "",
        None,
    );
    assert_eq!(r.status, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", r.stdout);
    assert!(lines[0].starts_with("Name"));
    assert!(lines[1].starts_with("Bank  ") && lines[1].contains("10000001"));
    assert!(lines[2].starts_with("Bank_2"));
    assert!(lines[3].ends_with("in use"));

    let r = run(
        dir.path(),
        &[
            "--lang",
            "ja",
            "--fake-time",
            &at(EXPIRES - 10 * 86_400),
            "token",
            "list",
        ],
        "",
        None,
    );
    assert!(
        r.stdout.contains("更新できます（残り 10 日）"),
        "{}",
        r.stdout
    );

    let r = run(
        dir.path(),
        &["--fake-time", &at(T0), "token", "list", "--json"],
        "",
        None,
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 3);
    assert_eq!(v[1]["name"], "Bank_2");
    assert_eq!(v[1]["state"]["state"], "active");
    assert_eq!(v[1]["digits"], 8);
    assert!(!r.stdout.contains("secret"));

    let r = run(
        dir.path(),
        &["--fake-time", &at(T0), "code", "Bank_2"],
        "",
        None,
    );
    assert_eq!(r.stdout.trim(), expected_code(2, T0), "{}", r.stderr);
    let r = run(
        dir.path(),
        &["--fake-time", &at(T0), "code", "card", "--next"],
        "",
        None,
    );
    assert_eq!(r.stdout.trim(), expected_code(3, T0 + 60), "{}", r.stderr);

    let r = run(dir.path(), &["code"], "", None);
    assert_eq!(r.status, 2);
    assert!(
        r.stderr.contains("“Bank”, “Bank_2”, “Card”"),
        "{}",
        r.stderr
    );
    let r = run(dir.path(), &["code", "Nope"], "", None);
    assert_eq!(r.status, 2);

    let r = run(
        dir.path(),
        &["--fake-time", &at(EXPIRES), "code", "Card"],
        "",
        None,
    );
    assert_eq!(r.status, 1);
    assert!(r.stderr.starts_with("A919: "), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

/// The expiry (2028-02-19 08:00 UTC) on the day of the computer's zone:
/// the same day in Tokyo, the day before in Honolulu; JSON stays in UTC.
#[test]
fn dates_are_in_the_computers_time_zone() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path(), &[("Bank", "u1", 1)]);
    let list = |tz: &str, lang: &str, json: bool| {
        let mut args = vec!["--lang", lang, "--fake-time", "1800000000", "token", "list"];
        if json {
            args.push("--json");
        }
        let home = dir.path().to_str().unwrap();
        let r = common::ippun_env(
            &args,
            "",
            &[
                ("IPPUN_HOME", Some(home)),
                ("IPPUN_KEYSTORE", Some("file")),
                ("TZ", Some(tz)),
            ],
        );
        common::assert_clean(&r);
        assert_eq!(r.status, 0, "{}", r.stderr);
        r.stdout
    };
    let tokyo = list("Asia/Tokyo", "ja", false);
    assert!(
        tokyo.lines().next().unwrap().contains("有効期限"),
        "{tokyo}"
    );
    assert!(!tokyo.contains("UTC"), "{tokyo}");
    assert!(tokyo.contains("2028年2月19日"), "{tokyo}");
    let honolulu = list("Pacific/Honolulu", "en", false);
    assert!(honolulu.contains("18 Feb 2028"), "{honolulu}");
    assert!(list("Pacific/Honolulu", "ja", false).contains("2028年2月18日"));
    let json: serde_json::Value =
        serde_json::from_str(&list("Pacific/Honolulu", "en", true)).unwrap();
    assert_eq!(json[0]["expires_at"], "2028-02-19T08:00:00Z");
}

#[test]
fn rename_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path(), &[("Bank", "u1", 1), ("Bank", "u2", 2)]);
    let r = run(
        dir.path(),
        &["token", "rename", "Bank_2", "（家族）"],
        "",
        None,
    );
    assert_eq!(
        r.stdout, "The token is now called “Bank（家族）”.\n",
        "{}",
        r.stderr
    );
    let r = run(
        dir.path(),
        &["token", "rename", "Bank（家族）", ""],
        "",
        None,
    );
    assert_eq!(r.status, 1);
    assert!(r.stderr.starts_with("A918: "), "{}", r.stderr);

    let r = run(dir.path(), &["token", "delete", "Bank"], "", None);
    assert_eq!(r.status, 2, "no --yes and no terminal: refused");
    assert_eq!(
        run(dir.path(), &["token", "list", "--json"], "", None)
            .stdout
            .matches("\"name\"")
            .count(),
        2
    );
    let r = run(dir.path(), &["token", "delete", "Bank", "--yes"], "", None);
    assert_eq!(r.stdout, "Deleted “Bank”.\n");
    let r = run(
        dir.path(),
        &["--lang", "ja", "token", "delete", "Bank（家族）", "--yes"],
        "",
        None,
    );
    assert_eq!(
        r.stdout,
        "「Bank（家族）」を削除しました。\nすべてのトークンを削除しました。\n"
    );
}

#[test]
fn app_lock_through_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path(), &[("Bank", "u1", 1)]);
    let r = run(dir.path(), &["lock", "set"], "2580\n2581\n", None);
    assert_eq!(r.status, 1);
    assert!(r.stderr.starts_with("A913: "), "{}", r.stderr);
    let r = run(dir.path(), &["lock", "set"], "25a0\n25a0\n", None);
    assert!(r.stderr.starts_with("A912: "), "{}", r.stderr);
    let r = run(dir.path(), &["lock", "set"], "2580\n2580\n", None);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.contains("cannot be recovered"));
    let r = run(dir.path(), &["lock", "set"], "", Some("2580"));
    assert_eq!(r.status, 2, "already on");

    // Locked: the code comes from IPPUN_LOCK_CODE or standard input.
    let r = run(dir.path(), &["token", "list"], "", None);
    assert!(r.stderr.starts_with("A914: "), "{}", r.stderr);
    let r = run(dir.path(), &["token", "list"], "2580\n", None);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let r = run(
        dir.path(),
        &["--fake-time", &at(T0), "code"],
        "",
        Some("2580"),
    );
    assert_eq!(r.stdout.trim(), expected_code(1, T0));

    // Wrong codes: three free, the fourth starts a wait, even the right code waits.
    for _ in 0..4 {
        let r = run(dir.path(), &["token", "list"], "", Some("1111"));
        assert!(r.stderr.starts_with("A914: "), "{}", r.stderr);
    }
    let r = run(dir.path(), &["token", "list"], "", Some("2580"));
    assert_eq!(r.status, 1);
    assert!(
        r.stderr.starts_with("Please wait 30 seconds")
            || r.stderr.starts_with("Please wait 29 seconds"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("A915: "), "{}", r.stderr);
    let r = run(
        dir.path(),
        &["--fake-time", &at(T0 * 2), "token", "list"],
        "",
        Some("2580"),
    );
    assert_eq!(r.status, 0, "after the wait: {}", r.stderr);

    let r = run(dir.path(), &["lock", "change"], "0000\n1111\n1111\n", None);
    assert!(r.stderr.starts_with("A914: "), "{}", r.stderr);
    let r = run(dir.path(), &["lock", "change"], "2580\n1111\n1111\n", None);
    assert_eq!(
        r.stdout, "The lock code has been changed.\n",
        "{}",
        r.stderr
    );
    let r = run(dir.path(), &["lock", "off"], "2580\n", None);
    assert!(r.stderr.starts_with("A914: "), "{}", r.stderr);
    let r = run(dir.path(), &["lock", "off"], "1111\n", None);
    assert_eq!(r.stdout, "App lock is off.\n", "{}", r.stderr);
    assert_eq!(
        run(dir.path(), &["token", "list", "--json"], "", None).status,
        0
    );
}

#[test]
fn busy_other_device_damaged_and_start_over() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path(), &[("Bank", "u1", 1)]);

    let held = home(dir.path()).open().unwrap();
    let r = run(dir.path(), &["token", "list"], "", None);
    assert!(r.stderr.starts_with("A997: "), "{}", r.stderr);
    drop(held);

    let key = fs::read(dir.path().join("device.key")).unwrap();
    let mut other = key.clone();
    let last = other.len() - 1;
    other[last] ^= 1;
    fs::write(dir.path().join("device.key"), &other).unwrap();
    let r = run(dir.path(), &["token", "list"], "", None);
    assert!(r.stderr.starts_with("A998: "), "{}", r.stderr);
    fs::write(dir.path().join("device.key"), &key).unwrap();

    let vault = dir.path().join("vault.ippun");
    let mut bytes = fs::read(&vault).unwrap();
    bytes.truncate(bytes.len() - 5);
    fs::write(&vault, &bytes).unwrap();
    let r = run(dir.path(), &["token", "list", "--json"], "", None);
    assert_eq!(r.status, 1);
    let e: serde_json::Value = serde_json::from_str(r.stderr.trim()).unwrap();
    assert_eq!(e["code"], "A996");
    assert_eq!(e["phase"], "startup");
    assert!(
        e["remedy"]
            .as_str()
            .unwrap()
            .contains("damaged data is kept")
    );

    let r = run(dir.path(), &["start-over"], "", None);
    assert_eq!(r.status, 2);
    assert_eq!(
        fs::read(&vault).unwrap(),
        bytes,
        "nothing moved without --yes"
    );
    let r = run(dir.path(), &["start-over", "--yes"], "", None);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let kept: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("vault.ippun.damaged-")
        })
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(fs::read(kept[0].path()).unwrap(), bytes);
    let r = run(dir.path(), &["token", "list"], "", None);
    assert_eq!(r.stdout, "There are no tokens yet.\n");
}
