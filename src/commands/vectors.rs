//! `ippun vectors check|generate`.

use std::io::{self, Write};

use ippun_core::input::{parse_counter, parse_time};
use ippun_core::vectors::{self, GenerateSpec, KeyForm, Kind};
use ippun_core::{Algorithm, Digits, Lang, Period, SecretKey};

use crate::Failure;
use crate::cli::{GenerateArgs, KindArg, VectorsCommand};

pub fn run(cmd: &VectorsCommand, lang: Lang) -> Result<(), Failure> {
    match cmd {
        VectorsCommand::Check { file } => {
            let parsed = vectors::read_file(file).map_err(|e| {
                Failure::Usage(lang.text_with(
                    "vectors-file-error",
                    &[
                        ("path", &file.display().to_string()),
                        ("reason", &e.to_string()),
                    ],
                ))
            })?;
            let report = vectors::check_file(&parsed);
            let mut out = io::stdout().lock();
            for line in report.lines(lang) {
                writeln!(out, "{line}")?;
            }
            if report.failed() == 0 {
                Ok(())
            } else {
                Err(Failure::CheckFailed)
            }
        }
        VectorsCommand::Generate(args) => generate(args, lang),
    }
}

fn parse_all<T>(
    items: &[String],
    f: impl Fn(&str) -> Result<T, ippun_core::InputError>,
    lang: Lang,
) -> Result<Vec<T>, Failure> {
    items
        .iter()
        .map(|s| f(s).map_err(|e| Failure::input(&e, lang)))
        .collect()
}

fn generate(args: &GenerateArgs, lang: Lang) -> Result<(), Failure> {
    let mut keys: Vec<(SecretKey, KeyForm)> = Vec::new();
    for k in parse_all(&args.secret, SecretKey::from_base32, lang)? {
        keys.push((k, KeyForm::Base32));
    }
    for k in parse_all(&args.secret_hex, SecretKey::from_hex, lang)? {
        keys.push((k, KeyForm::Hex));
    }
    let spec = GenerateSpec {
        keys,
        kind: match args.kind {
            KindArg::Totp => Kind::Totp,
            KindArg::Hotp => Kind::Hotp,
        },
        algorithms: parse_all(&args.algorithm, str::parse::<Algorithm>, lang)?,
        digits: parse_all(&args.digits, str::parse::<Digits>, lang)?,
        period: args
            .period
            .parse::<Period>()
            .map_err(|e| Failure::input(&e, lang))?,
        times: parse_all(&args.time, parse_time, lang)?,
        counters: parse_all(&args.counter, parse_counter, lang)?,
        trace: args.trace,
        name_prefix: args.name.clone(),
        source: args.source.clone(),
    };
    let file = vectors::generate(&spec).map_err(|e| Failure::input(&e, lang))?;
    let text = vectors::to_toml(&file, args.header.as_deref().unwrap_or_default());
    match &args.out {
        None => io::stdout().lock().write_all(text.as_bytes())?,
        Some(path) => {
            std::fs::write(path, text)?;
            writeln!(
                io::stderr().lock(),
                "{}",
                lang.text_with(
                    "vectors-written",
                    &[
                        ("count", &file.vectors.len().to_string()),
                        ("path", &path.display().to_string()),
                    ],
                )
            )?;
        }
    }
    Ok(())
}
