//! Code generation: the ippun engine against `totp-rs` called directly and
//! against a plain `hmac` loop, in the same run.
//!
//! Each iteration computes one 6-digit, 60-second TOTP code and formats it as
//! a string (what every caller does with a code), at a time that moves on by
//! one step per iteration so nothing can be cached or folded away.
//!
//! Run: `cargo bench -p ippun-core --bench otp`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{KeyInit, Mac};
use ippun_core::{Algorithm, Digits, OtpParams, Period, SecretKey, Totp};

const SEED20: &[u8] = b"12345678901234567890";
const SEED32: &[u8] = b"12345678901234567890123456789012";
const SEED64: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";
const PERIOD: u64 = 60;
const START: u64 = 1_795_478_400;

fn plain<M: Mac + KeyInit>(key: &[u8], time: u64) -> String {
    let Ok(mut mac) = <M as KeyInit>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(&(time / PERIOD).to_be_bytes());
    let out = mac.finalize().into_bytes();
    let o = usize::from(out[out.len() - 1] & 0x0f);
    let v = u32::from_be_bytes([out[o], out[o + 1], out[o + 2], out[o + 3]]) & 0x7fff_ffff;
    format!("{:06}", v % 1_000_000)
}

/// Our algorithm, its RFC 6238 seed, the same algorithm in totp-rs, and the
/// plain-hmac function for it.
type Case = (
    Algorithm,
    &'static [u8],
    totp_rs::Algorithm,
    fn(&[u8], u64) -> String,
);

fn bench(c: &mut Criterion) {
    let cases: [Case; 3] = [
        (
            Algorithm::Sha1,
            SEED20,
            totp_rs::Algorithm::SHA1,
            plain::<hmac::Hmac<sha1::Sha1>>,
        ),
        (
            Algorithm::Sha256,
            SEED32,
            totp_rs::Algorithm::SHA256,
            plain::<hmac::Hmac<sha2::Sha256>>,
        ),
        (
            Algorithm::Sha512,
            SEED64,
            totp_rs::Algorithm::SHA512,
            plain::<hmac::Hmac<sha2::Sha512>>,
        ),
    ];
    for (alg, seed, theirs, plain_fn) in cases {
        let Ok(key) = SecretKey::from_bytes(seed.to_vec()) else {
            return;
        };
        let ours = Totp::new(
            &key,
            OtpParams {
                algorithm: alg,
                digits: Digits::SIX,
                period: Period::SIXTY,
            },
        );
        let Ok(direct) = totp_rs::Builder::new()
            .with_algorithm(theirs)
            .with_digits(6)
            .with_step_duration(PERIOD)
            .with_secret(seed)
            .build()
        else {
            return;
        };
        // The three must agree before they are timed.
        for t in [0, 59, 60, START] {
            let a = ours.code_at(t).map(|c| c.to_string()).unwrap_or_default();
            assert_eq!(a, direct.generate(t).to_string());
            assert_eq!(a, plain_fn(seed, t));
        }

        let mut g = c.benchmark_group(format!("totp-{alg}-6d-60s"));
        let mut t = START;
        g.bench_function("ippun", |b| {
            b.iter(|| {
                t = t.wrapping_add(PERIOD);
                black_box(ours.code_at(black_box(t)).map(|c| c.to_string()))
            });
        });
        let mut t = START;
        g.bench_function("totp-rs", |b| {
            b.iter(|| {
                t = t.wrapping_add(PERIOD);
                black_box(direct.generate(black_box(t)).to_string())
            });
        });
        let mut t = START;
        g.bench_function("plain-hmac", |b| {
            b.iter(|| {
                t = t.wrapping_add(PERIOD);
                black_box(plain_fn(seed, black_box(t)))
            });
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3));
    targets = bench
}
criterion_main!(benches);
