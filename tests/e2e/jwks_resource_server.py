#!/usr/bin/python3
"""A resource server that knows only Gatehouse's JWKS URL, as a team would write one with PyJWT.

Reads access tokens from standard input, one per line, and prints for each "ok <sub> <kid>" or
"refused <reason>". The key set is cached as PyJWKClient does (for --lifespan seconds) and fetched
again when a token names a kid the cached set lacks. Usage:
    jwks_resource_server.py JWKS_URL [--lifespan SECONDS] [--audience AUD] [--issuer ISS]
"""
import argparse
import sys

import jwt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("jwks_url")
    ap.add_argument("--lifespan", type=float, default=300)
    ap.add_argument("--audience")
    ap.add_argument("--issuer")
    args = ap.parse_args()
    client = jwt.PyJWKClient(args.jwks_url, lifespan=args.lifespan)
    for line in sys.stdin:
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
