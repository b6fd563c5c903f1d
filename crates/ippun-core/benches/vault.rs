//! Unlock time: opening a locked vault with the right code, against the raw
//! Argon2id computation with the same parameters (the floor), and against the
//! same memory and passes on a single lane (what the parallel lanes buy).
//!
//! Run: `cargo bench -p ippun-core --bench vault`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use ippun_core::token::{NewToken, Provisioning, SecretBytes};
use ippun_core::vault::{ARGON2_M_KIB, ARGON2_P, ARGON2_T, KeyStorePolicy, argon2_key};
use ippun_core::{FixedClock, Home, LockCode, Opened, OtpParams};

fn bench(c: &mut Criterion) {
    let Ok(dir) = tempfile::tempdir() else { return };
    let home = Home::new(dir.path().to_path_buf())
        .with_machine_id("bench")
        .with_policy(KeyStorePolicy::FileOnly);
    let clock = FixedClock::from_unix(1_800_000_000);
    let Ok(code) = LockCode::parse("25802580") else {
        return;
    };
    {
        let Ok(Opened::Ready(mut v)) = home.open() else {
            return;
        };
        for i in 0..10 {
            let t = NewToken {
                service_id: "SVC".into(),
                service_name: "Bank".into(),
                user_id: format!("u{i}"),
                serial: "12345678".into(),
                expires_at: 2_000_000_000,
                logo_url: None,
                link_url: None,
                params: OtpParams::default(),
                secret: SecretBytes::new(vec![1; 20]),
                device_signing_key: Some(SecretBytes::new(vec![2; 32])),
                provisioning: Provisioning::Active,
                center_url: None,
                center_key: None,
                pending_confirm: None,
            };
            if v.add_token(t, &clock).is_err() {
                return;
            }
        }
        if v.set_lock(&code).is_err() {
            return;
        }
    }
    let salt = [7_u8; 16];
    let mut g = c.benchmark_group("unlock-argon2id-128MiB-t7");
    g.sample_size(10).measurement_time(Duration::from_secs(8));
    g.bench_function("ippun-unlock-10-tokens", |b| {
        b.iter(|| {
            let Ok(Opened::Locked(mut l)) = home.open() else {
                panic!("locked vault expected")
            };
            black_box(l.unlock(&code, &clock).map(|v| v.tokens().len()))
        });
    });
    g.bench_function("argon2id-raw-p2", |b| {
        b.iter(|| black_box(argon2_key(&code, &salt, ARGON2_M_KIB, ARGON2_T, ARGON2_P)));
    });
    g.bench_function("argon2id-raw-p1", |b| {
        b.iter(|| black_box(argon2_key(&code, &salt, ARGON2_M_KIB, ARGON2_T, 1)));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
