# Shared by the PostgreSQL benchmark scripts (sourced, not run).

# start_pgbouncer DIR PORT DB starts pgbouncer (session pooling, one server
# connection per client, trust auth) on 127.0.0.1:PORT in front of database
# DB on 127.0.0.1:5432, its files in DIR, as a daemon; it returns once
# DIR/pgbouncer.pid names the running process (pgbouncer refuses to run as
# root: then it runs as postgres, which is given DIR).
start_pgbouncer() {
  local dir=$1 port=$2 db=$3
  cat > "$dir/pgbouncer.ini" <<INI
[databases]
$db = host=127.0.0.1 port=5432 dbname=$db user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/users.txt
pool_mode = session
max_client_conn = 200
default_pool_size = 50
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
ignore_startup_parameters = extra_float_digits
INI
  echo '"postgres" ""' > "$dir/users.txt"
  chmod 755 "$dir"; chmod 644 "$dir/pgbouncer.ini" "$dir/users.txt"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
    runuser -u postgres -- pgbouncer -d "$dir/pgbouncer.ini" >/dev/null 2>&1
  else
    pgbouncer -d "$dir/pgbouncer.ini" >/dev/null 2>&1
  fi
  local i
  for i in $(seq 50); do
    [ -s "$dir/pgbouncer.pid" ] && return 0
    sleep 0.1
  done
  echo "pgbouncer did not start (see $dir/pgbouncer.log)" >&2
  return 1
}

# new_bench_db DB creates database DB and fills it with pgbench's tables
# (scale 10); drop_bench_db DB drops it.
new_bench_db() {
  psql -X -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $1" >/dev/null || return 1
  pgbench -i -q -s 10 -h 127.0.0.1 -U postgres "$1" >/dev/null 2>&1
}
drop_bench_db() {
  psql -X -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null 2>&1
}

# start_gateway TARGET [flags] runs the gateway binary $W/gw for TARGET on
# 127.0.0.1:${PORT[TARGET]} in front of database $DB, with the benchmark's
# rules and the client token "bench benchtoken" ($W/tokens), logging to
# $W/TARGET.log, and sets PID[TARGET]. W, ROOT, DB, PORT and PID are the
# calling script's.
start_gateway() {
  local t=$1; shift
  [ -s "$W/tokens" ] || echo "bench benchtoken agent agents" > "$W/tokens"
  "$W/gw" -listen "127.0.0.1:${PORT[$t]}" -upstream "postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable" \
    -rules "$ROOT/bench/postgres/rules.yaml" -tokens "$W/tokens" -insecure-password "$@" 2>"$W/$t.log" &
  PID[$t]=$!
}
