//! Transaction confirmation (取引確認): the messages between app and center,
//! what each side signs, and the answer bound to the transaction data.
//!
//! The bank posts a transaction for a user at the center. The app fetches the
//! user's open transactions with a device-signed request over a fresh center
//! nonce; the center signs its list, so what the app shows is what the center
//! holds. The user approves or rejects; the app answers with the OCRA value
//! ([`crate::ocra::TX_SUITE`]) whose challenge is the SHA-256 of the exact
//! transaction data and the decision, keyed by a key derived from the token
//! key, and signs the answer with the device key. The center recomputes the
//! OCRA value from the data it holds: a changed payee, amount or decision
//! gives another value and is refused.
//!
//! Before the first transaction, the bank starts transaction confirmation for
//! the user; the app completes that start the same way, answering a challenge
//! bound to the start's ID. While a start waits, renewal answers S3D3; while
//! transactions wait, S3D4.

use ed25519_dalek::SigningKey;
use hkdf::Hkdf;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

pub mod text;

pub use text::{Field, FieldError, MAX_TEXT_CHARS, check_fields};

use crate::ocra::{Inputs, Suite, TX_SUITE};
use crate::protocol::{
    self, B32, CenterKey, Nonce, ProtocolError, Sig, Transcript, VERSION, sign, verify_device,
};

/// Transcript labels.
pub mod label {
    /// The transaction data and decision (hashed into the OCRA challenge).
    pub const TX_DATA: &str = "ippun/v1/tx-data";
    /// The start being completed (hashed into the OCRA challenge).
    pub const START_DATA: &str = "ippun/v1/tx-start-data";
    /// The app's list request.
    pub const LIST_REQUEST: &str = "ippun/v1/tx-list-request";
    /// The center's list.
    pub const LIST_REPLY: &str = "ippun/v1/tx-list-reply";
    /// The app's completion of a start.
    pub const START_REQUEST: &str = "ippun/v1/tx-start-request";
    /// The center's answer to it.
    pub const START_REPLY: &str = "ippun/v1/tx-start-reply";
    /// The app's answer to a transaction.
    pub const ANSWER_REQUEST: &str = "ippun/v1/tx-answer-request";
    /// The center's receipt.
    pub const ANSWER_REPLY: &str = "ippun/v1/tx-answer-reply";
    /// HKDF info of the OCRA key.
    pub const OCRA_KEY: &str = "ippun/v1/ocra-key";
}

/// A transaction as the bank posted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Transaction {
    /// Center-assigned ID (`tx_` and 24 hex digits).
    #[schemars(regex(pattern = r"^tx_[0-9a-f]{24}$"))]
    pub id: String,
    /// Who receives the money.
    #[schemars(length(min = 1, max = 64))]
    pub payee: String,
    /// The payee's bank account (bank, branch, number) as the bank writes it.
    #[schemars(length(min = 1, max = 64))]
    pub account: String,
    /// Amount as a decimal string, e.g. `"150000"` or `"12.50"`.
    #[schemars(regex(pattern = r"^(0|[1-9][0-9]{0,14})(\.[0-9]{1,3})?$"))]
    pub amount: String,
    /// ISO 4217 code, e.g. `"JPY"`.
    #[schemars(regex(pattern = r"^[A-Z]{3}$"))]
    pub currency: String,
    /// The bank's reference, shown to the user.
    #[schemars(length(min = 1, max = 64))]
    pub reference: String,
    /// When the bank posted it, Unix seconds.
    pub created_at: u64,
    /// After this, it can no longer be answered, Unix seconds.
    pub expires_at: u64,
}

/// Approve or reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The user confirms the transaction.
    Approve,
    /// The user refuses it.
    Reject,
}

impl Decision {
    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject => "reject",
        }
    }
}

/// A start of transaction confirmation waiting for the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PendingStart {
    /// Center-assigned ID (`txs_` and 24 hex digits).
    #[schemars(regex(pattern = r"^txs_[0-9a-f]{24}$"))]
    pub id: String,
    /// When the bank asked for it, Unix seconds.
    pub requested_at: u64,
}

/// The app asks for its open transactions: `POST /v1/tx/list`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListRequest {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Token serial: eight digits.
    #[schemars(regex(pattern = r"^[0-9]{8}$"))]
    pub serial: String,
    /// Center nonce (challenge purpose `tx`).
    pub nonce: Nonce,
    /// Device signature over the list-request transcript.
    pub signature: Sig,
}

/// The center's list, signed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct List {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Whether transaction confirmation is in use for this token.
    pub enabled: bool,
    /// A start waiting for the app, if any.
    pub start: Option<PendingStart>,
    /// Open transactions, oldest first.
    pub transactions: Vec<Transaction>,
    /// Center time, Unix seconds.
    pub center_time: u64,
    /// Center signature over the list-reply transcript.
    pub signature: Sig,
}

/// The app completes a start: `POST /v1/tx/enable`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Token serial: eight digits.
    #[schemars(regex(pattern = r"^[0-9]{8}$"))]
    pub serial: String,
    /// Center nonce (challenge purpose `tx`).
    pub nonce: Nonce,
    /// The start being completed.
    #[schemars(regex(pattern = r"^txs_[0-9a-f]{24}$"))]
    pub start_id: String,
    /// OCRA answer to the start's challenge.
    #[schemars(regex(pattern = r"^[0-9]{8}$"))]
    pub response: String,
    /// Device signature over the start-request transcript.
    pub signature: Sig,
}

/// The center's answer to a completed start.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Started {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// The start.
    #[schemars(regex(pattern = r"^txs_[0-9a-f]{24}$"))]
    pub start_id: String,
    /// Center time, Unix seconds.
    pub center_time: u64,
    /// Center signature over the start-reply transcript.
    pub signature: Sig,
}

/// The app answers a transaction: `POST /v1/tx/answer`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// Token serial: eight digits.
    #[schemars(regex(pattern = r"^[0-9]{8}$"))]
    pub serial: String,
    /// Center nonce (challenge purpose `tx`).
    pub nonce: Nonce,
    /// The transaction.
    #[schemars(regex(pattern = r"^tx_[0-9a-f]{24}$"))]
    pub tx_id: String,
    /// Approve or reject.
    pub decision: Decision,
    /// OCRA answer over the transaction data and the decision.
    #[schemars(regex(pattern = r"^[0-9]{8}$"))]
    pub response: String,
    /// Device signature over the answer-request transcript.
    pub signature: Sig,
}

/// The center's receipt for an answer.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Answered {
    /// Protocol version: 1.
    #[schemars(range(min = 1, max = 1))]
    pub version: u32,
    /// The transaction.
    #[schemars(regex(pattern = r"^tx_[0-9a-f]{24}$"))]
    pub tx_id: String,
    /// The decision recorded.
    pub decision: Decision,
    /// Center time, Unix seconds.
    pub center_time: u64,
    /// Center signature over the answer-reply transcript.
    pub signature: Sig,
}

// ---------------------------------------------------------------------------
// The bound answer
// ---------------------------------------------------------------------------

/// The OCRA key of a token: HKDF-SHA256 of the token key.
pub fn ocra_key(token_key: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut out = Zeroizing::new([0_u8; 32]);
    Hkdf::<Sha256>::new(None, token_key)
        .expand(label::OCRA_KEY.as_bytes(), out.as_mut())
        .unwrap_or_else(|_| unreachable!("32 bytes is a valid HKDF-SHA256 length"));
    out
}

/// The OCRA challenge of a decision on a transaction: SHA-256 over the
/// serial, every field of the transaction and the decision, as 64 hex digits.
pub fn tx_question(serial: &str, tx: &Transaction, decision: Decision) -> String {
    let mut t = Transcript::new(label::TX_DATA);
    t.str(serial)
        .str(&tx.id)
        .str(&tx.payee)
        .str(&tx.account)
        .str(&tx.amount)
        .str(&tx.currency)
        .str(&tx.reference)
        .u64(tx.created_at)
        .u64(tx.expires_at)
        .str(decision.as_str());
    hex::encode(t.hash())
}

/// The OCRA challenge of completing a start.
pub fn start_question(serial: &str, start_id: &str) -> String {
    let mut t = Transcript::new(label::START_DATA);
    t.str(serial).str(start_id);
    hex::encode(t.hash())
}

/// The eight-digit OCRA answer for `question` with the token key.
pub fn respond(token_key: &[u8], question: &str) -> Result<String, ProtocolError> {
    let suite: Suite = TX_SUITE
        .parse()
        .map_err(|_| ProtocolError::Malformed("OCRA suite"))?;
    let key = ocra_key(token_key);
    suite
        .answer(
            key.as_ref(),
            &Inputs {
                question,
                ..Inputs::default()
            },
        )
        .map_err(|_| ProtocolError::Malformed("OCRA challenge"))
}

/// Whether `response` is the answer for `question`, compared in constant time.
pub fn response_matches(token_key: &[u8], question: &str, response: &str) -> bool {
    let Ok(want) = respond(token_key, question) else {
        return false;
    };
    want.len() == response.len()
        && protocol::mac_eq(
            &protocol::Bytes(sha256(want.as_bytes())),
            &protocol::Bytes(sha256(response.as_bytes())),
        )
}

fn sha256(b: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    Sha256::digest(b).into()
}

// ---------------------------------------------------------------------------
// Transcripts
// ---------------------------------------------------------------------------

fn list_request_transcript(r: &ListRequest) -> Transcript {
    let mut t = Transcript::new(label::LIST_REQUEST);
    t.str(&r.serial).bytes(&r.nonce.0);
    t
}

fn list_reply_transcript(req: &ListRequest, l: &List) -> Transcript {
    let mut t = Transcript::new(label::LIST_REPLY);
    t.str(&req.serial)
        .bytes(&req.nonce.0)
        .u64(u64::from(l.enabled))
        .opt(l.start.as_ref().map(|s| s.id.as_str()))
        .u64(l.start.as_ref().map_or(0, |s| s.requested_at))
        .u64(l.transactions.len() as u64);
    for tx in &l.transactions {
        t.str(&tx.id)
            .str(&tx.payee)
            .str(&tx.account)
            .str(&tx.amount)
            .str(&tx.currency)
            .str(&tx.reference)
            .u64(tx.created_at)
            .u64(tx.expires_at);
    }
    t.u64(l.center_time);
    t
}

fn start_request_transcript(r: &StartRequest) -> Transcript {
    let mut t = Transcript::new(label::START_REQUEST);
    t.str(&r.serial)
        .bytes(&r.nonce.0)
        .str(&r.start_id)
        .str(&r.response);
    t
}

fn start_reply_transcript(req: &StartRequest, s: &Started) -> Transcript {
    let mut t = Transcript::new(label::START_REPLY);
    t.str(&req.serial)
        .bytes(&req.nonce.0)
        .str(&s.start_id)
        .u64(s.center_time);
    t
}

fn answer_request_transcript(r: &AnswerRequest) -> Transcript {
    let mut t = Transcript::new(label::ANSWER_REQUEST);
    t.str(&r.serial)
        .bytes(&r.nonce.0)
        .str(&r.tx_id)
        .str(r.decision.as_str())
        .str(&r.response);
    t
}

fn answer_reply_transcript(req: &AnswerRequest, a: &Answered) -> Transcript {
    let mut t = Transcript::new(label::ANSWER_REPLY);
    t.str(&req.serial)
        .bytes(&req.nonce.0)
        .str(&a.tx_id)
        .str(a.decision.as_str())
        .u64(a.center_time);
    t
}

const NO_SIG: Sig = protocol::Bytes([0; 64]);

// ---------------------------------------------------------------------------
// App side
// ---------------------------------------------------------------------------

/// A signed list request.
pub fn list_request(serial: &str, nonce: Nonce, device: &SigningKey) -> ListRequest {
    let mut r = ListRequest {
        version: VERSION,
        serial: serial.to_owned(),
        nonce,
        signature: NO_SIG,
    };
    r.signature = sign(device, &list_request_transcript(&r).hash());
    r
}

/// Checks the center's list (version, signature, shape).
pub fn check_list(req: &ListRequest, l: &List, center: &CenterKey) -> Result<(), ProtocolError> {
    if l.version != VERSION {
        return Err(ProtocolError::Version(l.version));
    }
    center.verify(&list_reply_transcript(req, l).hash(), &l.signature)?;
    // A signed list is still refused whole if any transaction breaks the
    // text rule: nothing the customer could misread reaches the screen.
    l.transactions.iter().try_for_each(check_transaction)
}

/// A signed completion of a start.
pub fn start_request(
    serial: &str,
    nonce: Nonce,
    start_id: &str,
    token_key: &[u8],
    device: &SigningKey,
) -> Result<StartRequest, ProtocolError> {
    let mut r = StartRequest {
        version: VERSION,
        serial: serial.to_owned(),
        nonce,
        start_id: start_id.to_owned(),
        response: respond(token_key, &start_question(serial, start_id))?,
        signature: NO_SIG,
    };
    r.signature = sign(device, &start_request_transcript(&r).hash());
    Ok(r)
}

/// Checks the center's answer to a completed start.
pub fn check_started(
    req: &StartRequest,
    s: &Started,
    center: &CenterKey,
) -> Result<(), ProtocolError> {
    if s.version != VERSION {
        return Err(ProtocolError::Version(s.version));
    }
    if s.start_id != req.start_id {
        return Err(ProtocolError::Malformed("start_id"));
    }
    center.verify(&start_reply_transcript(req, s).hash(), &s.signature)
}

/// A signed answer to `tx`, bound to its data and the decision. Returns the
/// request and the eight-digit confirmation code in it.
pub fn answer_request(
    serial: &str,
    nonce: Nonce,
    tx: &Transaction,
    decision: Decision,
    token_key: &[u8],
    device: &SigningKey,
) -> Result<AnswerRequest, ProtocolError> {
    let mut r = AnswerRequest {
        version: VERSION,
        serial: serial.to_owned(),
        nonce,
        tx_id: tx.id.clone(),
        decision,
        response: respond(token_key, &tx_question(serial, tx, decision))?,
        signature: NO_SIG,
    };
    r.signature = sign(device, &answer_request_transcript(&r).hash());
    Ok(r)
}

/// Checks the center's receipt.
pub fn check_answered(
    req: &AnswerRequest,
    a: &Answered,
    center: &CenterKey,
) -> Result<(), ProtocolError> {
    if a.version != VERSION {
        return Err(ProtocolError::Version(a.version));
    }
    if a.tx_id != req.tx_id || a.decision != req.decision {
        return Err(ProtocolError::Malformed(
            "receipt does not match the answer",
        ));
    }
    center.verify(&answer_reply_transcript(req, a).hash(), &a.signature)
}

// ---------------------------------------------------------------------------
// Center side
// ---------------------------------------------------------------------------

/// Checks the device signature of a list request.
pub fn check_list_request(r: &ListRequest, device_pub: &B32) -> Result<(), ProtocolError> {
    verify_device(device_pub, &list_request_transcript(r).hash(), &r.signature)
}

/// Checks the device signature of a start completion.
pub fn check_start_request(r: &StartRequest, device_pub: &B32) -> Result<(), ProtocolError> {
    verify_device(
        device_pub,
        &start_request_transcript(r).hash(),
        &r.signature,
    )
}

/// Checks the device signature of an answer.
pub fn check_answer_request(r: &AnswerRequest, device_pub: &B32) -> Result<(), ProtocolError> {
    verify_device(
        device_pub,
        &answer_request_transcript(r).hash(),
        &r.signature,
    )
}

/// The center's signed list.
pub fn center_list(
    req: &ListRequest,
    enabled: bool,
    start: Option<PendingStart>,
    transactions: Vec<Transaction>,
    center_time: u64,
    signing: &SigningKey,
) -> List {
    let mut l = List {
        version: VERSION,
        enabled,
        start,
        transactions,
        center_time,
        signature: NO_SIG,
    };
    l.signature = sign(signing, &list_reply_transcript(req, &l).hash());
    l
}

/// The center's signed answer to a completed start.
pub fn center_started(req: &StartRequest, center_time: u64, signing: &SigningKey) -> Started {
    let mut s = Started {
        version: VERSION,
        start_id: req.start_id.clone(),
        center_time,
        signature: NO_SIG,
    };
    s.signature = sign(signing, &start_reply_transcript(req, &s).hash());
    s
}

/// The center's signed receipt.
pub fn center_answered(req: &AnswerRequest, center_time: u64, signing: &SigningKey) -> Answered {
    let mut a = Answered {
        version: VERSION,
        tx_id: req.tx_id.clone(),
        decision: req.decision,
        center_time,
        signature: NO_SIG,
    };
    a.signature = sign(signing, &answer_reply_transcript(req, &a).hash());
    a
}

// ---------------------------------------------------------------------------
// Field rules
// ---------------------------------------------------------------------------

/// Checks a whole transaction as received: its ID, its times, and every
/// field by the rule of [`text`].
pub fn check_transaction(tx: &Transaction) -> Result<(), ProtocolError> {
    let id_ok = tx.id.len() == 27
        && tx.id.starts_with("tx_")
        && tx.id[3..].bytes().all(|b| b.is_ascii_hexdigit());
    if !id_ok {
        return Err(ProtocolError::Malformed("transaction id"));
    }
    if tx.expires_at <= tx.created_at {
        return Err(ProtocolError::Malformed("transaction expires_at"));
    }
    check_fields(
        &tx.payee,
        &tx.account,
        &tx.amount,
        &tx.currency,
        &tx.reference,
    )
    .map_err(ProtocolError::Transaction)
}

/// An eight-digit confirmation code in two groups of four, for reading.
pub fn group_code(code: &str) -> String {
    if code.len() == 8 && code.is_ascii() {
        format!("{} {}", &code[..4], &code[4..])
    } else {
        code.to_owned()
    }
}

/// The amount with thousands separators, e.g. `"1,234,567.50"`.
pub fn group_amount(amount: &str) -> String {
    let (whole, frac) = amount
        .split_once('.')
        .map_or((amount, None), |(w, f)| (w, Some(f)));
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// An amount with its currency as `lang` writes it: Japanese writes yen
/// as `150,000円`; other currencies, and English, as the grouped amount
/// and the ISO code (`150,000 JPY`, `1,234.50 USD`).
pub fn show_amount(lang: crate::Lang, amount: &str, currency: &str) -> String {
    let grouped = group_amount(amount);
    match (lang, currency) {
        (crate::Lang::Ja, "JPY") => format!("{grouped}円"),
        _ => format!("{grouped} {currency}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn tx() -> Transaction {
        Transaction {
            id: "tx_0123456789abcdef01234567".into(),
            payee: "ヤマダ タロウ".into(),
            account: "Demo Bank 001 1234567".into(),
            amount: "150000".into(),
            currency: "JPY".into(),
            reference: "Rent for December".into(),
            created_at: 1_800_000_000,
            expires_at: 1_800_000_600,
        }
    }

    #[test]
    fn the_answer_is_bound_to_every_field_and_the_decision() {
        let key = [7_u8; 20];
        let base = respond(&key, &tx_question("12345678", &tx(), Decision::Approve)).unwrap();
        assert_eq!(base.len(), 8);
        assert!(response_matches(
            &key,
            &tx_question("12345678", &tx(), Decision::Approve),
            &base
        ));
        let mut changed = Vec::new();
        let mut t = tx();
        t.payee = "ヤマダ ハナコ".into();
        changed.push(tx_question("12345678", &t, Decision::Approve));
        let mut t = tx();
        t.amount = "1500000".into();
        changed.push(tx_question("12345678", &t, Decision::Approve));
        let mut t = tx();
        t.account = "Demo Bank 001 1234568".into();
        changed.push(tx_question("12345678", &t, Decision::Approve));
        let mut t = tx();
        t.expires_at += 1;
        changed.push(tx_question("12345678", &t, Decision::Approve));
        changed.push(tx_question("12345678", &tx(), Decision::Reject));
        changed.push(tx_question("12345679", &tx(), Decision::Approve));
        for q in changed {
            assert!(!response_matches(&key, &q, &base), "{q}");
        }
        // Another token key gives another answer.
        assert!(!response_matches(
            &[8_u8; 20],
            &tx_question("12345678", &tx(), Decision::Approve),
            &base
        ));
    }

    #[test]
    fn signed_messages_round_trip_and_tampering_is_seen() {
        let device = SigningKey::from_bytes(&[1; 32]);
        let center = SigningKey::from_bytes(&[2; 32]);
        let ck = CenterKey::of(&center);
        let dpub = protocol::device_public(&device);
        let nonce = protocol::Bytes([3; 32]);
        let req = list_request("12345678", nonce, &device);
        check_list_request(&req, &dpub).unwrap();
        let list = center_list(&req, true, None, vec![tx()], 1_800_000_001, &center);
        check_list(&req, &list, &ck).unwrap();
        let mut forged = list.clone();
        forged.transactions[0].payee = "Mallory".into();
        assert!(check_list(&req, &forged, &ck).is_err());

        let key = [9_u8; 32];
        let a = answer_request("12345678", nonce, &tx(), Decision::Approve, &key, &device).unwrap();
        check_answer_request(&a, &dpub).unwrap();
        let mut flipped = a.clone();
        flipped.decision = Decision::Reject;
        assert!(check_answer_request(&flipped, &dpub).is_err());
        let receipt = center_answered(&a, 1_800_000_002, &center);
        check_answered(&a, &receipt, &ck).unwrap();
        assert!(check_answered(&flipped, &receipt, &ck).is_err());
    }

    /// Known answers computed independently in Python
    /// (`tests/vectors/protocol_kat.py`, `[[tx]]` in `protocol-kdf.toml`).
    #[test]
    fn known_answers_agree_with_an_independent_implementation() {
        const FILE: &str = include_str!("../../../../tests/vectors/protocol-kdf.toml");
        let doc: toml::Table = toml::from_str(FILE).unwrap();
        let cases = doc["tx"].as_array().unwrap();
        assert_eq!(cases.len(), 2);
        for v in cases {
            let v = v.as_table().unwrap();
            let text = |k: &str| v[k].as_str().unwrap().to_owned();
            let num = |k: &str| u64::try_from(v[k].as_integer().unwrap()).unwrap();
            let key = hex::decode(text("token_key")).unwrap();
            let serial = text("serial");
            let t = Transaction {
                id: text("id"),
                payee: text("payee"),
                account: text("account"),
                amount: text("amount"),
                currency: text("currency"),
                reference: text("reference"),
                created_at: num("created_at"),
                expires_at: num("expires_at"),
            };
            assert_eq!(hex::encode(ocra_key(&key).as_ref()), text("ocra_key"));
            for (d, q, r) in [
                (Decision::Approve, "approve_question", "approve_response"),
                (Decision::Reject, "reject_question", "reject_response"),
            ] {
                let question = tx_question(&serial, &t, d);
                assert_eq!(question, text(q), "{}", text("name"));
                assert_eq!(respond(&key, &question).unwrap(), text(r));
            }
            let sq = start_question(&serial, &text("start_id"));
            assert_eq!(sq, text("start_question"));
            assert_eq!(respond(&key, &sq).unwrap(), text("start_response"));
        }
    }

    /// The signed messages' known answers from the independent
    /// implementation (`[[tx_list]]`, `[[tx_start]]`, `[[tx_answer]]` in
    /// `protocol-kdf.toml`): transcripts, hashes and both signatures.
    mod signed_known_answers {
        use super::*;

        const FILE: &str = include_str!("../../../../tests/vectors/protocol-kdf.toml");

        fn cases(kind: &str) -> Vec<toml::Value> {
            let doc: toml::Table = toml::from_str(FILE).unwrap();
            doc[kind].as_array().unwrap().clone()
        }

        fn text(v: &toml::Value, k: &str) -> String {
            v[k].as_str().unwrap().to_owned()
        }

        fn num(v: &toml::Value, k: &str) -> u64 {
            u64::try_from(v[k].as_integer().unwrap()).unwrap()
        }

        fn b32(v: &toml::Value, k: &str) -> protocol::Bytes<32> {
            protocol::Bytes::from_hex(&text(v, k)).unwrap()
        }

        fn keys(v: &toml::Value) -> (SigningKey, SigningKey) {
            let device = SigningKey::from_bytes(&b32(v, "device_seed").0);
            let center = SigningKey::from_bytes(&b32(v, "center_seed").0);
            assert_eq!(protocol::device_public(&device), b32(v, "device_public"));
            (device, center)
        }

        fn same(v: &toml::Value, prefix: &str, t: &Transcript, sig: &Sig) {
            let name = text(v, "name");
            let want = |k: &str| text(v, &format!("{prefix}{k}"));
            assert_eq!(hex::encode(t.as_bytes()), want("transcript"), "{name}");
            assert_eq!(hex::encode(t.hash()), want("hash"), "{name}");
            assert_eq!(sig.to_hex(), want("signature"), "{name}");
        }

        #[test]
        fn lists() {
            let lists = cases("tx_list");
            assert_eq!(lists.len(), 2);
            for v in &lists {
                let (device, center) = keys(v);
                let req = list_request(&text(v, "serial"), b32(v, "nonce"), &device);
                same(
                    v,
                    "request_",
                    &list_request_transcript(&req),
                    &req.signature,
                );
                check_list_request(&req, &b32(v, "device_public")).unwrap();
                let start = Some(text(v, "start_id"))
                    .filter(|s| !s.is_empty())
                    .map(|id| PendingStart {
                        id,
                        requested_at: num(v, "start_requested_at"),
                    });
                let txs: Vec<Transaction> = v["transactions"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.clone().try_into().unwrap())
                    .collect();
                let enabled = v["enabled"].as_bool().unwrap();
                let l = center_list(&req, enabled, start, txs, num(v, "center_time"), &center);
                same(v, "reply_", &list_reply_transcript(&req, &l), &l.signature);
                check_list(&req, &l, &CenterKey::of(&center)).unwrap();
            }
        }

        #[test]
        fn starts() {
            let starts = cases("tx_start");
            assert_eq!(starts.len(), 1);
            for v in &starts {
                let (device, center) = keys(v);
                let mut req = StartRequest {
                    version: VERSION,
                    serial: text(v, "serial"),
                    nonce: b32(v, "nonce"),
                    start_id: text(v, "start_id"),
                    response: text(v, "response"),
                    signature: NO_SIG,
                };
                req.signature = sign(&device, &start_request_transcript(&req).hash());
                same(
                    v,
                    "request_",
                    &start_request_transcript(&req),
                    &req.signature,
                );
                check_start_request(&req, &b32(v, "device_public")).unwrap();
                let s = center_started(&req, num(v, "center_time"), &center);
                same(v, "reply_", &start_reply_transcript(&req, &s), &s.signature);
                check_started(&req, &s, &CenterKey::of(&center)).unwrap();
            }
        }

        #[test]
        fn answers() {
            let answers = cases("tx_answer");
            assert_eq!(answers.len(), 2);
            for v in &answers {
                let (device, center) = keys(v);
                let mut req = AnswerRequest {
                    version: VERSION,
                    serial: text(v, "serial"),
                    nonce: b32(v, "nonce"),
                    tx_id: text(v, "tx_id"),
                    decision: v["decision"].clone().try_into().unwrap(),
                    response: text(v, "response"),
                    signature: NO_SIG,
                };
                req.signature = sign(&device, &answer_request_transcript(&req).hash());
                same(
                    v,
                    "request_",
                    &answer_request_transcript(&req),
                    &req.signature,
                );
                check_answer_request(&req, &b32(v, "device_public")).unwrap();
                let a = center_answered(&req, num(v, "center_time"), &center);
                same(
                    v,
                    "reply_",
                    &answer_reply_transcript(&req, &a),
                    &a.signature,
                );
                check_answered(&req, &a, &CenterKey::of(&center)).unwrap();
            }
        }
    }

    #[test]
    fn transactions_are_checked_whole() {
        assert!(check_transaction(&tx()).is_ok());
        let mut t = tx();
        t.id = "tx_0123".into();
        assert_eq!(
            check_transaction(&t),
            Err(ProtocolError::Malformed("transaction id"))
        );
        let mut t = tx();
        t.expires_at = t.created_at;
        assert!(check_transaction(&t).is_err());
        let mut t = tx();
        t.payee = "ヤマダ \u{202e}ウロタ".into();
        assert!(matches!(
            check_transaction(&t),
            Err(ProtocolError::Transaction(e)) if e.field() == Field::Payee
        ));
    }

    #[test]
    fn a_signed_list_with_hidden_text_is_refused() {
        let device = SigningKey::from_bytes(&[1; 32]);
        let center = SigningKey::from_bytes(&[2; 32]);
        let ck = CenterKey::of(&center);
        let req = list_request("12345678", protocol::Bytes([3; 32]), &device);
        let mut t = tx();
        t.reference = "Rent\u{200b}".into();
        let list = center_list(&req, true, None, vec![tx(), t], 1_800_000_001, &center);
        assert!(matches!(
            check_list(&req, &list, &ck),
            Err(ProtocolError::Transaction(e)) if e.field() == Field::Reference
        ));
    }

    #[test]
    fn amounts_are_grouped() {
        assert_eq!(group_amount("150000"), "150,000");
        assert_eq!(group_amount("1234567.50"), "1,234,567.50");
        assert_eq!(group_amount("999"), "999");
        assert_eq!(group_amount("0.5"), "0.5");
    }

    #[test]
    fn amounts_read_per_language() {
        use crate::Lang;
        assert_eq!(show_amount(Lang::Ja, "150000", "JPY"), "150,000円");
        assert_eq!(show_amount(Lang::En, "150000", "JPY"), "150,000 JPY");
        assert_eq!(show_amount(Lang::Ja, "1234.50", "USD"), "1,234.50 USD");
        assert_eq!(show_amount(Lang::En, "1234.50", "USD"), "1,234.50 USD");
    }
}
