//! Center profiles: a center's address and public key, kept as small JSON
//! files in `<data folder>/centers/`. The demo center writes its own there,
//! so that `ippun --demo` and `ippun token add --center URL` find the key to
//! pin; a bank's center profile ships with the app or comes with
//! `--center-key`.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::protocol::CenterKey;

/// Folder name under the data folder.
pub const CENTERS_DIR: &str = "centers";

/// One center.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CenterProfile {
    /// Name for people.
    pub name: String,
    /// Base URL, e.g. `https://otp.bank.example` or `http://127.0.0.1:8443`.
    pub url: String,
    /// The center's public key, `ed25519:…`.
    pub center_key: String,
}

impl CenterProfile {
    /// The parsed key, if it is well formed.
    pub fn key(&self) -> Option<CenterKey> {
        CenterKey::parse(&self.center_key)
    }
}

/// `<data folder>/centers`.
pub fn dir(home: &Path) -> PathBuf {
    home.join(CENTERS_DIR)
}

/// URLs compare without a trailing slash.
pub fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// The profile for `url` in `home`'s centers folder, if one is there and
/// readable. Unreadable files are skipped.
pub fn find(home: &Path, url: &str) -> Option<CenterProfile> {
    let entries = std::fs::read_dir(dir(home)).ok()?;
    let mut hits: Vec<(String, CenterProfile)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.path()).ok()?;
            let p: CenterProfile = serde_json::from_str(&text).ok()?;
            Some((e.file_name().to_string_lossy().into_owned(), p))
        })
        .filter(|(_, p)| same_url(&p.url, url))
        .collect();
    hits.sort_by(|a, b| a.0.cmp(&b.0));
    hits.into_iter().next().map(|(_, p)| p)
}

/// Every readable profile, sorted by file name.
pub fn all(home: &Path) -> Vec<CenterProfile> {
    let Ok(entries) = std::fs::read_dir(dir(home)) else {
        return Vec::new();
    };
    let mut v: Vec<(String, CenterProfile)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.path()).ok()?;
            Some((
                e.file_name().to_string_lossy().into_owned(),
                serde_json::from_str(&text).ok()?,
            ))
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v.into_iter().map(|(_, p)| p).collect()
}

/// Writes `profile` as `<home>/centers/<file_stem>.json` (via a temp file
/// and rename, so readers never see half a file).
pub fn write(home: &Path, file_stem: &str, profile: &CenterProfile) -> std::io::Result<PathBuf> {
    let d = dir(home);
    std::fs::create_dir_all(&d)?;
    let path = d.join(format!("{file_stem}.json"));
    let tmp = d.join(format!(".{file_stem}.json.tmp"));
    let text = serde_json::to_string_pretty(profile).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_found_by_url() {
        let home = tempfile::tempdir().unwrap();
        assert!(find(home.path(), "http://127.0.0.1:1").is_none());
        let p = CenterProfile {
            name: "demo".into(),
            url: "http://127.0.0.1:1/".into(),
            center_key: format!("ed25519:{}", "ab".repeat(32)),
        };
        write(home.path(), "demo", &p).unwrap();
        std::fs::write(dir(home.path()).join("junk.json"), "{").unwrap();
        assert_eq!(find(home.path(), "http://127.0.0.1:1"), Some(p.clone()));
        assert!(find(home.path(), "http://127.0.0.1:2").is_none());
        assert_eq!(all(home.path()), vec![p]);
    }
}
