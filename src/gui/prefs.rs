//! The window's own settings, kept in `settings.json` in the data folder:
//! the language and how long the window may sit unused before the app lock
//! closes it again. A missing, unreadable or odd file reads as defaults;
//! writing replaces the file whole.

use std::path::Path;

use ippun_core::Lang;
use serde::{Deserialize, Serialize};

use super::autolock;

/// What `settings.json` holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prefs {
    /// The language chosen in settings (none: the system's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lang: Option<Lang>,
    /// Minutes without use before the app lock closes the window again
    /// (none: [`autolock::DEFAULT_MINUTES`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_lock_minutes: Option<u32>,
}

impl Prefs {
    /// The settings in `home`, or defaults.
    pub fn load(home: &Path) -> Self {
        std::fs::read_to_string(home.join("settings.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    /// Keeps the settings (best effort: a read-only folder keeps the
    /// choice for this launch only).
    pub fn save(&self, home: &Path) {
        let Ok(text) = serde_json::to_string(self) else {
            return;
        };
        let tmp = home.join(".settings.json.tmp");
        if std::fs::write(&tmp, text).is_ok() {
            let _ = std::fs::rename(&tmp, home.join("settings.json"));
        }
    }

    /// The idle time before locking again, one of the offered choices.
    pub fn auto_lock_minutes(&self) -> u32 {
        self.auto_lock_minutes
            .filter(|m| autolock::CHOICES.contains(m))
            .unwrap_or(autolock::DEFAULT_MINUTES)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_round_trip_and_odd_files_read_as_defaults() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(Prefs::load(dir.path()), Prefs::default());
        let p = Prefs {
            lang: Some(Lang::Ja),
            auto_lock_minutes: Some(15),
        };
        p.save(dir.path());
        assert_eq!(Prefs::load(dir.path()), p);
        // The file of earlier versions held the language alone.
        std::fs::write(dir.path().join("settings.json"), r#"{"lang":"en"}"#).unwrap();
        let old = Prefs::load(dir.path());
        assert_eq!(old.lang, Some(Lang::En));
        assert_eq!(old.auto_lock_minutes(), autolock::DEFAULT_MINUTES);
        std::fs::write(
            dir.path().join("settings.json"),
            r#"{"auto_lock_minutes":7}"#,
        )
        .unwrap();
        assert_eq!(
            Prefs::load(dir.path()).auto_lock_minutes(),
            autolock::DEFAULT_MINUTES,
            "a time not offered reads as the default"
        );
        std::fs::write(dir.path().join("settings.json"), "not json").unwrap();
        assert_eq!(Prefs::load(dir.path()), Prefs::default());
    }
}
