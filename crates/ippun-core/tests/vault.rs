//! The vault on real files in a temporary data folder: every code it owns
//! (A914, A915, A916, A917, A918, A912, A913, A993, A995, A996, A997, A998)
//! produced through the public API.

#![allow(clippy::unwrap_used)] // tests: a failed step should panic

use std::fs;
use std::path::Path;

mod common;

use ippun_core::token::NewToken;
use ippun_core::vault::{KeyStorePolicy, StoreKind};
use ippun_core::{ErrorCode, FixedClock, Home, LockCode, Opened, SteppingClock, Vault};
use sha2::{Digest, Sha256};

const SECRET: &[u8] = b"secret-key-0123456789-abcdef";

fn token(service: &str, user: &str) -> NewToken {
    common::token(service, user, SECRET)
}

fn home(dir: &Path) -> Home {
    common::home(dir, "machine-a")
}

fn ready(h: &Home) -> Vault {
    match h.open() {
        Ok(Opened::Ready(v)) => v,
        other => panic!("expected an open vault, got {other:?}"),
    }
}

fn code_of<T: std::fmt::Debug>(r: Result<T, ippun_core::Error>) -> ErrorCode {
    match r {
        Err(e) => e.code(),
        Ok(v) => panic!("expected an error, got {v:?}"),
    }
}

fn clock() -> FixedClock {
    FixedClock::from_unix(1_800_000_000)
}

#[test]
fn tokens_survive_a_reopen_and_the_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let h = home(dir.path());
    {
        let mut v = ready(&h);
        assert!(!v.exists());
        assert!(
            !h.vault_path().exists(),
            "nothing is written before a change"
        );
        v.add_token(token("Bank", "u1"), &clock()).unwrap();
        v.add_token(token("Bank", "u2"), &clock()).unwrap();
        assert_eq!(v.store_kind(), Some(StoreKind::File));
    }
    let v = ready(&h);
    let names: Vec<String> = v
        .tokens()
        .tokens()
        .iter()
        .map(ippun_core::Token::display_name)
        .collect();
    assert_eq!(names, ["Bank", "Bank_2"]);
    assert_eq!(v.tokens().tokens()[0].secret.expose(), SECRET);
    let bytes = fs::read(h.vault_path()).unwrap();
    assert!(
        !bytes.windows(SECRET.len()).any(|w| w == SECRET),
        "secret in plain text"
    );
    assert!(
        !bytes.windows(4).any(|w| w == b"Bank"),
        "names in plain text"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for f in ["vault.ippun", "device.key"] {
            let mode = fs::metadata(dir.path().join(f))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{f}");
        }
    }
}

#[test]
fn a916_a917_a918_leave_the_file_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let h = home(dir.path());
    let mut v = ready(&h);
    for i in 1..=10 {
        v.add_token(token("Bank", &format!("u{i}")), &clock())
            .unwrap();
    }
    let before = fs::read(h.vault_path()).unwrap();
    assert_eq!(
        code_of(v.add_token(token("Bank", "u3"), &clock())),
        ErrorCode::A916
    );
    assert_eq!(
        code_of(v.add_token(token("Bank", "u11"), &clock())),
        ErrorCode::A917
    );
    let first = v.tokens().tokens()[0].id;
    assert_eq!(code_of(v.rename_token(first, "_2")), ErrorCode::A918);
    assert_eq!(fs::read(h.vault_path()).unwrap(), before);
    drop(v);
    let mut v = ready(&h);
    assert_eq!(v.tokens().len(), 10);
    // Delete and rename are saved.
    v.delete_token(first).unwrap();
    let second = v.tokens().tokens()[0].id;
    v.rename_token(second, "（会社）").unwrap();
    drop(v);
    let v = ready(&h);
    assert_eq!(v.tokens().len(), 9);
    assert_eq!(v.tokens().tokens()[0].display_name(), "Bank（会社）");
}

#[test]
fn a997_one_instance_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let h = home(dir.path());
    let v = ready(&h);
    assert_eq!(code_of(h.open()), ErrorCode::A997);
    drop(v);
    ready(&h);
}

#[test]
fn a998_another_device_and_the_file_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let h = home(dir.path());
    ready(&h).add_token(token("Bank", "u1"), &clock()).unwrap();
    let original = fs::read(h.vault_path()).unwrap();

    // The whole folder copied to another machine.
    assert_eq!(
        code_of(h.clone().with_machine_id("machine-b").open()),
        ErrorCode::A998
    );

    // Device key replaced by another vault's key.
    let other = tempfile::tempdir().unwrap();
    ready(&home(other.path()))
        .add_token(token("X", "u"), &clock())
        .unwrap();
    let key_backup = fs::read(dir.path().join("device.key")).unwrap();
    fs::copy(
        other.path().join("device.key"),
        dir.path().join("device.key"),
    )
    .unwrap();
    assert_eq!(code_of(h.open()), ErrorCode::A998);

    // Device key missing.
    fs::remove_file(dir.path().join("device.key")).unwrap();
    assert_eq!(code_of(h.open()), ErrorCode::A998);
    assert_eq!(
        fs::read(h.vault_path()).unwrap(),
        original,
        "vault kept as it was"
    );

    // Back on the right device it opens again.
    fs::write(dir.path().join("device.key"), key_backup).unwrap();
    assert_eq!(ready(&h).tokens().len(), 1);
}

#[test]
fn a996_damage_is_reported_kept_and_start_over_keeps_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let h = home(dir.path());
    ready(&h).add_token(token("Bank", "u1"), &clock()).unwrap();
    let good = fs::read(h.vault_path()).unwrap();
    let mut flipped = good.clone();
    flipped[good.len() / 2] ^= 0x01;
    let mut appended = good.clone();
    appended.extend_from_slice(b"extra");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", good[..good.len() - 1].to_vec()),
        ("half", good[..good.len() / 2].to_vec()),
        ("flipped", flipped),
        ("appended", appended),
        ("empty", Vec::new()),
        ("garbage", b"hello, this is not a vault".to_vec()),
    ];
    for (name, bytes) in cases {
        fs::write(h.vault_path(), &bytes).unwrap();
        assert_eq!(code_of(h.open()), ErrorCode::A996, "{name}");
        assert_eq!(
            fs::read(h.vault_path()).unwrap(),
            bytes,
            "{name}: file kept"
        );
    }
    let damaged = fs::read(h.vault_path()).unwrap();
    let kept = h.start_over(&clock()).unwrap().unwrap();
    assert_eq!(fs::read(&kept).unwrap(), damaged, "damaged copy kept");
    assert!(!h.vault_path().exists());
    let mut v = ready(&h);
    assert!(v.tokens().is_empty());
    v.add_token(token("Bank", "u1"), &clock()).unwrap();
    assert!(kept.exists());
}

/// Rewrites the SHA-256 at the end after editing, as someone editing the
/// file on purpose would.
fn reseal(bytes: &mut Vec<u8>) {
    let n = bytes.len() - 32;
    let sum = Sha256::digest(&bytes[..n]);
    bytes.truncate(n);
    bytes.extend_from_slice(&sum);
}

#[test]
fn a995_newer_format_is_refused_and_kept() {
    let dir = tempfile::tempdir().unwrap();
    let h = home(dir.path());
    ready(&h).add_token(token("Bank", "u1"), &clock()).unwrap();
    let mut bytes = fs::read(h.vault_path()).unwrap();
    bytes[8] = 2; // format version, little-endian, at offset 8
    reseal(&mut bytes);
    fs::write(h.vault_path(), &bytes).unwrap();
    assert_eq!(code_of(h.open()), ErrorCode::A995);
    assert_eq!(fs::read(h.vault_path()).unwrap(), bytes);
}

#[test]
fn lock_codes_a912_a913() {
    assert_eq!(
        code_of(LockCode::confirmed("12ab", "12ab")),
        ErrorCode::A912
    );
    assert_eq!(code_of(LockCode::confirmed("", "")), ErrorCode::A912);
    assert_eq!(
        code_of(LockCode::confirmed(&"1".repeat(33), &"1".repeat(33))),
        ErrorCode::A912
    );
    assert_eq!(
        code_of(LockCode::confirmed("1234", "4321")),
        ErrorCode::A913
    );
}

#[test]
fn app_lock_a914_a915_and_a_wait_that_survives_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let h = home(dir.path());
    let right = LockCode::confirmed("2580", "2580").unwrap();
    let wrong = LockCode::parse("0000").unwrap();
    {
        let mut v = ready(&h);
        v.add_token(token("Bank", "u1"), &clock()).unwrap();
        v.set_lock(&right).unwrap();
        assert!(v.lock_enabled());
    }
    let t0 = 1_800_000_000;
    let clock = SteppingClock::new(
        std::time::Duration::from_secs(t0),
        std::time::Duration::ZERO,
    );
    // Three wrong codes: no wait yet. Each is counted in the file.
    for n in 1..=3 {
        let Opened::Locked(mut l) = h.open().unwrap() else {
            panic!("not locked")
        };
        assert_eq!(l.failures(), n - 1);
        assert_eq!(code_of(l.unlock(&wrong, &clock)), ErrorCode::A914);
        assert_eq!(l.wait_remaining(&clock), 0);
    }
    // The fourth starts a 30-second wait, kept across a restart.
    let Opened::Locked(mut l) = h.open().unwrap() else {
        panic!()
    };
    assert_eq!(code_of(l.unlock(&wrong, &clock)), ErrorCode::A914);
    drop(l);
    let Opened::Locked(mut l) = h.open().unwrap() else {
        panic!()
    };
    assert_eq!(l.failures(), 4);
    assert_eq!(l.wait_remaining(&clock), 30);
    // During the wait even the right code is not tried.
    assert_eq!(code_of(l.unlock(&right, &clock)), ErrorCode::A915);
    // Setting the clock back does not shorten it.
    clock.set(std::time::Duration::from_secs(t0 - 3600));
    assert_eq!(l.wait_remaining(&clock), 30);
    clock.set(std::time::Duration::from_secs(t0 + 30));
    assert_eq!(l.wait_remaining(&clock), 0);
    let v = l.unlock(&right, &clock).unwrap();
    assert_eq!(v.tokens().len(), 1, "tokens never wiped by wrong codes");
    drop(v);
    let Opened::Locked(l) = h.open().unwrap() else {
        panic!()
    };
    assert_eq!(l.failures(), 0, "a right code resets the count");
}

#[test]
fn editing_the_failure_count_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let h = home(dir.path());
    let right = LockCode::parse("2580").unwrap();
    {
        let mut v = ready(&h);
        v.add_token(token("Bank", "u1"), &clock()).unwrap();
        v.set_lock(&right).unwrap();
    }
    let Opened::Locked(mut l) = h.open().unwrap() else {
        panic!()
    };
    let wrong = LockCode::parse("1").unwrap();
    for _ in 0..4 {
        assert_eq!(code_of(l.unlock(&wrong, &clock())), ErrorCode::A914);
    }
    // The fifth falls in the wait and is not counted.
    assert_eq!(code_of(l.unlock(&wrong, &clock())), ErrorCode::A915);
    drop(l);
    // The failure count sits after the 56-byte header and the 32-byte device check.
    let mut bytes = fs::read(h.vault_path()).unwrap();
    assert_eq!(&bytes[88..92], &4_u32.to_le_bytes());
    bytes[88..92].copy_from_slice(&0_u32.to_le_bytes());
    reseal(&mut bytes);
    fs::write(h.vault_path(), &bytes).unwrap();
    assert_eq!(code_of(h.open()), ErrorCode::A996);
}

#[test]
fn change_and_turn_off_need_the_current_code() {
    let dir = tempfile::tempdir().unwrap();
    let h = home(dir.path());
    let first = LockCode::parse("1111").unwrap();
    let second = LockCode::parse("22222222").unwrap();
    {
        let mut v = ready(&h);
        v.add_token(token("Bank", "u1"), &clock()).unwrap();
        v.set_lock(&first).unwrap();
        assert_eq!(
            code_of(v.change_lock(&second, &second, &clock())),
            ErrorCode::A914
        );
        v.change_lock(&first, &second, &clock()).unwrap();
    }
    let Opened::Locked(mut l) = h.open().unwrap() else {
        panic!()
    };
    assert_eq!(code_of(l.unlock(&first, &clock())), ErrorCode::A914);
    let mut v = l.unlock(&second, &clock()).unwrap();
    assert_eq!(code_of(v.disable_lock(&first, &clock())), ErrorCode::A914);
    v.disable_lock(&second, &clock()).unwrap();
    assert!(!v.lock_enabled());
    drop(v);
    let v = ready(&h);
    assert_eq!(v.tokens().len(), 1);
}

#[test]
fn the_device_key_can_live_in_a_keyring() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = keyring_core::mock::Store::new().unwrap();
    let h = home(dir.path()).with_policy(KeyStorePolicy::Keyring(keyring));
    {
        let mut v = ready(&h);
        v.add_token(token("Bank", "u1"), &clock()).unwrap();
        assert_eq!(v.store_kind(), Some(StoreKind::OsKeyring));
    }
    assert!(!dir.path().join("device.key").exists());
    assert_eq!(ready(&h).tokens().len(), 1);
    // Another keyring (another device, or the entry removed): A998.
    let empty = keyring_core::mock::Store::new().unwrap();
    let elsewhere = home(dir.path()).with_policy(KeyStorePolicy::Keyring(empty));
    assert_eq!(code_of(elsewhere.open()), ErrorCode::A998);
}

#[test]
fn a993_unwritable_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-folder");
    fs::write(&file, b"x").unwrap();
    let h = home(&file);
    assert_eq!(code_of(h.open()), ErrorCode::A993);
}

#[test]
fn nothing_secret_in_debug_output() {
    let dir = tempfile::tempdir().unwrap();
    let h = home(dir.path());
    let mut v = ready(&h);
    v.add_token(token("Bank", "u1"), &clock()).unwrap();
    let shown = format!(
        "{v:?} {:?} {:?}",
        v.tokens(),
        LockCode::parse("2580").unwrap()
    );
    assert!(!shown.contains("2580"));
    let secret_as_list = format!("{:?}", SECRET.to_vec());
    assert!(!shown.contains(&secret_as_list[1..20]), "{shown}");
}
