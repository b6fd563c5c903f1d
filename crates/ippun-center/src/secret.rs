//! The center master key (encrypts token keys and the center's signing key
//! at rest) and the Argon2id hashes of activation passwords.

use std::fmt;
use std::io::Write;
use std::path::Path;

use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use zeroize::{Zeroize, Zeroizing};

use crate::CenterError;

/// Activation-password hashing: Argon2id, 19 MiB, 2 passes, 1 lane (the
/// OWASP baseline; about 30 ms on one core, so a failure counter, not the
/// hash cost, is what stops online guessing).
pub const ACTIVATION_M_KIB: u32 = 19 * 1024;
/// Passes.
pub const ACTIVATION_T: u32 = 2;
/// Lanes.
pub const ACTIVATION_P: u32 = 1;

/// 32 random bytes that encrypt secrets in the database. Kept in a file
/// beside (not inside) the database, mode 0600.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(REDACTED)")
    }
}

impl MasterKey {
    /// A new random key.
    pub fn generate() -> Result<Self, CenterError> {
        let mut k = Zeroizing::new([0u8; 32]);
        getrandom::fill(k.as_mut_slice()).map_err(|_| CenterError::Random)?;
        Ok(Self(k))
    }

    /// From 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Reads the key file (64 hex digits), or creates it (0600) when it does
    /// not exist.
    pub fn load_or_create(path: &Path) -> Result<Self, CenterError> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let text = Zeroizing::new(text);
                let mut k = Zeroizing::new([0u8; 32]);
                hex::decode_to_slice(text.trim(), k.as_mut_slice()).map_err(|_| {
                    CenterError::Config(format!(
                        "master key file {} must hold 64 hex digits",
                        path.display()
                    ))
                })?;
                Ok(Self(k))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate()?;
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let mut f = opts.open(path).map_err(|e| {
                    CenterError::Config(format!("cannot create {}: {e}", path.display()))
                })?;
                let text = Zeroizing::new(hex::encode(key.0.as_slice()));
                f.write_all(text.as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(|e| {
                        CenterError::Config(format!("cannot write {}: {e}", path.display()))
                    })?;
                tracing::warn!(path = %path.display(), "created a new center master key; back it up apart from the database");
                Ok(key)
            }
            Err(e) => Err(CenterError::Config(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    }

    /// A 32-byte key for one `purpose`, derived with HKDF-SHA256 (nonce
    /// MACs, the hashes of transaction answers).
    pub(crate) fn derive(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's limit: expand cannot fail.
        let _ = hkdf::Hkdf::<sha2::Sha256>::new(None, self.0.as_slice())
            .expand(purpose.as_bytes(), out.as_mut_slice());
        out
    }

    /// Encrypts `plain`, bound to `aad`: 24-byte nonce then ciphertext.
    pub fn seal(&self, aad: &[u8], plain: &[u8]) -> Result<Vec<u8>, CenterError> {
        let cipher = XChaCha20Poly1305::new(&(*self.0).into());
        let mut nonce = [0u8; 24];
        getrandom::fill(&mut nonce).map_err(|_| CenterError::Random)?;
        let ct = cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: plain, aad })
            .map_err(|_| CenterError::Crypto("seal"))?;
        Ok([nonce.as_slice(), &ct].concat())
    }

    /// Decrypts what [`MasterKey::seal`] wrote with the same `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, CenterError> {
        if sealed.len() < 24 + 16 {
            return Err(CenterError::Crypto("sealed value too short"));
        }
        let cipher = XChaCha20Poly1305::new(&(*self.0).into());
        let (nonce, ct) = sealed.split_at(24);
        let nonce: [u8; 24] = nonce.try_into().map_err(|_| CenterError::Crypto("nonce"))?;
        cipher
            .decrypt(&XNonce::from(nonce), Payload { msg: ct, aad })
            .map(Zeroizing::new)
            .map_err(|_| CenterError::Crypto("wrong master key or damaged value"))
    }
}

/// Hashes an activation password: `argon2id$m$t$p$salt$hash` (hex).
pub fn hash_password(password: &str) -> Result<String, CenterError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|_| CenterError::Random)?;
    let mut memory = Vec::new();
    let out = argon(
        password,
        &salt,
        ACTIVATION_M_KIB,
        ACTIVATION_T,
        ACTIVATION_P,
        &mut memory,
    );
    memory.zeroize();
    let out = out?;
    Ok(format!(
        "argon2id${ACTIVATION_M_KIB}${ACTIVATION_T}${ACTIVATION_P}${}${}",
        hex::encode(salt),
        hex::encode(out.as_slice())
    ))
}

/// Checks a password against a stored hash (constant-time comparison), in
/// a reused working area `memory` (grown to the size the stored hash needs
/// if it is smaller; the caller wipes it).
pub fn verify_password_in(
    password: &str,
    stored: &str,
    memory: &mut Vec<argon2::Block>,
) -> Result<bool, CenterError> {
    let parts: Vec<&str> = stored.split('$').collect();
    let bad = || CenterError::Crypto("stored activation hash is malformed");
    let [kind, m, t, p, salt, hash] = parts.as_slice() else {
        return Err(bad());
    };
    if *kind != "argon2id" {
        return Err(bad());
    }
    let (m, t, p) = (
        m.parse().map_err(|_| bad())?,
        t.parse().map_err(|_| bad())?,
        p.parse().map_err(|_| bad())?,
    );
    let salt = hex::decode(salt).map_err(|_| bad())?;
    let want = hex::decode(hash).map_err(|_| bad())?;
    let got = argon(password, &salt, m, t, p, memory)?;
    Ok(same(&want, got.as_slice()))
}

/// Whether `a` and `b` are equal, compared in constant time (for hashes,
/// MACs and secrets; the lengths are not secret).
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Spends the same work as a real check, for users without a password:
/// fails only where a real check would fail too.
pub fn dummy_verify_in(password: &str, memory: &mut Vec<argon2::Block>) -> Result<(), CenterError> {
    argon(
        password,
        &[0u8; 16],
        ACTIVATION_M_KIB,
        ACTIVATION_T,
        ACTIVATION_P,
        memory,
    )
    .map(|_| ())
}

/// Argon2 blocks (1 KiB each) one activation check works in.
pub fn activation_blocks() -> usize {
    argon2::Params::new(ACTIVATION_M_KIB, ACTIVATION_T, ACTIVATION_P, Some(32))
        .map_or(ACTIVATION_M_KIB as usize, |p| p.block_count())
}

fn argon(
    password: &str,
    salt: &[u8],
    m: u32,
    t: u32,
    p: u32,
    memory: &mut Vec<argon2::Block>,
) -> Result<Zeroizing<[u8; 32]>, CenterError> {
    let params =
        argon2::Params::new(m, t, p, Some(32)).map_err(|_| CenterError::Crypto("argon2 params"))?;
    let need = params.block_count();
    let a = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = Zeroizing::new([0u8; 32]);
    if memory.len() < need {
        memory.resize(need, argon2::Block::default());
    }
    a.hash_password_into_with_memory(
        password.as_bytes(),
        salt,
        out.as_mut_slice(),
        &mut memory[..need],
    )
    .map_err(|_| CenterError::Crypto("argon2"))?;
    Ok(out)
}

/// A new activation password for a user: 12 characters from an alphabet
/// without look-alikes (no 0/O, 1/l/I), grouped 4-4-4 with hyphens when
/// shown; about 62 bits.
pub fn new_activation_password() -> Result<Zeroizing<String>, CenterError> {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz";
    let mut out = Zeroizing::new(String::with_capacity(14));
    let mut i = 0;
    while i < 12 {
        let mut b = [0u8; 1];
        getrandom::fill(&mut b).map_err(|_| CenterError::Random)?;
        // Rejection sampling keeps the choice uniform.
        let limit = 256 - (256 % ALPHABET.len());
        if usize::from(b[0]) >= limit {
            continue;
        }
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        out.push(char::from(ALPHABET[usize::from(b[0]) % ALPHABET.len()]));
        i += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip_and_bind_the_aad() {
        let k = MasterKey::generate().unwrap();
        let sealed = k.seal(b"12345678", b"token key").unwrap();
        assert_eq!(&**k.open(b"12345678", &sealed).unwrap(), b"token key");
        assert!(k.open(b"12345679", &sealed).is_err());
        assert!(
            MasterKey::generate()
                .unwrap()
                .open(b"12345678", &sealed)
                .is_err()
        );
        assert!(k.open(b"", &sealed[..10]).is_err());
    }

    #[test]
    fn hashes_compare_in_full() {
        assert!(same(b"abc", b"abc"));
        assert!(!same(b"abc", b"abd"));
        assert!(!same(b"abc", b"ab"));
    }

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("ABCD-efgh-2345").unwrap();
        let mut m = Vec::new();
        assert!(verify_password_in("ABCD-efgh-2345", &h, &mut m).unwrap());
        assert!(!verify_password_in("ABCD-efgh-2346", &h, &mut m).unwrap());
        assert!(verify_password_in("x", "argon2id$1$2", &mut m).is_err());
        let p = new_activation_password().unwrap();
        assert_eq!(p.len(), 14);
        assert_eq!(p.matches('-').count(), 2);
        assert_ne!(*p, *new_activation_password().unwrap());
    }
}
