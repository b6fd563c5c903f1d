//! The demo center inside the app (`ippun --demo`): the real center code on
//! a loopback port, its data in the app's data folder, seeded with the demo
//! users, so that the whole flow works with nothing else installed.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use ippun_center::{Center, Config, MasterKey, demo};
use ippun_core::profile::{self, CenterProfile};
use ippun_core::protocol::CenterKey;
use ippun_core::{Clock, Error, ErrorCode};

use crate::flows;

/// The port the demo center prefers, so that tokens set up in one session
/// still reach it in the next; any free port when it is taken.
pub const PREFERRED_PORT: u16 = 47_100;

/// One ready-made user shown on the setup screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoUser {
    /// Service ID.
    pub service_id: String,
    /// User ID.
    pub user_id: String,
    /// Activation password.
    pub password: String,
    /// What it shows.
    pub scenario: String,
    /// The code it produces, if any.
    pub expected: Option<String>,
}

/// A running demo center. Dropping it stops the server.
#[derive(Debug)]
pub struct DemoCenter {
    /// Its address and key.
    pub center: flows::Center,
    /// Ready-made users.
    pub users: Vec<DemoUser>,
    /// The server's database (for tests that check codes with it).
    pub handle: Arc<Center>,
    rt: Option<tokio::runtime::Runtime>,
    running: Option<ippun_center::http::Running>,
}

impl Drop for DemoCenter {
    fn drop(&mut self) {
        if let (Some(rt), Some(r)) = (self.rt.as_ref(), self.running.take()) {
            let _ = rt.block_on(r.shutdown());
        }
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl DemoCenter {
    /// Starts the demo center with its database in `home` (kept between
    /// runs), on `port` (0: any free port), and writes its profile where
    /// `ippun token add --center` finds it.
    pub fn start(home: &Path, port: u16, clock: Arc<dyn Clock>) -> Result<Self, Error> {
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            Error::new(ErrorCode::A999).with_detail(format!("demo center: {what}: {e}"))
        };
        std::fs::create_dir_all(home).map_err(|e| fail("data folder", &e))?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("ippun-demo-center")
            .enable_all()
            .build()
            .map_err(|e| fail("runtime", &e))?;
        let db_path = home.join("demo-center.db");
        let db = format!("sqlite:{}", db_path.display());
        let master_path = home.join("demo-center.db.master-key");
        let (center, running) = rt.block_on(async {
            let master = MasterKey::load_or_create(&master_path).map_err(|e| fail("key", &e))?;
            let center = Arc::new(
                demo::open(&db, master, clock, Config::default())
                    .await
                    .map_err(|e| fail("database", &e))?,
            );
            let tcp = match tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
                .await
            {
                Ok(t) => t,
                Err(_) if port != 0 => tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .map_err(|e| fail("listen", &e))?,
                Err(e) => return Err(fail("listen", &e)),
            };
            let running = demo::serve(tcp, None, center.clone(), demo::FaultSwitch::new(None))
                .map_err(|e| fail("serve", &e))?;
            Ok::<_, Error>((center, running))
        })?;
        let url = running.url();
        let key_text = center.public_key().to_string();
        let key = CenterKey::parse(&key_text).ok_or_else(|| fail("key", &"unreadable"))?;
        let _ = profile::write(
            home,
            "demo",
            &CenterProfile {
                name: "ippun demo center".into(),
                url: url.clone(),
                center_key: key_text,
            },
        );
        let users = demo::users()
            .into_iter()
            .map(|u| DemoUser {
                service_id: u.service_id.to_owned(),
                user_id: u.user_id.to_owned(),
                password: u.activation_password.to_owned(),
                scenario: u.scenario.to_owned(),
                expected: u.expected_code.map(str::to_owned),
            })
            .collect();
        Ok(Self {
            center: flows::Center { url, key },
            users,
            handle: center,
            rt: Some(rt),
            running: Some(running),
        })
    }

    /// Runs a future on the demo center's runtime (tests).
    pub fn block_on<F: Future>(&self, f: F) -> Option<F::Output> {
        self.rt.as_ref().map(|rt| rt.block_on(f))
    }
}
