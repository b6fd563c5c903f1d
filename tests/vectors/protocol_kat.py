#!/usr/bin/env python3
"""Known-answer vectors for the ippun protocol: the key derivation, every
signed message (provisioning, renewal, correction, the transaction list,
start and answer, requests and replies) and the transaction-confirmation
answer (OCRA over the transaction data), computed independently of the Rust
code with Python's `cryptography` package.

    protocol_kat.py --write FILE   compute the vectors from fixed inputs, write FILE
    protocol_kat.py FILE           recompute every value in FILE, report mismatches

The transcript layout follows docs/protocol.md: the label and every field
are a 4-byte big-endian length and their bytes; a number is a field of
length 8 holding the value big-endian (signed numbers in two's complement).
Signatures are Ed25519 over the SHA-256 hash of the transcript.
"""

import hashlib
import hmac
import sys
import tomllib

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_LEN = {"sha1": 20, "sha256": 32, "sha512": 64}
RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw


def field(b: bytes) -> bytes:
    return len(b).to_bytes(4, "big") + b


def u64(n: int) -> bytes:
    return field(n.to_bytes(8, "big"))


def s(text: str) -> bytes:
    return field(text.encode())


def i64(n: int) -> bytes:
    return field(n.to_bytes(8, "big", signed=True))


def signed(seed_hex: str, transcript: bytes, prefix: str) -> dict:
    """A transcript, its hash and the Ed25519 signature over the hash."""
    th = hashlib.sha256(transcript).digest()
    return {
        f"{prefix}transcript": transcript.hex(),
        f"{prefix}hash": th.hex(),
        f"{prefix}signature": ed(seed_hex).sign(th).hex(),
    }


def x_pub(secret_hex: str) -> bytes:
    return X25519PrivateKey.from_private_bytes(bytes.fromhex(secret_hex)).public_key().public_bytes(*RAW)


def ed(seed_hex: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))


def ed_pub(seed_hex: str) -> bytes:
    return ed(seed_hex).public_key().public_bytes(*RAW)


def params(v) -> bytes:
    return s(v["algorithm"]) + u64(v["digits"]) + u64(v["period"])


def derive_keys(own: X25519PrivateKey, peer: bytes, app_nonce: bytes, center_nonce: bytes, th: bytes, algorithm: str):
    """Key agreement and derivation (docs/protocol.md): the shared secret,
    the token key, the confirmation key and both key confirmations."""
    shared = own.exchange(X25519PublicKey.from_public_bytes(peer))
    salt = app_nonce + center_nonce

    def expand(label: str, n: int) -> bytes:
        return HKDF(hashes.SHA256(), n, salt, label.encode() + th).derive(shared)

    token_key = expand("ippun/v1/token-key", KEY_LEN[algorithm])
    confirm_key = expand("ippun/v1/confirm-key", 32)
    app_confirm = hmac.new(confirm_key, b"ippun/v1/app-confirm" + th, hashlib.sha256).digest()
    center_confirm = hmac.new(confirm_key, b"ippun/v1/center-confirm" + th, hashlib.sha256).digest()
    return shared, token_key, confirm_key, app_confirm, center_confirm


def ocra_key(token_key: bytes) -> bytes:
    """The transaction-confirmation key that follows the token key."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"ippun/v1/ocra-key").derive(token_key)


def derive(v, app_secret, center_pub_bytes, th):
    return derive_keys(
        X25519PrivateKey.from_private_bytes(bytes.fromhex(app_secret)),
        center_pub_bytes,
        bytes.fromhex(v["app_nonce"]),
        bytes.fromhex(v["center_nonce"]),
        th,
        v["algorithm"],
    )


def provision(v) -> dict:
    app_pub = x_pub(v["app_ephemeral_secret"])
    center_pub = x_pub(v["center_ephemeral_secret"])
    device_pub = ed_pub(v["device_seed"])
    t = (
        s("ippun/v1/provision")
        + s(v["service_id"])
        + s(v["user_id"])
        + u64(v["device_time"])
        + field(bytes.fromhex(v["app_nonce"]))
        + field(app_pub)
        + field(device_pub)
        + field(bytes.fromhex(v["session"]))
        + field(bytes.fromhex(v["center_nonce"]))
        + field(center_pub)
        + s(v["serial"])
        + u64(v["expires_at"])
        + params(v)
        + s(v["service_id"])
        + s(v["service_name"])
        + s(v["logo_url"])
        + s(v["link_url"])
        + u64(v["center_time"])
        + (s("tx-confirmation") if v.get("tx_confirmation") else b"")
    )
    th = hashlib.sha256(t).digest()
    shared, token_key, confirm_key, app_confirm, center_confirm = derive(
        v, v["app_ephemeral_secret"], center_pub, th
    )
    return {
        "app_ephemeral_public": app_pub.hex(),
        "center_ephemeral_public": center_pub.hex(),
        "device_public": device_pub.hex(),
        "center_public": ed_pub(v["center_seed"]).hex(),
        "transcript": t.hex(),
        "transcript_hash": th.hex(),
        "shared_secret": shared.hex(),
        "token_key": token_key.hex(),
        "confirm_key": confirm_key.hex(),
        "app_confirm": app_confirm.hex(),
        "center_confirm": center_confirm.hex(),
        "signature": ed(v["center_seed"]).sign(th).hex(),
    }


def renew(v) -> dict:
    app_pub = x_pub(v["app_ephemeral_secret"])
    center_pub = x_pub(v["center_ephemeral_secret"])
    request = (
        s("ippun/v1/renew-request")
        + s(v["serial"])
        + field(bytes.fromhex(v["nonce"]))
        + field(bytes.fromhex(v["app_nonce"]))
        + field(app_pub)
    )
    t = (
        s("ippun/v1/renew")
        + s(v["serial"])
        + field(bytes.fromhex(v["nonce"]))
        + field(bytes.fromhex(v["app_nonce"]))
        + field(app_pub)
        + field(bytes.fromhex(v["session"]))
        + field(bytes.fromhex(v["center_nonce"]))
        + field(center_pub)
        + u64(v["expires_at"])
        + params(v)
        + u64(v["center_time"])
    )
    th = hashlib.sha256(t).digest()
    shared, token_key, confirm_key, app_confirm, center_confirm = derive(
        v, v["app_ephemeral_secret"], center_pub, th
    )
    return {
        "app_ephemeral_public": app_pub.hex(),
        "center_ephemeral_public": center_pub.hex(),
        "device_public": ed_pub(v["device_seed"]).hex(),
        "center_public": ed_pub(v["center_seed"]).hex(),
        "request_signature": ed(v["device_seed"]).sign(hashlib.sha256(request).digest()).hex(),
        "transcript": t.hex(),
        "transcript_hash": th.hex(),
        "shared_secret": shared.hex(),
        "token_key": token_key.hex(),
        "confirm_key": confirm_key.hex(),
        "app_confirm": app_confirm.hex(),
        "center_confirm": center_confirm.hex(),
        "signature": ed(v["center_seed"]).sign(th).hex(),
    }


def signed_pair(v, request: bytes, reply: bytes) -> dict:
    """A device-signed request and its center-signed reply, with both keys."""
    return {
        "device_public": ed_pub(v["device_seed"]).hex(),
        "center_public": ed_pub(v["center_seed"]).hex(),
        **signed(v["device_seed"], request, "request_"),
        **signed(v["center_seed"], reply, "reply_"),
    }


def correct(v) -> dict:
    """Correction: the device-signed request and the center-signed reply."""
    nonce = field(bytes.fromhex(v["nonce"]))
    request = (
        s("ippun/v1/correct-request") + s(v["serial"]) + nonce
        + s(v["otps"][0]) + s(v["otps"][1]) + u64(v["device_time"])
    )
    reply = (
        s("ippun/v1/correct-reply") + s(v["serial"]) + nonce
        + i64(v["offset_steps"]) + i64(v["offset_seconds"]) + u64(v["center_time"])
    )
    return signed_pair(v, request, reply)


def tx_list(v) -> dict:
    """The transaction list: the device-signed request and the signed list."""
    nonce = field(bytes.fromhex(v["nonce"]))
    request = s("ippun/v1/tx-list-request") + s(v["serial"]) + nonce
    reply = (
        s("ippun/v1/tx-list-reply") + s(v["serial"]) + nonce
        + u64(1 if v["enabled"] else 0) + s(v["start_id"]) + u64(v["start_requested_at"])
        + u64(len(v["transactions"]))
    )
    for t in v["transactions"]:
        reply += (
            s(t["id"]) + s(t["payee"]) + s(t["account"]) + s(t["amount"]) + s(t["currency"])
            + s(t["reference"]) + u64(t["created_at"]) + u64(t["expires_at"])
        )
    reply += u64(v["center_time"])
    return signed_pair(v, request, reply)


def tx_start(v) -> dict:
    """Completing a start: the device-signed request and the signed reply."""
    nonce = field(bytes.fromhex(v["nonce"]))
    request = (
        s("ippun/v1/tx-start-request") + s(v["serial"]) + nonce + s(v["start_id"]) + s(v["response"])
    )
    reply = s("ippun/v1/tx-start-reply") + s(v["serial"]) + nonce + s(v["start_id"]) + u64(v["center_time"])
    return signed_pair(v, request, reply)


def tx_answer(v) -> dict:
    """An answer: the device-signed request and the center's signed receipt."""
    nonce = field(bytes.fromhex(v["nonce"]))
    request = (
        s("ippun/v1/tx-answer-request") + s(v["serial"]) + nonce + s(v["tx_id"])
        + s(v["decision"]) + s(v["response"])
    )
    reply = (
        s("ippun/v1/tx-answer-reply") + s(v["serial"]) + nonce + s(v["tx_id"])
        + s(v["decision"]) + u64(v["center_time"])
    )
    return signed_pair(v, request, reply)


def h(byte: int, n: int = 32) -> str:
    return bytes(range(byte, byte + n)).hex()


INPUTS = {
    "provision": [
        {
            "name": "sha1-6-digits-60s",
            "service_id": "DEMO-BANK",
            "user_id": "taro.yamada",
            "service_name": "Demo Bank",
            "logo_url": "",
            "link_url": "https://bank.example/",
            "algorithm": "sha1",
            "digits": 6,
            "period": 60,
            "serial": "10000001",
            "expires_at": 1_900_000_000,
            "device_time": 1_800_000_000,
            "center_time": 1_800_000_003,
        },
        {
            "name": "sha256-8-digits-30s",
            "service_id": "SHINKIN-01",
            "user_id": "花子",
            "service_name": "しんきん銀行",
            "logo_url": "https://shinkin.example/logo.png",
            "link_url": "",
            "algorithm": "sha256",
            "digits": 8,
            "period": 30,
            "serial": "29999999",
            "expires_at": 4_102_444_800,
            "device_time": 2_000_000_000,
            "center_time": 1_999_999_990,
        },
        {
            "name": "sha512-7-digits-60s",
            "service_id": "X",
            "user_id": "u",
            "service_name": "X",
            "logo_url": "",
            "link_url": "",
            "algorithm": "sha512",
            "digits": 7,
            "period": 60,
            "serial": "00000000",
            "expires_at": 0,
            "device_time": 0,
            "center_time": 0,
        },
        {
            "name": "sha1-6-digits-tx-confirmation",
            "service_id": "DEMO-BANK",
            "user_id": "tx-user",
            "service_name": "Demo Bank",
            "logo_url": "https://bank.example/logo.png",
            "link_url": "https://bank.example/",
            "algorithm": "sha1",
            "digits": 6,
            "period": 60,
            "serial": "10000042",
            "expires_at": 1_900_000_000,
            "device_time": 1_800_000_000,
            "center_time": 1_800_000_001,
            "tx_confirmation": True,
        },
    ],
    "renew": [
        {
            "name": "renew-sha1",
            "serial": "10000001",
            "algorithm": "sha1",
            "digits": 6,
            "period": 60,
            "expires_at": 1_963_072_000,
            "center_time": 1_890_000_000,
        }
    ],
    "correct": [
        {
            "name": "clock-10-minutes-fast",
            "serial": "10000001",
            "otps": ["123456", "654321"],
            "device_time": 1_800_000_600,
            "offset_steps": 10,
            "offset_seconds": 600,
            "center_time": 1_800_000_000,
        },
        {
            "name": "clock-10-minutes-slow-8-digits",
            "serial": "29999999",
            "otps": ["12345678", "87654321"],
            "device_time": 1_799_999_400,
            "offset_steps": -20,
            "offset_seconds": -600,
            "center_time": 1_800_000_000,
        },
    ],
    "tx_list": [
        {
            "name": "start-waiting",
            "serial": "12345678",
            "enabled": False,
            "start_id": "txs_00112233445566778899aabb",
            "start_requested_at": 1_799_999_990,
            "transactions": [],
            "center_time": 1_800_000_000,
        },
        {
            "name": "two-transactions",
            "serial": "12345678",
            "enabled": True,
            "start_id": "",
            "start_requested_at": 0,
            "transactions": [
                {
                    "id": "tx_0123456789abcdef01234567",
                    "payee": "ヤマダ タロウ",
                    "account": "Demo Bank Shibuya 001 1234567",
                    "amount": "150000",
                    "currency": "JPY",
                    "reference": "Rent for December",
                    "created_at": 1_800_000_000,
                    "expires_at": 1_800_000_300,
                },
                {
                    "id": "tx_ffffffffffffffffffffffff",
                    "payee": "Example Trading Co.",
                    "account": "X 1",
                    "amount": "0.50",
                    "currency": "USD",
                    "reference": "Invoice 2026-1125",
                    "created_at": 1_800_000_010,
                    "expires_at": 1_800_000_310,
                },
            ],
            "center_time": 1_800_000_020,
        },
    ],
    "tx_start": [
        {
            "name": "complete-start",
            "serial": "12345678",
            "start_id": "txs_00112233445566778899aabb",
            "response": "31415926",
            "center_time": 1_800_000_030,
        }
    ],
    "tx_answer": [
        {
            "name": "approve",
            "serial": "12345678",
            "tx_id": "tx_0123456789abcdef01234567",
            "decision": "approve",
            "response": "27182818",
            "center_time": 1_800_000_040,
        },
        {
            "name": "reject",
            "serial": "12345678",
            "tx_id": "tx_ffffffffffffffffffffffff",
            "decision": "reject",
            "response": "16180339",
            "center_time": 1_800_000_050,
        },
    ],
    "tx": [
        {
            "name": "tx-sha1-key",
            "token_key": "3132333435363738393031323334353637383930",
            "serial": "12345678",
            "start_id": "txs_00112233445566778899aabb",
            "id": "tx_0123456789abcdef01234567",
            "payee": "ヤマダ タロウ",
            "account": "Demo Bank Shibuya 001 1234567",
            "amount": "150000",
            "currency": "JPY",
            "reference": "Rent for December",
            "created_at": 1_800_000_000,
            "expires_at": 1_800_000_300,
        },
        {
            "name": "tx-sha512-key",
            "token_key": "ab" * 64,
            "serial": "99999999",
            "start_id": "txs_ffffffffffffffffffffffff",
            "id": "tx_ffffffffffffffffffffffff",
            "payee": "Example Trading Co.",
            "account": "X 1",
            "amount": "0.50",
            "currency": "USD",
            "reference": "Invoice 2026-1125",
            "created_at": 0,
            "expires_at": 60,
        },
    ],
}


def ocra_qh64(key: bytes, question_hex: str) -> str:
    """RFC 6287 with the suite OCRA-1:HOTP-SHA256-8:QH64 (no other inputs)."""
    suite = b"OCRA-1:HOTP-SHA256-8:QH64"
    msg = suite + b"\0" + bytes.fromhex(question_hex.ljust(256, "0"))
    mac = hmac.new(key, msg, hashlib.sha256).digest()
    off = mac[-1] & 0x0F
    return str((int.from_bytes(mac[off : off + 4], "big") & 0x7FFFFFFF) % 10**8).zfill(8)


def tx(v) -> dict:
    """Transaction confirmation: the OCRA key, the questions and the answers."""
    token_key = bytes.fromhex(v["token_key"])
    key = ocra_key(token_key)
    data = (
        s("ippun/v1/tx-data") + s(v["serial"]) + s(v["id"]) + s(v["payee"]) + s(v["account"])
        + s(v["amount"]) + s(v["currency"]) + s(v["reference"]) + u64(v["created_at"])
        + u64(v["expires_at"])
    )
    approve_q = hashlib.sha256(data + s("approve")).hexdigest()
    reject_q = hashlib.sha256(data + s("reject")).hexdigest()
    start_q = hashlib.sha256(s("ippun/v1/tx-start-data") + s(v["serial"]) + s(v["start_id"])).hexdigest()
    return {
        "ocra_key": key.hex(),
        "approve_question": approve_q,
        "approve_response": ocra_qh64(key, approve_q),
        "reject_question": reject_q,
        "reject_response": ocra_qh64(key, reject_q),
        "start_question": start_q,
        "start_response": ocra_qh64(key, start_q),
    }


SIGNED_ONLY = {"correct": 0x40, "tx_list": 0x50, "tx_start": 0x60, "tx_answer": 0x70}


def fill(kind: str, i: int, v: dict) -> dict:
    if kind == "tx":
        return dict(v)
    if kind in SIGNED_ONLY:
        base = SIGNED_ONLY[kind] + 8 * i
        v = dict(v)
        v["device_seed"] = h(base % 256)
        v["center_seed"] = h((base + 1) % 256)
        v["nonce"] = h((base + 2) % 256)
        return v
    base = 0x10 * (i + 1) + (0x80 if kind == "renew" else 0)
    v = dict(v)
    v["app_ephemeral_secret"] = h(base % 256)
    v["center_ephemeral_secret"] = h((base + 1) % 256)
    v["device_seed"] = h((base + 2) % 256)
    v["center_seed"] = h((base + 3) % 256)
    v["app_nonce"] = h((base + 4) % 256)
    v["center_nonce"] = h((base + 5) % 256)
    v["session"] = h((base + 6) % 256, 16)
    if kind == "renew":
        v["nonce"] = h((base + 7) % 256)
    return v


def toml_value(x) -> str:
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, list):
        return "[" + ", ".join(toml_value(e) for e in x) + "]"
    if isinstance(x, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(e)}" for k, e in x.items()) + " }"
    return '"' + x.replace("\\", "\\\\").replace('"', '\\"') + '"'


KINDS = (
    ("provision", provision),
    ("renew", renew),
    ("correct", correct),
    ("tx_list", tx_list),
    ("tx_start", tx_start),
    ("tx_answer", tx_answer),
    ("tx", tx),
)


def write(path: str) -> None:
    out = [
        "# Known answers for the ippun v1 key derivation and every signed message",
        "# (docs/protocol.md).",
        "# Written and re-checked by tests/vectors/protocol_kat.py with Python's",
        "# `cryptography` package; checked by ippun-core's unit tests.",
        "# All byte strings are lowercase hex.",
        "",
    ]
    for kind, compute in KINDS:
        for i, v in enumerate(INPUTS[kind]):
            v = fill(kind, i, v)
            out.append(f"[[{kind}]]")
            for k, x in v.items():
                out.append(f"{k} = {toml_value(x)}")
            out.append("# expected")
            for k, x in compute(v).items():
                out.append(f"{k} = {toml_value(x)}")
            out.append("")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out))


def check(path: str) -> int:
    with open(path, "rb") as f:
        data = tomllib.load(f)
    passed = failed = 0
    for kind, compute in KINDS:
        for v in data.get(kind, []):
            for k, want in compute(v).items():
                if v.get(k) != want:
                    failed += 1
                    print(f"MISMATCH {kind} {v['name']}: {k}\n  file:     {v.get(k)}\n  computed: {want}")
                else:
                    passed += 1
    print(f"protocol known answers (python cryptography): {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        write(sys.argv[2])
    elif len(sys.argv) == 2:
        sys.exit(check(sys.argv[1]))
    else:
        print(__doc__)
        sys.exit(2)
