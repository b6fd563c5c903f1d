//! Real `ippun-center serve` processes for tests: a database seeded through
//! the library, the binary started on a loopback port, and clients that
//! send right codes to its verify API. Every process is killed on drop.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use ippun_center::{Center, Config, MasterKey};
use ippun_core::otp::{OtpParams, Totp};
use ippun_core::{Clock, SecretKey, SystemClock};

/// The service the seeded tokens belong to.
pub const SERVICE: &str = "SERVE-BANK";

/// A seeded database: its URL, master-key file, the bank's API key and
/// one token per user `u0`, `u1`, ….
pub struct Seeded {
    pub db: String,
    pub master: PathBuf,
    pub api_key: String,
    pub tokens: Vec<Totp>,
}

/// Seeds `db` with `n` imported tokens (the key file goes into `dir`).
pub fn seed(db: &str, dir: &Path, n: usize) -> Seeded {
    let master = dir.join("master.key");
    let key = MasterKey::load_or_create(&master).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let keys: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let mut k = (i as u64).to_be_bytes().to_vec();
            k.extend_from_slice(b"ippun-serve!");
            k
        })
        .collect();
    let api_key = rt.block_on(async {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let c = Center::open(db, key, clock, Config::default())
            .await
            .unwrap();
        let key = super::seed::service_with_tokens(&c, SERVICE, "Serve", &keys).await;
        c.db().close().await;
        key
    });
    Seeded {
        db: db.to_owned(),
        master,
        api_key,
        tokens: keys
            .iter()
            .map(|k| {
                Totp::new(
                    &SecretKey::from_bytes(k.clone()).unwrap(),
                    OtpParams::default(),
                )
            })
            .collect(),
    }
}

/// A running `ippun-center serve`.
pub struct Served {
    child: Child,
    /// Its base URL.
    pub url: String,
}

impl Served {
    /// Starts the center on `seeded`'s database, with `db` as its database
    /// argument (e.g. a list of hosts), rate limits off.
    pub fn start(seeded: &Seeded, db: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ippun-center"))
            .args(["serve", "--db", db, "--master-key"])
            .arg(&seeded.master)
            .args(["--listen", "127.0.0.1:0"])
            .args(["--rate-per-client", "off", "--rate-overall", "off"])
            .env("IPPUN_CENTER_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            // Keep reading so the center never blocks on a full pipe.
            for _ in lines {}
        });
        let line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the center did not say where it listens");
        let url = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line}"))
            .to_owned();
        Self { child, url }
    }

    /// Kills the process with SIGKILL (no shutdown of any kind) and waits
    /// for it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A keep-alive client of the verify API.
pub struct Bank {
    agent: ureq::Agent,
    auth: String,
}

/// One verify answer: HTTP status and body.
pub type Answer = (u16, serde_json::Value);

impl Bank {
    pub fn new(api_key: &str) -> Self {
        Self {
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .timeout_global(Some(Duration::from_secs(30)))
                .build()
                .into(),
            auth: format!("Bearer {api_key}"),
        }
    }

    /// Sends `otp` for `user`; `None` when no answer came (connection
    /// refused or cut).
    pub fn verify(&self, base: &str, user: &str, otp: &str) -> Option<Answer> {
        let body = serde_json::json!({"service": SERVICE, "user": user, "otp": otp});
        let mut r = self
            .agent
            .post(&format!("{base}/v1/verify"))
            .header("authorization", &self.auth)
            .header("content-type", "application/json")
            .send(body.to_string().as_bytes())
            .ok()?;
        let status = r.status().as_u16();
        let text = r.body_mut().read_to_string().ok()?;
        Some((status, serde_json::from_str(&text).unwrap_or_default()))
    }

    /// Opens the connection (a health request), so that a later request
    /// starts at once.
    pub fn warm(&self, base: &str) {
        let _ = self.agent.get(&format!("{base}/v1/health")).call();
    }
}

/// The code of `totp` for `step` (the same code again, even if the minute
/// has turned since).
pub fn code_at(totp: &Totp, step: i64) -> String {
    totp.code_at_counter(u64::try_from(step).unwrap())
        .to_string()
}

/// The code of `totp` for now.
pub fn code_now(totp: &Totp) -> String {
    totp.code_at_counter(SystemClock.unix_seconds() / 60)
        .to_string()
}

/// An accepted code: user index, serial and step from the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub user: usize,
    pub serial: String,
    pub step: i64,
}

impl Accepted {
    /// The acceptance in an `ok` answer.
    pub fn of(user: usize, v: &serde_json::Value) -> Option<Self> {
        (v["reason"] == "ok").then(|| Self {
            user,
            serial: v["serial"].as_str().unwrap_or_default().to_owned(),
            step: v["step"].as_i64().unwrap_or(-1),
        })
    }
}

/// Checks on the database at `db` that each of `oks` is stored (the
/// token's last step is that step) with exactly one `ok` audit row, and
/// that nothing is half-written: every token with an accepted step has
/// exactly one `ok` audit row and every `ok` audit row its token's step.
pub fn check_stored(db: &str, oks: &[Accepted]) {
    use sqlx::Row;
    use std::collections::HashMap;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (steps, audited) = rt.block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(db).await.unwrap();
        let steps: HashMap<String, Option<i64>> =
            sqlx::query("SELECT serial, last_step FROM tokens")
                .fetch_all(&pool)
                .await
                .unwrap()
                .iter()
                .map(|r| (r.get("serial"), r.get("last_step")))
                .collect();
        let mut audited: HashMap<String, Vec<String>> = HashMap::new();
        for r in sqlx::query(
            "SELECT serial, detail FROM audit WHERE action = 'verify' AND outcome = 'ok'",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
        {
            audited
                .entry(r.get("serial"))
                .or_default()
                .push(r.get::<Option<String>, _>("detail").unwrap_or_default());
        }
        pool.close().await;
        (steps, audited)
    });
    for ok in oks {
        assert_eq!(
            steps.get(&ok.serial),
            Some(&Some(ok.step)),
            "{ok:?}: the acknowledged step is stored"
        );
        let rows = audited.get(&ok.serial).map_or(&[][..], Vec::as_slice);
        assert_eq!(rows.len(), 1, "{ok:?}: and audited once: {rows:?}");
        assert!(
            rows[0].starts_with(&format!("step {},", ok.step)),
            "{ok:?}: {rows:?}"
        );
    }
    for (serial, last) in &steps {
        let n = audited.get(serial).map_or(0, Vec::len);
        assert_eq!(
            n,
            usize::from(last.is_some()),
            "{serial}: a stored step and its one audit row go together"
        );
    }
    assert!(
        audited.keys().all(|s| steps.contains_key(s)),
        "every ok audit row has its token"
    );
}
