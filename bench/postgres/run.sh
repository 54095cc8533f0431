#!/usr/bin/env bash
# pgbench -S through three paths in one run: direct to PostgreSQL, through
# pgbouncer (session pooling), and through the Airlock gateway with rules,
# masking and recording on. Prints a Markdown table of medians and ratios.
#
#   bench/postgres/run.sh            # from the repository root
#   DURATION=10 REPS=3 CLIENTS=8 bench/postgres/run.sh
#
# Needs: PostgreSQL on 127.0.0.1:5432 (trust, user postgres), pgbench,
# pgbouncer, Go.
set -euo pipefail
DURATION=${DURATION:-10}
REPS=${REPS:-3}
CLIENTS=${CLIENTS:-8}
LAT_DURATION=${LAT_DURATION:-5}
SCALE=${SCALE:-10}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=$(mktemp -d)
DB=airlock_bench_$RANDOM$RANDOM
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -X -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK" "${SHM:-/nonexistent}"
}
trap cleanup EXIT

psql -X -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $DB" >/dev/null
pgbench -i -q -s "$SCALE" -h 127.0.0.1 -U postgres "$DB" >/dev/null 2>&1

# pgbouncer, session pooling, one server connection per client.
cat > "$WORK/pgbouncer.ini" <<INI
[databases]
$DB = host=127.0.0.1 port=5432 dbname=$DB user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = 6433
unix_socket_dir =
auth_type = trust
auth_file = $WORK/users.txt
pool_mode = session
max_client_conn = 200
default_pool_size = 50
logfile = $WORK/pgbouncer.log
pidfile = $WORK/pgbouncer.pid
ignore_startup_parameters = extra_float_digits
INI
echo '"postgres" ""' > "$WORK/users.txt"
chmod 755 "$WORK"; chmod 644 "$WORK/pgbouncer.ini" "$WORK/users.txt"
if [ "$(id -u)" = 0 ]; then
  # pgbouncer refuses to run as root.
  chown postgres "$WORK"
  runuser -u postgres -- pgbouncer "$WORK/pgbouncer.ini" >/dev/null 2>&1 &
else
  pgbouncer "$WORK/pgbouncer.ini" >/dev/null 2>&1 &
fi
PIDS+=($!)

# The gateway: rules, masking (the agent group) and a JSON Lines record.
(cd "$ROOT" && go build -o "$WORK/pggateway" ./examples/pggateway)
echo "bench benchtoken agent agents" > "$WORK/tokens"
"$WORK/pggateway" -listen 127.0.0.1:6434 -upstream "postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable" \
  -rules "$ROOT/bench/postgres/rules.yaml" -tokens "$WORK/tokens" -insecure-password \
  -record-dir "$WORK/record" 2>"$WORK/gateway.log" &
PIDS+=($!)
# The same gateway making every decision durable (fsync) before the
# statement runs.
"$WORK/pggateway" -listen 127.0.0.1:6437 -upstream "postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable" \
  -rules "$ROOT/bench/postgres/rules.yaml" -tokens "$WORK/tokens" -insecure-password -fsync \
  -record-dir "$WORK/record-fsync" 2>"$WORK/gateway-fsync.log" &
PIDS+=($!)
# The same gateway recording to tmpfs: the record's CPU cost without the
# disk's fsync latency.
SHM=$(mktemp -d /dev/shm/airlock_bench.XXXXXX)
"$WORK/pggateway" -listen 127.0.0.1:6436 -upstream "postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable" \
  -rules "$ROOT/bench/postgres/rules.yaml" -tokens "$WORK/tokens" -insecure-password \
  -record-dir "$SHM" 2>"$WORK/gateway-tmpfs.log" &
PIDS+=($!)
# The same gateway without a record, to separate the proxy's cost from the
# cost of a durable record (every decision is fsynced before the statement
# runs).
"$WORK/pggateway" -listen 127.0.0.1:6435 -upstream "postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable" \
  -rules "$ROOT/bench/postgres/rules.yaml" -tokens "$WORK/tokens" -insecure-password 2>"$WORK/gateway-norec.log" &
PIDS+=($!)
sleep 1

run() { # target mode clients duration [extra]
  local target=$1 mode=$2 clients=$3 dur=$4; shift 4
  export PGSSLMODE=disable
  case $target in
    direct) env PGPASSWORD= pgbench -n -S -M "$mode" -c "$clients" -j 2 -T "$dur" -h 127.0.0.1 -p 5432 -U postgres "$@" "$DB" ;;
    pgbouncer) env PGPASSWORD= pgbench -n -S -M "$mode" -c "$clients" -j 2 -T "$dur" -h 127.0.0.1 -p 6433 -U postgres "$@" "$DB" ;;
    gate) env PGPASSWORD=benchtoken pgbench -n -S -M "$mode" -c "$clients" -j 2 -T "$dur" -h 127.0.0.1 -p 6434 -U bench "$@" "$DB" ;;
    gate-fsync) env PGPASSWORD=benchtoken pgbench -n -S -M "$mode" -c "$clients" -j 2 -T "$dur" -h 127.0.0.1 -p 6437 -U bench "$@" "$DB" ;;
    gate-tmpfs) env PGPASSWORD=benchtoken pgbench -n -S -M "$mode" -c "$clients" -j 2 -T "$dur" -h 127.0.0.1 -p 6436 -U bench "$@" "$DB" ;;
    gate-norecord) env PGPASSWORD=benchtoken pgbench -n -S -M "$mode" -c "$clients" -j 2 -T "$dur" -h 127.0.0.1 -p 6435 -U bench "$@" "$DB" ;;
  esac
}
tps() { sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p'; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

echo "| mode | path | TPS (median of $REPS × ${DURATION}s, $CLIENTS clients) | vs direct | vs pgbouncer | p50 latency, 1 client | added p50 vs direct |"
echo "|---|---|---|---|---|---|---|"
for mode in simple prepared; do
  declare -A T=()
  for t in direct pgbouncer gate gate-fsync gate-tmpfs gate-norecord; do T[$t]=""; done
  for r in $(seq "$REPS"); do
    for t in direct pgbouncer gate gate-fsync gate-tmpfs gate-norecord; do
      v=$(run "$t" "$mode" "$CLIENTS" "$DURATION" 2>/dev/null | tps)
      T[$t]+="$v"$'\n'
    done
  done
  declare -A P50=()
  for t in direct pgbouncer gate gate-fsync gate-tmpfs gate-norecord; do
    d="$WORK/lat_${t}_$mode"; mkdir -p "$d"
    (cd "$d" && chmod 777 . && run "$t" "$mode" 1 "$LAT_DURATION" -l >/dev/null 2>&1)
    # pgbench log: client xact latency_us ...
    P50[$t]=$(cat "$d"/pgbench_log.* | awk '{print $3}' | median)
  done
  D=$(printf "%s" "${T[direct]}" | median)
  B=$(printf "%s" "${T[pgbouncer]}" | median)
  for t in direct pgbouncer gate gate-fsync gate-tmpfs gate-norecord; do
    M=$(printf "%s" "${T[$t]}" | median)
    printf "| %s | %s | %.0f | %.2f | %.2f | %d µs | %+d µs |\n" "$mode" "$t" "$M" \
      "$(echo "$M / $D" | bc -l)" "$(echo "$M / $B" | bc -l)" "${P50[$t]%.*}" "$(( ${P50[$t]%.*} - ${P50[direct]%.*} ))"
  done
done
echo
echo "record: $(wc -l < "$WORK/record/record.jsonl") events written by the gateway"
