//! Copying a code to the clipboard: kept out of clipboard history where the
//! platform allows, and cleared after 30 seconds if the clipboard still
//! holds it.

use std::time::{Duration, Instant};

use zeroize::Zeroizing;

/// How long a copied code stays on the clipboard.
pub const CLEAR_AFTER: Duration = Duration::from_secs(30);

/// The system clipboard, opened on first use.
pub struct Clip {
    board: Option<arboard::Clipboard>,
    ours: Option<(Zeroizing<String>, Instant)>,
}

impl std::fmt::Debug for Clip {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Clip")
            .field("open", &self.board.is_some())
            .field("holding", &self.ours.is_some())
            .finish()
    }
}

impl Clip {
    /// Nothing opened yet.
    pub fn new() -> Self {
        Self {
            board: None,
            ours: None,
        }
    }

    /// Puts `code` on the clipboard. `false` when there is no clipboard
    /// (no display server, or it refused).
    pub fn copy(&mut self, code: &str) -> bool {
        if self.board.is_none() {
            self.board = arboard::Clipboard::new().ok();
        }
        let Some(board) = self.board.as_mut() else {
            return false;
        };
        let set = board.set();
        #[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
        let set = {
            use arboard::SetExtLinux;
            set.exclude_from_history()
        };
        #[cfg(target_os = "windows")]
        let set = {
            use arboard::SetExtWindows;
            set.exclude_from_history().exclude_from_cloud()
        };
        #[cfg(target_os = "macos")]
        let set = {
            use arboard::SetExtApple;
            set.exclude_from_history()
        };
        if set.text(code.to_owned()).is_ok() {
            self.ours = Some((Zeroizing::new(code.to_owned()), Instant::now()));
            true
        } else {
            false
        }
    }

    /// Clears the clipboard once the copied code is 30 s old, if it still
    /// holds that code (something the user copied since is left alone).
    /// Returns how long until the next check is due, if one is.
    pub fn tick(&mut self) -> Option<Duration> {
        let (_, at) = self.ours.as_ref()?;
        if let Some(left) = CLEAR_AFTER.checked_sub(at.elapsed())
            && !left.is_zero()
        {
            return Some(left);
        }
        self.clear_now();
        None
    }

    /// Clears the clipboard now if it still holds the code copied here
    /// (when the window locks).
    pub fn clear_now(&mut self) {
        if let (Some((code, _)), Some(board)) = (self.ours.take(), self.board.as_mut()) {
            let still = board.get_text().is_ok_and(|t| t.as_str() == code.as_str());
            if still {
                let _ = board.clear();
            }
        }
    }
}
