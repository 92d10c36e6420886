#!/usr/bin/python3
"""The tutorial's own FastAPI app (../shared/peers/seed-fastapi) accepts Gatehouse's tokens and
reads Gatehouse's database: drop-in, checked against the real thing rather than a copy of it.

Gatehouse (static keys, the tutorial's .env variables, SQLite) registers and logs a user in; its
access token carries a `kid` header, which the tutorial's fastapi-jwt-auth does not know. The
tutorial's app, given the same .env (public key PEM) and database, must answer /api/users/me
with that user. And Gatehouse's /openapi.json documents each of the tutorial's routes as the
tutorial's own /openapi.json does: path, method, request field names, success status. Prints
PASS/FAIL lines and "N passed, N failed" last.

    tutorial_app_test.py --binary build/gatehouse --peer ../shared/peers/seed-fastapi
"""
import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method, url, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=20) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def wait_ready(url, process, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--peer", required=True)
    args = ap.parse_args()
    passed = failed = 0
    work = tempfile.mkdtemp(prefix="gatehouse-tutorial-")
    keys = subprocess.run([os.path.abspath(args.binary), "keys", "generate"], cwd=work,
                          capture_output=True, text=True, check=True).stdout
    gh_port, peer_port = free_port(), free_port()
    # The tutorial's .env: its variable names, Gatehouse's key pair.
    env_text = keys + "".join(f"{k}={v}\n" for k, v in {
        "DATABASE_HOST": "127.0.0.1", "DATABASE_PORT": "3306", "DATABASE_DB": "unused",
        "DATABASE_USER": "unused", "DATABASE_PASSWORD": "unused", "DATABASE_PREFIX": "api_",
        "ACCESS_TOKEN_EXPIRES_IN": "15", "REFRESH_TOKEN_EXPIRES_IN": "60",
        "CLIENT_ORIGIN": "http://localhost:3000"}.items())
    with open(os.path.join(work, ".env"), "w") as f:
        f.write(env_text)
    db = os.path.join(work, "gatehouse.db")
    base_env = {"PATH": "/usr/bin:/bin"}
    gatehouse = subprocess.Popen(
        [os.path.abspath(args.binary), "serve"], cwd=work,
        env={**base_env, "PORT": str(gh_port), "METRICS_PORT": "0",
             "DATABASE_URL": "sqlite:///gatehouse.db",
             "ARGON2_MEMORY_KIB": "8192", "ARGON2_PASSES": "1"},
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "gatehouse.log"), "w"),
        start_new_session=True)
    peer = None
    try:
        gh = f"http://127.0.0.1:{gh_port}"
        if not wait_ready(gh + "/api/healthchecker", gatehouse):
            print("FAIL tutorial_app: gatehouse did not start")
            return finish(0, 1)
        email = "drop-in@example.com"
        status, _ = call("POST", gh + "/api/auth/register",
                         {"name": "Drop In", "email": email, "photo": "p.png",
                          "password": "Passw0rd!42", "passwordConfirm": "Passw0rd!42"})
        status, body = call("POST", gh + "/api/auth/login",
                            {"email": email, "password": "Passw0rd!42"})
        token = body["access_token"]
        header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
        peer = subprocess.Popen(
            ["/usr/bin/python3", "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1",
             "--port", str(peer_port)], cwd=args.peer,
            env={**base_env, "SEED_ENV_FILE": os.path.join(work, ".env"),
                 "DATABASE_URL": "sqlite:///" + db},
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "peer.log"), "w"),
            start_new_session=True)
        tutorial = f"http://127.0.0.1:{peer_port}"
        if not wait_ready(tutorial + "/api/healthchecker", peer):
            print("FAIL tutorial_app: the tutorial's app did not start: "
                  + open(os.path.join(work, "peer.log")).read()[-400:].replace("\n", " "))
            return finish(0, 1)
        status, me = call("GET", tutorial + "/api/users/me", token=token)
        name = "tutorial_app_accepts_gatehouse_tokens_with_a_kid"
        if "kid" in header and status == 200 and json.dumps(me).find(email) >= 0:
            print(f"PASS {name}")
            passed += 1
        else:
            print(f"FAIL {name}: kid {'kid' in header}, /api/users/me {status} {me}")
            failed += 1
        for ok, what in compare_documents(fetch(tutorial + "/openapi.json"),
                                          fetch(gh + "/openapi.json")):
            print(("PASS " if ok else "FAIL ") + what)
            passed, failed = passed + ok, failed + (not ok)
        return finish(passed, failed)
    finally:
        for p in (peer, gatehouse):
            if p is not None and p.poll() is None:
                p.terminate()
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(work, ignore_errors=True)


def fetch(url):
    with urllib.request.urlopen(url, timeout=20) as r:
        return json.load(r)


def body_fields(document, operation):
    """The property names of an operation's JSON body ($ref followed; oneOf: every alternative's)."""
    body = operation.get("requestBody")
    if body is None:
        return None
    schema = body["content"]["application/json"]["schema"]
    alternatives = schema.get("oneOf", [schema])
    fields = set()
    for alt in alternatives:
        if "$ref" in alt:
            alt = document["components"]["schemas"][alt["$ref"].rsplit("/", 1)[1]]
        fields |= set(alt.get("properties", {}))
    return fields


def success_status(operation):
    return min((s for s in operation["responses"] if s.startswith("2")), default=None)


def compare_documents(tutorial, gatehouse):
    """For each of the tutorial's operations (its own /openapi.json): Gatehouse documents the same
    path and method, the same request field names and the same success status."""
    for path, item in tutorial["paths"].items():
        for method, theirs in item.items():
            what = f"openapi: {method.upper()} {path} as the tutorial documents it"
            ours = gatehouse["paths"].get(path, {}).get(method)
            if ours is None:
                yield False, what + ": missing"
                continue
            problems = []
            if body_fields(tutorial, theirs) != body_fields(gatehouse, ours):
                problems.append(f"body fields {body_fields(tutorial, theirs)} != "
                                f"{body_fields(gatehouse, ours)}")
            if success_status(theirs) != success_status(ours):
                problems.append(f"success status {success_status(theirs)} != {success_status(ours)}")
            yield not problems, what + ("" if not problems else ": " + "; ".join(problems))


def finish(passed, failed):
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
