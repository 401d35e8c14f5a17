#!/usr/bin/env sh
# Installs Debian's PostgreSQL server, when it is missing, for the tests that run against a real
# PostgreSQL (test/support/postgres.ts starts a throwaway cluster of their own from its binaries).
# Run by `npm test`; needs apt-get and root or passwordless sudo. Where it cannot install, it says
# so and the PostgreSQL tests fail, loudly.
set -eu

has_server() {
  [ -x "$1/initdb" ] && [ -x "$1/pg_ctl" ] && [ -x "$1/postgres" ]
}

if [ -n "${PG_BIN:-}" ] && has_server "$PG_BIN"; then exit 0; fi
for bin in /usr/lib/postgresql/*/bin; do
  if has_server "$bin"; then exit 0; fi
done

if [ "$(id -u)" = 0 ]; then as_root=""; elif sudo -n true 2>/dev/null; then as_root="sudo"; else
  echo "!! Cannot install postgresql (not root, no passwordless sudo): install it yourself," \
    "or set PG_BIN to a directory with initdb, pg_ctl and postgres, for the PostgreSQL tests" >&2
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "!! Cannot install postgresql without apt-get: install it yourself, or set PG_BIN to a" \
    "directory with initdb, pg_ctl and postgres, for the PostgreSQL tests" >&2
  exit 0
fi
echo "Installing postgresql for the PostgreSQL tests…"
# A failed install (no network, a broken mirror) must not stop the other tests from running;
# `env` carries DEBIAN_FRONTEND through sudo, which drops the caller's environment.
if ! { $as_root apt-get update -qq &&
  $as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    postgresql >/dev/null; }; then
  echo "!! apt-get could not install postgresql (see above): the PostgreSQL tests will fail" >&2
  exit 0
fi
# The package creates and may start a system cluster (port 5432). The tests never use it, so stop
# it rather than leave it holding a port and memory; it is harmless where it did not start.
for bin in /usr/lib/postgresql/*/bin; do
  $as_root pg_ctlcluster "$(basename "$(dirname "$bin")")" main stop 2>/dev/null || true
done
