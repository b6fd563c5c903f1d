//! `ippun vectors check|generate` on the repository's vector files.

#![allow(clippy::unwrap_used)] // tests: a failed step should panic

use crate::common;

use std::fs;
use std::process::Command;

use common::{assert_clean, ippun, vectors_dir};

fn vector_files() -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = fs::read_dir(vectors_dir())
        .expect("tests/vectors is readable")
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        // Protocol known answers have their own format and check.
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("protocol"))
        })
        .collect();
    v.sort();
    v
}

#[test]
fn every_vector_in_the_repository_passes() {
    let files = vector_files();
    let names: Vec<_> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "ippun-60s.toml",
            "rfc4226.toml",
            "rfc6238.toml",
            "rfc6287.toml"
        ]
    );
    for path in files {
        let text = fs::read_to_string(&path).unwrap();
        let count = text.matches("[[vector]]").count();
        let r = ippun(&["vectors", "check", path.to_str().unwrap()]);
        assert_eq!(r.status, 0, "{}: {}{}", path.display(), r.stdout, r.stderr);
        assert_eq!(r.stdout, format!("{count} passed, 0 failed\n"));
    }
}

#[test]
fn the_rfc_files_hold_every_published_value() {
    let rfc4226 = fs::read_to_string(vectors_dir().join("rfc4226.toml")).unwrap();
    assert_eq!(rfc4226.matches("hmac = ").count(), 10);
    assert_eq!(rfc4226.matches("truncated = ").count(), 10);
    let rfc6238 = fs::read_to_string(vectors_dir().join("rfc6238.toml")).unwrap();
    for alg in ["sha1", "sha256", "sha512"] {
        for t in [
            "59",
            "1111111109",
            "1111111111",
            "1234567890",
            "2000000000",
            "20000000000",
        ] {
            let name = format!("name = \"RFC 6238 {alg} t={t}\"");
            assert!(rfc6238.contains(&name), "{name}");
        }
    }
}

/// RFC 6287 Appendix C in full: every suite and every published answer.
#[test]
fn the_ocra_file_holds_every_published_value_of_rfc_6287() {
    let text = fs::read_to_string(vectors_dir().join("rfc6287.toml")).unwrap();
    for (suite, count) in [
        ("OCRA-1:HOTP-SHA1-6:QN08", 10),
        ("OCRA-1:HOTP-SHA256-8:C-QN08-PSHA1", 10),
        ("OCRA-1:HOTP-SHA256-8:QN08-PSHA1", 5),
        ("OCRA-1:HOTP-SHA512-8:C-QN08", 10),
        ("OCRA-1:HOTP-SHA512-8:QN08-T1M", 5),
        ("OCRA-1:HOTP-SHA256-8:QA08", 15),
        ("OCRA-1:HOTP-SHA512-8:QA08", 5),
        ("OCRA-1:HOTP-SHA512-8:QA08-PSHA1", 5),
        ("OCRA-1:HOTP-SHA512-8:QA10-T1M", 5),
    ] {
        assert_eq!(
            text.matches(&format!("suite = \"{suite}\"")).count(),
            count,
            "{suite}"
        );
    }
    // A changed answer is reported, so the check above can fail.
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    fs::write(
        &bad,
        text.replacen("code = \"95209754\"", "code = \"95209755\"", 1),
    )
    .unwrap();
    let r = ippun(&["vectors", "check", bad.to_str().unwrap()]);
    assert_eq!(r.status, 1, "{}", r.stdout);
    assert!(r.stdout.contains("69 passed, 1 failed"), "{}", r.stdout);
}

/// The stored own vectors are exactly what the generator writes from the
/// arguments file that `regenerate.sh` uses.
#[test]
fn own_vectors_match_their_generator_arguments() {
    let args_text = fs::read_to_string(vectors_dir().join("ippun-60s.args")).unwrap();
    let args: Vec<String> = args_text.lines().map(|l| l.replace("\\n", "\n")).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = ippun(&args);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let stored = fs::read_to_string(vectors_dir().join("ippun-60s.toml")).unwrap();
    assert!(
        r.stdout == stored,
        "ippun-60s.toml is stale: run tests/vectors/regenerate.sh"
    );
    // The edges the file promises.
    for t in [
        "time = 0\n",
        "time = 59\n",
        "time = 60\n",
        "time = 2147483647\n",
        "time = 4294967296\n",
        "time = 4102444800\n",
        "time = 253402300799\n",
    ] {
        assert!(stored.contains(t), "{t}");
    }
    for d in ["digits = 6\n", "digits = 8\n"] {
        assert!(stored.contains(d));
    }
}

/// The independent cross-check (Python's hmac and oathtool) agrees with every
/// file. oathtool comes from scripts/install-deps.sh.
#[test]
fn independent_implementations_agree() {
    let mut cmd = Command::new("python3");
    cmd.arg(vectors_dir().join("crosscheck.py"));
    for f in vector_files() {
        cmd.arg(f);
    }
    let out = cmd
        .output()
        .expect("python3 is needed for the cross-check (scripts/install-deps.sh)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("crosscheck (python hmac + oathtool): 386 passed, 0 failed"),
        "{stdout}"
    );
}

/// The protocol's key-derivation known answers agree with Python's
/// `cryptography` package (installed by scripts/install-deps.sh); ippun-core's
/// unit tests check the same file against the Rust code.
#[test]
fn protocol_known_answers_agree_with_an_independent_implementation() {
    let out = Command::new("python3")
        .arg(vectors_dir().join("protocol_kat.py"))
        .arg(vectors_dir().join("protocol-kdf.toml"))
        .output()
        .expect("python3 is needed (scripts/install-deps.sh)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("protocol known answers (python cryptography): 131 passed, 0 failed"),
        "{stdout}"
    );
}

#[test]
fn a_wrong_vector_is_listed_and_fails_the_check() {
    let dir = tempfile::tempdir().unwrap();
    let good = fs::read_to_string(vectors_dir().join("rfc4226.toml")).unwrap();
    let bad = good.replacen("code = \"969429\"", "code = \"969428\"", 1);
    assert_ne!(good, bad);
    let path = dir.path().join("bad.toml");
    fs::write(&path, bad).unwrap();
    let r = ippun(&["vectors", "check", path.to_str().unwrap()]);
    assert_eq!(r.status, 1);
    assert!(
        r.stdout
            .contains("MISMATCH RFC 4226 count 3: code expected 969428, got 969429"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.ends_with("9 passed, 1 failed\n"), "{}", r.stdout);
}

#[test]
fn unusable_files_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        fs::write(&p, bytes).unwrap();
        p.to_str().unwrap().to_owned()
    };
    let cases = [
        (write("syntax.toml", b"format = 1\n[[vector]\n"), "line 2"),
        (write("empty.toml", b""), "format"),
        (write("none.toml", b"format = 1\n"), "no vectors"),
        (write("future.toml", b"format = 7\n"), "format 7"),
        (write("binary.toml", &[0xff, 0xfe, 0x00, 0x01]), "UTF-8"),
        (
            dir.path().join("missing.toml").to_str().unwrap().to_owned(),
            "missing.toml",
        ),
        (dir.path().to_str().unwrap().to_owned(), "Cannot use"),
    ];
    for (path, needle) in cases {
        let r = ippun(&["vectors", "check", &path]);
        assert_clean(&r);
        assert_eq!(r.status, 2, "{path}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{path}: {}", r.stderr);
    }
}

#[test]
fn generate_writes_a_file_that_checks() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hotp.toml");
    let r = ippun(&[
        "vectors",
        "generate",
        "--kind",
        "hotp",
        "--secret-hex",
        "3132333435363738393031323334353637383930",
        "--counter",
        "0,1,2,3,4,5,6,7,8,9",
        "--digits",
        "6,7,8",
        "--algorithm",
        "sha1,sha512",
        "--trace",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stderr.contains("60"), "{}", r.stderr);
    let text = fs::read_to_string(&out).unwrap();
    // The RFC 4226 values appear among them.
    assert!(text.contains("hmac = \"cc93cf18508d94934c64b65d8ba7667fb7cde4b0\""));
    assert!(text.contains("code = \"520489\""));
    let r = ippun(&["vectors", "check", out.to_str().unwrap()]);
    assert_eq!(r.stdout, "60 passed, 0 failed\n");
    let r = ippun(&[
        "vectors",
        "generate",
        "--secret",
        "JBSWY3DP",
        "--time",
        "18446744073709551615",
    ]);
    assert_eq!(r.status, 2);
    let r = ippun(&["vectors", "generate", "--secret", "JBSWY3DP"]);
    assert_eq!(r.status, 2, "TOTP without --time must be refused");
    assert!(r.stderr.contains("Nothing to generate"), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}
