#!/usr/bin/env python3
"""A conformance client for the ippun protocol, version 1, written from
docs/protocol.md and docs/schema/ alone (no Rust code is read or imported).

    client.py --url http://127.0.0.1:PORT --center-key ed25519:HEX [--schemas DIR]

It plays the app and the bank against a demo center (`ippun-center demo`,
whose users and verify-API key docs/protocol.md lists) and checks every
request it sends and every reply it receives against the JSON Schemas:

  provisioning on a SHA-1 and an 8-digit SHA-256 service; verify ok, then
  the same code reused; correction from a clock 10 minutes fast and 10
  minutes slow; renewal with a new key; transaction confirmation (start,
  approve, reject); and the refusals: a wrong activation password, a
  tampered offer, a replayed nonce, an oversized body, an unknown field, a
  missing version and another version.

The primitives (transcript fields, OCRA) come from the known-answer script
tests/vectors/protocol_kat.py. Prints one line per check and a summary;
exits 1 when any check fails.
"""

import argparse
import hashlib
import hmac
import json
import os
import pathlib
import sys
import time
import urllib.error
import urllib.request

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from jsonschema import Draft202012Validator

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "vectors"))
from protocol_kat import derive_keys, field, i64, ocra_key, ocra_qh64, s, u64  # noqa: E402

RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw
HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}

# The demo center's published users and the verify-API key of DEMO-BANK
# (docs/protocol.md, "Trying it").
BANK = "DEMO-BANK"
SHINKIN = "DEMO-SHINKIN"
BANK_KEY = "ipk_de0000000001_0000000000000000000000000000000000000000000000000000000000000001"


class Failure(Exception):
    pass


class Center:
    """HTTP to the center, every message checked against its schema."""

    def __init__(self, url: str, schemas: pathlib.Path):
        self.url = url.rstrip("/")
        self.validators = {}
        for f in schemas.glob("*.json"):
            schema = json.loads(f.read_text(encoding="utf-8"))
            Draft202012Validator.check_schema(schema)
            self.validators[f.stem] = Draft202012Validator(schema)
        self.checked = 0
        self.log = None

    def check(self, name: str, message) -> None:
        errors = sorted(self.validators[name].iter_errors(message), key=str)
        if errors:
            raise Failure(f"{name} does not match its schema: {errors[0].message}")
        self.checked += 1

    def call(self, method, path, body=None, *, send=None, reply=None, bank=False, raw=None):
        """Sends `body` (checked against schema `send`), returns (status,
        JSON); a 200 reply is checked against `reply`, any other against
        the error bodies'. 429 is waited out as Retry-After says."""
        if body is not None and send:
            self.check(send, body)
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        headers = {"content-type": "application/json"} if data is not None else {}
        if bank:
            headers["authorization"] = f"Bearer {BANK_KEY}"
        for _ in range(20):
            req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=30) as r:
                    status, text = r.status, r.read()
            except urllib.error.HTTPError as e:
                status, text = e.code, e.read()
                if status == 429:
                    time.sleep(float(e.headers.get("retry-after", "1")))
                    continue
            break
        answer = json.loads(text) if text else None
        if self.log:
            entry = {"method": method, "path": path, "request": body, "status": status, "reply": answer}
            self.log.write(json.dumps(entry, ensure_ascii=False) + "\n")
        if status == 200:
            if reply:
                self.check(reply, answer)
        elif status == 403 and answer and "refusal" in answer:
            self.check("Refusal", answer)
        elif answer is not None:
            self.check("ErrorBody", answer)
        return status, answer

    def ok(self, method, path, body=None, **kw):
        status, answer = self.call(method, path, body, **kw)
        if status != 200:
            raise Failure(f"{path}: {status} {answer}")
        return answer


def hx(b: bytes) -> str:
    return b.hex()


def x_pub(k: X25519PrivateKey) -> bytes:
    return k.public_key().public_bytes(*RAW)


def ed_pub(k: Ed25519PrivateKey) -> bytes:
    return k.public_key().public_bytes(*RAW)


def th(transcript: bytes) -> bytes:
    return hashlib.sha256(transcript).digest()


def params(p) -> bytes:
    return s(p["algorithm"]) + u64(p["digits"]) + u64(p["period"])


def derive(own: X25519PrivateKey, peer: bytes, app_nonce: bytes, center_nonce: bytes, h: bytes, algorithm: str):
    """The token key and both key confirmations; an all-zero shared secret is refused."""
    shared, token_key, _, app, center = derive_keys(own, peer, app_nonce, center_nonce, h, algorithm)
    if shared == bytes(32):
        raise Failure("all-zero shared secret")
    return token_key, app, center


def code(token, t: float) -> str:
    """The token's code at Unix time t (RFC 6238 over RFC 4226)."""
    p = token["params"]
    counter = int(t) // p["period"]
    mac = hmac.new(token["key"], counter.to_bytes(8, "big"), HASHES[p["algorithm"]]).digest()
    off = mac[-1] & 0x0F
    n = (int.from_bytes(mac[off : off + 4], "big") & 0x7FFFFFFF) % 10 ** p["digits"]
    return str(n).zfill(p["digits"])


class App:
    def __init__(self, center: Center, center_key: str):
        if not center_key.startswith("ed25519:"):
            raise Failure("center key must start with ed25519:")
        self.c = center
        self.center_key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(center_key[8:]))

    def center_signed(self, transcript: bytes, sig_hex: str) -> None:
        try:
            self.center_key.verify(bytes.fromhex(sig_hex), th(transcript))
        except InvalidSignature:
            raise Failure("the center's signature does not verify") from None

    # -- provisioning --------------------------------------------------

    def start(self, service, user, password, device_time=None):
        eph = X25519PrivateKey.generate()
        device = Ed25519PrivateKey.generate()
        req = {
            "version": 1,
            "service_id": service,
            "user_id": user,
            "activation_password": password,
            "device_time": int(device_time or time.time()),
            "app_nonce": hx(os.urandom(32)),
            "app_ephemeral": hx(x_pub(eph)),
            "device_key": hx(ed_pub(device)),
        }
        return req, eph, device

    @staticmethod
    def provision_transcript(req, offer) -> bytes:
        svc = offer["service"]
        t = (
            s("ippun/v1/provision") + s(req["service_id"]) + s(req["user_id"]) + u64(req["device_time"])
            + field(bytes.fromhex(req["app_nonce"])) + field(bytes.fromhex(req["app_ephemeral"]))
            + field(bytes.fromhex(req["device_key"])) + field(bytes.fromhex(offer["session"]))
            + field(bytes.fromhex(offer["center_nonce"])) + field(bytes.fromhex(offer["center_ephemeral"]))
            + s(offer["serial"]) + u64(offer["expires_at"]) + params(offer["params"])
            + s(svc["id"]) + s(svc["name"]) + s(svc.get("logo_url") or "") + s(svc.get("link_url") or "")
            + u64(offer["center_time"])
        )
        if svc.get("tx_confirmation", False):
            t += s("tx-confirmation")
        return t

    def provision(self, service, user, password):
        req, eph, device = self.start(service, user, password)
        offer = self.c.ok("POST", "/v1/provision/start", req, send="ProvisionStart", reply="ProvisionOffer")
        t = self.provision_transcript(req, offer)
        self.center_signed(t, offer["signature"])
        if offer["service"]["id"] != service:
            raise Failure("the offer names another service")
        h = th(t)
        key, app_confirm, center_confirm = derive(
            eph, bytes.fromhex(offer["center_ephemeral"]), bytes.fromhex(req["app_nonce"]),
            bytes.fromhex(offer["center_nonce"]), h, offer["params"]["algorithm"],
        )
        confirm = {"version": 1, "session": offer["session"], "app_confirm": hx(app_confirm)}
        done = self.c.ok("POST", "/v1/provision/confirm", confirm, send="Confirm", reply="Confirmed")
        if not hmac.compare_digest(bytes.fromhex(done["center_confirm"]), center_confirm):
            raise Failure("the center's key confirmation does not match")
        # A repeated confirmation answers the same.
        again = self.c.ok("POST", "/v1/provision/confirm", confirm, send="Confirm", reply="Confirmed")
        if again["center_confirm"] != done["center_confirm"]:
            raise Failure("a repeated confirmation answered differently")
        return {
            "serial": offer["serial"], "key": key, "params": offer["params"], "device": device,
            "expires_at": offer["expires_at"], "tx": offer["service"].get("tx_confirmation", False),
        }

    # -- signed requests -----------------------------------------------

    def nonce(self, serial, purpose) -> str:
        r = self.c.ok("POST", "/v1/challenge", {"version": 1, "serial": serial, "purpose": purpose},
                      send="ChallengeRequest", reply="Challenge")
        return r["nonce"]

    @staticmethod
    def device_sign(token, transcript: bytes) -> str:
        return hx(token["device"].sign(th(transcript)))

    def correct_request(self, token, clock_offset: int):
        device_time = int(time.time()) + clock_offset
        period = token["params"]["period"]
        otps = [code(token, device_time), code(token, device_time + period)]
        nonce = self.nonce(token["serial"], "correct")
        t = (s("ippun/v1/correct-request") + s(token["serial"]) + field(bytes.fromhex(nonce))
             + s(otps[0]) + s(otps[1]) + u64(device_time))
        return {"version": 1, "serial": token["serial"], "nonce": nonce, "otps": otps,
                "device_time": device_time, "signature": self.device_sign(token, t)}

    def check_corrected(self, req, r) -> None:
        t = (s("ippun/v1/correct-reply") + s(req["serial"]) + field(bytes.fromhex(req["nonce"]))
             + i64(r["offset_steps"]) + i64(r["offset_seconds"]) + u64(r["center_time"]))
        self.center_signed(t, r["signature"])

    def correct(self, token, clock_offset: int):
        req = self.correct_request(token, clock_offset)
        r = self.c.ok("POST", "/v1/correct", req, send="CorrectRequest", reply="Corrected")
        self.check_corrected(req, r)
        return req, r

    def renew(self, token):
        eph = X25519PrivateKey.generate()
        nonce = self.nonce(token["serial"], "renew")
        app_nonce = os.urandom(32)
        body = (s(token["serial"]) + field(bytes.fromhex(nonce)) + field(app_nonce) + field(x_pub(eph)))
        req = {"version": 1, "serial": token["serial"], "nonce": nonce, "app_nonce": hx(app_nonce),
               "app_ephemeral": hx(x_pub(eph)),
               "signature": self.device_sign(token, s("ippun/v1/renew-request") + body)}
        offer = self.c.ok("POST", "/v1/renew/start", req, send="RenewStart", reply="RenewOffer")
        t = (s("ippun/v1/renew") + body + field(bytes.fromhex(offer["session"]))
             + field(bytes.fromhex(offer["center_nonce"])) + field(bytes.fromhex(offer["center_ephemeral"]))
             + u64(offer["expires_at"]) + params(offer["params"]) + u64(offer["center_time"]))
        self.center_signed(t, offer["signature"])
        key, app_confirm, center_confirm = derive(
            eph, bytes.fromhex(offer["center_ephemeral"]), app_nonce, bytes.fromhex(offer["center_nonce"]),
            th(t), offer["params"]["algorithm"],
        )
        confirm = {"version": 1, "session": offer["session"], "app_confirm": hx(app_confirm)}
        done = self.c.ok("POST", "/v1/renew/confirm", confirm, send="Confirm", reply="Confirmed")
        if not hmac.compare_digest(bytes.fromhex(done["center_confirm"]), center_confirm):
            raise Failure("the center's renewal confirmation does not match")
        return {**token, "key": key, "params": offer["params"], "expires_at": offer["expires_at"]}

    # -- transaction confirmation --------------------------------------

    def tx_list(self, token):
        nonce = self.nonce(token["serial"], "tx")
        n = field(bytes.fromhex(nonce))
        req = {"version": 1, "serial": token["serial"], "nonce": nonce,
               "signature": self.device_sign(token, s("ippun/v1/tx-list-request") + s(token["serial"]) + n)}
        r = self.c.ok("POST", "/v1/tx/list", req, send="ListRequest", reply="List")
        start = r.get("start") or {"id": "", "requested_at": 0}
        t = (s("ippun/v1/tx-list-reply") + s(token["serial"]) + n + u64(1 if r["enabled"] else 0)
             + s(start["id"]) + u64(start["requested_at"]) + u64(len(r["transactions"])))
        for x in r["transactions"]:
            t += (s(x["id"]) + s(x["payee"]) + s(x["account"]) + s(x["amount"]) + s(x["currency"])
                  + s(x["reference"]) + u64(x["created_at"]) + u64(x["expires_at"]))
        t += u64(r["center_time"])
        self.center_signed(t, r["signature"])
        return r

    @staticmethod
    def ocra(token, data: bytes) -> str:
        return ocra_qh64(ocra_key(token["key"]), hashlib.sha256(data).hexdigest())

    def tx_enable(self, token, start_id):
        nonce = self.nonce(token["serial"], "tx")
        n = field(bytes.fromhex(nonce))
        response = self.ocra(token, s("ippun/v1/tx-start-data") + s(token["serial"]) + s(start_id))
        t = s("ippun/v1/tx-start-request") + s(token["serial"]) + n + s(start_id) + s(response)
        req = {"version": 1, "serial": token["serial"], "nonce": nonce, "start_id": start_id,
               "response": response, "signature": self.device_sign(token, t)}
        r = self.c.ok("POST", "/v1/tx/enable", req, send="StartRequest", reply="Started")
        self.center_signed(s("ippun/v1/tx-start-reply") + s(token["serial"]) + n + s(r["start_id"])
                           + u64(r["center_time"]), r["signature"])
        return r

    def tx_answer(self, token, x, decision):
        nonce = self.nonce(token["serial"], "tx")
        n = field(bytes.fromhex(nonce))
        data = (s("ippun/v1/tx-data") + s(token["serial"]) + s(x["id"]) + s(x["payee"]) + s(x["account"])
                + s(x["amount"]) + s(x["currency"]) + s(x["reference"]) + u64(x["created_at"])
                + u64(x["expires_at"]) + s(decision))
        response = self.ocra(token, data)
        t = s("ippun/v1/tx-answer-request") + s(token["serial"]) + n + s(x["id"]) + s(decision) + s(response)
        req = {"version": 1, "serial": token["serial"], "nonce": nonce, "tx_id": x["id"],
               "decision": decision, "response": response, "signature": self.device_sign(token, t)}
        r = self.c.ok("POST", "/v1/tx/answer", req, send="AnswerRequest", reply="Answered")
        self.center_signed(s("ippun/v1/tx-answer-reply") + s(token["serial"]) + n + s(r["tx_id"])
                           + s(r["decision"]) + u64(r["center_time"]), r["signature"])
        return r


def verify(c: Center, user, otp):
    return c.ok("POST", "/v1/verify", {"service": BANK, "user": user, "otp": otp}, bank=True,
                send="VerifyRequest", reply="VerifyAnswer")


def expect(status_and_answer, status, **fields):
    got_status, answer = status_and_answer
    if got_status != status or any((answer or {}).get(k) != v for k, v in fields.items()):
        raise Failure(f"expected {status} {fields}, got {got_status} {answer}")


def run(url: str, center_key: str, schemas: pathlib.Path, log=None) -> int:
    c = Center(url, schemas)
    c.log = log
    app = App(c, center_key)
    results = []

    def check(name, fn):
        try:
            fn()
            results.append((name, None))
            print(f"ok    {name}")
        except Failure as e:
            results.append((name, str(e)))
            print(f"FAIL  {name}: {e}")
        except (KeyError, TypeError, ValueError, OSError) as e:
            # A malformed reply, or an earlier step that failed.
            results.append((name, repr(e)))
            print(f"FAIL  {name}: {e!r}")

    state = {}

    def health():
        h = c.ok("GET", "/v1/health", reply="Health")
        if h["center_key"] != center_key:
            raise Failure("the center's health names another key than the pinned one")

    def provision_sha1():
        state["bank"] = app.provision(BANK, "demo-user", "demo-1111-2222")
        p = state["bank"]["params"]
        if (p["algorithm"], p["digits"]) != ("sha1", 6) or not state["bank"]["tx"]:
            raise Failure(f"unexpected parameters {p}")

    def provision_sha256():
        state["shinkin"] = app.provision(SHINKIN, "demo-user", "demo-3333-4444")
        p = state["shinkin"]["params"]
        if (p["algorithm"], p["digits"]) != ("sha256", 8):
            raise Failure(f"unexpected parameters {p}")

    def sha256_codes_are_the_centers():
        # The center finds the step only if both 8-digit codes are its own.
        _, r = app.correct(state["shinkin"], 0)
        if abs(r["offset_steps"]) > 1:
            raise Failure(f"offset {r['offset_steps']} with a right clock")

    def verify_ok_then_reused():
        otp = code(state["bank"], time.time())
        r = verify(c, "demo-user", otp)
        if not (r["ok"] and r["reason"] == "ok" and r["serial"] == state["bank"]["serial"]):
            raise Failure(f"first verify: {r}")
        r = verify(c, "demo-user", otp)
        if r["ok"] or r["reason"] != "reused":
            raise Failure(f"second verify: {r}")

    def correction(offset):
        def go():
            token = state["bank"]
            req, r = app.correct(token, offset)
            period = token["params"]["period"]
            want = offset // period
            if abs(r["offset_steps"] - want) > 1 or r["offset_seconds"] != r["offset_steps"] * period:
                raise Failure(f"clock {offset:+d} s: {r}")
            state["last_correct"] = req
        return go

    def replayed_nonce():
        expect(c.call("POST", "/v1/correct", state["last_correct"], send="CorrectRequest"), 409,
               error="stale-nonce")

    def renewal():
        old = app.provision(BANK, "renew-ok", "demo-renew-0001")
        new = app.renew(old)
        if new["key"] == old["key"] or new["expires_at"] <= old["expires_at"]:
            raise Failure("renewal gave the same key or no later expiry")
        r = verify(c, "renew-ok", code(new, time.time()))
        if not r["ok"]:
            raise Failure(f"the new key's code: {r}")

    def tx_confirmation():
        token = app.provision(BANK, "spare-1", "demo-spare-001")
        st = c.ok("POST", "/v1/tx/starts", {"service": BANK, "user": "spare-1"}, bank=True,
                  send="StartFor", reply="StartStatus")
        if st["state"] != "pending" or st["serial"] != token["serial"]:
            raise Failure(f"start: {st}")
        lst = app.tx_list(token)
        if lst["enabled"] or (lst.get("start") or {}).get("id") != st["start_id"]:
            raise Failure(f"list before the start: {lst}")
        app.tx_enable(token, st["start_id"])
        posted = []
        for payee, amount in (("ヤマダ タロウ", "150000"), ("Example Trading Co.", "980")):
            posted.append(c.ok("POST", "/v1/tx/transactions",
                               {"service": BANK, "user": "spare-1", "payee": payee,
                                "account": "Demo Bank Shibuya 001 1234567", "amount": amount,
                                "currency": "JPY", "reference": "conformance"},
                               bank=True, send="NewTransaction", reply="TxStatus"))
        lst = app.tx_list(token)
        ids = [x["id"] for x in lst["transactions"]]
        if not lst["enabled"] or ids != [p["id"] for p in posted]:
            raise Failure(f"list after posting: {lst}")
        for x, decision in zip(lst["transactions"], ("approve", "reject")):
            r = app.tx_answer(token, x, decision)
            if r["decision"] != decision:
                raise Failure(f"receipt: {r}")
        for p, state_name in zip(posted, ("approved", "rejected")):
            got = c.ok("GET", f"/v1/tx/transactions/{p['id']}", bank=True, reply="TxStatus")
            if got["state"] != state_name:
                raise Failure(f"{p['id']}: {got['state']}")

    def wrong_password():
        req, _, _ = app.start(BANK, "spare-2", "not-the-password")
        expect(c.call("POST", "/v1/provision/start", req, send="ProvisionStart"), 403, refusal="S0C1")

    def tampered_offer():
        req, eph, _ = app.start(BANK, "spare-3", "demo-spare-003")
        offer = c.ok("POST", "/v1/provision/start", req, send="ProvisionStart", reply="ProvisionOffer")
        offer["expires_at"] += 86_400
        t = app.provision_transcript(req, offer)
        try:
            app.center_signed(t, offer["signature"])
        except Failure:
            pass
        else:
            raise Failure("a changed offer still verified")
        _, app_confirm, _ = derive(
            eph, bytes.fromhex(offer["center_ephemeral"]), bytes.fromhex(req["app_nonce"]),
            bytes.fromhex(offer["center_nonce"]), th(t), offer["params"]["algorithm"],
        )
        expect(c.call("POST", "/v1/provision/confirm",
                      {"version": 1, "session": offer["session"], "app_confirm": hx(app_confirm)},
                      send="Confirm"), 401)

    def oversized():
        expect(c.call("POST", "/v1/provision/start", raw=b'{"pad":"' + b"x" * 17_000 + b'"}'), 413)

    def strictness():
        req, _, _ = app.start(BANK, "spare-4", "demo-spare-004")
        expect(c.call("POST", "/v1/provision/start", {**req, "extra": 1}), 400, error="wrong-fields")
        no_version = {k: v for k, v in req.items() if k != "version"}
        expect(c.call("POST", "/v1/provision/start", no_version), 400, error="wrong-fields")
        expect(c.call("POST", "/v1/provision/start", {**req, "version": 2}), 400,
               error="unsupported-version")
        upper = {**req, "app_nonce": req["app_nonce"].upper()}
        expect(c.call("POST", "/v1/provision/start", upper), 400, error="wrong-fields")

    check("health names the pinned center key", health)
    check("provisioning, SHA-1, 6 digits, with transaction confirmation", provision_sha1)
    check("provisioning, SHA-256, 8 digits", provision_sha256)
    check("SHA-256 8-digit codes are the center's", sha256_codes_are_the_centers)
    check("verify ok, then the same code reused", verify_ok_then_reused)
    check("correction from a clock 10 minutes fast", correction(600))
    check("correction from a clock 10 minutes slow", correction(-600))
    check("a replayed nonce is refused (409)", replayed_nonce)
    check("renewal with a new key", renewal)
    check("transaction confirmation: start, approve, reject", tx_confirmation)
    check("wrong activation password (403 S0C1)", wrong_password)
    check("a tampered offer fails its signature and its confirmation (401)", tampered_offer)
    check("an oversized body (413)", oversized)
    check("unknown field, missing version, other version, uppercase hex (400)", strictness)

    failed = [n for n, e in results if e]
    print(f"conformance: {len(results) - len(failed)} passed, {len(failed)} failed, "
          f"{c.checked} messages matched their schemas")
    return 1 if failed else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", required=True)
    ap.add_argument("--center-key", required=True)
    ap.add_argument("--schemas", type=pathlib.Path, default=ROOT / "docs" / "schema")
    ap.add_argument("--log", type=argparse.FileType("w", encoding="utf-8"),
                    help="write every exchange to this file, one JSON line each")
    a = ap.parse_args()
    return run(a.url, a.center_key, a.schemas, a.log)


if __name__ == "__main__":
    sys.exit(main())
