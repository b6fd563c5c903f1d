//! Writes the protocol's machine-readable contract into `docs/`: a JSON
//! Schema per message (`docs/schema/`) and the `OpenAPI` document
//! (`docs/openapi.json`), generated from the message types.
//!
//!     cargo run -p ippun-center --example contracts

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs");
    let files = match ippun_center::http::contract::files() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("contracts: {e}");
            return ExitCode::FAILURE;
        }
    };
    let schema_dir = docs.join("schema");
    if let Ok(old) = std::fs::read_dir(&schema_dir) {
        for f in old.flatten() {
            let _ = std::fs::remove_file(f.path());
        }
    }
    for (path, text) in files {
        let to = docs.join(&path);
        let written = to
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&to, text));
        if let Err(e) = written {
            eprintln!("contracts: {}: {e}", to.display());
            return ExitCode::FAILURE;
        }
        eprintln!("wrote docs/{path}");
    }
    ExitCode::SUCCESS
}
