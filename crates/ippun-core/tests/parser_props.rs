//! Fuzz-style property tests for what ippun-core parses from outside: the
//! command line's times, counters and secrets, vectors files, and every
//! protocol message the app reads from a center.
//!
//! Each parser gets arbitrary input (it must answer with a value or a typed
//! error, never panic) and input that is almost right: a real, signed
//! message or a real vectors file with one thing changed. A changed signed
//! message must never be accepted; one that comes back the same must be.

#![allow(clippy::unwrap_used)] // tests: a failed step should panic

use std::path::PathBuf;

use ippun_core::input::{format_utc, parse_counter, parse_time};
use ippun_core::protocol::{
    self, AppProvision, Bytes, CenterKey, OfferFields, ServiceInfo, center_corrected,
    center_provision,
};
use ippun_core::txconfirm::{self, PendingStart, Transaction};
use ippun_core::vectors::{self, FileError};
use ippun_core::{Algorithm, Digits, InputError, OtpParams, Period, SecretKey};
use json_change::{apply, change};
use proptest::prelude::*;
use serde_json::Value;

#[path = "common/json_change.rs"]
mod json_change;

// ---------------------------------------------------------------------------
// Command-line times, counters and secrets
// ---------------------------------------------------------------------------

/// The last second of the year 9999, the end of RFC 3339.
const MAX_RFC3339: u64 = 253_402_300_799;

fn rfc3339_with_offset(t: u64, offset_minutes: i32) -> String {
    let off = time::UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap();
    let dt = time::OffsetDateTime::from_unix_timestamp(i64::try_from(t).unwrap())
        .unwrap()
        .to_offset(off);
    dt.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_text_as_a_time_is_a_time_or_a_typed_error(text in "\\PC{0,40}") {
        match parse_time(&text) {
            Ok(_) | Err(InputError::Time(_) | InputError::TimeBeforeEpoch(_)) => {}
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
        }
    }

    #[test]
    fn unix_seconds_read_back(t in any::<u64>(), pad in 0_usize..3) {
        let text = format!("{}{t}{}", " ".repeat(pad), " ".repeat(pad));
        prop_assert_eq!(parse_time(&text), Ok(t));
    }

    #[test]
    fn rfc3339_reads_back_in_any_offset(t in 0_u64..=MAX_RFC3339 - 86_400, minutes in -1439_i32..=1439) {
        prop_assert_eq!(parse_time(&format_utc(t).unwrap()), Ok(t));
        let shifted = rfc3339_with_offset(t, minutes);
        prop_assert_eq!(parse_time(&shifted), Ok(t), "{}", shifted);
    }

    #[test]
    fn negative_seconds_are_before_the_epoch(n in 1_u64..) {
        let text = format!("-{n}");
        prop_assert!(matches!(parse_time(&text), Err(InputError::TimeBeforeEpoch(_))));
    }

    #[test]
    fn numbers_past_u64_are_refused(digits in "[1-9][0-9]{20,30}") {
        prop_assert!(matches!(parse_time(&digits), Err(InputError::Time(_))));
        prop_assert!(matches!(parse_counter(&digits), Err(InputError::Counter(_))));
    }

    #[test]
    fn counters_read_back_and_anything_else_is_typed(n in any::<u64>(), text in "\\PC{0,30}") {
        prop_assert_eq!(parse_counter(&n.to_string()), Ok(n));
        match parse_counter(&text) {
            Ok(v) => prop_assert_eq!(text.trim().parse::<u64>().ok(), Some(v)),
            Err(e) => prop_assert!(matches!(e, InputError::Counter(_))),
        }
    }

    #[test]
    fn any_text_as_a_secret_is_a_key_or_a_typed_error(text in "\\PC{0,120}") {
        match SecretKey::from_base32(&text) {
            Ok(k) => {
                // What was read writes back as base32 that reads the same.
                let again = SecretKey::from_base32(&k.to_base32()).unwrap();
                prop_assert_eq!(again.expose(), k.expose());
            }
            Err(InputError::Base32Character { position }) => {
                prop_assert!(position >= 1 && position <= text.chars().count());
            }
            Err(InputError::Base32Length { .. } | InputError::EmptySecret) => {}
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
        }
        match SecretKey::from_hex(&text) {
            Ok(k) => {
                let hex = k.to_hex();
                prop_assert_eq!(hex.as_str(), text.trim().to_ascii_lowercase());
            }
            Err(e) => prop_assert!(matches!(e, InputError::Hex | InputError::EmptySecret)),
        }
    }

    #[test]
    fn secrets_read_back_however_people_write_them(
        bytes in prop::collection::vec(any::<u8>(), 1..=64),
        lower in any::<bool>(),
        group in prop::sample::select(vec![0_usize, 4, 8]),
        sep in prop::sample::select(vec![" ", "-", "\t"]),
        pad in any::<bool>(),
    ) {
        let plain = base32::encode(base32::Alphabet::Rfc4648 { padding: pad }, &bytes);
        let (body, padding) = plain.split_at(plain.find('=').unwrap_or(plain.len()));
        let mut text = String::new();
        for (i, ch) in body.chars().enumerate() {
            if group > 0 && i > 0 && i % group == 0 {
                text.push_str(sep);
            }
            text.push(if lower { ch.to_ascii_lowercase() } else { ch });
        }
        text.push_str(padding);
        let key = SecretKey::from_base32(&text).unwrap();
        prop_assert_eq!(key.expose(), &bytes[..]);
        let hex_key = SecretKey::from_hex(&hex::encode_upper(&bytes)).unwrap();
        prop_assert_eq!(hex_key.expose(), &bytes[..]);
    }

    #[test]
    fn digits_and_periods_outside_their_range_are_refused(d in any::<u8>(), p in any::<u64>()) {
        prop_assert_eq!(Digits::try_from(d).is_ok(), (6..=8).contains(&d));
        prop_assert_eq!(Period::try_from(p).is_ok(), p >= 1);
    }
}

// ---------------------------------------------------------------------------
// Vectors files
// ---------------------------------------------------------------------------

fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors")
}

/// The repository's vectors files, each as text.
fn vector_files() -> &'static [(String, String)] {
    static FILES: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    FILES.get_or_init(|| {
        [
            "rfc4226.toml",
            "rfc6238.toml",
            "rfc6287.toml",
            "ippun-60s.toml",
        ]
        .iter()
        .map(|n| {
            let text = std::fs::read_to_string(vectors_dir().join(n)).unwrap();
            ((*n).to_owned(), text)
        })
        .collect()
    })
}

/// Parses and, when it parses, checks; what it says about the file.
fn parse_and_check(text: &str) -> Result<(usize, usize), String> {
    match vectors::parse(text) {
        Ok(f) => {
            let r = vectors::check_file(&f);
            Ok((r.passed(), r.failed()))
        }
        Err(
            e @ (FileError::Syntax(_)
            | FileError::Format(_)
            | FileError::Empty
            | FileError::TooLarge),
        ) => Err(e.to_string()),
        Err(e) => panic!("unexpected error from text: {e}"),
    }
}

#[test]
fn the_repository_vectors_all_pass() {
    for (name, text) in vector_files() {
        let (passed, failed) = parse_and_check(text).unwrap();
        assert!(passed > 0, "{name}");
        assert_eq!(failed, 0, "{name}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn vectors_files_with_lines_dropped_duplicated_or_swapped(
        file in 0_usize..4,
        a in any::<prop::sample::Index>(),
        b in any::<prop::sample::Index>(),
        how in 0_u8..3,
    ) {
        let (_, text) = &vector_files()[file];
        let mut lines: Vec<&str> = text.lines().collect();
        let (i, j) = (a.index(lines.len()), b.index(lines.len()));
        match how {
            0 => { lines.remove(i); }
            1 => lines.insert(j, lines[i]),
            _ => lines.swap(i, j),
        }
        let _ = parse_and_check(&lines.join("\n"));
    }

    #[test]
    fn vectors_files_cut_short_or_with_bytes_changed(
        file in 0_usize..4,
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
        cut in any::<bool>(),
    ) {
        let (_, text) = &vector_files()[file];
        let mut bytes = text.as_bytes().to_vec();
        let i = at.index(bytes.len());
        if cut {
            bytes.truncate(i);
        } else {
            bytes[i] = byte;
        }
        // Not UTF-8 any more: `read_file` refuses it before parsing.
        if let Ok(t) = String::from_utf8(bytes) {
            let _ = parse_and_check(&t);
        }
    }

    #[test]
    fn a_changed_expected_code_never_passes(
        file in 0_usize..4,
        which in any::<prop::sample::Index>(),
        digit in any::<prop::sample::Index>(),
        bump in 1_u8..10,
    ) {
        let (_, text) = &vector_files()[file];
        let mut f = vectors::parse(text).unwrap();
        let v = which.get(&f.vectors).clone();
        let i = which.index(f.vectors.len());
        let mut code: Vec<u8> = v.code.clone().into_bytes();
        let d = digit.index(code.len());
        code[d] = b'0' + (code[d] - b'0' + bump) % 10;
        f.vectors[i].code = String::from_utf8(code).unwrap();
        let r = vectors::check_file(&f);
        prop_assert_eq!(r.failed(), 1, "{} with code {}", v.name, f.vectors[i].code);
    }
}

// ---------------------------------------------------------------------------
// Protocol messages
// ---------------------------------------------------------------------------

/// A center key pair, an app's first leg and the center's signed offer.
struct Exchange {
    center: CenterKey,
    app_start: protocol::ProvisionStart,
    app_ephemeral: x25519_dalek::StaticSecret,
    device: ed25519_dalek::SigningKey,
    offer: Value,
}

fn exchange() -> &'static Exchange {
    static E: std::sync::OnceLock<Exchange> = std::sync::OnceLock::new();
    E.get_or_init(|| {
        let signing = protocol::signing_key(&[7; 32]).unwrap();
        let (app_ephemeral, app_public) = protocol::ephemeral().unwrap();
        let device = protocol::new_signing_key().unwrap();
        let app_start = protocol::ProvisionStart {
            version: protocol::VERSION,
            service_id: "DEMO-BANK".into(),
            user_id: "demo-user".into(),
            activation_password: zeroize::Zeroizing::new("demo-1111-2222".into()),
            device_time: 1_800_000_000,
            app_nonce: Bytes([1; 32]),
            app_ephemeral: app_public,
            device_key: protocol::device_public(&device),
        };
        let (center_ephemeral, _) = protocol::ephemeral().unwrap();
        let fields = OfferFields {
            session: Bytes([3; 16]),
            serial: "31738298".into(),
            expires_at: 1_900_000_000,
            params: OtpParams {
                algorithm: Algorithm::Sha256,
                digits: Digits::EIGHT,
                period: Period::SIXTY,
            },
            service: ServiceInfo {
                id: "DEMO-BANK".into(),
                name: "Demo Bank".into(),
                logo_url: None,
                link_url: Some("https://bank.example/".into()),
                tx_confirmation: true,
            },
            center_time: 1_800_000_003,
        };
        let offer = center_provision(
            &app_start,
            fields,
            &signing,
            &center_ephemeral,
            Bytes([5; 32]),
        )
        .unwrap()
        .offer;
        Exchange {
            center: CenterKey::of(&signing),
            app_start,
            app_ephemeral,
            device,
            offer: serde_json::to_value(&offer).unwrap(),
        }
    })
}

/// Whether the app accepts `body` as the center's offer to its first leg.
fn app_accepts_offer(body: &[u8]) -> Result<(), String> {
    let e = exchange();
    let offer: protocol::ProvisionOffer =
        serde_json::from_slice(body).map_err(|err| format!("parse: {err}"))?;
    let app = AppProvision::from_parts(
        e.app_start.clone(),
        e.app_ephemeral.clone(),
        e.device.clone(),
    );
    app.accept(offer, &e.center)
        .map(|_| ())
        .map_err(|err| format!("check: {err}"))
}

#[test]
fn the_unchanged_offer_is_accepted() {
    let body = serde_json::to_vec(&exchange().offer).unwrap();
    assert_eq!(app_accepts_offer(&body), Ok(()));
}

/// A signed correction reply and the request it answers.
fn correction() -> (protocol::CorrectRequest, Value, CenterKey) {
    let signing = protocol::signing_key(&[9; 32]).unwrap();
    let device = protocol::signing_key(&[4; 32]).unwrap();
    let req = protocol::correct_request(
        "31738298",
        Bytes([6; 32]),
        ["123456".into(), "654321".into()],
        1_800_000_600,
        &device,
    );
    let reply = center_corrected(&req, 10, 600, 1_800_000_000, &signing);
    (
        req,
        serde_json::to_value(&reply).unwrap(),
        CenterKey::of(&signing),
    )
}

/// A signed transaction list with a start and two transfers.
fn tx_list() -> (txconfirm::ListRequest, Value, CenterKey) {
    let signing = protocol::signing_key(&[11; 32]).unwrap();
    let device = protocol::signing_key(&[12; 32]).unwrap();
    let req = txconfirm::list_request("31738298", Bytes([8; 32]), &device);
    let tx = |id: &str, amount: &str| Transaction {
        id: id.into(),
        payee: "ヤマダ タロウ".into(),
        account: "一分銀行 本店 普通 1234567".into(),
        amount: amount.into(),
        currency: "JPY".into(),
        reference: "家賃 11月分".into(),
        created_at: 1_800_000_000,
        expires_at: 1_800_000_300,
    };
    let list = txconfirm::center_list(
        &req,
        true,
        Some(PendingStart {
            id: "txs_0123456789abcdef01234567".into(),
            requested_at: 1_799_999_000,
        }),
        vec![
            tx("tx_0123456789abcdef01234567", "150000"),
            tx("tx_89abcdef0123456789abcdef", "1250"),
        ],
        1_800_000_010,
        &signing,
    );
    (
        req,
        serde_json::to_value(&list).unwrap(),
        CenterKey::of(&signing),
    )
}

#[test]
fn the_unchanged_correction_and_list_are_accepted() {
    let (req, reply, key) = correction();
    let reply: protocol::Corrected = serde_json::from_value(reply).unwrap();
    assert!(protocol::check_corrected(&req, &reply, &key).is_ok());
    let (req, list, key) = tx_list();
    let list: txconfirm::List = serde_json::from_value(list).unwrap();
    assert!(txconfirm::check_list(&req, &list, &key).is_ok());
}

/// Checks the changed message: it must not parse, or come back the same
/// and pass, or differ and fail its check.
fn changed_message_is_caught<T>(
    original: &Value,
    changed: &Value,
    check: impl Fn(&T) -> bool,
) -> Result<(), TestCaseError>
where
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    let Ok(parsed) = serde_json::from_value::<T>(changed.clone()) else {
        return Ok(());
    };
    let same = serde_json::to_value(&parsed).unwrap() == *original;
    prop_assert_eq!(check(&parsed), same, "changed to {}", changed);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_as_any_center_reply_never_panic(body in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = serde_json::from_slice::<protocol::ProvisionOffer>(&body);
        let _ = serde_json::from_slice::<protocol::Confirmed>(&body);
        let _ = serde_json::from_slice::<protocol::Challenge>(&body);
        let _ = serde_json::from_slice::<protocol::RenewOffer>(&body);
        let _ = serde_json::from_slice::<protocol::Corrected>(&body);
        let _ = serde_json::from_slice::<protocol::Refusal>(&body);
        let _ = serde_json::from_slice::<protocol::BadRequest>(&body);
        let _ = serde_json::from_slice::<txconfirm::List>(&body);
        let _ = serde_json::from_slice::<txconfirm::Started>(&body);
        let _ = serde_json::from_slice::<txconfirm::Answered>(&body);
        prop_assert!(app_accepts_offer(&body).is_err());
    }

    #[test]
    fn a_changed_offer_is_never_accepted(c in change()) {
        let e = exchange();
        let changed = apply(&e.offer, &c);
        let body = serde_json::to_vec(&changed).unwrap();
        // Accepted only when what was received is the offer as signed.
        if app_accepts_offer(&body).is_ok() {
            let parsed: protocol::ProvisionOffer = serde_json::from_slice(&body).unwrap();
            prop_assert_eq!(serde_json::to_value(&parsed).unwrap(), e.offer.clone(), "accepted {}", changed);
        }
    }

    #[test]
    fn an_offer_cut_short_is_never_accepted(at in any::<prop::sample::Index>()) {
        let body = serde_json::to_vec(&exchange().offer).unwrap();
        let cut = &body[..at.index(body.len())];
        prop_assert!(app_accepts_offer(cut).is_err());
    }

    #[test]
    fn a_changed_correction_reply_is_never_accepted(c in change()) {
        let (req, reply, key) = correction();
        let changed = apply(&reply, &c);
        changed_message_is_caught::<protocol::Corrected>(&reply, &changed, |r| {
            protocol::check_corrected(&req, r, &key).is_ok()
        })?;
    }

    #[test]
    fn a_changed_transaction_list_is_never_accepted(c in change()) {
        let (req, list, key) = tx_list();
        let changed = apply(&list, &c);
        changed_message_is_caught::<txconfirm::List>(&list, &changed, |l| {
            txconfirm::check_list(&req, l, &key).is_ok()
        })?;
    }
}

/// Text made of any characters, with the ones the transaction-text rule is
/// about mixed in often.
fn tx_text() -> impl Strategy<Value = String> {
    let tricky = prop::sample::select(vec![
        '\u{202e}', '\u{200b}', '\u{200d}', '\u{2066}', '\u{fe0f}', '\u{301}', '\u{3099}',
        '\u{20dd}', '\u{a0}', '\u{3000}', ' ', 'ア', 'か', '山', 'a', 'а', '\u{e000}', '\u{378}',
        '\u{5d0}', '\u{2028}', '\u{ad}', '\u{3164}', '\u{2800}',
    ]);
    prop::collection::vec(prop_oneof![any::<char>(), tricky], 0..80)
        .prop_map(|v| v.into_iter().collect())
}

proptest! {
    /// Any text: refused with an error that names the field in plain ASCII
    /// (never the offending character), or accepted only when it is short
    /// enough, NFC, unpadded and has nothing a terminal would need escaped.
    #[test]
    fn transaction_text_is_refused_or_safe_to_show(s in tx_text()) {
        use txconfirm::text::{Field, check_text, escape_for_terminal, refused_class};
        if let Err(e) = check_text(Field::Reference, &s) {
            let said = e.to_string();
            prop_assert!(said.is_ascii(), "{}", said);
            prop_assert!(said.starts_with("reference: "), "{}", said);
            prop_assert_eq!(e.field(), Field::Reference);
        } else {
            prop_assert!((1..=txconfirm::MAX_TEXT_CHARS).contains(&s.chars().count()));
            prop_assert!(s.chars().all(|c| refused_class(c).is_none()));
            prop_assert!(!s.starts_with(' ') && !s.ends_with(' '));
            prop_assert_eq!(escape_for_terminal(&s).replace("\\\\", "\\"), s.clone());
            let nfc: String =
                icu_normalizer::ComposingNormalizerBorrowed::new_nfc().normalize(&s).into();
            prop_assert_eq!(nfc, s);
        }
    }

    /// A transaction whose field breaks the rule is refused by the app's
    /// check of a signed list, whatever the signature says; one that keeps
    /// it is accepted.
    #[test]
    fn a_signed_list_is_accepted_only_with_text_the_rule_allows(s in tx_text()) {
        let signing = protocol::signing_key(&[11; 32]).unwrap();
        let device = protocol::signing_key(&[12; 32]).unwrap();
        let req = txconfirm::list_request("31738298", Bytes([8; 32]), &device);
        let tx = Transaction {
            id: "tx_0123456789abcdef01234567".into(),
            payee: s.clone(),
            account: "一分銀行 本店 普通 1234567".into(),
            amount: "150000".into(),
            currency: "JPY".into(),
            reference: "家賃 11月分".into(),
            created_at: 1_800_000_000,
            expires_at: 1_800_000_300,
        };
        let list = txconfirm::center_list(&req, true, None, vec![tx], 1_800_000_010, &signing);
        let accepted = txconfirm::check_list(&req, &list, &CenterKey::of(&signing)).is_ok();
        let allowed = txconfirm::text::check_text(txconfirm::Field::Payee, &s).is_ok();
        prop_assert_eq!(accepted, allowed);
    }
}
