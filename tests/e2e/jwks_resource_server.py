#!/usr/bin/python3
"""A resource server that knows only Gatehouse's JWKS URL, as a team would write one with PyJWT.

Reads access tokens from standard input, one per line, and prints for each "ok <sub> <kid>" or
"refused <reason>". The key set is cached as PyJWKClient does (for --lifespan seconds) and fetched
again when a token names a kid the cached set lacks. Usage:
    jwks_resource_server.py JWKS_URL [--lifespan SECONDS] [--audience AUD] [--issuer ISS]
        [--follow FILE]
With --follow, tokens are read from FILE as it grows (a test appends them while it runs) until a
line END; each is checked when it arrives, so the key-set cache ages as it would in service.
"""
import argparse
import sys
import time

import jwt


def followed(path):
    """The lines of `path` as they are appended, until END."""
    with open(path) as f:
        pending = ""
        while True:
            chunk = f.readline()
            if not chunk:
                time.sleep(0.01)
                continue
            pending += chunk
            if not pending.endswith("\n"):
                continue
            line, pending = pending.strip(), ""
            if line == "END":
                return
            yield line


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("jwks_url")
    ap.add_argument("--lifespan", type=float, default=300)
    ap.add_argument("--audience")
    ap.add_argument("--issuer")
    ap.add_argument("--follow")
    args = ap.parse_args()
    client = jwt.PyJWKClient(args.jwks_url, lifespan=args.lifespan)
    for line in (followed(args.follow) if args.follow else sys.stdin):
        token = line.strip()
        if not token:
            continue
        try:
            key = client.get_signing_key_from_jwt(token)
            # Pinned to the algorithm the JWK names (PyJWT 2.6 keeps it only in the JWK data).
            alg = getattr(key, "algorithm_name", None) or key._jwk_data.get("alg")
            claims = jwt.decode(token, key.key, algorithms=[alg],
                                audience=args.audience, issuer=args.issuer,
                                options={"verify_aud": args.audience is not None})
            print("ok", claims["sub"], key.key_id, flush=True)
        except Exception as e:  # every refusal is an answer, not a crash
            print("refused", type(e).__name__, str(e).replace("\n", " "), flush=True)


if __name__ == "__main__":
    main()
