//! Bad requests get clear 4xx answers and write nothing (on SQLite and on
//! PostgreSQL), also when they are made at random; the demo lists come out
//! of the binary as JSON.
#![allow(clippy::unwrap_used, clippy::needless_pass_by_value)]

use crate::pg;

#[path = "../../ippun-core/tests/common/json_change.rs"]
mod json_change;

use std::sync::Arc;

use ippun_center::{Backend, Center, Config, MasterKey, demo};
use ippun_core::SystemClock;
use ippun_core::protocol::{self, AppProvision, AppRenew, Bytes};

struct Served {
    rt: tokio::runtime::Runtime,
    center: Arc<Center>,
    url: String,
    _dir: tempfile::TempDir,
    _pg: Option<pg::PgCluster>,
}

fn serve(backend: Backend) -> Served {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pg = (backend == Backend::Postgres).then(pg::PgCluster::start);
    let db = match &pg {
        Some(pg) => pg.new_db(),
        None => format!("sqlite:{}", dir.path().join("c.db").display()),
    };
    let (center, url) = rt.block_on(async {
        let c = Arc::new(
            demo::open(
                &db,
                MasterKey::generate().unwrap(),
                Arc::new(SystemClock),
                Config::default().without_rate_limits(),
            )
            .await
            .unwrap(),
        );
        let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let r = demo::serve(tcp, None, c.clone(), demo::FaultSwitch::new(None)).unwrap();
        let url = r.url();
        std::mem::forget(r); // runs until the runtime is dropped
        (c, url)
    });
    assert_eq!(center.backend(), backend);
    Served {
        rt,
        center,
        url,
        _dir: dir,
        _pg: pg,
    }
}

fn post(url: &str, path: &str, ctype: &str, body: Vec<u8>) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut r = agent
        .post(&format!("{url}{path}"))
        .header("content-type", ctype)
        .send(&body[..])
        .unwrap();
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
    )
}

fn rows(s: &Served) -> i64 {
    s.rt.block_on(async {
        let mut n = 0;
        for t in ["audit", "sessions", "nonces", "tokens"] {
            let q = match t {
                "audit" => "SELECT COUNT(*) FROM audit",
                "sessions" => "SELECT COUNT(*) FROM sessions",
                "nonces" => "SELECT COUNT(*) FROM nonces",
                _ => "SELECT COUNT(*) FROM tokens",
            };
            let (c,): (i64,) = sqlx::query_as(q).fetch_one(&s.center.pool()).await.unwrap();
            n += c;
        }
        n
    })
}

fn bad_requests_get_4xx_and_write_nothing(backend: Backend) {
    let s = serve(backend);
    let before = rows(&s);
    let json = "application/json";
    let cases: Vec<(&str, &str, Vec<u8>, u16, &str)> = vec![
        (
            "/v1/provision/start",
            json,
            b"{\"version\":1".to_vec(),
            400,
            "malformed-json",
        ),
        (
            "/v1/provision/start",
            json,
            b"{\"version\":\"1\"}".to_vec(),
            400,
            "wrong-fields",
        ),
        (
            "/v1/provision/start",
            json,
            b"[]".to_vec(),
            400,
            "wrong-fields",
        ),
        (
            "/v1/challenge",
            json,
            br#"{"version":1,"serial":"x","purpose":"renew","extra":1}"#.to_vec(),
            400,
            "wrong-fields",
        ),
        (
            "/v1/challenge",
            json,
            br#"{"version":1,"serial":"abc","purpose":"renew"}"#.to_vec(),
            400,
            "malformed",
        ),
        (
            "/v1/challenge",
            json,
            br#"{"version":7,"serial":"12345678","purpose":"renew"}"#.to_vec(),
            400,
            "unsupported-version",
        ),
        (
            "/v1/provision/start",
            "text/plain",
            b"{}".to_vec(),
            415,
            "not-json",
        ),
        (
            "/v1/provision/start",
            json,
            vec![b' '; 64 * 1024],
            413,
            "too-large",
        ),
        ("/v1/nothing", json, b"{}".to_vec(), 404, "not-found"),
    ];
    for (path, ctype, body, status, error) in cases {
        let (got, v) = post(&s.url, path, ctype, body);
        assert_eq!(got, status, "{path} {v}");
        assert_eq!(v["error"], error, "{path} {v}");
        assert_eq!(v["version"], 1);
    }
    // A confirmation for a session nobody opened.
    let confirm = protocol::Confirm {
        version: 1,
        session: Bytes([9; 16]),
        app_confirm: Bytes([1; 32]),
    };
    let (got, _) = post(
        &s.url,
        "/v1/provision/confirm",
        json,
        serde_json::to_vec(&confirm).unwrap(),
    );
    assert_eq!(got, 404);
    assert_eq!(rows(&s), before, "nothing written for bad requests");
}

/// Serials cannot be probed: a challenge for a serial nobody holds is
/// answered like any other, a signed request for it like a wrong signature;
/// and a nonce serves only its purpose. Nothing is written.
fn serials_cannot_be_probed(backend: Backend) {
    let s = serve(backend);
    let before = rows(&s);
    let json = "application/json";
    let (got, v) = post(
        &s.url,
        "/v1/challenge",
        json,
        br#"{"version":1,"serial":"12345678","purpose":"renew"}"#.to_vec(),
    );
    assert_eq!(got, 200, "{v}");
    assert_eq!(v["nonce"].as_str().map(str::len), Some(64), "{v}");
    // The renewal nonce does not serve a correction (nonces are bound to
    // their purpose); with a correction nonce, a signed request reads like
    // a wrong signature (401), as a forged one for a real serial does: no
    // probing of serials there either.
    let (_, c) = post(
        &s.url,
        "/v1/challenge",
        json,
        br#"{"version":1,"serial":"12345678","purpose":"correct"}"#.to_vec(),
    );
    let nonce: protocol::Nonce = serde_json::from_value(c["nonce"].clone()).unwrap();
    let stranger = protocol::new_signing_key().unwrap();
    let otps = ["123456".to_owned(), "654321".to_owned()];
    let renew_nonce: protocol::Nonce = serde_json::from_value(v["nonce"].clone()).unwrap();
    let wrong_purpose = protocol::correct_request(
        "12345678",
        renew_nonce,
        otps.clone(),
        s.center.now(),
        &stranger,
    );
    let (got, _) = post(
        &s.url,
        "/v1/correct",
        json,
        serde_json::to_vec(&wrong_purpose).unwrap(),
    );
    assert_eq!(got, 409, "a renewal nonce for a correction");
    let req = protocol::correct_request("12345678", nonce, otps, s.center.now(), &stranger);
    let (got, v) = post(
        &s.url,
        "/v1/correct",
        json,
        serde_json::to_vec(&req).unwrap(),
    );
    assert_eq!(
        (got, v["error"].as_str()),
        (401, Some("bad-signature")),
        "{v}"
    );
    assert_eq!(rows(&s), before, "nothing written");
}

fn replays_and_forged_signatures_are_refused(backend: Backend) {
    let s = serve(backend);
    let json = "application/json";
    let now = s.center.now();
    let app = AppProvision::new(demo::SERVICE, "demo-user", "demo-1111-2222", now).unwrap();
    let body = serde_json::to_vec(app.request()).unwrap();
    let (got, offer) = post(&s.url, "/v1/provision/start", json, body.clone());
    assert_eq!(got, 200, "{offer}");
    let before = rows(&s);
    let (got, v) = post(&s.url, "/v1/provision/start", json, body);
    assert_eq!(
        (got, v["error"].as_str()),
        (409, Some("stale-nonce")),
        "replayed first leg"
    );
    // A wrong key confirmation is refused and changes nothing.
    let confirm = protocol::Confirm {
        version: 1,
        session: serde_json::from_value(offer["session"].clone()).unwrap(),
        app_confirm: Bytes([0; 32]),
    };
    let (got, _) = post(
        &s.url,
        "/v1/provision/confirm",
        json,
        serde_json::to_vec(&confirm).unwrap(),
    );
    assert_eq!(got, 401);
    assert_eq!(rows(&s), before);

    // Renewal signed by a key that is not the device's.
    let serial = offer["serial"].as_str().unwrap().to_owned();
    let ch = serde_json::to_vec(&protocol::ChallengeRequest {
        version: 1,
        serial: serial.clone(),
        purpose: protocol::Purpose::Renew,
    })
    .unwrap();
    let (got, c) = post(&s.url, "/v1/challenge", json, ch);
    assert_eq!(got, 200);
    let nonce: protocol::Nonce = serde_json::from_value(c["nonce"].clone()).unwrap();
    let stranger = protocol::new_signing_key().unwrap();
    let forged = AppRenew::new(&serial, nonce, &stranger).unwrap();
    let before = rows(&s);
    let (got, v) = post(
        &s.url,
        "/v1/renew/start",
        json,
        serde_json::to_vec(forged.request()).unwrap(),
    );
    assert_eq!((got, v["error"].as_str()), (401, Some("bad-signature")));
    assert_eq!(rows(&s), before);
    // A nonce nobody issued.
    let unknown = AppRenew::new(&serial, Bytes([7; 32]), &stranger).unwrap();
    let (got, _) = post(
        &s.url,
        "/v1/renew/start",
        json,
        serde_json::to_vec(unknown.request()).unwrap(),
    );
    assert_eq!(got, 409);
    assert_eq!(rows(&s), before);
}

/// Requests the app and the bank send, each well formed, as templates for
/// random changes: (path, body).
fn request_templates(s: &Served) -> Vec<(&'static str, serde_json::Value)> {
    fn json(m: &impl serde::Serialize) -> serde_json::Value {
        serde_json::to_value(m).unwrap()
    }
    let now = s.center.now();
    let device = protocol::new_signing_key().unwrap();
    let app = AppProvision::new(demo::SERVICE, "demo-user", "demo-1111-2222", now).unwrap();
    let serial = "12345678";
    let nonce = Bytes([7; 32]);
    let renew = AppRenew::new(serial, nonce, &device).unwrap();
    let correct = protocol::correct_request(
        serial,
        nonce,
        ["123456".into(), "654321".into()],
        now,
        &device,
    );
    let list = ippun_core::txconfirm::list_request(serial, nonce, &device);
    vec![
        ("/v1/provision/start", json(app.request())),
        (
            "/v1/provision/confirm",
            json(&protocol::Confirm {
                version: 1,
                session: Bytes([9; 16]),
                app_confirm: Bytes([1; 32]),
            }),
        ),
        (
            "/v1/challenge",
            json(&protocol::ChallengeRequest {
                version: 1,
                serial: serial.into(),
                purpose: protocol::Purpose::Renew,
            }),
        ),
        ("/v1/renew/start", json(renew.request())),
        ("/v1/correct", json(&correct)),
        ("/v1/tx/list", json(&list)),
        (
            "/v1/verify",
            serde_json::json!({"service": demo::SERVICE, "user": "demo-user", "otp": "123456"}),
        ),
    ]
}

/// Random changes to well-formed requests, and random bytes, at every
/// endpoint: the center answers each in the protocol's JSON shape and never
/// with a 5xx; whatever it refuses as malformed, unknown, replayed or
/// unauthorised (400/401/404/409/413/415) writes nothing.
fn random_requests_get_4xx_and_write_nothing(backend: Backend) {
    use proptest::prelude::*;
    use proptest::test_runner::{Config as RunnerConfig, TestRunner};

    let s = serve(backend);
    let templates = request_templates(&s);
    let body = prop_oneof![
        3 => (0..templates.len(), json_change::change())
            .prop_map(|(i, c)| (i, serde_json::to_vec(&json_change::apply(&templates[i].1, &c)).unwrap())),
        1 => (0..templates.len(), prop::collection::vec(any::<u8>(), 0..300)),
    ];
    let mut runner = TestRunner::new(RunnerConfig {
        cases: 160,
        failure_persistence: None,
        ..RunnerConfig::default()
    });
    let result = runner.run(&body, |(i, bytes)| {
        let path = templates[i].0;
        let before = rows(&s);
        let (status, v) = post(&s.url, path, "application/json", bytes.clone());
        let text = String::from_utf8_lossy(&bytes);
        prop_assert!(
            [200, 400, 401, 403, 404, 409, 413, 415].contains(&status),
            "{path}: HTTP {status} {v} for {text}"
        );
        prop_assert_eq!(&v["version"], &serde_json::json!(1), "{} {}", path, v);
        if ![200, 403].contains(&status) {
            prop_assert_eq!(rows(&s), before, "{} wrote for HTTP {} {}", path, status, v);
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

/// The admin command line against a database of each kind: services, users,
/// API keys (printed once, never listed), unlock, audit.
fn admin_cli_round_trip(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let pg = (backend == Backend::Postgres).then(pg::PgCluster::start);
    let mut db_args: Vec<String> = match &pg {
        Some(pg) => vec!["--db".into(), pg.new_db()],
        None => vec![
            "--db".into(),
            format!("sqlite:{}", dir.path().join("c.db").display()),
        ],
    };
    let admin = |db_args: &[String], args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ippun-center"))
            .arg("admin")
            .args(db_args)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    if backend == Backend::Postgres {
        let (code, _, err) = admin(&db_args, &["key"]);
        assert_eq!(code, Some(2), "PostgreSQL needs a master-key file: {err}");
        assert!(err.contains("--master-key"), "{err}");
        db_args.extend([
            "--master-key".into(),
            dir.path().join("master.key").display().to_string(),
        ]);
    }
    let ok = |args: &[&str]| {
        let (code, out, err) = admin(&db_args, args);
        assert_eq!(code, Some(0), "{args:?}: {err}");
        out
    };
    assert!(ok(&["key"]).starts_with("ed25519:"));
    ok(&["service", "add", "BANK", "--name", "Bank"]);
    let pw = ok(&["user", "add", "BANK", "alice"]);
    assert!(!pw.trim().is_empty());
    let key = ok(&["service", "api-key", "BANK", "--label", "web site"]);
    let key = key.trim();
    assert!(
        key.starts_with("ipk_") && key.len() == 4 + 12 + 1 + 64,
        "{key}"
    );
    let key_id = &key[4..16];
    let listed = ok(&["service", "api-keys", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(v[0]["key_id"], key_id);
    assert_eq!(v[0]["label"], "web site");
    assert!(!listed.contains(&key[17..]), "the secret is never listed");
    let users: serde_json::Value =
        serde_json::from_str(&ok(&["user", "list", "BANK", "--json"])).unwrap();
    assert_eq!(users[0]["user_id"], "alice");
    assert_eq!(users[0]["verify_locked"], false);
    ok(&["user", "unlock", "BANK", "alice"]);
    let (code, _, err) = admin(&db_args, &["user", "unlock", "BANK", "bob"]);
    assert_eq!(code, Some(1), "{err}");
    ok(&["service", "revoke-key", key_id]);
    let (code, _, _) = admin(&db_args, &["service", "revoke-key", key_id]);
    assert_eq!(code, Some(1), "a key is revoked once");
    let (code, _, _) = admin(&db_args, &["service", "api-key", "NOPE"]);
    assert_eq!(code, Some(1));
    let audit: serde_json::Value =
        serde_json::from_str(&ok(&["audit", "--json", "--limit", "10"])).unwrap();
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "service-add",
            "user-add",
            "api-key-add",
            "unlock",
            "api-key-revoke"
        ]
    );
}

/// IDs with NUL, control, escape or invisible characters, in every place a
/// stranger can put one (the app's setup, the bank's user field, the path of
/// a transaction): refused by the one ID rule before any query, on both
/// backends (PostgreSQL cannot store a NUL: once it answered 503).
fn hostile_ids_get_4xx_and_write_nothing(backend: Backend) {
    let s = serve(backend);
    let now = s.center.now();
    let before = rows(&s);
    for (service, user) in [
        ("DEMO\u{0}BANK", "demo-user"),
        (demo::SERVICE, "demo\u{0}user"),
        (demo::SERVICE, "evil\u{1b}[2J"),
        (demo::SERVICE, "line\nbreak"),
        (demo::SERVICE, "rtl\u{202e}user"),
    ] {
        let app = AppProvision::new(service, user, "demo-1111-2222", now).unwrap();
        let body = serde_json::to_vec(app.request()).unwrap();
        let (status, v) = post(&s.url, "/v1/provision/start", "application/json", body);
        assert_eq!(
            (status, v["error"].as_str()),
            (400, Some("malformed")),
            "{user:?} {v}"
        );
    }
    // POST with a body, GET without.
    let bank = |path: &str, body: Option<serde_json::Value>| {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent();
        let url = format!("{}{path}", s.url);
        let auth = format!("Bearer {}", demo::VERIFY_KEY);
        let mut r = match body {
            Some(b) => agent
                .post(&url)
                .header("Authorization", &auth)
                .header("Content-Type", "application/json")
                .send(b.to_string().as_bytes())
                .unwrap(),
            None => agent
                .get(&url)
                .header("Authorization", &auth)
                .call()
                .unwrap(),
        };
        let status = r.status().as_u16();
        let v: serde_json::Value =
            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        (status, v)
    };
    for user in ["nul\u{0}", "esc\u{1b}[0m", ""] {
        let body = serde_json::json!({"service": demo::SERVICE, "user": user});
        let (status, v) = bank("/v1/tx/starts", Some(body));
        assert_eq!(
            (status, v["error"].as_str()),
            (400, Some("wrong-fields")),
            "{v}"
        );
        let body = serde_json::json!({"service": demo::SERVICE, "user": user, "otp": "123456"});
        let (status, v) = bank("/v1/verify", Some(body));
        assert_eq!(
            (status, v["error"].as_str()),
            (400, Some("wrong-fields")),
            "{v}"
        );
    }
    let (status, v) = bank("/v1/tx/transactions/tx_%00x", None);
    assert_eq!(
        (status, v["error"].as_str()),
        (404, Some("unknown-transaction")),
        "{v}"
    );
    assert_eq!(rows(&s), before, "nothing written");
}

on_both!(
    admin_cli_round_trip,
    bad_requests_get_4xx_and_write_nothing,
    hostile_ids_get_4xx_and_write_nothing,
    random_requests_get_4xx_and_write_nothing,
    replays_and_forged_signatures_are_refused,
    serials_cannot_be_probed,
);

#[test]
fn the_demo_lists_users_and_faults_as_json() {
    let run = |arg: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ippun-center"))
            .args(["demo", arg, "--json"])
            .output()
            .unwrap();
        assert!(out.status.success());
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let users = run("--list-users");
    let users = users.as_array().unwrap();
    assert!(users.len() >= 17);
    for u in users {
        for k in [
            "service_id",
            "user_id",
            "activation_password",
            "scenario",
            "expected_code",
        ] {
            assert!(u.get(k).is_some(), "{k} in {u}");
        }
    }
    let faults = run("--list-faults");
    assert_eq!(faults.as_array().unwrap().len(), 36);
    assert_eq!(
        faults[0],
        serde_json::json!({"fault": "refuse", "phase": "setup", "expected_code": "A000"})
    );
}

/// A client written from `docs/` alone (`tests/conformance/client.py`,
/// Python, no Rust) against the real `ippun-center demo` on loopback:
/// provisioning on both demo services, verify, correction, renewal,
/// transaction confirmation and the refusals, every message checked against
/// the committed schemas.
#[test]
fn an_independent_client_conforms() {
    use std::io::BufRead;

    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let home = tempfile::tempdir().unwrap();
    let mut demo = Killed(
        std::process::Command::new(env!("CARGO_BIN_EXE_ippun-center"))
            .args([
                "demo",
                "--listen",
                "127.0.0.1:0",
                "--control",
                "127.0.0.1:0",
            ])
            .arg("--home")
            .arg(home.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    std::io::BufReader::new(demo.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let started: serde_json::Value = serde_json::from_str(&line).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::process::Command::new("python3")
        .arg(root.join("tests/conformance/client.py"))
        .args(["--url", started["url"].as_str().unwrap()])
        .args(["--center-key", started["center_key"].as_str().unwrap()])
        .output()
        .expect("python3 with cryptography and jsonschema (scripts/install-deps.sh)");
    let report = String::from_utf8_lossy(&out.stdout);
    eprintln!("{report}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{report}");
    assert!(
        report.contains("conformance: 14 passed, 0 failed"),
        "{report}"
    );
}
