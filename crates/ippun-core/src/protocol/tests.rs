//! Round trips of both sides and the known answers.

use super::*;
use crate::otp::{Algorithm, Digits, OtpParams, Period};
use ed25519_dalek::SigningKey;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

fn params() -> OtpParams {
    OtpParams {
        algorithm: Algorithm::Sha256,
        digits: Digits::EIGHT,
        period: Period::SIXTY,
    }
}

fn fields() -> OfferFields {
    OfferFields {
        session: Bytes([7; 16]),
        serial: "12345678".into(),
        expires_at: 2_000_000_000,
        params: params(),
        service: ServiceInfo {
            id: "BANK".into(),
            name: "Bank".into(),
            logo_url: None,
            link_url: Some("https://bank.example/".into()),
            tx_confirmation: false,
        },
        center_time: 1_800_000_000,
    }
}

#[test]
fn provisioning_agrees_on_the_key_and_confirms_both_ways() {
    let center = new_signing_key().unwrap();
    let app = AppProvision::new("BANK", "alice", "pass-1234", 1_800_000_001).unwrap();
    let (ceph, _) = ephemeral().unwrap();
    let c = center_provision(
        app.request(),
        fields(),
        &center,
        &ceph,
        Bytes::random().unwrap(),
    )
    .unwrap();
    let wire = serde_json::to_string(&c.offer).unwrap();
    let offer: ProvisionOffer = serde_json::from_str(&wire).unwrap();
    let a = app.accept(offer, &CenterKey::of(&center)).unwrap();
    assert_eq!(*a.derived.token_key, *c.derived.token_key);
    assert_eq!(a.derived.token_key.len(), 32);
    let confirm = Confirm {
        version: VERSION,
        session: a.offer.session,
        app_confirm: a.derived.app_confirm,
    };
    check_confirm(&confirm, &c.derived.app_confirm).unwrap();
    let done = Confirmed {
        version: VERSION,
        center_confirm: c.derived.center_confirm,
        center_time: 0,
    };
    check_confirmed(&done, &a.derived.center_confirm).unwrap();
    assert_ne!(a.derived.app_confirm, a.derived.center_confirm);
}

#[test]
fn a_tampered_offer_or_another_center_key_is_refused() {
    let center = new_signing_key().unwrap();
    let other = new_signing_key().unwrap();
    let (ceph, _) = ephemeral().unwrap();
    let make = || AppProvision::new("BANK", "alice", "pw", 1).unwrap();
    let app = make();
    let c = center_provision(app.request(), fields(), &center, &ceph, Bytes([1; 32])).unwrap();
    assert_eq!(
        app.accept(c.offer.clone(), &CenterKey::of(&other))
            .unwrap_err(),
        ProtocolError::BadSignature
    );
    for tamper in [
        |o: &mut ProvisionOffer| o.expires_at += 1,
        |o: &mut ProvisionOffer| o.serial = "87654321".into(),
        |o: &mut ProvisionOffer| o.params.digits = Digits::SIX,
        |o: &mut ProvisionOffer| o.center_ephemeral.0[0] ^= 1,
        |o: &mut ProvisionOffer| o.service.link_url = None,
    ] {
        let app = make();
        let c = center_provision(app.request(), fields(), &center, &ceph, Bytes([1; 32])).unwrap();
        let mut offer = c.offer;
        tamper(&mut offer);
        assert_eq!(
            app.accept(offer, &CenterKey::of(&center)).unwrap_err(),
            ProtocolError::BadSignature
        );
    }
    let app = make();
    let mut offer = center_provision(app.request(), fields(), &center, &ceph, Bytes([1; 32]))
        .unwrap()
        .offer;
    offer.version = 2;
    assert_eq!(
        app.accept(offer, &CenterKey::of(&center)).unwrap_err(),
        ProtocolError::Version(2)
    );
}

#[test]
fn renewal_and_correction_signatures_bind_their_fields() {
    let center = new_signing_key().unwrap();
    let device = new_signing_key().unwrap();
    let dpub = device_public(&device);
    let app = AppRenew::new("12345678", Bytes([3; 32]), &device).unwrap();
    check_renew_start(app.request(), &dpub).unwrap();
    let mut forged = app.request().clone();
    forged.serial = "12345679".into();
    assert!(check_renew_start(&forged, &dpub).is_err());
    let (ceph, _) = ephemeral().unwrap();
    let c = center_renew(app.request(), &fields(), &center, &ceph, Bytes([4; 32])).unwrap();
    let got = app.accept(c.offer, &CenterKey::of(&center)).unwrap();
    assert_eq!(*got.derived.token_key, *c.derived.token_key);

    let req = correct_request(
        "12345678",
        Bytes([5; 32]),
        ["123456".into(), "654321".into()],
        99,
        &device,
    );
    check_correct_request(&req, &dpub).unwrap();
    let mut bad = req.clone();
    bad.otps[1] = "654322".into();
    assert!(check_correct_request(&bad, &dpub).is_err());
    let reply = center_corrected(&req, -3, -180, 1000, &center);
    check_corrected(&req, &reply, &CenterKey::of(&center)).unwrap();
    let mut lie = reply.clone();
    lie.offset_steps = 3;
    assert!(check_corrected(&req, &lie, &CenterKey::of(&center)).is_err());
}

#[test]
fn center_keys_parse_and_print() {
    let key = CenterKey::of(&new_signing_key().unwrap());
    let text = key.to_string();
    assert!(text.starts_with("ed25519:") && text.len() == 8 + 64);
    assert_eq!(CenterKey::parse(&text), Some(key));
    assert_eq!(CenterKey::parse(&text[1..]), None);
    assert_eq!(CenterKey::parse("ed25519:zz"), None);
}

#[test]
fn passwords_do_not_print() {
    let app = AppProvision::new("BANK", "alice", "secret-pw-9", 1).unwrap();
    let shown = format!("{app:?}");
    assert!(!shown.contains("secret-pw-9"), "{shown}");
}

#[test]
fn a_zero_ephemeral_key_is_refused() {
    let (own, _) = ephemeral().unwrap();
    let err = derive(
        &own,
        &Bytes([0; 32]),
        &Bytes([1; 32]),
        &Bytes([2; 32]),
        &[0; 32],
        Algorithm::Sha1,
    )
    .unwrap_err();
    assert_eq!(err, ProtocolError::WeakKey);
}

/// Known answers computed independently (`tests/vectors/protocol_kat.py`,
/// Python `cryptography`).
mod known_answers {
    use super::*;
    use crate::otp::Digits;

    const FILE: &str = include_str!("../../../../tests/vectors/protocol-kdf.toml");

    fn cases(kind: &str) -> Vec<toml::Table> {
        let doc: toml::Table = toml::from_str(FILE).unwrap();
        doc[kind]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_table().unwrap().clone())
            .collect()
    }

    fn text<'a>(v: &'a toml::Table, k: &str) -> &'a str {
        v[k].as_str().unwrap_or_else(|| panic!("{k}"))
    }

    fn num(v: &toml::Table, k: &str) -> u64 {
        u64::try_from(v[k].as_integer().unwrap()).unwrap()
    }

    fn b32(v: &toml::Table, k: &str) -> B32 {
        Bytes::from_hex(text(v, k)).unwrap()
    }

    fn opt(v: &toml::Table, k: &str) -> Option<String> {
        Some(text(v, k).to_owned()).filter(|s| !s.is_empty())
    }

    fn params(v: &toml::Table) -> OtpParams {
        OtpParams {
            algorithm: text(v, "algorithm").parse().unwrap(),
            digits: Digits::try_from(u8::try_from(num(v, "digits")).unwrap()).unwrap(),
            period: num(v, "period").try_into().unwrap(),
        }
    }

    #[test]
    fn provisioning_matches_the_independent_implementation() {
        let all = cases("provision");
        assert_eq!(all.len(), 4);
        assert!(all.iter().any(|v| v.contains_key("tx_confirmation")));
        for v in &all {
            let app_eph = StaticSecret::from(b32(v, "app_ephemeral_secret").0);
            let center_eph = StaticSecret::from(b32(v, "center_ephemeral_secret").0);
            let device = SigningKey::from_bytes(&b32(v, "device_seed").0);
            let center = SigningKey::from_bytes(&b32(v, "center_seed").0);
            let start = ProvisionStart {
                version: VERSION,
                service_id: text(v, "service_id").into(),
                user_id: text(v, "user_id").into(),
                activation_password: Zeroizing::new("not in the transcript".into()),
                device_time: num(v, "device_time"),
                app_nonce: b32(v, "app_nonce"),
                app_ephemeral: Bytes(PublicKey::from(&app_eph).to_bytes()),
                device_key: device_public(&device),
            };
            assert_eq!(start.app_ephemeral, b32(v, "app_ephemeral_public"));
            assert_eq!(start.device_key, b32(v, "device_public"));
            let fields = OfferFields {
                session: Bytes::from_hex(text(v, "session")).unwrap(),
                serial: text(v, "serial").into(),
                expires_at: num(v, "expires_at"),
                params: params(v),
                service: ServiceInfo {
                    id: text(v, "service_id").into(),
                    name: text(v, "service_name").into(),
                    logo_url: opt(v, "logo_url"),
                    link_url: opt(v, "link_url"),
                    tx_confirmation: v
                        .get("tx_confirmation")
                        .and_then(toml::Value::as_bool)
                        .unwrap_or(false),
                },
                center_time: num(v, "center_time"),
            };
            let c = center_provision(&start, fields, &center, &center_eph, b32(v, "center_nonce"))
                .unwrap();
            let name = text(v, "name");
            let t = provision_transcript(&start, &c.offer);
            assert_eq!(hex::encode(t.as_bytes()), text(v, "transcript"), "{name}");
            assert_eq!(hex::encode(t.hash()), text(v, "transcript_hash"), "{name}");
            assert_eq!(c.offer.center_ephemeral, b32(v, "center_ephemeral_public"));
            let shared = app_eph.diffie_hellman(&PublicKey::from(c.offer.center_ephemeral.0));
            assert_eq!(hex::encode(shared.as_bytes()), text(v, "shared_secret"));
            assert_eq!(
                hex::encode(&*c.derived.token_key),
                text(v, "token_key"),
                "{name}"
            );
            assert_eq!(c.derived.app_confirm, b32(v, "app_confirm"), "{name}");
            assert_eq!(c.derived.center_confirm, b32(v, "center_confirm"), "{name}");
            assert_eq!(c.offer.signature.to_hex(), text(v, "signature"), "{name}");
            assert_eq!(
                CenterKey::of(&center).to_string(),
                format!("ed25519:{}", text(v, "center_public"))
            );
            // The app side derives the same from the same offer.
            let app = AppProvision::from_parts(start, app_eph, device);
            let got = app.accept(c.offer, &CenterKey::of(&center)).unwrap();
            assert_eq!(hex::encode(&*got.derived.token_key), text(v, "token_key"));
        }
    }

    #[test]
    fn renewal_matches_the_independent_implementation() {
        for v in &cases("renew") {
            let app_eph = StaticSecret::from(b32(v, "app_ephemeral_secret").0);
            let center_eph = StaticSecret::from(b32(v, "center_ephemeral_secret").0);
            let device = SigningKey::from_bytes(&b32(v, "device_seed").0);
            let center = SigningKey::from_bytes(&b32(v, "center_seed").0);
            let mut start = RenewStart {
                version: VERSION,
                serial: text(v, "serial").into(),
                nonce: b32(v, "nonce"),
                app_nonce: b32(v, "app_nonce"),
                app_ephemeral: Bytes(PublicKey::from(&app_eph).to_bytes()),
                signature: Bytes([0; 64]),
            };
            start.signature = sign(&device, &renew_request_transcript(&start).hash());
            assert_eq!(start.signature.to_hex(), text(v, "request_signature"));
            check_renew_start(&start, &b32(v, "device_public")).unwrap();
            let fields = OfferFields {
                session: Bytes::from_hex(text(v, "session")).unwrap(),
                serial: text(v, "serial").into(),
                expires_at: num(v, "expires_at"),
                params: params(v),
                service: ServiceInfo {
                    id: String::new(),
                    name: String::new(),
                    logo_url: None,
                    link_url: None,
                    tx_confirmation: false,
                },
                center_time: num(v, "center_time"),
            };
            let c = center_renew(
                &start,
                &fields,
                &center,
                &center_eph,
                b32(v, "center_nonce"),
            )
            .unwrap();
            let t = renew_transcript(&start, &c.offer);
            assert_eq!(hex::encode(t.as_bytes()), text(v, "transcript"));
            assert_eq!(hex::encode(&*c.derived.token_key), text(v, "token_key"));
            assert_eq!(c.derived.app_confirm, b32(v, "app_confirm"));
            assert_eq!(c.derived.center_confirm, b32(v, "center_confirm"));
            assert_eq!(c.offer.signature.to_hex(), text(v, "signature"));
        }
    }

    fn sig(v: &toml::Table, k: &str) -> Sig {
        Bytes::from_hex(text(v, k)).unwrap()
    }

    #[test]
    fn correction_matches_the_independent_implementation() {
        let all = cases("correct");
        assert_eq!(all.len(), 2);
        for v in &all {
            let name = text(v, "name");
            let device = SigningKey::from_bytes(&b32(v, "device_seed").0);
            let center = SigningKey::from_bytes(&b32(v, "center_seed").0);
            let otps = v["otps"].as_array().unwrap();
            let otp = |i: usize| otps[i].as_str().unwrap().to_owned();
            let req = correct_request(
                text(v, "serial"),
                b32(v, "nonce"),
                [otp(0), otp(1)],
                num(v, "device_time"),
                &device,
            );
            let t = correct_request_transcript(&req);
            assert_eq!(
                hex::encode(t.as_bytes()),
                text(v, "request_transcript"),
                "{name}"
            );
            assert_eq!(hex::encode(t.hash()), text(v, "request_hash"), "{name}");
            assert_eq!(req.signature, sig(v, "request_signature"), "{name}");
            check_correct_request(&req, &b32(v, "device_public")).unwrap();
            let steps = v["offset_steps"].as_integer().unwrap();
            let secs = v["offset_seconds"].as_integer().unwrap();
            let reply = center_corrected(&req, steps, secs, num(v, "center_time"), &center);
            let t = correct_reply_transcript(&req, &reply);
            assert_eq!(
                hex::encode(t.as_bytes()),
                text(v, "reply_transcript"),
                "{name}"
            );
            assert_eq!(hex::encode(t.hash()), text(v, "reply_hash"), "{name}");
            assert_eq!(reply.signature, sig(v, "reply_signature"), "{name}");
            let ck = CenterKey::parse(&format!("ed25519:{}", text(v, "center_public"))).unwrap();
            check_corrected(&req, &reply, &ck).unwrap();
        }
    }
}
