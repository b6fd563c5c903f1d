#!/usr/bin/env python3
"""Cross-checks ippun vectors files against two independent implementations.

For every HOTP/TOTP vector it recomputes the code (and the HMAC, truncated
value and TOTP step where the file gives them) with Python's own
hmac/hashlib, and the code with oathtool (Debian package `oathtool`, from
OATH Toolkit). OCRA vectors (RFC 6287) are recomputed in Python following
the RFC's reference implementation. Any difference is listed; the exit
status is 1 if there is one.

Usage: crosscheck.py FILE... [--python-only]
oathtool is required unless --python-only is given.
"""

import base64
import hashlib
import hmac
import shutil
import subprocess
import sys
import tomllib
from datetime import datetime, timezone

HASHES = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def key_of(v):
    if "secret_hex" in v:
        return bytes.fromhex(v["secret_hex"])
    s = v["secret"].replace(" ", "").replace("-", "").upper().rstrip("=")
    return base64.b32decode(s + "=" * (-len(s) % 8))


def python_hotp(key, alg, digits, counter):
    mac = hmac.new(key, counter.to_bytes(8, "big"), HASHES[alg]).digest()
    off = mac[-1] & 0x0F
    trunc = int.from_bytes(mac[off : off + 4], "big") & 0x7FFFFFFF
    return mac.hex(), trunc, str(trunc % 10**digits).zfill(digits)


def python_ocra(key, v):
    """RFC 6287 as its reference implementation builds the data input."""
    suite = v["suite"]
    _, crypto, data = suite.split(":")
    _, hash_name, digits = crypto.split("-")
    hashes = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}
    msg = suite.encode() + b"\0"
    for field in data.split("-"):
        if field == "C":
            msg += v["counter"].to_bytes(8, "big")
        elif field.startswith("Q"):
            q = v["question"]
            if field[1] == "N":
                qhex = format(int(q), "X")
            elif field[1] == "A":
                qhex = q.encode().hex()
            else:
                qhex = q
            msg += bytes.fromhex(qhex.ljust(256, "0"))
        elif field.startswith("P"):
            msg += hashes[field[1:]](v["pin"].encode()).digest()
        elif field.startswith("S"):
            msg += bytes.fromhex(v["session_hex"])
        elif field.startswith("T"):
            unit = {"S": 1, "M": 60, "H": 3600}[field[-1]]
            msg += (v["time"] // (int(field[1:-1]) * unit)).to_bytes(8, "big")
    mac = hmac.new(key, msg, hashes[hash_name]).digest()
    if digits == "0":
        return mac.hex()
    off = mac[-1] & 0x0F
    trunc = int.from_bytes(mac[off : off + 4], "big") & 0x7FFFFFFF
    return str(trunc % 10 ** int(digits)).zfill(int(digits))


def oathtool_code(key, v):
    cmd = ["oathtool", "--digits", str(v["digits"])]
    if v["kind"] == "totp":
        cmd += [
            "--totp=" + v["algorithm"].upper(),
            "--time-step-size", f"{v['period']}s",
            "--now", f"@{v['time']}",
        ]
    else:
        if v["algorithm"] != "sha1":
            return None  # oathtool's HOTP mode is SHA-1 only
        cmd += ["--hotp", "--counter", str(v["counter"])]
    cmd.append(key.hex())
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return "oathtool failed: " + out.stderr.strip()
    return out.stdout.strip()


def check(v, use_oathtool):
    problems = []
    key = key_of(v)
    alg, digits = v["algorithm"], v["digits"]
    if v["kind"] == "ocra":
        code = python_ocra(key, v)
        if code != v["code"]:
            problems.append(f"code: file {v['code']}, python ocra {code}")
        return problems  # oathtool has no OCRA mode
    if v["kind"] == "totp":
        counter = v["time"] // v["period"]
        if "counter" in v and v["counter"] != counter:
            problems.append(f"counter: file {v['counter']}, python {counter}")
        if "utc" in v:
            t = datetime.fromisoformat(v["utc"].replace("Z", "+00:00"))
            if int(t.astimezone(timezone.utc).timestamp()) != v["time"]:
                problems.append(f"utc {v['utc']} is not time {v['time']}")
    else:
        counter = v["counter"]
    mac, trunc, code = python_hotp(key, alg, digits, counter)
    if code != v["code"]:
        problems.append(f"code: file {v['code']}, python {code}")
    if "hmac" in v and v["hmac"].lower() != mac:
        problems.append(f"hmac: file {v['hmac']}, python {mac}")
    if "truncated" in v and v["truncated"] != trunc:
        problems.append(f"truncated: file {v['truncated']}, python {trunc}")
    if use_oathtool:
        o = oathtool_code(key, v)
        if o is not None and o != v["code"]:
            problems.append(f"code: file {v['code']}, oathtool {o}")
    return problems


def main(argv):
    use_oathtool = "--python-only" not in argv
    files = [a for a in argv if a != "--python-only"]
    if not files:
        print(__doc__, file=sys.stderr)
        return 2
    if use_oathtool and shutil.which("oathtool") is None:
        print(
            "oathtool not found: install it (scripts/install-deps.sh or "
            "`apt-get install oathtool`), or pass --python-only",
            file=sys.stderr,
        )
        return 2
    passed = failed = 0
    for path in files:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
        for v in doc.get("vector", []):
            problems = check(v, use_oathtool)
            if problems:
                failed += 1
                for p in problems:
                    print(f"MISMATCH {path}: {v['name']}: {p}")
            else:
                passed += 1
    checker = "python hmac + oathtool" if use_oathtool else "python hmac"
    print(f"crosscheck ({checker}): {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
