//! One window per data folder: a second launch hands over to the window
//! already open, which comes to the front, and exits.
//!
//! The open window listens on a Unix socket in the data folder
//! (`window.sock`; the folder is the user's alone). A launch that reaches
//! it sends `show`, is answered `ok` and ends with status 0. A socket file
//! that nobody answers (left by a window that ended abruptly) is replaced.
//! Only that one word is read, at most [`MAX_REQUEST`] bytes within
//! [`WAIT`]; anything else is answered with nothing. The command-line
//! commands do not take part: with the data in use they still say A997.
//! Elsewhere than Unix each launch opens its own window.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long either side waits for the other.
pub const WAIT: Duration = Duration::from_secs(2);

/// The longest request read.
pub const MAX_REQUEST: usize = 16;

const SOCKET: &str = "window.sock";
const SHOW: &[u8] = b"show\n";
const OK: &[u8] = b"ok\n";

/// The socket of the window for the data folder `home`.
pub fn socket_path(home: &Path) -> PathBuf {
    home.join(SOCKET)
}

#[cfg(unix)]
mod imp {
    use std::io::{self, Read, Write};
    use std::os::unix::net::{UnixListener, UnixStream};
    use std::path::{Path, PathBuf};

    use super::{MAX_REQUEST, OK, SHOW, WAIT, socket_path};

    /// Asks the window open on `home` to come to the front; `true` when it
    /// said it will.
    pub fn hand_over(home: &Path) -> bool {
        ask(&socket_path(home)).unwrap_or(false)
    }

    fn ask(path: &Path) -> io::Result<bool> {
        let mut s = UnixStream::connect(path)?;
        s.set_read_timeout(Some(WAIT))?;
        s.set_write_timeout(Some(WAIT))?;
        s.write_all(SHOW)?;
        let mut reply = [0u8; 8];
        let mut got = 0;
        while got < OK.len() {
            match s.read(&mut reply[got..])? {
                0 => break,
                n => got += n,
            }
        }
        Ok(&reply[..got] == OK)
    }

    /// The open window's end: removes the socket file when dropped.
    #[derive(Debug)]
    pub struct Listening {
        path: PathBuf,
    }

    impl Drop for Listening {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.path);
        }
    }

    /// Listens for later launches on `home`, calling `show` for each that
    /// asks. Fails when the socket cannot be made, or another window
    /// answers on it.
    pub fn listen(home: &Path, show: impl Fn() + Send + 'static) -> io::Result<Listening> {
        let path = socket_path(home);
        let listener = match UnixListener::bind(&path) {
            Ok(l) => l,
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
                if UnixStream::connect(&path).is_ok() {
                    return Err(io::Error::new(
                        io::ErrorKind::AddrInUse,
                        "another window answers",
                    ));
                }
                // Left behind: nobody answers.
                std::fs::remove_file(&path)?;
                UnixListener::bind(&path)?
            }
            Err(e) => return Err(e),
        };
        std::thread::Builder::new()
            .name("ippun-single".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let _ = answer(stream, &show);
                }
            })?;
        Ok(Listening { path })
    }

    /// Reads one request; for `show`, calls `show` and then answers `ok`
    /// (so the launch that asked ends once the window knows).
    fn answer(mut s: UnixStream, show: &impl Fn()) -> io::Result<()> {
        s.set_read_timeout(Some(WAIT))?;
        s.set_write_timeout(Some(WAIT))?;
        let mut buf = [0u8; MAX_REQUEST];
        let mut got = 0;
        while got < buf.len() && !buf[..got].contains(&b'\n') {
            match s.read(&mut buf[got..])? {
                0 => break,
                n => got += n,
            }
        }
        if &buf[..got] == SHOW {
            show();
            s.write_all(OK)?;
        }
        Ok(())
    }
}

#[cfg(not(unix))]
mod imp {
    use std::io;
    use std::path::Path;

    /// Elsewhere than Unix, no window is asked.
    pub fn hand_over(_home: &Path) -> bool {
        false
    }

    /// Nothing to listen on.
    #[derive(Debug)]
    pub struct Listening;

    /// Elsewhere than Unix, each launch has its own window.
    pub fn listen(_home: &Path, _show: impl Fn() + Send + 'static) -> io::Result<Listening> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "no Unix sockets",
        ))
    }
}

pub use imp::{Listening, hand_over, listen};

#[cfg(all(test, unix))]
mod tests {
    use std::io::{Read, Write};
    use std::os::unix::net::{UnixListener, UnixStream};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn a_launch_reaches_the_open_window_and_only_show_counts() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!hand_over(dir.path()), "no window open yet");
        let shown = Arc::new(AtomicUsize::new(0));
        let s = shown.clone();
        let listening = listen(dir.path(), move || {
            s.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        assert!(
            listen(dir.path(), || {}).is_err(),
            "a second window does not take the socket over"
        );
        assert!(hand_over(dir.path()));
        assert!(hand_over(dir.path()));
        // Anything else gets no answer and shows nothing.
        let mut other = UnixStream::connect(socket_path(dir.path())).unwrap();
        other.write_all(b"delete-all\n").unwrap();
        let mut reply = Vec::new();
        other.read_to_end(&mut reply).unwrap();
        assert!(reply.is_empty());
        assert_eq!(shown.load(Ordering::SeqCst), 2);
        drop(listening);
        assert!(
            !socket_path(dir.path()).exists(),
            "removed when the window ends"
        );
        assert!(!hand_over(dir.path()));
    }

    #[test]
    fn a_socket_nobody_answers_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        // A window that ended abruptly leaves its socket file behind.
        drop(UnixListener::bind(socket_path(dir.path())).unwrap());
        assert!(socket_path(dir.path()).exists());
        assert!(!hand_over(dir.path()));
        let shown = Arc::new(AtomicUsize::new(0));
        let s = shown.clone();
        let _listening = listen(dir.path(), move || {
            s.fetch_add(1, Ordering::SeqCst);
        })
        .unwrap();
        assert!(hand_over(dir.path()));
        assert_eq!(shown.load(Ordering::SeqCst), 1);
    }
}
