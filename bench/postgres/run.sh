#!/usr/bin/env bash
# pgbench -S through three paths in one run: direct to PostgreSQL, through
# pgbouncer (session pooling), and through the Airlock gateway with rules,
# masking and recording on. Prints a Markdown table of medians and ratios.
#
#   bench/postgres/run.sh            # from the repository root
#   DURATION=10 REPS=3 CLIENTS="8 32" bench/postgres/run.sh
#
# Besides TPS it reads each proxy process's CPU time (user + system, from
# /proc) over every run and prints CPU µs per transaction: the proxy's own
# cost, which the shared machine's noise moves far less than TPS. A bare
# Go relay (bench/postgres/relay) is measured too: the floor of any Go
# proxy, so the gateway's cost splits into "a Go proxy at all" (relay vs
# pgbouncer) and "judging, masking, recording" (gateway vs relay). The
# relay also runs as an epoll event loop (relay-epoll), pgbouncer's design,
# to separate Go itself from the goroutine-per-connection model.
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
# shellcheck source=bench/postgres/lib.sh
. "$ROOT/bench/postgres/lib.sh"
start_pgbouncer "$WORK" 6433 "$DB" || exit 1
PIDS+=("$(cat "$WORK/pgbouncer.pid")")
declare -A PID=()

# The bare Go relay: bytes copied both ways, nothing understood.
(cd "$ROOT" && go build -o "$WORK/relay" ./bench/postgres/relay)
"$WORK/relay" -listen 127.0.0.1:6438 -upstream 127.0.0.1:5432 2>"$WORK/relay.log" &
PIDS+=($!); PID[relay]=$!
# The same relay as one thread over one epoll set (pgbouncer's design): what
# the goroutine-per-connection model itself costs.
"$WORK/relay" -epoll -listen 127.0.0.1:6439 -upstream 127.0.0.1:5432 2>"$WORK/relay-epoll.log" &
PIDS+=($!); PID[relay-epoll]=$!
# The goroutine relay with raw system calls on its sockets (internal/rawio),
# as the gateway reads and writes them: the floor the gateway is held to.
"$WORK/relay" -raw -listen 127.0.0.1:6441 -upstream 127.0.0.1:5432 2>"$WORK/relay-raw.log" &
PIDS+=($!); PID[relay-raw]=$!

# The gateway: rules, masking (the agent group) and a JSON Lines record.
(cd "$ROOT" && go build -o "$WORK/pggateway" ./examples/pggateway)
echo "bench benchtoken agent agents" > "$WORK/tokens"
gateway() { # target port [flags]
  local t=$1 port=$2; shift 2
  env ${GW_ENV:-} "$WORK/pggateway" -listen "127.0.0.1:$port" -upstream "postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable" \
    -rules "$ROOT/bench/postgres/rules.yaml" -tokens "$WORK/tokens" -insecure-password "$@" 2>"$WORK/$t.log" &
  PIDS+=($!); PID[$t]=$!
}
# The default durability: each decision written to the OS before its
# statement runs, fsynced within a few milliseconds.
gateway gate 6434 -record-dir "$WORK/record"
# Every decision durable (fsync) before its statement runs.
gateway gate-fsync 6437 -fsync -record-dir "$WORK/record-fsync"
# Recording to tmpfs: the record's CPU cost without the disk.
SHM=$(mktemp -d /dev/shm/airlock_bench.XXXXXX)
gateway gate-tmpfs 6436 -record-dir "$SHM"
# No record: the proxy and the gate alone.
gateway gate-norecord 6435
# The default gateway on one P (GOMAXPROCS=1), as pgbouncer runs on one
# thread: how much of the gateway's cost is the Go scheduler moving
# goroutines between threads (waking parked threads for idle Ps).
GW_ENV=GOMAXPROCS=1 gateway gate-1p 6440 -record-dir "$WORK/record-1p"
sleep 1
PID[pgbouncer]=$(cat "$WORK/pgbouncer.pid")

TARGETS="direct pgbouncer relay-epoll relay relay-raw gate gate-fsync gate-tmpfs gate-norecord gate-1p"
port() {
  case $1 in direct) echo 5432;; pgbouncer) echo 6433;; relay) echo 6438;; relay-epoll) echo 6439;; relay-raw) echo 6441;; gate) echo 6434;;
    gate-fsync) echo 6437;; gate-tmpfs) echo 6436;; gate-norecord) echo 6435;; gate-1p) echo 6440;; esac
}
run() { # target mode clients duration [extra]
  local target=$1 mode=$2 clients=$3 dur=$4; shift 4
  local user=postgres pw=
  case $target in gate*) user=bench pw=benchtoken;; esac
  env PGSSLMODE=disable PGPASSWORD=$pw pgbench -n -S -M "$mode" -c "$clients" -j 2 -T "$dur" \
    -h 127.0.0.1 -p "$(port "$target")" -U "$user" "$@" "$DB"
}
ticks() { if [ -n "${PID[$1]:-}" ]; then awk '{print $14+$15}' "/proc/${PID[$1]}/stat"; else echo 0; fi; }
tps() { sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p'; }
txs() { sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p'; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
HZ=$(getconf CLK_TCK)

echo "| mode | clients | path | TPS (median of $REPS × ${DURATION}s) | vs pgbouncer | vs relay | proxy CPU µs/tx | p50, 1 client | added p50 vs direct |"
echo "|---|---|---|---|---|---|---|---|---|"
for mode in simple prepared; do
  declare -A P50=()
  for t in $TARGETS; do
    d="$WORK/lat_${t}_$mode"; mkdir -p "$d"
    (cd "$d" && chmod 777 . && run "$t" "$mode" 1 "$LAT_DURATION" -l >/dev/null 2>&1)
    # pgbench log: client xact latency_us ...
    P50[$t]=$(cat "$d"/pgbench_log.* | awk '{print $3}' | median)
  done
  for clients in $CLIENTS; do
    declare -A T=() C=()
    for t in $TARGETS; do T[$t]=""; C[$t]=""; done
    for r in $(seq "$REPS"); do
      for t in $TARGETS; do
        t0=$(ticks "$t")
        out=$(run "$t" "$mode" "$clients" "$DURATION" 2>/dev/null)
        t1=$(ticks "$t")
        T[$t]+="$(echo "$out" | tps)"$'\n'
        n=$(echo "$out" | txs)
        C[$t]+="$(echo "($t1 - $t0) * 1000000 / $HZ / ${n:-1}" | bc -l)"$'\n'
      done
    done
    B=$(printf "%s" "${T[pgbouncer]}" | median)
    R=$(printf "%s" "${T[relay]}" | median)
    for t in $TARGETS; do
      M=$(printf "%s" "${T[$t]}" | median)
      CPU=$(printf "%s" "${C[$t]}" | median)
      [ "$t" = direct ] && CPU=0
      printf "| %s | %d | %s | %.0f | %.2f | %.2f | %.0f | %d µs | %+d µs |\n" "$mode" "$clients" "$t" "$M" \
        "$(echo "$M / $B" | bc -l)" "$(echo "$M / $R" | bc -l)" "$CPU" "${P50[$t]%.*}" "$(( ${P50[$t]%.*} - ${P50[direct]%.*} ))"
    done
  done
done
echo
echo "record: $(wc -l < "$WORK/record/record.jsonl") events written by the gateway"
# The fsync durability's ceiling on this disk: a client's statement waits
# for at least one fsync, so N clients commit at most N per fsync latency.
start=$(date +%s%N)
dd if=/dev/zero of="$WORK/fsync.test" bs=1k count=500 oflag=dsync 2>/dev/null
lat=$(( ($(date +%s%N) - start) / 500 / 1000 ))
for clients in $CLIENTS; do
  echo "fsync latency on the record's disk: ${lat} µs; with $clients clients the fsync path cannot exceed $(( clients * 1000000 / lat )) TPS"
done
