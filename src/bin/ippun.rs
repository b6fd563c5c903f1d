//! The `ippun` command.
//!
//! A script that reads a code runs `ippun otp …` once per code, so that
//! command has to start as fast as a small C tool (`oathtool`). The full
//! program, `ippun-app` (`src/main.rs`: the window, the demo center and every
//! command), is a large binary whose start-up alone costs more. This one is
//! small: it answers the plain forms of `ippun otp` itself and becomes the
//! full program (same process, same arguments) for everything else — the
//! window, the other commands, `--help`, and every option or value it does
//! not read exactly as `ippun-app` would. Its errors and help are therefore
//! always the full program's own.

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use ippun_core::otp::Request;
use ippun_core::{Clock, Code, Lang, SecretKey, SystemClock};

/// The full program's file name in the build folder, on Windows and on
/// macOS: beside this one.
const APP: &str = if cfg!(windows) {
    "ippun-app.exe"
} else {
    "ippun-app"
};

/// Where the Linux packages put the full program, from this one's folder.
/// It is named `ippun` there because screen readers name an application by
/// its program's file name (AT-SPI, through AccessKit).
const LIBEXEC_APP: &str = "../libexec/ippun/ippun";

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let program = args.next().unwrap_or_else(|| OsString::from("ippun"));
    let rest: Vec<OsString> = args.collect();
    if let Some(code) = quick_otp(&rest, &SystemClock) {
        return match writeln!(io::stdout().lock(), "{code}") {
            // As `ippun-app` does: a reader that went away is not an error.
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                let _ = writeln!(io::stderr().lock(), "ippun: {e}");
                ExitCode::from(1)
            }
            _ => ExitCode::SUCCESS,
        };
    }
    hand_over(&program, &rest)
}

/// The code, when `args` is `otp` with options read here exactly as
/// `ippun-app` reads them and all valid; `None` for anything else.
fn quick_otp(args: &[OsString], clock: &dyn Clock) -> Option<Code> {
    let (first, options) = args.split_first()?;
    if first != "otp" {
        return None;
    }
    let mut secret = None;
    let mut secret_hex = None;
    let mut request = Request::DEFAULT;
    let (mut algorithm, mut digits, mut period) = (None, None, None);
    let mut lang = None;
    let mut home = None;
    let mut i = 0;
    while i < options.len() {
        let option = options[i].to_str()?.strip_prefix("--")?;
        let (name, value) = if let Some(joined) = option.split_once('=') {
            joined
        } else {
            i += 1;
            (option, options.get(i)?.to_str()?)
        };
        i += 1;
        // Empty values, values that look like options, and `-` (the secret
        // from standard input) are the full program's to judge.
        if value.is_empty() || value.starts_with('-') {
            return None;
        }
        let slot = match name {
            "secret" => &mut secret,
            "secret-hex" => &mut secret_hex,
            "time" => &mut request.time,
            "counter" => &mut request.counter,
            "digits" => &mut digits,
            "algorithm" => &mut algorithm,
            "period" => &mut period,
            "lang" => &mut lang,
            "home" => &mut home,
            _ => return None,
        };
        // An option given twice is an error there.
        if slot.replace(value).is_some() {
            return None;
        }
    }
    if lang.is_some_and(|l| l.parse::<Lang>().is_err())
        || (request.counter.is_some() && (request.time.is_some() || period.is_some()))
    {
        return None;
    }
    request.algorithm = algorithm.unwrap_or(request.algorithm);
    request.digits = digits.unwrap_or(request.digits);
    request.period = period.unwrap_or(request.period);
    let key = match (secret, secret_hex) {
        (Some(base32), None) => SecretKey::from_base32(base32).ok()?,
        (None, Some(hex)) => SecretKey::from_hex(hex).ok()?,
        _ => return None,
    };
    request.code(&key, clock).ok()
}

/// Runs `ippun-app` with the same arguments: on Unix in this very process
/// (what the desktop and the session see stays one process), elsewhere as a
/// child whose exit status becomes this one's.
fn hand_over(program: &OsStr, args: &[OsString]) -> ExitCode {
    let (app, error) = match app_path() {
        Ok(app) => {
            let mut command = Command::new(&app);
            command.args(args);
            #[cfg(unix)]
            let error = {
                use std::os::unix::process::CommandExt;
                command.arg0(program).exec()
            };
            #[cfg(not(unix))]
            let error = {
                let _ = program;
                match command.status() {
                    Ok(status) => {
                        return status
                            .code()
                            .and_then(|c| u8::try_from(c).ok())
                            .map_or(ExitCode::FAILURE, ExitCode::from);
                    }
                    Err(e) => e,
                }
            };
            (app, error)
        }
        Err(e) => (PathBuf::from(APP), e),
    };
    let lang = chosen_lang(args).unwrap_or_else(Lang::detect);
    let _ = writeln!(
        io::stderr().lock(),
        "ippun: {}",
        // From the Fluent file, without the Fluent runtime: this program
        // stays small.
        lang.plain_text_with(
            "cli-app-missing",
            &[
                ("path", &app.display().to_string()),
                ("reason", &error.to_string())
            ]
        )
    );
    ExitCode::from(1)
}

/// Where the full program is: `../libexec/ippun/ippun` from this program's
/// folder (the Linux packages and the portable bundle, which keep `bin/` for
/// the command people type), else `ippun-app` beside it (the build folder,
/// Windows, macOS). Never looked up on the `PATH`.
fn app_path() -> io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let here = exe.parent().unwrap_or(Path::new("/"));
    let libexec = here.join(LIBEXEC_APP);
    if libexec.is_file() {
        return Ok(libexec);
    }
    Ok(here.join(APP))
}

/// The language given with `--lang`, for the one message this program says
/// itself.
fn chosen_lang(args: &[OsString]) -> Option<Lang> {
    args.iter().enumerate().find_map(|(i, a)| {
        let a = a.to_str()?;
        match a.strip_prefix("--lang") {
            Some("") => args.get(i + 1)?.to_str()?.parse().ok(),
            Some(rest) => rest.strip_prefix('=')?.parse().ok(),
            None => None,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ippun_core::FixedClock;

    const RFC_B32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    fn quick(args: &[&str]) -> Option<String> {
        let args: Vec<OsString> = args.iter().map(OsString::from).collect();
        quick_otp(&args, &FixedClock::from_unix(59)).map(|c| c.to_string())
    }

    #[test]
    fn plain_forms_are_answered_here() {
        // RFC 6238 Appendix B, SHA-1 at 59 s.
        let b = [
            "otp", "--secret", RFC_B32, "--digits", "8", "--period", "30",
        ];
        assert_eq!(quick(&b).as_deref(), Some("94287082"));
        let mut with_time = b.to_vec();
        with_time.extend(["--time=59", "--lang", "en", "--home=/nowhere"]);
        assert_eq!(quick(&with_time).as_deref(), Some("94287082"));
        // RFC 4226 Appendix D, counter 9.
        assert_eq!(
            quick(&[
                "otp",
                "--secret-hex",
                "3132333435363738393031323334353637383930",
                "--counter",
                "9"
            ])
            .as_deref(),
            Some("520489")
        );
    }

    #[test]
    fn everything_else_goes_to_the_full_program() {
        for args in [
            &[][..],
            &["explain", "A999"],
            &["--lang", "en", "otp", "--secret", RFC_B32],
            &["otp"],
            &["otp", "--help"],
            &["otp", "--secret", "-"],
            &["otp", "--secret", ""],
            &["otp", "--secret="],
            &["otp", "--secret", RFC_B32, "--time"],
            &["otp", "--secret", RFC_B32, "--time", "-1"],
            &["otp", "--secret", RFC_B32, "--secret", RFC_B32],
            &["otp", "--secret", RFC_B32, "--secret-hex", "31"],
            &["otp", "--secret", RFC_B32, "--counter", "1", "--time", "5"],
            &[
                "otp",
                "--secret",
                RFC_B32,
                "--counter",
                "1",
                "--period",
                "30",
            ],
            &["otp", "--secret", RFC_B32, "--digits", "9"],
            &["otp", "--secret", RFC_B32, "--lang", "fr"],
            &["otp", "--secret", RFC_B32, "--fake-time", "0"],
            &["otp", "--secret", RFC_B32, "--sec", "x"],
            &["otp", "--secret", RFC_B32, "extra"],
            &["otp", "--secret", RFC_B32, "--"],
            &["otp", "--secret", "GEZ1"],
        ] {
            assert_eq!(quick(args), None, "{args:?}");
        }
    }

    #[test]
    fn the_language_of_the_one_own_message() {
        let os = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(
            chosen_lang(&os(&["--lang", "ja", "explain"])),
            Some(Lang::Ja)
        );
        assert_eq!(chosen_lang(&os(&["token", "--lang=en"])), Some(Lang::En));
        assert_eq!(chosen_lang(&os(&["--lang"])), None);
        assert_eq!(chosen_lang(&os(&["--language", "en"])), None);
    }
}
