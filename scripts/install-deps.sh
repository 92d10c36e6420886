#!/usr/bin/env bash
# Installs what Gatehouse needs from Debian 12's packages, only what is missing.
#   scripts/install-deps.sh          build and run (with the web assets of /docs and /redoc, from
#                                    the npm registry at the versions of web/docs/package-lock.json)
#   scripts/install-deps.sh --test   also tests, benchmarks, the database servers, Prometheus and
#                                    the headless Chromium of the browser tests
set -euo pipefail

packages=(
  g++ cmake make ninja-build pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev  # never the unversioned 1.74 ones
  libssl-dev libsodium-dev libcrypt-dev libsqlite3-dev libmariadb-dev libpq-dev
  libcurl4-openssl-dev libspdlog-dev libcli11-dev
)
# npm fetches Swagger UI and ReDoc at build time (the server never needs Node.js); Debian's npm
# unless one is on the PATH already.
command -v npm >/dev/null 2>&1 || packages+=(npm)
if [[ "${1:-}" == "--test" ]]; then
  packages+=(libgtest-dev libgmock-dev libbenchmark-dev wrk python3 python3-bcrypt sqlite3
             mariadb-server mariadb-client postgresql curl libfaketime clang-format
             clang libclang-rt-14-dev
             chromium chromium-driver python3-selenium python3-jwt python3-cryptography
             python3-aiosmtpd python3-jsonschema prometheus
             # several nodes (scripts/cluster.sh): Galera replication, its state transfer, HAProxy
             galera-4 rsync haproxy
             # the tutorial's own app (../shared/peers/seed-fastapi), which must accept our tokens
             python3-fastapi python3-uvicorn python3-sqlalchemy python3-pydantic python3-dotenv
             python3-email-validator python3-passlib python3-pymysql)
fi

missing=()
for p in "${packages[@]}"; do
  [[ "$p" == \#* ]] && continue
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} > 0)); then
  echo "installing: ${missing[*]}" >&2
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi
  export DEBIAN_FRONTEND=noninteractive
  # An install stopped half way (a killed test run) leaves dpkg refusing every later apt-get until
  # it is finished; finishing it is what apt-get's own message asks for, and a no-op otherwise.
  "${sudo_cmd[@]}" dpkg --configure -a
  "${sudo_cmd[@]}" apt-get update -qq
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The docs' web assets, exactly as locked (web/docs/.npmrc: no install scripts run). npm ci
# leaves node_modules/.package-lock.json; it is redone when the lock file is newer.
docs="$(cd "$(dirname "$0")/.." && pwd)/web/docs"
if [[ ! -f "$docs/node_modules/.package-lock.json" ||
      "$docs/package-lock.json" -nt "$docs/node_modules/.package-lock.json" ]]; then
  echo "installing the docs' web assets (npm ci in web/docs)" >&2
  (cd "$docs" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
