//! A throw-away PostgreSQL cluster on loopback for tests: `initdb` into a
//! temporary folder, `pg_ctl start` on a free port, removed on drop.
//!
//! The server binaries come from `IPPUN_PG_BIN` or the newest
//! `/usr/lib/postgresql/*/bin` (Debian's `postgresql` package, installed by
//! `scripts/install-deps.sh`). When the tests run as root, the server runs
//! as the `postgres` user through `runuser`. Missing binaries fail the test
//! with a message: a PostgreSQL test is never skipped.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// A running PostgreSQL cluster owned by one test.
pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    run_as: Option<String>,
    fsync: bool,
}

fn bin_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("IPPUN_PG_BIN") {
        return PathBuf::from(p);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL server binaries not found (no /usr/lib/postgresql/*/bin/initdb); \
             run scripts/install-deps.sh or set IPPUN_PG_BIN"
        ),
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn id_of(user: &str, flag: &str) -> u32 {
    let o = Command::new("id").args([flag, user]).output().unwrap();
    assert!(
        o.status.success(),
        "no user {user} for the PostgreSQL server"
    );
    String::from_utf8_lossy(&o.stdout).trim().parse().unwrap()
}

/// The ports of this process's clusters: a cluster that is down for a while
/// (`down`, then `up` on the same port) leaves its port free, and the
/// system could hand it to a cluster another test starts meanwhile.
static TAKEN: std::sync::Mutex<std::collections::BTreeSet<u16>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// A free loopback port that no cluster of this process holds.
fn free_port() -> u16 {
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if TAKEN.lock().unwrap().insert(port) {
            return port;
        }
    }
}

impl PgCluster {
    /// Creates and starts a cluster (trust authentication, loopback only,
    /// fsync off: the data is thrown away).
    pub fn start() -> Self {
        Self::start_with(false)
    }

    /// As [`Self::start`], with fsync on or off (benchmarks want it on, as
    /// in production).
    pub fn start_with(fsync: bool) -> Self {
        let bin = bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("ippun-pg-")
            .tempdir()
            .unwrap();
        let run_as = is_root().then(|| "postgres".to_owned());
        if let Some(user) = &run_as {
            std::os::unix::fs::chown(dir.path(), Some(id_of(user, "-u")), Some(id_of(user, "-g")))
                .unwrap();
        }
        let c = Self {
            dir,
            bin,
            port: free_port(),
            run_as,
            fsync,
        };
        let data = c.data();
        c.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "--auth=trust",
                "--no-sync",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        );
        c.up();
        c
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(exe);
                c
            }
            None => Command::new(exe),
        }
    }

    /// Runs `tool` with `args`; its standard output.
    fn run(&self, tool: &str, args: &[&str]) -> String {
        let out = self
            .command(tool)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{tool}: {e}"));
        assert!(
            out.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts the server (again, after [`Self::down`]) on the same port.
    pub fn up(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync={} -c max_connections=200",
            self.port,
            self.dir.path().display(),
            if self.fsync { "on" } else { "off" }
        );
        let log = self.dir.path().join("server.log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-o",
                &opts,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
    }

    /// Stops the server at once (as a crash or a pulled cable would).
    pub fn down(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    /// A new, empty database; its URL.
    pub fn new_db(&self) -> String {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!("ippun_{}", N.fetch_add(1, Ordering::Relaxed));
        let port = self.port.to_string();
        let out = Command::new(self.bin.join("createdb"))
            .args(["-h", "127.0.0.1", "-p", &port, "-U", "postgres", &name])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "createdb: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// The folder the cluster lives in.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The port it listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A streaming-replication standby of `self` (a base backup, started on
    /// its own port), made synchronous: from now on a commit on `self` is
    /// acknowledged only once the standby has it.
    pub fn standby(&self) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("ippun-pg-standby-")
            .tempdir()
            .unwrap();
        if let Some(user) = &self.run_as {
            std::os::unix::fs::chown(dir.path(), Some(id_of(user, "-u")), Some(id_of(user, "-g")))
                .unwrap();
        }
        let standby = Self {
            dir,
            bin: self.bin.clone(),
            port: free_port(),
            run_as: self.run_as.clone(),
            fsync: self.fsync,
        };
        let port = self.port.to_string();
        standby.run(
            "pg_basebackup",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-D",
                standby.data().to_str().unwrap(),
                "-R",
                "-X",
                "stream",
                "--no-sync",
            ],
        );
        standby.up();
        self.sql("ALTER SYSTEM SET synchronous_standby_names = '*'");
        self.sql("SELECT pg_reload_conf()");
        for _ in 0..200 {
            if self.sql("SELECT sync_state FROM pg_stat_replication") == "sync" {
                return standby;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the standby did not become synchronous");
    }

    /// Promotes a standby to primary and waits until it is one.
    pub fn promote(&self) {
        self.run(
            "pg_ctl",
            &["-D", self.data().to_str().unwrap(), "-w", "promote"],
        );
    }

    /// Runs `sql` with psql on the `postgres` database; its output,
    /// trimmed.
    pub fn sql(&self, sql: &str) -> String {
        let port = self.port.to_string();
        let args = [
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-tAc",
            sql,
        ];
        self.run("psql", &args).trim().to_owned()
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        TAKEN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.port);
        let _ = self
            .command("pg_ctl")
            .args([
                "-D",
                self.data().to_str().unwrap_or(""),
                "-m",
                "immediate",
                "stop",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Runs each named case, a function taking a [`Backend`](ippun_center::Backend),
/// as two tests: `sqlite::case` and `postgres::case`.
#[allow(unused_macros)]
macro_rules! on_both {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[test] fn $case() { super::$case(ippun_center::Backend::Sqlite); })*
        }
        mod postgres {
            $(#[test] fn $case() { super::$case(ippun_center::Backend::Postgres); })*
        }
    };
}
