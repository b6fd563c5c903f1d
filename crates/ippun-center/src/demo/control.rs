//! The demo's control port: switch the running demo's fault without a
//! restart (`ippun-center demo-fault NAME`), so that a help desk sets a
//! token up once and then tries every fault on it.
//!
//! A loopback TCP port speaking one line each way: `fault NAME` (or
//! `fault none`) answers `ok NAME`; anything else answers `error …`. The
//! demo records the port's address in `<data folder>/centers/demo.control`.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

use super::fault::{Fault, FaultSwitch};
use crate::CenterError;

/// The file, under the data folder, that holds the control address.
pub fn address_file(home: &Path) -> PathBuf {
    home.join(ippun_core::profile::CENTERS_DIR)
        .join("demo.control")
}

/// Listens for control lines on `listen` (a loopback address) until the
/// process ends; returns the bound address.
pub async fn serve(listen: &str, faults: FaultSwitch) -> Result<SocketAddr, CenterError> {
    let tcp = tokio::net::TcpListener::bind(listen).await?;
    let addr = tcp.local_addr()?;
    if !addr.ip().is_loopback() {
        return Err(CenterError::Config(
            "the demo's control port listens on loopback only".into(),
        ));
    }
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = tcp.accept().await else {
                continue;
            };
            let faults = faults.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut line = String::new();
                let mut r = tokio::io::BufReader::new(r).take(256);
                let read =
                    tokio::time::timeout(Duration::from_secs(5), r.read_line(&mut line)).await;
                let reply = match read {
                    Ok(Ok(_)) => answer(&faults, line.trim()),
                    _ => "error no command".to_owned(),
                };
                let _ = w.write_all(format!("{reply}\n").as_bytes()).await;
            });
        }
    });
    Ok(addr)
}

fn answer(faults: &FaultSwitch, line: &str) -> String {
    let Some(name) = line.strip_prefix("fault ") else {
        return "error say: fault NAME | fault none".to_owned();
    };
    match parse(name) {
        Ok(f) => {
            faults.set(f);
            format!("ok {}", f.map_or("none", Fault::name))
        }
        Err(e) => format!("error {e}"),
    }
}

/// A fault name, or `none`.
pub fn parse(name: &str) -> Result<Option<Fault>, super::fault::UnknownFault> {
    match name.trim() {
        "none" => Ok(None),
        other => other.parse().map(Some),
    }
}

/// Tells the demo whose control address is recorded under `home` to switch
/// to `fault`; the demo's answer.
pub fn switch(home: &Path, fault: Option<Fault>) -> Result<String, CenterError> {
    let file = address_file(home);
    let addr = std::fs::read_to_string(&file).map_err(|e| {
        CenterError::Config(format!(
            "no running demo center recorded in {} ({e}); start one with `ippun-center demo`",
            file.display()
        ))
    })?;
    let addr: SocketAddr = addr
        .trim()
        .parse()
        .map_err(|_| CenterError::Config(format!("{}: not an address", file.display())))?;
    let mut s =
        std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| {
            CenterError::Config(format!(
                "the demo center at {addr} does not answer ({e}); is it still running?"
            ))
        })?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    writeln!(s, "fault {}", fault.map_or("none", Fault::name))?;
    let mut line = String::new();
    BufReader::new(std::io::Read::take(s, 256)).read_line(&mut line)?;
    let line = line.trim().to_owned();
    match line.strip_prefix("ok ") {
        Some(_) => Ok(line),
        None => Err(CenterError::Config(format!("the demo center said: {line}"))),
    }
}
