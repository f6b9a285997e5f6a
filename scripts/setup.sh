#!/usr/bin/env bash
# Installs what the service and its tests need on a fresh Debian 12 + Node 20 machine (as root),
# then installs the npm dependencies and builds. Safe to run again: it only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: SIPp (phones and trunks in tests and load), rtpengine (media anchor),
# baresip-core (a real softphone in the recording tests), chromium (the web page's browser tests,
# driven by playwright-core; never a downloaded browser), sox/lame/ffmpeg (test tone generation, MP3 encoder candidate, decoding uploads in tests),
# redis-server (shared state with state.driver "redis"; tests start their own on a free port),
# postgresql (15): the tests start private clusters for the PostgreSQL store (no system one is used),
# build tools for better-sqlite3's native addon; curl, openssl and procps used by tests.
# kamailio (5.6): the SIP edge of several nodes (deploy/kamailio/kamailio.cfg; tests start their own).
# python3-venv: the virtualenv of moto, the S3-compatible server of the S3 delivery tests (below).
need=()
for pkg in sip-tester rtpengine-daemon baresip-core chromium sox lame ffmpeg redis-server postgresql python3 make g++ curl openssl procps ca-certificates \
  kamailio python3-venv; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${need[*]} (run as root, or install them)" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# redis-server's package starts a system instance on 6379; the tests run their own, and a
# node uses the Redis named by state.url, so the system one is stopped.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
  systemctl stop redis-server || true
fi

# kamailio's package may start a system instance on 5060 with its sample configuration; the
# edge is run with deploy/kamailio/kamailio.cfg, so stop it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet kamailio 2>/dev/null; then
  systemctl stop kamailio || true
fi

# rtpengine-daemon's package may start a system instance on 2223/22222; we run our own on
# loopback with explicit ports, so a system one is harmless, but stop it if init did start it.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet rtpengine-daemon 2>/dev/null; then
  systemctl stop rtpengine-daemon || true
fi

# moto (PyPI, server mode): the S3-compatible server the S3 delivery tests start (test/helpers/s3.ts
# runs .venv-moto/bin/moto_server). This machine kind's image ships moto 5.2.1 in its Python
# (pyenv), and PyPI may not be reachable: link the installed one if there is one, else try PyPI
# into a virtualenv. Without either the S3 tests fail and say moto_server is missing.
if [ ! -x .venv-moto/bin/moto_server ]; then
  moto="$(command -v moto_server || true)"
  if [ -z "$moto" ]; then
    for m in /root/.pyenv/versions/*/bin/moto_server /usr/local/bin/moto_server; do
      if [ -x "$m" ]; then moto="$m"; break; fi
    done
  fi
  if [ -n "$moto" ]; then
    mkdir -p .venv-moto/bin && ln -sf "$moto" .venv-moto/bin/moto_server
  elif ! (python3 -m venv .venv-moto && .venv-moto/bin/pip install -q 'moto[server]==5.2.1'); then
    rm -rf .venv-moto
    echo "setup: moto_server not found and PyPI unreachable: the S3 tests will fail" >&2
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
npm run build
