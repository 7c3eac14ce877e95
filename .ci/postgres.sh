#!/usr/bin/env bash
# A throwaway PostgreSQL server for the PostgreSQL tests.
#
# Source it, then call the functions (CI runs as root; the server runs as `postgres`):
#
#     source .ci/postgres.sh
#     pg_start            # installs PostgreSQL if missing, starts a server on 127.0.0.1,
#                         # exports STREAMING_SYNC_TEST_PG_DSN=postgresql://...
#     trap pg_stop EXIT   # stops the server and removes its data directory
#
# Or run it by hand: `.ci/postgres.sh start` leaves a server running and prints the
# `export STREAMING_SYNC_TEST_PG_DSN=...` line and the `.ci/postgres.sh stop DIR` command.

pg_bindir() {
    # The newest installed major version's binaries.
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -z "$dir" ]; then
        echo "== postgres: installing PostgreSQL from Debian's packages" >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >&2 && apt-get install -y -q postgresql >&2
        dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    fi
    echo "$dir"
}

pg_as_postgres() {
    # Run a command as the `postgres` user (we are root in CI), or as ourselves otherwise.
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

pg_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_start() {
    local bin port
    bin=$(pg_bindir) || return 1
    STREAMING_SYNC_PG_DIR=$(mktemp -d /tmp/streaming_sync_pg.XXXXXX)
    export STREAMING_SYNC_PG_DIR
    chmod 755 "$STREAMING_SYNC_PG_DIR"
    [ "$(id -u)" = 0 ] && chown postgres: "$STREAMING_SYNC_PG_DIR"
    pg_as_postgres "$bin/initdb" -D "$STREAMING_SYNC_PG_DIR/data" -U postgres \
        --auth=trust -E UTF8 --locale=C.UTF-8 >"$STREAMING_SYNC_PG_DIR/initdb.log" 2>&1 ||
        pg_as_postgres "$bin/initdb" -D "$STREAMING_SYNC_PG_DIR/data" -U postgres \
            --auth=trust -E UTF8 --locale=C >"$STREAMING_SYNC_PG_DIR/initdb.log" 2>&1 ||
        { cat "$STREAMING_SYNC_PG_DIR/initdb.log" >&2; return 1; }
    port=$(pg_free_port)
    # fsync off: a throwaway server for tests; max_connections covers several
    # participants' pools plus the tests' own connections.
    pg_as_postgres "$bin/pg_ctl" -D "$STREAMING_SYNC_PG_DIR/data" \
        -l "$STREAMING_SYNC_PG_DIR/server.log" \
        -o "-p $port -k $STREAMING_SYNC_PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" \
        -w start >&2 || { cat "$STREAMING_SYNC_PG_DIR/server.log" >&2; return 1; }
    pg_as_postgres "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres streaming_sync_test
    export STREAMING_SYNC_TEST_PG_DSN="postgresql://postgres@127.0.0.1:$port/streaming_sync_test"
    echo "== postgres: server on 127.0.0.1:$port (data in $STREAMING_SYNC_PG_DIR)" >&2
}

pg_stop() {
    local dir=${1:-${STREAMING_SYNC_PG_DIR:-}} bin
    [ -n "$dir" ] && [ -d "$dir/data" ] || return 0
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    pg_as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    rm -rf "$dir"
    echo "== postgres: stopped, $dir removed" >&2
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    case "${1:-}" in
    start)
        pg_start
        echo "export STREAMING_SYNC_TEST_PG_DSN=$STREAMING_SYNC_TEST_PG_DSN"
        echo "# stop with: $0 stop $STREAMING_SYNC_PG_DIR"
        ;;
    stop) pg_stop "${2:?usage: $0 stop DIR}" ;;
    *)
        echo "usage: $0 start | stop DIR   (or source it and call pg_start / pg_stop)" >&2
        exit 2
        ;;
    esac
fi
