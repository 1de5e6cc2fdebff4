#!/usr/bin/env bash
# Throwaway PostgreSQL for tests, from Debian's postgresql package.
#
#   scripts/pg.sh make test     start PostgreSQL, run the command with
#                               TEST_DATABASE_URL set, stop and remove it
#   scripts/pg.sh               start it, print TEST_DATABASE_URL, wait for
#                               Ctrl-C, then stop and remove it
#
# The cluster lives in a temporary directory owned by an unprivileged user
# (postgres, else nobody, when run as root; the caller otherwise), listens on a
# free loopback port only, with a random password, and runs without fsync: it
# is for tests, never for data. Nothing of it is left after exit.
set -euo pipefail

log() { echo "pg.sh: $*" >&2; }

# pg_bin finds the server binaries of the newest installed major version.
pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

bin=$(pg_bin || true)
if [ -z "$bin" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "PostgreSQL is not installed: apt-get install postgresql (as root)"
    exit 1
  fi
  log "installing Debian's postgresql"
  # No cluster of the package's own: only the throwaway one below runs.
  mkdir -p /etc/postgresql-common
  [ -e /etc/postgresql-common/createcluster.conf ] ||
    echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf
  export DEBIAN_FRONTEND=noninteractive UCF_FORCE_CONFFOLD=1
  apt-get update -qq >/dev/null
  apt-get install -y -qq -o Dpkg::Options::=--force-confold postgresql >/dev/null
  bin=$(pg_bin)
fi

# as_owner runs a command as the cluster's owner.
owner=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  owner=nobody
  getent passwd postgres >/dev/null && owner=postgres
fi
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u "$owner" -- "$@"
  else
    "$@"
  fi
}

dir=$(mktemp -d "${TMPDIR:-/tmp}/webhook-mcp-pg.XXXXXX")
chmod 0755 "$dir"
mkdir -m 0700 "$dir/data"
[ "$(id -u)" -eq 0 ] && chown "$owner" "$dir" "$dir/data"
started=
cleanup() {
  local rc=$?
  [ -n "${sleeper:-}" ] && kill "$sleeper" 2>/dev/null
  if [ -n "$started" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$password" >"$dir/pwfile"
[ "$(id -u)" -eq 0 ] && chown "$owner" "$dir/pwfile"
as_owner "$bin/initdb" -D "$dir/data" -U webhook_mcp --pwfile="$dir/pwfile" \
  --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }
rm -f "$dir/pwfile"

# free_port picks a port nothing listens on; pg_ctl start fails if another
# process takes it first, and then the next try picks another.
free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  return 1
}

for try in 1 2 3 4 5; do
  port=$(free_port)
  if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null; then
    started=1
    break
  fi
  log "start on port $port failed (try $try)"
  tail -n 5 "$dir/server.log" >&2 || true
done
[ -n "$started" ] || { log "PostgreSQL did not start"; exit 1; }

as_owner "$bin/psql" -X -q -h "$dir" -p "$port" -U webhook_mcp -d postgres \
  -c "CREATE DATABASE webhook_mcp_test" >/dev/null
export TEST_DATABASE_URL="postgres://webhook_mcp:$password@127.0.0.1:$port/webhook_mcp_test?sslmode=disable"
log "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (data in $dir)"

if [ $# -gt 0 ]; then
  "$@"
else
  echo "TEST_DATABASE_URL=$TEST_DATABASE_URL"
  log "Ctrl-C stops and removes it"
  while :; do sleep 3600 & sleeper=$!; wait "$sleeper"; done
fi
