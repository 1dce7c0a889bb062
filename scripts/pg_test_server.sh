#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for mobench's PostgreSQL tests (and for trying a shared store).
#
#   eval "$(scripts/pg_test_server.sh start)"   # prints: export MOBENCH_TEST_PG_URL=...; export MOBENCH_PG_DIR=...
#   .venv/bin/python -m pytest tests/results -q   # the PostgreSQL tests run against it
#   scripts/pg_test_server.sh stop                # stops it and deletes its folder
#
# It needs Debian's postgresql package (apt-get install -y postgresql) or any PostgreSQL whose
# initdb/pg_ctl are on PATH or under /usr/lib/postgresql/*/bin. The cluster listens on a Unix
# socket in its own folder only (no TCP port), trusts local connections, and holds one database,
# mobench_test. Run as root, it runs the server as the `postgres` user.
set -euo pipefail

cmd="${1:-}"
dir="${MOBENCH_PG_DIR:-${TMPDIR:-/tmp}/mobench-pg}"

bindir() {
    if command -v pg_ctl >/dev/null 2>&1; then dirname "$(readlink -f "$(command -v pg_ctl)")"; return; fi
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [ -z "$d" ]; then
        echo "pg_test_server: no PostgreSQL found; install it (apt-get update && apt-get install -y postgresql)" >&2
        exit 1
    fi
    echo "$d"
}

as_owner() {  # run a server command as the cluster's owner (postgres refuses to run as root)
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

case "$cmd" in
start)
    bin=$(bindir)
    if [ -f "$dir/data/postmaster.pid" ]; then
        echo "pg_test_server: a cluster is already running in $dir (stop it first)" >&2
        exit 1
    fi
    rm -rf "$dir"
    mkdir -p "$dir/data" "$dir/socket"
    [ "$(id -u)" = 0 ] && chown -R postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses='' -c unix_socket_directories='$dir/socket' -c max_connections=200 -c fsync=off" \
        start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    as_owner "$bin/createdb" -h "$dir/socket" -U postgres mobench_test
    echo "export MOBENCH_PG_DIR='$dir'"
    echo "export MOBENCH_TEST_PG_URL='postgresql://postgres@/mobench_test?host=$dir/socket'"
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        bin=$(bindir)
        as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: scripts/pg_test_server.sh start|stop   (MOBENCH_PG_DIR: the cluster's folder, default /tmp/mobench-pg)" >&2
    exit 2
    ;;
esac
