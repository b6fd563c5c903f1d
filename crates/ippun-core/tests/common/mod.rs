//! What the vault tests share: a data folder on a fixed machine identity with
//! the device key in a file, and a token as provisioning would hand it over.

#![allow(dead_code)]

use std::path::Path;

use ippun_core::token::{NewToken, Provisioning, SecretBytes};
use ippun_core::vault::KeyStorePolicy;
use ippun_core::{Home, OtpParams};

/// The data folder `dir` as seen from machine `machine`.
pub fn home(dir: &Path, machine: &str) -> Home {
    Home::new(dir.to_path_buf())
        .with_machine_id(machine)
        .with_policy(KeyStorePolicy::FileOnly)
}

/// A token of service `service` for `user`, with the key `secret`.
pub fn token(service: &str, user: &str, secret: &[u8]) -> NewToken {
    NewToken {
        service_id: format!("SVC-{service}"),
        service_name: service.to_owned(),
        user_id: user.to_owned(),
        serial: "00000042".into(),
        expires_at: 2_000_000_000,
        logo_url: None,
        link_url: Some("https://bank.example/".into()),
        params: OtpParams::default(),
        secret: SecretBytes::new(secret.to_vec()),
        device_signing_key: Some(SecretBytes::new(vec![7; 32])),
        provisioning: Provisioning::Active,
        center_url: None,
        center_key: None,
        pending_confirm: None,
    }
}
