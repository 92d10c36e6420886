#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a serving Gatehouse on the embedded SQLite default:
# installs what is missing, builds, and serves on HOST/PORT (127.0.0.1:8000) from this folder.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh" -DGATEHOUSE_BUILD_TESTS=OFF
exec "$root/build/gatehouse" serve "$@"
