#!/usr/bin/env python3
"""Checks recorded traffic against the protocol's contract.

    validate.py EXCHANGES.jsonl [DOCS_DIR]

Each line of EXCHANGES.jsonl is one exchange as it went over the wire:
{"method", "path", "request", "status", "reply"}. Each is looked up in
docs/openapi.json: the endpoint must exist, its status must be one the
endpoint lists, the request must match the endpoint's request schema and the
reply the schema of its status (the files in docs/schema/). Prints a report;
exits 1 on the first mismatch.
"""

import json
import pathlib
import re
import sys

from jsonschema import Draft202012Validator

REF = re.compile(r"^#/components/schemas/(\w+)$")


def main() -> int:
    if len(sys.argv) not in (2, 3):
        print(__doc__)
        return 2
    docs = pathlib.Path(sys.argv[2]) if len(sys.argv) == 3 else pathlib.Path(__file__).resolve().parents[2] / "docs"
    api = json.loads((docs / "openapi.json").read_text(encoding="utf-8"))
    validators = {}

    def validator(name: str) -> Draft202012Validator:
        if name not in validators:
            schema = json.loads((docs / "schema" / f"{name}.json").read_text(encoding="utf-8"))
            Draft202012Validator.check_schema(schema)
            validators[name] = Draft202012Validator(schema)
        return validators[name]

    def names(schema) -> list:
        refs = [schema] if "$ref" in schema else schema.get("oneOf", [])
        return [REF.match(r["$ref"]).group(1) for r in refs]

    def matches(schema, message) -> str | None:
        """The name of the first schema `message` matches, or None."""
        for n in names(schema):
            if validator(n).is_valid(message):
                return n
        return None

    routes = []
    for template, item in api["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{\w+\}", "[^/]+", template) + "$")
        for method, op in item.items():
            routes.append((method.upper(), pattern, template, op))

    lines = [ln for ln in pathlib.Path(sys.argv[1]).read_text(encoding="utf-8").splitlines() if ln.strip()]
    seen, messages = set(), 0
    for n, line in enumerate(lines, 1):
        e = json.loads(line)
        op = next(((t, o) for m, p, t, o in routes if m == e["method"] and p.match(e["path"])), None)
        where = f"exchange {n}: {e['method']} {e['path']} → {e['status']}"
        if op is None:
            print(f"{where}: no such endpoint in openapi.json")
            return 1
        template, op = op
        response = op["responses"].get(str(e["status"]))
        if response is None:
            print(f"{where}: the status is not one the endpoint lists")
            return 1
        checks = [("reply", response["content"]["application/json"]["schema"])]
        if op.get("requestBody"):
            checks.insert(0, ("request", op["requestBody"]["content"]["application/json"]["schema"]))
        for side, schema in checks:
            if e[side] is None or not matches(schema, e[side]):
                name = names(schema)[0]
                errors = sorted(validator(name).iter_errors(e[side]), key=str)
                print(f"{where}: the {side} does not match {name}: {errors[0].message if errors else 'not JSON'}")
                return 1
            messages += 1
        seen.add(f"{e['method']} {template} {e['status']}")
    print(f"contract: {len(lines)} exchanges, {messages} messages matched their schemas")
    for s in sorted(seen):
        print(f"  {s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
