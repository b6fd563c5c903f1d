//! A recording forwarder on loopback: the app talks to it as to its
//! center; it passes every request on to the real center and keeps each
//! request and reply as sent, so that a test can check the real traffic
//! against the committed schemas (`tests/conformance/validate.py`).
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

/// One exchange as it went over the wire.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Exchange {
    pub method: String,
    pub path: String,
    pub request: Option<serde_json::Value>,
    pub status: u16,
    pub reply: Option<serde_json::Value>,
}

/// A forwarder to `center`, running until dropped with the test.
pub struct Recorder {
    pub url: String,
    log: Arc<Mutex<Vec<Exchange>>>,
}

impl Recorder {
    pub fn start(center: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let (center, log2) = (center.to_owned(), log.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let (center, log) = (center.clone(), log2.clone());
                std::thread::spawn(move || serve(conn, &center, &log));
            }
        });
        Self { url, log }
    }

    /// Everything recorded so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.log.lock().unwrap().clone()
    }

    /// Checks every recorded request and reply against the schemas of
    /// `docs/openapi.json`, returning the validator's report.
    pub fn validate(&self, dir: &Path) -> String {
        let file = dir.join("exchanges.jsonl");
        let lines: Vec<String> = self
            .exchanges()
            .iter()
            .map(|e| serde_json::to_string(e).unwrap())
            .collect();
        std::fs::write(&file, lines.join("\n")).unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = Command::new("python3")
            .arg(root.join("tests/conformance/validate.py"))
            .arg(&file)
            .output()
            .expect("python3 with jsonschema is needed (scripts/install-deps.sh)");
        let report = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{report}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        report
    }
}

fn serve(conn: TcpStream, center: &str, log: &Mutex<Vec<Exchange>>) {
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut conn = conn;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
            return;
        };
        let (method, path) = (method.to_owned(), path.to_owned());
        let mut headers = Vec::new();
        let mut length = 0usize;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).unwrap();
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_owned());
                if k == "content-length" {
                    length = v.parse().unwrap();
                }
                if k == "content-type" || k == "authorization" {
                    headers.push((k, v));
                }
            }
        }
        let mut body = vec![0u8; length];
        reader.read_exact(&mut body).unwrap();

        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let target = format!("{center}{path}");
        let mut resp = if method == "GET" {
            let mut r = agent.get(&target);
            for (k, v) in &headers {
                r = r.header(k, v);
            }
            r.call().unwrap()
        } else {
            let mut r = agent.post(&target);
            for (k, v) in &headers {
                r = r.header(k, v);
            }
            r.send(&body[..]).unwrap()
        };
        let status = resp.status().as_u16();
        let reply = resp.body_mut().read_to_vec().unwrap();
        log.lock().unwrap().push(Exchange {
            method,
            path,
            request: serde_json::from_slice(&body).ok(),
            status,
            reply: serde_json::from_slice(&reply).ok(),
        });
        let head = format!(
            "HTTP/1.1 {status} -\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            reply.len()
        );
        if conn.write_all(head.as_bytes()).is_err() || conn.write_all(&reply).is_err() {
            return;
        }
    }
}
