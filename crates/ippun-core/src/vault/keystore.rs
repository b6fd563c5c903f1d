//! Where the device key lives: the operating system's keyring where there is
//! one, otherwise a file readable only by the user beside the vault.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::fsio;

/// Length of a device key in bytes.
pub const DEVICE_KEY_LEN: usize = 32;

/// A device key, zeroized on drop.
pub type DeviceKey = Zeroizing<[u8; DEVICE_KEY_LEN]>;

const FILE_MAGIC: &[u8; 8] = b"IPPUNDK1";
const KEYRING_SERVICE: &str = "ippun";

/// Which kind of store holds a vault's device key (recorded in the vault).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// A 0600 file beside the vault.
    File,
    /// The operating system's keyring.
    OsKeyring,
}

/// Why a device key could not be read or written.
#[derive(Debug)]
pub enum KeyStoreError {
    /// No key for this vault in the store.
    Missing,
    /// The store cannot be reached (keyring service not running, locked, …).
    Unavailable(String),
    /// The key is present but not in the expected form.
    Malformed,
    /// File-system failure.
    Io(std::io::Error),
}

impl fmt::Display for KeyStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Missing => f.write_str("no device key for this vault"),
            Self::Unavailable(e) => write!(f, "key store unavailable: {e}"),
            Self::Malformed => f.write_str("device key is malformed"),
            Self::Io(e) => write!(f, "device key file: {e}"),
        }
    }
}

/// A place to keep one device key per vault.
pub trait KeyStore: Send + Sync + fmt::Debug {
    /// What kind of store this is.
    fn kind(&self) -> StoreKind;
    /// The key of vault `vault_id`.
    fn load(&self, vault_id: &[u8; 16]) -> Result<DeviceKey, KeyStoreError>;
    /// Stores a new key for `vault_id`, replacing any earlier one.
    fn store(&self, vault_id: &[u8; 16], key: &DeviceKey) -> Result<(), KeyStoreError>;
}

/// The device key in a file (0600) beside the vault: the vault id, then the key.
#[derive(Debug, Clone)]
pub struct FileKeyStore {
    path: PathBuf,
}

impl FileKeyStore {
    /// A store at `path`.
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }
}

impl KeyStore for FileKeyStore {
    fn kind(&self) -> StoreKind {
        StoreKind::File
    }

    fn load(&self, vault_id: &[u8; 16]) -> Result<DeviceKey, KeyStoreError> {
        let bytes = match fsio::read_limited(&self.path, 1024) {
            Ok(Some(b)) => Zeroizing::new(b),
            Ok(None) => return Err(KeyStoreError::Malformed),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(KeyStoreError::Missing);
            }
            Err(e) => return Err(KeyStoreError::Io(e)),
        };
        if bytes.len() != 8 + 16 + DEVICE_KEY_LEN || &bytes[..8] != FILE_MAGIC {
            return Err(KeyStoreError::Malformed);
        }
        if bytes[8..24] != vault_id[..] {
            // A key file of another vault: this vault's key is not here.
            return Err(KeyStoreError::Missing);
        }
        let mut key = Zeroizing::new([0_u8; DEVICE_KEY_LEN]);
        key.copy_from_slice(&bytes[24..]);
        Ok(key)
    }

    fn store(&self, vault_id: &[u8; 16], key: &DeviceKey) -> Result<(), KeyStoreError> {
        let mut bytes = Zeroizing::new(Vec::with_capacity(8 + 16 + DEVICE_KEY_LEN));
        bytes.extend_from_slice(FILE_MAGIC);
        bytes.extend_from_slice(vault_id);
        bytes.extend_from_slice(&key[..]);
        fsio::write_atomic(&self.path, &bytes).map_err(KeyStoreError::Io)
    }
}

/// The device key in the operating system's keyring (Secret Service on Linux,
/// Keychain on macOS, Credential Manager on Windows).
#[derive(Clone)]
pub struct OsKeyStore {
    store: Arc<keyring_core::CredentialStore>,
}

impl fmt::Debug for OsKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OsKeyStore({})", self.store.vendor())
    }
}

impl OsKeyStore {
    /// The platform's keyring, if it can be reached.
    pub fn platform() -> Result<Self, KeyStoreError> {
        let store = platform_store().map_err(|e| KeyStoreError::Unavailable(e.to_string()))?;
        Ok(Self { store })
    }

    /// A keyring backed by any keyring-core store (tests use the mock store).
    pub fn with_store(store: Arc<keyring_core::CredentialStore>) -> Self {
        Self { store }
    }

    fn entry(&self, vault_id: &[u8; 16]) -> Result<keyring_core::Entry, KeyStoreError> {
        self.store
            .build(
                KEYRING_SERVICE,
                &format!("device-key-{}", hex::encode(vault_id)),
                None,
            )
            .map_err(|e| KeyStoreError::Unavailable(e.to_string()))
    }
}

impl KeyStore for OsKeyStore {
    fn kind(&self) -> StoreKind {
        StoreKind::OsKeyring
    }

    fn load(&self, vault_id: &[u8; 16]) -> Result<DeviceKey, KeyStoreError> {
        let secret = match self.entry(vault_id)?.get_secret() {
            Ok(s) => Zeroizing::new(s),
            Err(keyring_core::Error::NoEntry) => return Err(KeyStoreError::Missing),
            Err(keyring_core::Error::BadEncoding(_) | keyring_core::Error::BadDataFormat(..)) => {
                return Err(KeyStoreError::Malformed);
            }
            Err(e) => return Err(KeyStoreError::Unavailable(e.to_string())),
        };
        if secret.len() != DEVICE_KEY_LEN {
            return Err(KeyStoreError::Malformed);
        }
        let mut key = Zeroizing::new([0_u8; DEVICE_KEY_LEN]);
        key.copy_from_slice(&secret);
        Ok(key)
    }

    fn store(&self, vault_id: &[u8; 16], key: &DeviceKey) -> Result<(), KeyStoreError> {
        self.entry(vault_id)?
            .set_secret(&key[..])
            .map_err(|e| KeyStoreError::Unavailable(e.to_string()))
    }
}

#[cfg(any(target_os = "linux", target_os = "freebsd", target_os = "openbsd"))]
fn platform_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    Ok(zbus_secret_service_keyring_store::Store::new()?)
}

#[cfg(target_os = "macos")]
fn platform_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(target_os = "windows")]
fn platform_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "macos",
    target_os = "windows"
)))]
fn platform_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    Err(keyring_core::Error::NoDefaultStore)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> DeviceKey {
        Zeroizing::new([b; DEVICE_KEY_LEN])
    }

    #[test]
    fn file_store_round_trip_and_other_vault() {
        let dir = tempfile::tempdir().unwrap();
        let s = FileKeyStore::new(dir.path().join("device.key"));
        assert!(matches!(s.load(&[1; 16]), Err(KeyStoreError::Missing)));
        s.store(&[1; 16], &key(7)).unwrap();
        assert_eq!(*s.load(&[1; 16]).unwrap(), [7; 32]);
        assert!(matches!(s.load(&[2; 16]), Err(KeyStoreError::Missing)));
        std::fs::write(dir.path().join("device.key"), b"short").unwrap();
        assert!(matches!(s.load(&[1; 16]), Err(KeyStoreError::Malformed)));
    }

    #[test]
    fn keyring_store_round_trip_on_the_mock_keyring() {
        let mock = keyring_core::mock::Store::new().unwrap();
        let s = OsKeyStore::with_store(mock);
        assert!(matches!(s.load(&[3; 16]), Err(KeyStoreError::Missing)));
        s.store(&[3; 16], &key(9)).unwrap();
        assert_eq!(*s.load(&[3; 16]).unwrap(), [9; 32]);
        assert!(matches!(s.load(&[4; 16]), Err(KeyStoreError::Missing)));
        assert_eq!(s.kind(), StoreKind::OsKeyring);
    }
}
