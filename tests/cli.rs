//! The command-line contract of SPEC §9 for `otp` and `explain`.

#![allow(clippy::unwrap_used)] // tests: a failed step should panic

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::{assert_clean, bin, ippun, ippun_stdin};
use ippun_core::{ErrorCode, Lang};

const RFC_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const SEED32: &str = "3132333435363738393031323334353637383930313233343536373839303132";
const SEED64: &str = "31323334353637383930313233343536373839303132333435363738393031323334353637383930313233343536373839303132333435363738393031323334";

#[test]
fn otp_prints_the_rfc_6238_codes_alone() {
    let r = ippun(&[
        "otp", "--secret", RFC_B32, "--time", "59", "--digits", "8", "--period", "30",
    ]);
    assert_eq!(
        (r.status, r.stdout.as_str(), r.stderr.as_str()),
        (0, "94287082\n", "")
    );
    let cases = [
        (SEED32, "sha256", "59", "46119246"),
        (SEED64, "sha512", "59", "90693936"),
        (SEED32, "sha256", "20000000000", "77737706"),
        (SEED64, "sha512", "2603-10-11T11:33:20Z", "47863826"),
    ];
    for (seed, alg, time, code) in cases {
        let r = ippun(&[
            "otp",
            "--secret-hex",
            seed,
            "--algorithm",
            alg,
            "--time",
            time,
            "--digits",
            "8",
            "--period",
            "30",
        ]);
        assert_eq!(
            (r.status, r.stdout.trim()),
            (0, code),
            "{alg} {time}: {}",
            r.stderr
        );
    }
}

#[test]
fn otp_defaults_are_six_digits_sha1_sixty_seconds() {
    // t = 119 is step 1 with 60-second steps: the same as RFC 4226 counter 1.
    let r = ippun(&["otp", "--secret", RFC_B32, "--time", "119"]);
    assert_eq!((r.status, r.stdout.as_str()), (0, "287082\n"));
    let r = ippun(&["otp", "--secret", RFC_B32, "--time", "120"]);
    assert_eq!(r.stdout, "359152\n");
}

#[test]
fn otp_hotp_counter_stdin_secret_and_fake_time() {
    let r = ippun(&["otp", "--secret", RFC_B32, "--counter", "9"]);
    assert_eq!(r.stdout, "520489\n");
    let r = ippun_stdin(
        &[
            "otp", "--secret", "-", "--time", "59", "--digits", "8", "--period", "30",
        ],
        &format!("{RFC_B32}\n"),
    );
    assert_eq!(
        (r.status, r.stdout.as_str()),
        (0, "94287082\n"),
        "{}",
        r.stderr
    );
    // --fake-time moves the clock; 30-second steps leave 29 s of margin.
    let r = ippun(&[
        "--fake-time",
        "1970-01-01T00:00:30Z",
        "otp",
        "--secret",
        RFC_B32,
        "--digits",
        "8",
        "--period",
        "30",
    ]);
    assert_eq!(r.stdout, "94287082\n", "{}", r.stderr);
}

#[test]
fn bad_input_is_a_usage_error_in_the_users_language() {
    let cases: &[(&[&str], &str)] = &[
        (&["otp", "--secret", "GEZ1", "--time", "0"], "character 4"),
        (&["otp", "--secret", "", "--time", "0"], "empty"),
        (&["otp", "--secret", "A", "--time", "0"], "whole bytes"),
        (&["otp", "--secret", RFC_B32, "--digits", "9"], "6, 7 or 8"),
        (&["otp", "--secret", RFC_B32, "--digits", "x"], "6, 7 or 8"),
        (&["otp", "--secret", RFC_B32, "--period", "0"], "at least 1"),
        (
            &["otp", "--secret", RFC_B32, "--period", "-30"],
            "at least 1",
        ),
        (&["otp", "--secret", RFC_B32, "--algorithm", "md5"], "md5"),
        (
            &["otp", "--secret", RFC_B32, "--time", "soon"],
            "Cannot read the time",
        ),
        (&["otp", "--secret", RFC_B32, "--time", "-1"], "before 1970"),
        (
            &["otp", "--secret", RFC_B32, "--time", "99999999999999999999"],
            "Cannot read",
        ),
        (&["otp", "--secret", RFC_B32, "--counter", "-1"], "counter"),
        (&["otp", "--secret-hex", "zz"], "hexadecimal"),
        (
            &["--fake-time", "never", "otp", "--secret", RFC_B32],
            "Cannot read the time",
        ),
        (&["otp"], "--secret"),
        (
            &["otp", "--secret", RFC_B32, "--time", "1", "--counter", "1"],
            "cannot be used",
        ),
        (&["explain"], "required"),
        (&["--lang", "de", "explain", "A911"], "de"),
    ];
    for (args, needle) in cases {
        let r = ippun(args);
        assert_clean(&r);
        assert_eq!(r.status, 2, "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?} printed {:?}", r.stdout);
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
    }
    let r = ippun(&["--lang", "ja", "otp", "--secret", "GEZ1", "--time", "0"]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("4文字目"), "{}", r.stderr);
    // The secret is never echoed back.
    let r = ippun(&["otp", "--secret", "MYSECRETKEY1", "--time", "0"]);
    assert!(!r.stderr.contains("MYSECRET"), "{}", r.stderr);
}

#[test]
fn no_window_without_a_display_is_a_clear_usage_error() {
    let home = tempfile::tempdir().unwrap();
    let r = common::ippun_env(
        &["--home", home.path().to_str().unwrap()],
        "",
        &[("DISPLAY", None), ("WAYLAND_DISPLAY", None)],
    );
    assert_eq!(r.status, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("window could not be opened"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

#[test]
fn explain_every_code_in_both_languages() {
    for code in ErrorCode::ALL {
        for lang in Lang::ALL {
            let r = ippun(&["explain", code.as_str(), "--lang", lang.as_str()]);
            assert_eq!(r.status, 0, "{code} {lang}: {}", r.stderr);
            let first = r.stdout.lines().next().unwrap_or_default();
            assert_eq!(first, format!("{code} — {}", code.message(lang)));
            assert!(r.stdout.contains(&code.remedy(lang)));
            assert!(r.stdout.contains(&code.helpdesk(lang)));

            let r = ippun(&[
                "explain",
                &code.as_str().to_lowercase(),
                "--json",
                "--lang",
                lang.as_str(),
            ]);
            assert_eq!(r.status, 0);
            let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
            assert_eq!(v["code"], code.as_str());
            assert_eq!(v["phase"], code.phase().as_str());
            assert_eq!(v["message"], code.message(lang));
            assert_eq!(v["remedy"], code.remedy(lang));
            assert_eq!(v["retryable"], code.retryable());
        }
    }
}

#[test]
fn explain_all_lists_every_code_once() {
    for lang in ["ja", "en"] {
        let r = ippun(&["explain", "--all", "--lang", lang]);
        assert_eq!(r.status, 0);
        // One header line, then one line per code.
        assert_eq!(r.stdout.lines().count(), ErrorCode::ALL.len() + 1);
        for code in ErrorCode::ALL {
            let n = r
                .stdout
                .lines()
                .filter(|l| l.starts_with(code.as_str()))
                .count();
            assert_eq!(n, 1, "{code} in --all ({lang})");
        }
    }
    let r = ippun(&["explain", "--all", "--json"]);
    let v: Vec<serde_json::Value> = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v.len(), ErrorCode::ALL.len());
    let ext: Vec<&str> = v
        .iter()
        .filter(|e| e["origin"] == "extension")
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert!(ext.contains(&"A917") && ext.contains(&"A996") && ext.contains(&"S4F1"));
}

#[test]
fn explain_unknown_code_suggests_what_was_meant() {
    let r = ippun(&["explain", "SOB1"]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("S0B1"), "{}", r.stderr);
    let r = ippun(&["--lang", "ja", "explain", "ZZZZ"]);
    assert_eq!(r.status, 2);
    assert!(
        r.stderr
            .contains("ZZZZ はippunのエラーコードではありません"),
        "{}",
        r.stderr
    );
}

#[test]
fn system_locale_picks_the_language() {
    let r = bin()
        .args(["explain", "A914"])
        .env("LANG", "ja_JP.UTF-8")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&r.stdout);
    assert!(
        out.starts_with("A914 — ロック解除コードが正しくありません。"),
        "{out}"
    );
}

#[test]
fn a_reader_that_goes_away_is_not_a_crash() {
    // About 2 MB of output: far more than a pipe buffer, so the writer does
    // meet the closed pipe.
    let times: Vec<String> = (0..5000).map(|t| t.to_string()).collect();
    let times = times.join(",");
    let mut child = bin()
        .args([
            "vectors", "generate", "--secret", RFC_B32, "--trace", "--time", &times,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The pipe closes here, with nearly all of the output unread.
    let out = child.wait_with_output().unwrap();
    assert_eq!(first, "format = 1\n");
    assert!(out.status.success(), "{:?}", out.status);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

// `ippun` answers plain `otp` forms itself and becomes `ippun-app` for the
// rest; what a user sees must not depend on which of the two answered.

/// `ippun-app`, run directly.
fn app(args: &[&str]) -> common::Run {
    common::run(
        common::program(std::path::Path::new(env!("CARGO_BIN_EXE_ippun-app"))),
        args,
        "",
        &[],
    )
}

#[test]
fn ippun_and_the_full_program_answer_otp_alike() {
    let cases: &[&[&str]] = &[
        &[
            "otp", "--secret", RFC_B32, "--time", "59", "--digits", "8", "--period", "30",
        ],
        &[
            "otp",
            "--secret=gezd gnbv-gy3t qojq gezd gnbv gy3t qojq",
            "--time=1111111109",
        ],
        &[
            "otp",
            "--secret-hex",
            SEED32,
            "--algorithm",
            "sha256",
            "--time",
            "2026-11-24T09:00:00+09:00",
        ],
        &[
            "otp",
            "--secret-hex",
            SEED64,
            "--algorithm",
            "SHA512",
            "--digits",
            "7",
            "--time",
            "20000000000",
        ],
        &[
            "otp",
            "--lang",
            "ja",
            "--home",
            "/nonexistent",
            "--secret",
            RFC_B32,
            "--counter",
            "9",
        ],
        &[
            "otp",
            "--secret",
            RFC_B32,
            "--time",
            "59",
            "--lang",
            "日本語",
        ],
        &["otp", "--secret", RFC_B32, "--time", "59", "--lang", "fr"],
        &["otp", "--secret", RFC_B32, "--time", "59", "--digits", "9"],
        &["otp", "--secret", RFC_B32, "--time", "-1"],
        &["otp", "--secret", RFC_B32, "--time", "99999999999999999999"],
        &[
            "otp", "--secret", RFC_B32, "--secret", RFC_B32, "--time", "0",
        ],
        &[
            "otp",
            "--secret",
            RFC_B32,
            "--counter",
            "1",
            "--period",
            "30",
        ],
        &["otp", "--secret", RFC_B32, "--time"],
        &["otp", "--secret", "", "--time", "0"],
        &["otp", "--secret=", "--time", "0"],
        &["otp", "--secret", RFC_B32, "--time", "0", "extra"],
        &["otp", "--secret", RFC_B32, "--tim", "0"],
        &["otp", "--help"],
        &["otp", "--version"],
    ];
    for args in cases {
        let quick = ippun(args);
        assert_clean(&quick);
        assert_eq!(quick, app(args), "{args:?}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// Any mix of the options, spelled `--name value` or `--name=value`, in
    /// any order, sometimes twice or in conflict.
    #[test]
    fn any_mix_of_otp_options_is_answered_alike(
        picks in proptest::collection::vec((0usize..9, 0usize..4, proptest::bool::ANY), 1..7),
        counter in proptest::bool::ANY,
    ) {
        const VALUES: [[&str; 4]; 9] = [
            [RFC_B32, "gezdgnbvgy3tqojq", "GEZ1", "-"],
            [SEED32, "31", "zz", "3132333435363738393031323334353637383930"],
            ["59", "2026-11-24T09:00:00+09:00", "-1", "soon"],
            ["0", "9", "-1", "18446744073709551615"],
            ["6", "7", "8", "9"],
            ["sha1", "SHA256", "sha512", "md5"],
            ["30", "60", "0", "86400"],
            ["ja", "en", "EN-us", "fr"],
            ["/nonexistent", "rel/dir", "", "-"],
        ];
        const NAMES: [&str; 9] =
            ["secret", "secret-hex", "time", "counter", "digits", "algorithm", "period", "lang", "home"];
        let mut args = vec!["otp".to_owned()];
        for (name, value, joined) in picks {
            let (name, value) = (NAMES[name], VALUES[name][value]);
            if joined {
                args.push(format!("--{name}={value}"));
            } else {
                args.extend([format!("--{name}"), value.to_owned()]);
            }
        }
        // The clock never decides: a time or a counter is always given.
        let pin = if counter { ["--counter", "5"] } else { ["--time", "1800000000"] };
        args.extend(pin.map(str::to_owned));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let quick = ippun(&args);
        proptest::prop_assert!(!quick.stderr.contains("panicked"), "{}", quick.stderr);
        proptest::prop_assert_eq!(quick, app(&args), "{:?}", args);
    }
}

#[test]
fn ippun_answers_otp_alone_and_finds_the_full_program_where_packages_put_it() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let bin_dir = dir.path().join("bin");
    std::fs::create_dir(&bin_dir).unwrap();
    let alone = bin_dir.join("ippun");
    std::fs::copy(env!("CARGO_BIN_EXE_ippun"), &alone).unwrap();
    let run = |args: &[&str]| common::run(common::program(&alone), args, "", &[]);

    // No `ippun-app` anywhere: plain `otp` still works, from this binary alone.
    let r = run(&[
        "otp", "--secret", RFC_B32, "--time", "59", "--digits", "8", "--period", "30",
    ]);
    assert_eq!(
        (r.status, r.stdout.as_str()),
        (0, "94287082\n"),
        "{}",
        r.stderr
    );
    // Everything else says, in the user's language, that the install is broken.
    let r = run(&["explain", "A999"]);
    assert_eq!(r.status, 1);
    assert!(r.stdout.is_empty());
    assert!(
        r.stderr.contains("ippun-app") && r.stderr.contains("install ippun again"),
        "{}",
        r.stderr
    );
    let r = run(&["--lang", "ja", "otp", "--secret", "GEZ1"]);
    assert_eq!(r.status, 1);
    assert!(
        r.stderr.contains("インストールし直してください"),
        "{}",
        r.stderr
    );

    // The Linux packages' layout: bin/ippun and libexec/ippun/ippun.
    let installed = common::installed(&dir.path().join("usr"));
    let run = |args: &[&str]| common::run(common::program(&installed), args, "", &[]);
    let r = run(&["explain", "A999"]);
    assert_eq!(r, app(&["explain", "A999"]));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let r = run(&["--lang", "ja", "otp", "--secret", "GEZ1"]);
    assert_eq!(r.status, 2);
    assert!(r.stderr.contains("4文字目"), "{}", r.stderr);
}
