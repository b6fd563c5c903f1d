//! The services: the center's rules, one module per flow. No SQL text (that
//! is the [`data`](crate::data) layer's) and no HTTP (that is the
//! [`http`](crate::http) layer's).
//!
//! | module | flow |
//! | --- | --- |
//! | [`provision`] | setup: offer and key confirmation |
//! | [`signed`] | challenges and device-signed requests |
//! | [`renew`] | renewal |
//! | [`correct`] | correction |
//! | [`verify`] | the bank's verify API |
//! | [`group_commit`] | the verify API's writes, many requests per commit |
//! | [`tx`] | transaction confirmation (bank and app sides) |
//! | [`admin`] | the admin console's acts |
//! | [`events`] | what leaves the center for an optional hook |
//! | [`admission`] | how many password checks run and wait at once |
//! | [`refusals`] | refusals in the audit log, bounded under floods |
//! | [`sweep`] | deleting what is past its time |

pub mod admin;
pub mod admission;
pub mod correct;
pub mod events;
pub mod group_commit;
pub mod provision;
pub mod refusals;
pub mod renew;
pub mod signed;
pub mod sweep;
pub mod tx;
pub mod verify;

pub use verify::{RelyingParty, Verdict};

use std::fmt;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use ippun_core::protocol::{self, CenterKey, ProtocolError};
use ippun_core::{Clock, ErrorCode, SecretKey, Totp};
use zeroize::Zeroize;

use crate::data::{Action, Backend, Db, Who, center_key, tokens::TokenRow};
use crate::secret::MasterKey;
use crate::{CenterError, Config};
use events::{Event, EventHook};

/// Why an app request did not succeed.
#[derive(Debug)]
pub enum ApiError {
    /// Refused with a catalogue S-code.
    Refused(ErrorCode),
    /// The request is malformed: an error name and a detail.
    BadRequest(&'static str, String),
    /// A signature or key confirmation in the request is wrong.
    BadSignature,
    /// No such session.
    UnknownSession,
    /// The nonce is unknown, used, expired or replayed.
    StaleNonce,
    /// Too many password checks at once: retry shortly.
    Busy,
    /// Something broke inside the center.
    Internal(CenterError),
}

impl From<CenterError> for ApiError {
    fn from(e: CenterError) -> Self {
        Self::Internal(e)
    }
}

impl From<ProtocolError> for ApiError {
    fn from(e: ProtocolError) -> Self {
        match e {
            ProtocolError::BadSignature | ProtocolError::BadConfirmation => Self::BadSignature,
            ProtocolError::Version(v) => Self::BadRequest(
                "unsupported-version",
                format!("version {v} is not supported"),
            ),
            ProtocolError::Random => Self::Internal(CenterError::Random),
            other => Self::BadRequest("malformed", other.to_string()),
        }
    }
}

/// The authentication center: its database, keys, clock and settings.
pub struct Center {
    db: Arc<Db>,
    writer: group_commit::Writer,
    master: MasterKey,
    signing: SigningKey,
    clock: Arc<dyn Clock>,
    config: Config,
    hook: Option<Arc<dyn EventHook>>,
    hasher: admission::Hasher,
    refusals: refusals::RefusalMeter,
    nonce_key: signed::NonceKey,
    answer_key: zeroize::Zeroizing<[u8; 32]>,
}

impl fmt::Debug for Center {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Center")
            .field("public_key", &self.public_key())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Center {
    /// Opens the center on `db` (`sqlite:PATH` or `postgres://…`), loading
    /// or creating its signing key under `master`.
    pub async fn open(
        db: &str,
        master: MasterKey,
        clock: Arc<dyn Clock>,
        config: Config,
    ) -> Result<Self, CenterError> {
        let db = Arc::new(Db::open(db, config.db_wait).await?);
        let signing = load_or_create_signing_key(&db, &master, clock.unix_seconds()).await?;
        let hasher =
            admission::Hasher::new(config.hash_workers, config.hash_queue, config.hash_wait);
        let nonce_key = signed::NonceKey::of(&master);
        let answer_key = master.derive("ippun center transaction answer v1");
        let writer = group_commit::Writer::new(
            &db,
            group_commit::Rules {
                max_failures: config.max_verify_failures,
                lock_secs: config.verify_lock_secs,
            },
            config.verify_queue,
        );
        Ok(Self {
            db,
            writer,
            master,
            signing,
            clock,
            config,
            hook: None,
            hasher,
            refusals: refusals::RefusalMeter::default(),
            nonce_key,
            answer_key,
        })
    }

    /// The same center with `hook` told of its events.
    #[must_use]
    pub fn with_hook(mut self, hook: Arc<dyn EventHook>) -> Self {
        self.hook = Some(hook);
        self
    }

    /// The center's public key, to pin in apps.
    pub fn public_key(&self) -> CenterKey {
        CenterKey::of(&self.signing)
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The pool, for tests and tools that inspect a database on purpose
    /// (see [`Db::pool`]).
    pub fn pool(&self) -> sqlx::AnyPool {
        self.db.pool()
    }

    /// The database engine.
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// The master key.
    pub fn master(&self) -> &MasterKey {
        &self.master
    }

    /// Settings.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Center time, Unix seconds.
    pub fn now(&self) -> u64 {
        self.clock.unix_seconds()
    }

    /// Center time in nanoseconds since the epoch (ordering within a second).
    pub(crate) fn now_nanos(&self) -> u128 {
        self.clock.now().as_nanos()
    }

    pub(crate) fn signing(&self) -> &SigningKey {
        &self.signing
    }

    pub(crate) fn hasher(&self) -> &admission::Hasher {
        &self.hasher
    }

    /// Activation-password checks run since start (real and dummy), for
    /// monitoring: under a flood it grows by at most the workers' pace.
    pub fn password_checks(&self) -> u64 {
        self.hasher.checks()
    }

    /// Verify batches (transactions) and checks written since start, for
    /// monitoring: checks ÷ batches is the mean batch size.
    pub fn verify_batches(&self) -> (u64, u64) {
        self.writer.written()
    }

    pub(crate) fn nonce_key(&self) -> &signed::NonceKey {
        &self.nonce_key
    }

    /// What is stored of a customer's answer to transaction `tx_id`: an
    /// HMAC-SHA256 under a key derived from the master key, hex (the answer
    /// itself is a short code, so a plain hash could be reversed).
    pub(crate) fn answer_digest(&self, tx_id: &str, answer: &str) -> Result<String, CenterError> {
        use hmac::{KeyInit, Mac};
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(self.answer_key.as_slice())
            .map_err(|_| CenterError::Crypto("answer key"))?;
        for part in [tx_id.as_bytes(), answer.as_bytes()] {
            mac.update(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
            mac.update(part);
        }
        Ok(format!(
            "hmac-sha256:{}",
            hex::encode(mac.finalize().into_bytes())
        ))
    }

    /// Tells the hook, if any, of `event`.
    pub(crate) async fn emit(&self, event: Event<'_>) {
        if let Some(hook) = &self.hook {
            hook.on_event(self, event).await;
        }
    }

    /// Audits a refusal of an app request on its own (or counts it into
    /// a summary under a flood, see [`refusals`]) and returns it.
    pub(crate) async fn refuse(
        &self,
        action: Action,
        who: Who<'_>,
        code: ErrorCode,
    ) -> Result<ApiError, CenterError> {
        refusals::record(
            &self.db,
            &self.refusals,
            self.config.audit_refusals_per_minute,
            self.now(),
            action,
            who,
            code,
        )
        .await?;
        tracing::debug!(action = action.as_str(), code = code.as_str(), "refused");
        Ok(ApiError::Refused(code))
    }

    /// The token key, opened with the master key.
    pub(crate) fn token_key(
        &self,
        token: &TokenRow,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, CenterError> {
        let key = self.master.open(token.serial.as_bytes(), &token.key_enc)?;
        Ok(zeroize::Zeroizing::new(key.to_vec()))
    }

    /// The token's code generator.
    pub(crate) fn generator(&self, token: &TokenRow) -> Result<Totp, CenterError> {
        let key = self.master.open(token.serial.as_bytes(), &token.key_enc)?;
        let key = SecretKey::from_bytes(key.to_vec())
            .map_err(|_| CenterError::Crypto("empty token key"))?;
        Ok(Totp::new(&key, token.params))
    }
}

async fn load_or_create_signing_key(
    db: &Db,
    master: &MasterKey,
    now: u64,
) -> Result<SigningKey, CenterError> {
    const AAD: &[u8] = b"ippun center signing key";
    if let Some(sealed) = center_key::sealed(db).await? {
        let seed = master.open(AAD, &sealed).map_err(|_| {
            CenterError::Config(
                "the master key does not open this database's center key (wrong master key file?)"
                    .into(),
            )
        })?;
        return protocol::signing_key(&seed).ok_or(CenterError::Crypto("center key length"));
    }
    let key = protocol::new_signing_key().map_err(|_| CenterError::Random)?;
    let mut seed = key.to_bytes();
    let sealed = master.seal(AAD, &seed)?;
    seed.zeroize();
    center_key::store_if_absent(db, &sealed, &CenterKey::of(&key).to_string(), now).await?;
    // Another process may have won the race: read back what is stored.
    let sealed = center_key::sealed(db)
        .await?
        .ok_or(CenterError::Corrupt("the center key vanished"))?;
    let seed = master.open(AAD, &sealed)?;
    protocol::signing_key(&seed).ok_or(CenterError::Crypto("center key length"))
}
