//! The vault: the user's tokens at rest, in one file.
//!
//! The file format is described in `docs/vault-format.md`. In short: a random
//! data key encrypts the tokens with XChaCha20-Poly1305; the data key is
//! wrapped with a key derived from the device key (kept in the OS keyring, or
//! in a 0600 file beside the vault) and the machine's identity, and, when app
//! lock is on, also from Argon2id of the lock code, so both are needed.
//!
//! Opening checks, in order: a SHA-256 over the whole file (damage or
//! truncation: A996), the format version (newer: A995), the device check
//! (another device: A998), the lock-state tag (edited: A996), then the lock
//! code (A914, with a growing wait: A915). Writes are atomic; a damaged file is
//! never written over. One process at a time holds the data folder (A997).

mod fsio;
pub mod keystore;
pub mod lock;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::Mac;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::clock::Clock;
use crate::error::{Error, ErrorCode};
use crate::token::{NewToken, Token, TokenList};

pub use keystore::{FileKeyStore, KeyStore, KeyStoreError, OsKeyStore, StoreKind};
pub use lock::LockCode;

/// The vault file's name inside the data folder.
pub const VAULT_FILE: &str = "vault.ippun";
/// The device-key file's name (when the OS keyring is not used).
pub const DEVICE_KEY_FILE: &str = "device.key";
/// The single-instance lock file's name.
pub const LOCK_FILE: &str = "ippun.lock";

/// Format version written by this build.
pub const FORMAT_VERSION: u16 = 1;
/// Largest vault file accepted.
pub const MAX_VAULT_BYTES: u64 = 1024 * 1024;

/// Argon2id memory cost in KiB (128 MiB).
pub const ARGON2_M_KIB: u32 = 128 * 1024;
/// Argon2id passes.
pub const ARGON2_T: u32 = 7;
/// Argon2id lanes (computed in parallel).
pub const ARGON2_P: u32 = 2;

const MAGIC: &[u8; 8] = b"IPPUNVLT";
const STATIC_LEN: usize = 56;
const TAG_LEN: usize = 32;
const STATE_LEN: usize = 12;
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;
const WRAPPED_LEN: usize = KEY_LEN + 16;
const CHECKSUM_LEN: usize = 32;
const BODY_OFFSET: usize =
    STATIC_LEN + TAG_LEN + STATE_LEN + TAG_LEN + NONCE_LEN + WRAPPED_LEN + NONCE_LEN + 4;
const MIN_FILE_LEN: usize = BODY_OFFSET + 16 + CHECKSUM_LEN;

const FLAG_LOCK: u16 = 1;
const FLAG_OS_KEYRING: u16 = 2;
const KNOWN_FLAGS: u16 = FLAG_LOCK | FLAG_OS_KEYRING;

type HmacSha256 = hmac::Hmac<Sha256>;
type Key32 = Zeroizing<[u8; KEY_LEN]>;

/// How the device key is kept for a new vault.
#[derive(Debug, Clone, Default)]
pub enum KeyStorePolicy {
    /// The OS keyring when it answers, else the file.
    #[default]
    Auto,
    /// Always the file (`IPPUN_KEYSTORE=file`).
    FileOnly,
    /// A given keyring (tests use keyring-core's mock store).
    Keyring(Arc<keyring_core::CredentialStore>),
}

impl KeyStorePolicy {
    /// From `IPPUN_KEYSTORE` (`file`, `auto`; unset means auto).
    pub fn from_env() -> Self {
        match std::env::var("IPPUN_KEYSTORE").as_deref() {
            Ok("file") => Self::FileOnly,
            _ => Self::Auto,
        }
    }
}

/// The data folder and how to reach the device key.
#[derive(Debug, Clone)]
pub struct Home {
    dir: PathBuf,
    machine_id: String,
    policy: KeyStorePolicy,
}

impl Home {
    /// The data folder `dir`, with this machine's identity and the key-store
    /// policy from the environment.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            machine_id: machine_uid::get().unwrap_or_default(),
            policy: KeyStorePolicy::from_env(),
        }
    }

    /// The data folder: `explicit` (from `--home`), else `IPPUN_HOME`, else
    /// the platform's per-user data folder.
    pub fn locate(explicit: Option<PathBuf>) -> Result<Self, Error> {
        let dir = explicit
            .or_else(|| std::env::var_os("IPPUN_HOME").map(PathBuf::from))
            .or_else(|| {
                directories::ProjectDirs::from("jp", "ippun", "ippun")
                    .map(|d| d.data_dir().to_path_buf())
            })
            .ok_or_else(|| {
                Error::new(ErrorCode::A993).with_detail("no per-user data folder on this system")
            })?;
        Ok(Self::new(dir))
    }

    /// The same folder as seen from a machine with another identity (tests).
    #[must_use]
    pub fn with_machine_id(mut self, id: impl Into<String>) -> Self {
        self.machine_id = id.into();
        self
    }

    /// The same folder with another key-store policy.
    #[must_use]
    pub fn with_policy(mut self, policy: KeyStorePolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The data folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The vault file.
    pub fn vault_path(&self) -> PathBuf {
        self.dir.join(VAULT_FILE)
    }

    /// Opens the vault, taking the single-instance lock for as long as the
    /// result lives. With no vault yet, an empty one is returned that is
    /// written on its first change.
    pub fn open(&self) -> Result<Opened, Error> {
        let guard = self.lock()?;
        let path = self.vault_path();
        fsio::remove_stale_temps(&path);
        let bytes = match fsio::read_limited(&path, MAX_VAULT_BYTES) {
            Ok(Some(b)) => b,
            Ok(None) => return Err(damaged("file larger than any vault")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Opened::Ready(Vault::new_empty(self.clone(), guard)?));
            }
            Err(e) => return Err(io_error(&e)),
        };
        let image = Image::decode(&bytes)?;
        let store = self.store_for(image.flags())?;
        let device_key = store.load(&image.vault_id).map_err(|e| match e {
            KeyStoreError::Missing | KeyStoreError::Malformed => {
                Error::new(ErrorCode::A998).with_detail(e.to_string())
            }
            KeyStoreError::Unavailable(_) => Error::new(ErrorCode::A994).with_detail(e.to_string()),
            KeyStoreError::Io(ref io) => io_error(io),
        })?;
        let kek = device_kek(&device_key, &image.vault_id, &self.machine_id);
        if !verify(
            &kek,
            &[b"ippun vault v1 device check", &image.static_bytes],
            &image.device_check,
        ) {
            return Err(Error::new(ErrorCode::A998).with_detail("device check failed"));
        }
        if !verify(
            &kek,
            &[
                b"ippun vault v1 lock state",
                &image.static_bytes,
                &image.state_bytes(),
            ],
            &image.state_tag,
        ) {
            return Err(damaged("lock state does not match its tag"));
        }
        let sealed = Sealed {
            home: self.clone(),
            guard,
            image,
            kek,
            store_kind: store.kind(),
        };
        if sealed.image.flags() & FLAG_LOCK == 0 {
            let data_key = sealed
                .unwrap_data_key(None)
                .ok_or_else(|| damaged("key wrap"))?;
            Ok(Opened::Ready(sealed.into_vault(data_key)?))
        } else {
            Ok(Opened::Locked(LockedVault {
                sealed: Some(sealed),
            }))
        }
    }

    /// Moves the vault aside (kept as `vault.ippun.damaged-<time>`) so that a
    /// new, empty one can be set up. For a damaged vault (A996) or one from
    /// another device (A998), only after the user has agreed. Returns where
    /// the old file now is, or `None` when there was none.
    pub fn start_over(&self, clock: &dyn Clock) -> Result<Option<PathBuf>, Error> {
        let _guard = self.lock()?;
        let path = self.vault_path();
        if !path.exists() {
            return Ok(None);
        }
        let mut r = [0_u8; 4];
        getrandom::fill(&mut r)
            .map_err(|e| Error::new(ErrorCode::A999).with_detail(e.to_string()))?;
        let kept = self.dir.join(format!(
            "{VAULT_FILE}.damaged-{}-{}",
            clock.unix_seconds(),
            hex::encode(r)
        ));
        std::fs::rename(&path, &kept).map_err(|e| io_error(&e))?;
        Ok(Some(kept))
    }

    fn lock(&self) -> Result<fsio::InstanceLock, Error> {
        fsio::create_private_dir(&self.dir).map_err(|e| io_error(&e))?;
        fsio::InstanceLock::acquire(&self.dir.join(LOCK_FILE)).map_err(|f| match f {
            fsio::LockFailure::Busy => ErrorCode::A997.into(),
            fsio::LockFailure::Io(e) => io_error(&e),
        })
    }

    fn file_store(&self) -> FileKeyStore {
        FileKeyStore::new(self.dir.join(DEVICE_KEY_FILE))
    }

    fn store_for(&self, flags: u16) -> Result<Box<dyn KeyStore>, Error> {
        if flags & FLAG_OS_KEYRING == 0 {
            return Ok(Box::new(self.file_store()));
        }
        match &self.policy {
            KeyStorePolicy::Keyring(s) => Ok(Box::new(OsKeyStore::with_store(s.clone()))),
            _ => OsKeyStore::platform()
                .map(|s| Box::new(s) as Box<dyn KeyStore>)
                .map_err(|e| Error::new(ErrorCode::A994).with_detail(e.to_string())),
        }
    }

    /// The store for a new vault: the keyring if the policy allows and a
    /// stored key reads back, else the file.
    fn store_new_key(&self, vault_id: &[u8; 16], key: &Key32) -> Result<StoreKind, Error> {
        let keyring: Option<OsKeyStore> = match &self.policy {
            KeyStorePolicy::FileOnly => None,
            KeyStorePolicy::Keyring(s) => Some(OsKeyStore::with_store(s.clone())),
            KeyStorePolicy::Auto => OsKeyStore::platform().ok(),
        };
        if let Some(k) = keyring
            && k.store(vault_id, key).is_ok()
            && k.load(vault_id).is_ok_and(|back| back[..] == key[..])
        {
            return Ok(StoreKind::OsKeyring);
        }
        self.file_store()
            .store(vault_id, key)
            .map_err(|e| match e {
                KeyStoreError::Io(io) => io_error(&io),
                other => Error::new(ErrorCode::A993).with_detail(other.to_string()),
            })?;
        Ok(StoreKind::File)
    }
}

/// The result of opening.
#[derive(Debug)]
pub enum Opened {
    /// Readable now (no lock, or a new vault).
    Ready(Vault),
    /// App lock is on: the code is needed.
    Locked(LockedVault),
}

/// A vault whose app lock is on.
#[derive(Debug)]
pub struct LockedVault {
    sealed: Option<Sealed>,
}

impl LockedVault {
    /// Seconds to wait before the next try (A915 until then).
    pub fn wait_remaining(&self, clock: &dyn Clock) -> u64 {
        self.sealed.as_ref().map_or(0, |s| s.wait_remaining(clock))
    }

    /// Wrong codes in a row so far.
    pub fn failures(&self) -> u32 {
        self.sealed.as_ref().map_or(0, |s| s.image.failures)
    }

    /// Opens the vault with `code`. A wrong code is A914 and is counted (the
    /// count is saved, so it survives restarts); while a wait is running every
    /// try is A915 and is not checked at all.
    pub fn unlock(&mut self, code: &LockCode, clock: &dyn Clock) -> Result<Vault, Error> {
        let sealed = self
            .sealed
            .as_mut()
            .ok_or_else(|| Error::new(ErrorCode::A999).with_detail("vault already unlocked"))?;
        let data_key = sealed.check_code(code, clock)?;
        let sealed = self
            .sealed
            .take()
            .ok_or_else(|| Error::new(ErrorCode::A999).with_detail("vault already unlocked"))?;
        sealed.into_vault(data_key)
    }
}

/// A vault that has been read and verified up to the data key.
struct Sealed {
    home: Home,
    guard: fsio::InstanceLock,
    image: Image,
    kek: Key32,
    store_kind: StoreKind,
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("dir", &self.home.dir)
            .field("failures", &self.image.failures)
            .finish_non_exhaustive()
    }
}

impl Sealed {
    fn wait_remaining(&self, clock: &dyn Clock) -> u64 {
        self.image.wait_remaining(clock)
    }

    fn unwrap_data_key(&self, lock_key: Option<&Key32>) -> Option<Key32> {
        self.image.unwrap_data_key(&self.kek, lock_key)
    }

    fn check_code(&mut self, code: &LockCode, clock: &dyn Clock) -> Result<Key32, Error> {
        self.image
            .check_code(&self.kek, &self.home.vault_path(), code, clock)
    }

    fn into_vault(self, data_key: Key32) -> Result<Vault, Error> {
        let body = Zeroizing::new(
            cipher(&data_key)
                .decrypt(
                    &XNonce::from(self.image.body_nonce),
                    Payload {
                        msg: &self.image.body,
                        aad: &self.image.body_aad(),
                    },
                )
                .map_err(|_| damaged("body"))?,
        );
        let body: Body = serde_json::from_slice(&body).map_err(|_| damaged("body contents"))?;
        Ok(Vault {
            home: self.home,
            _guard: self.guard,
            image: Some(self.image),
            kek: Some(self.kek),
            data_key,
            store_kind: Some(self.store_kind),
            tokens: body.tokens,
        })
    }
}

/// The decrypted body.
#[derive(Serialize, Deserialize)]
struct Body {
    tokens: TokenList,
}

/// An open vault: the tokens, and the means to change and save them.
pub struct Vault {
    home: Home,
    _guard: fsio::InstanceLock,
    /// The file as last written (`None` for a vault never saved yet).
    image: Option<Image>,
    kek: Option<Key32>,
    data_key: Key32,
    store_kind: Option<StoreKind>,
    tokens: TokenList,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("dir", &self.home.dir)
            .field("tokens", &self.tokens.len())
            .field("lock", &self.lock_enabled())
            .finish_non_exhaustive()
    }
}

impl Vault {
    fn new_empty(home: Home, guard: fsio::InstanceLock) -> Result<Self, Error> {
        Ok(Self {
            home,
            _guard: guard,
            image: None,
            kek: None,
            data_key: random_key()?,
            store_kind: None,
            tokens: TokenList::default(),
        })
    }

    /// The tokens, in the order added.
    pub fn tokens(&self) -> &TokenList {
        &self.tokens
    }

    /// Whether the vault exists on disk yet.
    pub fn exists(&self) -> bool {
        self.image.is_some()
    }

    /// Whether app lock is on.
    pub fn lock_enabled(&self) -> bool {
        self.image
            .as_ref()
            .is_some_and(|i| i.flags() & FLAG_LOCK != 0)
    }

    /// Seconds to wait before the lock code may be tried again (after
    /// repeated wrong codes when changing or turning off the lock).
    pub fn lock_wait_remaining(&self, clock: &dyn Clock) -> u64 {
        self.image.as_ref().map_or(0, |i| i.wait_remaining(clock))
    }

    /// Where the device key is kept, once the vault exists.
    pub fn store_kind(&self) -> Option<StoreKind> {
        self.store_kind
    }

    /// Adds a token and saves (A916, A917 as for [`TokenList::add`]).
    pub fn add_token(&mut self, new: NewToken, clock: &dyn Clock) -> Result<u64, Error> {
        let now = clock.unix_seconds();
        self.change(|t| t.add(new, now))
    }

    /// Deletes a token and saves.
    pub fn delete_token(&mut self, id: u64) -> Result<Token, Error> {
        self.change(|t| {
            t.remove(id)
                .ok_or_else(|| Error::new(ErrorCode::A999).with_detail("no token with this id"))
        })
    }

    /// Sets a display-name suffix and saves (A918 when not allowed).
    pub fn rename_token(&mut self, id: u64, suffix: &str) -> Result<(), Error> {
        self.change(|t| t.rename(id, suffix))
    }

    /// Changes a token in place and saves (renewal, correction, reminders).
    pub fn update_token(&mut self, id: u64, f: impl FnOnce(&mut Token)) -> Result<(), Error> {
        self.change(|t| {
            let tok = t
                .get_mut(id)
                .ok_or_else(|| Error::new(ErrorCode::A999).with_detail("no token with this id"))?;
            f(tok);
            Ok(())
        })
    }

    /// Turns app lock on with a confirmed new code.
    pub fn set_lock(&mut self, code: &LockCode) -> Result<(), Error> {
        if self.lock_enabled() {
            return Err(Error::new(ErrorCode::A999).with_detail("app lock is already on"));
        }
        self.relock(Some(code))
    }

    /// Changes the lock code; the current code is checked first (A914/A915).
    pub fn change_lock(
        &mut self,
        current: &LockCode,
        new: &LockCode,
        clock: &dyn Clock,
    ) -> Result<(), Error> {
        self.check_current(current, clock)?;
        self.relock(Some(new))
    }

    /// Turns app lock off; the current code is checked first (A914/A915).
    pub fn disable_lock(&mut self, current: &LockCode, clock: &dyn Clock) -> Result<(), Error> {
        self.check_current(current, clock)?;
        self.relock(None)
    }

    fn check_current(&mut self, code: &LockCode, clock: &dyn Clock) -> Result<(), Error> {
        if !self.lock_enabled() {
            return Err(Error::new(ErrorCode::A999).with_detail("app lock is off"));
        }
        let path = self.home.vault_path();
        let (Some(image), Some(kek)) = (self.image.as_mut(), self.kek.as_ref()) else {
            return Err(Error::new(ErrorCode::A999).with_detail("vault not on disk"));
        };
        image.check_code(kek, &path, code, clock).map(|_| ())
    }

    /// Writes the vault with a new lock setting: new salt and wrap, same data key.
    fn relock(&mut self, code: Option<&LockCode>) -> Result<(), Error> {
        let salt = random_bytes::<16>()?;
        let lock_key = match code {
            Some(c) => Some(argon2_key(c, &salt, ARGON2_M_KIB, ARGON2_T, ARGON2_P)?),
            None => None,
        };
        let previous = self.image.clone();
        let result = self.write(Some(Relock { salt, lock_key }));
        if result.is_err() && previous.is_some() {
            self.image = previous;
        }
        result
    }

    /// Applies `f` to a copy of the tokens, saves, and keeps the change only
    /// when the save succeeded.
    fn change<T>(
        &mut self,
        f: impl FnOnce(&mut TokenList) -> Result<T, Error>,
    ) -> Result<T, Error> {
        let mut next = self.tokens.clone();
        let out = f(&mut next)?;
        let before = std::mem::replace(&mut self.tokens, next);
        if let Err(e) = self.write(None) {
            self.tokens = before;
            return Err(e);
        }
        Ok(out)
    }

    /// Encrypts and writes the vault. `relock` gives a new lock setting;
    /// otherwise the current header and wrap are kept. A first write that
    /// fails leaves the vault as new as it was.
    fn write(&mut self, relock: Option<Relock>) -> Result<(), Error> {
        let was_new = self.image.is_none();
        let result = self.write_inner(relock);
        if result.is_err() && was_new {
            self.image = None;
            self.kek = None;
            self.store_kind = None;
        }
        result
    }

    fn write_inner(&mut self, mut relock: Option<Relock>) -> Result<(), Error> {
        // First write: create the device key, and wrap the data key.
        if self.image.is_none() {
            let vault_id = random_bytes::<16>()?;
            let device_key: Key32 = random_key()?;
            let kind = self.home.store_new_key(&vault_id, &device_key)?;
            self.store_kind = Some(kind);
            self.kek = Some(device_kek(&device_key, &vault_id, &self.home.machine_id));
            let flags = if kind == StoreKind::OsKeyring {
                FLAG_OS_KEYRING
            } else {
                0
            };
            self.image = Some(Image::fresh(vault_id, flags));
            relock.get_or_insert(Relock {
                salt: [0; 16],
                lock_key: None,
            });
        }
        let (Some(image), Some(kek)) = (self.image.as_mut(), self.kek.as_ref()) else {
            return Err(Error::new(ErrorCode::A999).with_detail("vault state"));
        };
        if let Some(r) = relock {
            let lock_on = r.lock_key.is_some();
            let flags = (image.flags() & !FLAG_LOCK) | if lock_on { FLAG_LOCK } else { 0 };
            if lock_on {
                image.set_static(
                    FORMAT_VERSION,
                    flags,
                    ARGON2_M_KIB,
                    ARGON2_T,
                    ARGON2_P,
                    r.salt,
                );
            } else {
                image.set_static(FORMAT_VERSION, flags, 0, 0, 0, [0; 16]);
            }
            image.failures = 0;
            image.last_failure = 0;
            image.device_check = mac(kek, &[b"ippun vault v1 device check", &image.static_bytes]);
            image.wrap_nonce = random_bytes::<NONCE_LEN>()?;
            let wk = wrap_key(kek, r.lock_key.as_ref());
            let wrapped = cipher(&wk)
                .encrypt(
                    &XNonce::from(image.wrap_nonce),
                    Payload {
                        msg: &self.data_key[..],
                        aad: &image.static_bytes,
                    },
                )
                .map_err(|_| Error::new(ErrorCode::A999).with_detail("wrap"))?;
            image.wrapped.copy_from_slice(&wrapped);
        }
        image.state_tag = mac(
            kek,
            &[
                b"ippun vault v1 lock state",
                &image.static_bytes,
                &image.state_bytes(),
            ],
        );
        let mut plain = Zeroizing::new(Vec::with_capacity(64 * 1024));
        serde_json::to_writer(
            &mut *plain,
            &BodyRef {
                tokens: &self.tokens,
            },
        )
        .map_err(|e| Error::new(ErrorCode::A999).with_detail(e.to_string()))?;
        image.body_nonce = random_bytes::<NONCE_LEN>()?;
        image.body = cipher(&self.data_key)
            .encrypt(
                &XNonce::from(image.body_nonce),
                Payload {
                    msg: &plain,
                    aad: &image.body_aad(),
                },
            )
            .map_err(|_| Error::new(ErrorCode::A999).with_detail("encrypt"))?;
        fsio::write_atomic(&self.home.vault_path(), &image.encode()).map_err(|e| io_error(&e))
    }
}

/// A new lock setting: the salt and, with the lock on, the Argon2id key.
struct Relock {
    salt: [u8; 16],
    lock_key: Option<Key32>,
}

#[derive(Serialize)]
struct BodyRef<'a> {
    tokens: &'a TokenList,
}

/// The vault file, field by field.
#[derive(Clone)]
struct Image {
    static_bytes: [u8; STATIC_LEN],
    vault_id: [u8; 16],
    salt: [u8; 16],
    device_check: [u8; TAG_LEN],
    failures: u32,
    last_failure: u64,
    state_tag: [u8; TAG_LEN],
    wrap_nonce: [u8; NONCE_LEN],
    wrapped: [u8; WRAPPED_LEN],
    body_nonce: [u8; NONCE_LEN],
    body: Vec<u8>,
}

impl Image {
    fn wait_remaining(&self, clock: &dyn Clock) -> u64 {
        lock::wait_remaining(self.failures, self.last_failure, clock.unix_seconds())
    }

    fn unwrap_data_key(&self, kek: &Key32, lock_key: Option<&Key32>) -> Option<Key32> {
        let wk = wrap_key(kek, lock_key);
        let plain = Zeroizing::new(
            cipher(&wk)
                .decrypt(
                    &XNonce::from(self.wrap_nonce),
                    Payload {
                        msg: &self.wrapped,
                        aad: &self.static_bytes,
                    },
                )
                .ok()?,
        );
        if plain.len() != KEY_LEN {
            return None;
        }
        let mut k = Zeroizing::new([0_u8; KEY_LEN]);
        k.copy_from_slice(&plain);
        Some(k)
    }

    /// Checks `code` against the lock. Failures are counted and written to
    /// `path` at once, so that neither a restart nor a crash resets them.
    fn check_code(
        &mut self,
        kek: &Key32,
        path: &Path,
        code: &LockCode,
        clock: &dyn Clock,
    ) -> Result<Key32, Error> {
        let wait = self.wait_remaining(clock);
        if wait > 0 {
            return Err(Error::new(ErrorCode::A915).with_detail(format!("wait {wait} s")));
        }
        let (m, t, p) = self.argon2_params();
        let lock_key = argon2_key(code, &self.salt, m, t, p)?;
        if let Some(k) = self.unwrap_data_key(kek, Some(&lock_key)) {
            if self.failures != 0 {
                self.failures = 0;
                self.last_failure = 0;
                self.write_state(kek, path)?;
            }
            return Ok(k);
        }
        self.failures = self.failures.saturating_add(1);
        self.last_failure = clock.unix_seconds();
        self.write_state(kek, path)?;
        Err(ErrorCode::A914.into())
    }

    /// Rewrites the file with the current lock state (wrap and body unchanged).
    fn write_state(&mut self, kek: &Key32, path: &Path) -> Result<(), Error> {
        self.state_tag = mac(
            kek,
            &[
                b"ippun vault v1 lock state",
                &self.static_bytes,
                &self.state_bytes(),
            ],
        );
        fsio::write_atomic(path, &self.encode()).map_err(|e| io_error(&e))
    }

    fn fresh(vault_id: [u8; 16], flags: u16) -> Self {
        let mut i = Self {
            static_bytes: [0; STATIC_LEN],
            vault_id,
            salt: [0; 16],
            device_check: [0; TAG_LEN],
            failures: 0,
            last_failure: 0,
            state_tag: [0; TAG_LEN],
            wrap_nonce: [0; NONCE_LEN],
            wrapped: [0; WRAPPED_LEN],
            body_nonce: [0; NONCE_LEN],
            body: Vec::new(),
        };
        i.set_static(FORMAT_VERSION, flags, 0, 0, 0, [0; 16]);
        i
    }

    fn set_static(&mut self, version: u16, flags: u16, m: u32, t: u32, p: u32, salt: [u8; 16]) {
        let s = &mut self.static_bytes;
        s[0..8].copy_from_slice(MAGIC);
        s[8..10].copy_from_slice(&version.to_le_bytes());
        s[10..12].copy_from_slice(&flags.to_le_bytes());
        s[12..28].copy_from_slice(&self.vault_id);
        s[28..32].copy_from_slice(&m.to_le_bytes());
        s[32..36].copy_from_slice(&t.to_le_bytes());
        s[36..40].copy_from_slice(&p.to_le_bytes());
        s[40..56].copy_from_slice(&salt);
        self.salt = salt;
    }

    fn flags(&self) -> u16 {
        u16::from_le_bytes([self.static_bytes[10], self.static_bytes[11]])
    }

    fn argon2_params(&self) -> (u32, u32, u32) {
        let s = &self.static_bytes;
        let u = |o: usize| u32::from_le_bytes([s[o], s[o + 1], s[o + 2], s[o + 3]]);
        (u(28), u(32), u(36))
    }

    fn state_bytes(&self) -> [u8; STATE_LEN] {
        let mut b = [0_u8; STATE_LEN];
        b[..4].copy_from_slice(&self.failures.to_le_bytes());
        b[4..].copy_from_slice(&self.last_failure.to_le_bytes());
        b
    }

    fn body_aad(&self) -> Vec<u8> {
        let mut a = Vec::with_capacity(STATIC_LEN + NONCE_LEN + WRAPPED_LEN);
        a.extend_from_slice(&self.static_bytes);
        a.extend_from_slice(&self.wrap_nonce);
        a.extend_from_slice(&self.wrapped);
        a
    }

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(BODY_OFFSET + self.body.len() + CHECKSUM_LEN);
        out.extend_from_slice(&self.static_bytes);
        out.extend_from_slice(&self.device_check);
        out.extend_from_slice(&self.state_bytes());
        out.extend_from_slice(&self.state_tag);
        out.extend_from_slice(&self.wrap_nonce);
        out.extend_from_slice(&self.wrapped);
        out.extend_from_slice(&self.body_nonce);
        // Bodies are far below 4 GiB (the file is capped at 1 MiB).
        out.extend_from_slice(
            &u32::try_from(self.body.len())
                .unwrap_or(u32::MAX)
                .to_le_bytes(),
        );
        out.extend_from_slice(&self.body);
        let sum = Sha256::digest(&out);
        out.extend_from_slice(&sum);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, Error> {
        if bytes.len() < 10 || &bytes[..8] != MAGIC {
            return Err(damaged("not a vault file"));
        }
        // The checksum is the last 32 bytes in every version.
        if bytes.len() < CHECKSUM_LEN + 10 {
            return Err(damaged("truncated"));
        }
        let (content, sum) = bytes.split_at(bytes.len() - CHECKSUM_LEN);
        if Sha256::digest(content).as_slice() != sum {
            return Err(damaged("checksum"));
        }
        let version = u16::from_le_bytes([bytes[8], bytes[9]]);
        if version > FORMAT_VERSION {
            return Err(Error::new(ErrorCode::A995).with_detail(format!("format {version}")));
        }
        if version != FORMAT_VERSION || content.len() < MIN_FILE_LEN - CHECKSUM_LEN {
            return Err(damaged("version or length"));
        }
        let mut r = Reader(content);
        let static_bytes: [u8; STATIC_LEN] = r.take()?;
        let device_check = r.take()?;
        let state: [u8; STATE_LEN] = r.take()?;
        let state_tag = r.take()?;
        let wrap_nonce = r.take()?;
        let wrapped = r.take()?;
        let body_nonce = r.take()?;
        let len: [u8; 4] = r.take()?;
        let body = r.0;
        if body.len() != u32::from_le_bytes(len) as usize || body.len() < 16 {
            return Err(damaged("body length"));
        }
        let mut vault_id = [0_u8; 16];
        vault_id.copy_from_slice(&static_bytes[12..28]);
        let mut salt = [0_u8; 16];
        salt.copy_from_slice(&static_bytes[40..56]);
        let image = Self {
            static_bytes,
            vault_id,
            salt,
            device_check,
            failures: u32::from_le_bytes([state[0], state[1], state[2], state[3]]),
            last_failure: u64::from_le_bytes([
                state[4], state[5], state[6], state[7], state[8], state[9], state[10], state[11],
            ]),
            state_tag,
            wrap_nonce,
            wrapped,
            body_nonce,
            body: body.to_vec(),
        };
        let flags = image.flags();
        let (m, t, p) = image.argon2_params();
        if flags & !KNOWN_FLAGS != 0 {
            return Err(damaged("unknown flags"));
        }
        if flags & FLAG_LOCK != 0 && argon2::Params::new(m, t, p, Some(KEY_LEN)).is_err() {
            return Err(damaged("argon2 parameters"));
        }
        Ok(image)
    }
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        if self.0.len() < N {
            return Err(damaged("truncated"));
        }
        let (head, rest) = self.0.split_at(N);
        self.0 = rest;
        let mut out = [0_u8; N];
        out.copy_from_slice(head);
        Ok(out)
    }
}

fn damaged(why: &str) -> Error {
    Error::new(ErrorCode::A996).with_detail(why.to_owned())
}

fn io_error(e: &std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::OutOfMemory {
        return ErrorCode::A9EX.into();
    }
    Error::new(ErrorCode::A993).with_detail(e.to_string())
}

fn random_bytes<const N: usize>() -> Result<[u8; N], Error> {
    let mut b = [0_u8; N];
    getrandom::fill(&mut b).map_err(|e| Error::new(ErrorCode::A999).with_detail(e.to_string()))?;
    Ok(b)
}

fn random_key() -> Result<Key32, Error> {
    let mut k = Zeroizing::new([0_u8; KEY_LEN]);
    getrandom::fill(&mut k[..])
        .map_err(|e| Error::new(ErrorCode::A999).with_detail(e.to_string()))?;
    Ok(k)
}

fn cipher(key: &Key32) -> XChaCha20Poly1305 {
    XChaCha20Poly1305::new(&(**key).into())
}

fn hkdf_expand(ikm: &[u8], salt: Option<&[u8]>, info: &[&[u8]]) -> Key32 {
    let hk = hkdf::Hkdf::<Sha256>::new(salt, ikm);
    let mut out = Zeroizing::new([0_u8; KEY_LEN]);
    let info: Vec<u8> = info.concat();
    // 32 bytes is far below HKDF-SHA256's limit of 8160.
    let _ = hk.expand(&info, &mut out[..]);
    out
}

/// The device key-encryption key: the device key, bound to this vault and to
/// the machine's identity.
fn device_kek(device_key: &Key32, vault_id: &[u8; 16], machine_id: &str) -> Key32 {
    hkdf_expand(
        &device_key[..],
        Some(vault_id),
        &[b"ippun vault v1 device kek\0", machine_id.as_bytes()],
    )
}

fn wrap_key(kek: &Key32, lock_key: Option<&Key32>) -> Key32 {
    match lock_key {
        None => hkdf_expand(&kek[..], None, &[b"ippun vault v1 wrap: device"]),
        Some(l) => {
            let mut ikm = Zeroizing::new([0_u8; 2 * KEY_LEN]);
            ikm[..KEY_LEN].copy_from_slice(&kek[..]);
            ikm[KEY_LEN..].copy_from_slice(&l[..]);
            hkdf_expand(&ikm[..], None, &[b"ippun vault v1 wrap: device+lock"])
        }
    }
}

fn mac(key: &Key32, parts: &[&[u8]]) -> [u8; TAG_LEN] {
    // HMAC takes keys of any length.
    let Ok(mut m) = HmacSha256::new_from_slice(&key[..]) else {
        return [0; TAG_LEN];
    };
    for p in parts {
        m.update(p);
    }
    let mut out = [0_u8; TAG_LEN];
    out.copy_from_slice(&m.finalize().into_bytes());
    out
}

fn verify(key: &Key32, parts: &[&[u8]], tag: &[u8; TAG_LEN]) -> bool {
    let Ok(mut m) = HmacSha256::new_from_slice(&key[..]) else {
        return false;
    };
    for p in parts {
        m.update(p);
    }
    m.verify_slice(tag).is_ok()
}

/// Argon2id of a lock code.
pub fn argon2_key(code: &LockCode, salt: &[u8], m: u32, t: u32, p: u32) -> Result<Key32, Error> {
    let params = argon2::Params::new(m, t, p, Some(KEY_LEN))
        .map_err(|e| damaged(&format!("argon2 parameters: {e}")))?;
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0_u8; KEY_LEN]);
    a.hash_password_into(code.as_bytes(), salt, &mut out[..])
        .map_err(|e| match e {
            argon2::Error::OutOfMemory => ErrorCode::A9EX.into(),
            other => Error::new(ErrorCode::A999).with_detail(other.to_string()),
        })?;
    Ok(out)
}
