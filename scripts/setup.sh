#!/usr/bin/env bash
# Makes a fresh Debian machine with Node 20 ready to build, test and demo hashslot.
# Idempotent: installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v pnpm >/dev/null 2>&1; then
  # corepack's download of pnpm does not work everywhere; the npm registry does.
  as_root npm install -g pnpm@10
fi

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server redis-tools
fi

if ! command -v openssl >/dev/null 2>&1; then
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y openssl
fi

pnpm install --frozen-lockfile
