//! Whatever a center (or something pretending to be one) answers, the app's
//! client turns it into the protocol message, a refusal of the phase, a
//! rejection in the protocol's shape, or a catalogue code of the phase —
//! never a panic, never an offer that passes the checks.
//!
//! A small HTTP server on loopback answers each request with a status,
//! content type and body chosen by proptest: arbitrary bytes, or a real
//! signed offer or refusal with one thing changed.

#![allow(clippy::unwrap_used)] // tests: a failed step should panic

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use ippun::client::{Answer, Client};
use ippun_core::protocol::{
    self, AppProvision, Bytes, CenterKey, OfferFields, ProvisionOffer, ServiceInfo,
};
use ippun_core::{ErrorCode, FixedClock, NetPhase, OtpParams, Phase};
use proptest::prelude::*;

#[path = "../crates/ippun-core/tests/common/json_change.rs"]
mod json_change;

/// What the server answers next: status, content type, body.
type Reply = (u16, Option<&'static str>, Vec<u8>);

/// Serves `reply` to every request on a loopback port; the base URL.
fn server(reply: Arc<Mutex<Reply>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            // Read the request head and its body, then answer and close.
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut length = 0_usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let (status, ctype, body) = reply.lock().unwrap().clone();
            let ctype = ctype.map_or(String::new(), |c| format!("Content-Type: {c}\r\n"));
            let head = format!(
                "HTTP/1.1 {status} Whatever\r\nContent-Length: {}\r\nConnection: close\r\n{ctype}\r\n",
                body.len()
            );
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(&body);
        }
    });
    url
}

/// A real offer signed by a center key the app does not pin (the app pins
/// `pinned`), and the app's first leg it answers.
struct Fixture {
    url: String,
    reply: Arc<Mutex<Reply>>,
    pinned: CenterKey,
    offer: serde_json::Value,
}

fn fixture() -> &'static Fixture {
    static F: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        let reply = Arc::new(Mutex::new((200, None, Vec::new())));
        let url = server(reply.clone());
        let app =
            AppProvision::new("DEMO-BANK", "demo-user", "demo-1111-2222", 1_800_000_000).unwrap();
        let signing = protocol::signing_key(&[21; 32]).unwrap();
        let (eph, _) = protocol::ephemeral().unwrap();
        let offer = protocol::center_provision(
            app.request(),
            OfferFields {
                session: Bytes([3; 16]),
                serial: "31738298".into(),
                expires_at: 1_900_000_000,
                params: OtpParams::default(),
                service: ServiceInfo {
                    id: "DEMO-BANK".into(),
                    name: "Demo Bank".into(),
                    logo_url: None,
                    link_url: None,
                    tx_confirmation: false,
                },
                center_time: 1_800_000_000,
            },
            &signing,
            &eph,
            Bytes([5; 32]),
        )
        .unwrap()
        .offer;
        Fixture {
            url,
            reply,
            pinned: CenterKey::of(&protocol::signing_key(&[22; 32]).unwrap()),
            offer: serde_json::to_value(&offer).unwrap(),
        }
    })
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    let offer = fixture().offer.clone();
    let refusal =
        serde_json::json!({"version": 1, "refusal": "S0C1", "center_time": 1_800_000_000});
    let bad = serde_json::json!({"version": 1, "error": "stale-nonce", "detail": "used", "center_time": 1});
    prop_oneof![
        2 => prop::collection::vec(any::<u8>(), 0..300),
        3 => json_change::change().prop_map(move |c| serde_json::to_vec(&json_change::apply(&offer, &c)).unwrap()),
        1 => json_change::change().prop_map(move |c| serde_json::to_vec(&json_change::apply(&refusal, &c)).unwrap()),
        1 => json_change::change().prop_map(move |c| serde_json::to_vec(&json_change::apply(&bad, &c)).unwrap()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn every_reply_is_a_message_a_refusal_a_rejection_or_a_setup_code(
        status in prop::sample::select(vec![200_u16, 201, 301, 400, 401, 403, 404, 409, 413, 418, 429, 500, 502, 503]),
        ctype in prop::sample::select(vec![Some("application/json"), Some("text/html"), None]),
        body in body(),
    ) {
        let f = fixture();
        *f.reply.lock().unwrap() = (status, ctype, body.clone());
        let clock = FixedClock::from_unix(1_800_000_000);
        let client = Client::new(&f.url, NetPhase::Setup, &clock).unwrap();
        let app = AppProvision::new("DEMO-BANK", "demo-user", "demo-1111-2222", 1_800_000_000).unwrap();
        let text = String::from_utf8_lossy(&body).into_owned();
        match client.post::<_, ProvisionOffer>("/v1/provision/start", app.request()) {
            Ok(Answer::Ok(offer)) => {
                prop_assert_eq!(status, 200, "{}", text);
                // Not signed for this request by the pinned key: refused.
                let e = app.accept(offer, &f.pinned).unwrap_err();
                let code = client.reply_failure(e).code();
                prop_assert!(
                    [ErrorCode::A007, ErrorCode::A008, ErrorCode::A009].contains(&code),
                    "{code} for {text}"
                );
            }
            Ok(Answer::Refused(code)) => {
                prop_assert_eq!(status, 403);
                prop_assert_eq!(code.phase(), Phase::Setup);
                prop_assert!(code.as_str().starts_with('S'), "{}", code);
            }
            Ok(Answer::Rejected(st, _)) => {
                prop_assert_eq!(st, status);
                prop_assert!((400..500).contains(&st) && st != 403, "{}", st);
            }
            Err(e) => {
                let code = e.code();
                prop_assert_eq!(code.phase(), Phase::Setup, "{} for HTTP {} {}", code, status, text);
                prop_assert!(
                    [ErrorCode::A003, ErrorCode::A006, ErrorCode::A007, ErrorCode::A009].contains(&code),
                    "{code} for HTTP {status} {text}"
                );
                if status >= 500 {
                    prop_assert_eq!(code, ErrorCode::A006);
                }
            }
        }
    }
}
