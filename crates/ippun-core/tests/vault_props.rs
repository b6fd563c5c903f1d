//! Random damage to a real vault file — flipped bits, truncation, appended
//! bytes, overwritten runs — always gives a typed error (A996), never a panic,
//! never a token that was not written, and the damaged file is left as it is.

#![allow(clippy::unwrap_used)] // tests: a failed step should panic

use std::fs;
use std::path::Path;
use std::sync::OnceLock;

mod common;

use ippun_core::{ErrorCode, FixedClock, Home, Opened};
use proptest::prelude::*;

struct Fixture {
    _dir: tempfile::TempDir,
    vault: Vec<u8>,
    device_key: Vec<u8>,
}

fn home(dir: &Path) -> Home {
    common::home(dir, "props")
}

/// One real vault with two tokens, written once.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let clock = FixedClock::from_unix(1_800_000_000);
        let Opened::Ready(mut v) = home(dir.path()).open().unwrap() else {
            panic!("new vault")
        };
        for (user, s) in [("u1", 1_u8), ("u2", 2)] {
            v.add_token(common::token("Bank", user, &[s; 20]), &clock)
                .unwrap();
        }
        drop(v);
        Fixture {
            vault: fs::read(dir.path().join("vault.ippun")).unwrap(),
            device_key: fs::read(dir.path().join("device.key")).unwrap(),
            _dir: dir,
        }
    })
}

/// Opens `bytes` as the vault of a fresh folder with the right device key.
fn open_bytes(bytes: &[u8]) -> Result<usize, ErrorCode> {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("vault.ippun"), bytes).unwrap();
    fs::write(dir.path().join("device.key"), &f.device_key).unwrap();
    let result = match home(dir.path()).open() {
        Ok(Opened::Ready(v)) => {
            let users: Vec<String> = v
                .tokens()
                .tokens()
                .iter()
                .map(|t| t.user_id.clone())
                .collect();
            assert_eq!(
                users,
                ["u1", "u2"],
                "a vault that opens holds what was written"
            );
            Ok(v.tokens().len())
        }
        Ok(Opened::Locked(_)) => panic!("a damaged unlocked vault came back locked"),
        Err(e) => Err(e.code()),
    };
    assert_eq!(
        fs::read(dir.path().join("vault.ippun")).unwrap(),
        bytes,
        "file kept"
    );
    result
}

#[test]
fn the_undamaged_fixture_opens() {
    assert_eq!(open_bytes(&fixture().vault), Ok(2));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn flipped_bits(pos in any::<prop::sample::Index>(), bit in 0_u8..8) {
        let mut b = fixture().vault.clone();
        let i = pos.index(b.len());
        b[i] ^= 1 << bit;
        prop_assert_eq!(open_bytes(&b), Err(ErrorCode::A996));
    }

    #[test]
    fn truncated(len in any::<prop::sample::Index>()) {
        let b = &fixture().vault[..len.index(fixture().vault.len())];
        prop_assert_eq!(open_bytes(b), Err(ErrorCode::A996));
    }

    #[test]
    fn appended(extra in prop::collection::vec(any::<u8>(), 1..64)) {
        let mut b = fixture().vault.clone();
        b.extend_from_slice(&extra);
        prop_assert_eq!(open_bytes(&b), Err(ErrorCode::A996));
    }

    #[test]
    fn overwritten_runs(pos in any::<prop::sample::Index>(), run in prop::collection::vec(any::<u8>(), 1..48)) {
        let mut b = fixture().vault.clone();
        let start = pos.index(b.len());
        let end = (start + run.len()).min(b.len());
        let before = b[start..end].to_vec();
        b[start..end].copy_from_slice(&run[..end - start]);
        prop_assume!(before != b[start..end]);
        prop_assert_eq!(open_bytes(&b), Err(ErrorCode::A996));
    }

    #[test]
    fn arbitrary_bytes(b in prop::collection::vec(any::<u8>(), 0..600)) {
        prop_assert_eq!(open_bytes(&b), Err(ErrorCode::A996));
    }
}
