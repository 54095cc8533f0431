#!/usr/bin/env bash
# Single-client latency, alternating: pgbench -S with one client against
# PostgreSQL directly, pgbouncer, and the gateway (record on disk, on tmpfs,
# none), each target in turn for ROUNDS rounds of DUR seconds; prints each
# round's p50 (from pgbench's per-transaction log) and their median per
# target and protocol. run.sh reads one p50 per target from a single run;
# this reads the added latency robustly on a noisy machine.
#
#   bench/postgres/latency.sh                       # from the repository root
#   ROUNDS=7 DUR=3 MODES=prepared bench/postgres/latency.sh
#
# Needs what run.sh needs.
set -uo pipefail
ROUNDS=${ROUNDS:-5}; DUR=${DUR:-3}; MODES=${MODES:-"simple prepared"}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=bench/postgres/lib.sh
. "$ROOT/bench/postgres/lib.sh"
W=$(mktemp -d); DB=lat_$RANDOM$RANDOM; SHM=/dev/shm/airlock-lat-$$
declare -A PID=() PORT=([direct]=5432 [pgbouncer]=6833 [gate]=6834 [gate-tmpfs]=6836 [gate-norecord]=6835)
TARGETS="direct pgbouncer gate gate-tmpfs gate-norecord"
cleanup() {
  for p in "${PID[@]}"; do kill "$p" 2>/dev/null; done
  [ -f "$W/pgbouncer.pid" ] && kill "$(cat "$W/pgbouncer.pid")" 2>/dev/null
  wait 2>/dev/null
  drop_bench_db "$DB"
  rm -rf "$W" "$SHM"
}
trap cleanup EXIT
new_bench_db "$DB" || exit 1
start_pgbouncer "$W" "${PORT[pgbouncer]}" "$DB" || exit 1
(cd "$ROOT" && go build -o "$W/gw" ./examples/pggateway) || exit 1
mkdir -p "$W/record" "$SHM"
start_gateway gate -record-dir "$W/record"; start_gateway gate-tmpfs -record-dir "$SHM"; start_gateway gate-norecord
sleep 1
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
echo "pgbench -S, 1 client, $ROUNDS rounds × ${DUR}s alternating; p50 per round (µs) and their median"
echo
echo "| mode | path | p50 per round | median | added vs direct |"
echo "|---|---|---|---|---|"
for mode in $MODES; do
  declare -A R=() M=()
  for r in $(seq "$ROUNDS"); do
    for t in $TARGETS; do
      user=postgres pw=
      case $t in gate*) user=bench pw=benchtoken;; esac
      d="$W/l_${t}_${mode}_$r"; mkdir -p "$d"; chmod 777 "$d"
      (cd "$d" && env PGSSLMODE=disable PGPASSWORD=$pw pgbench -n -S -M "$mode" -c 1 -T "$DUR" -l \
        -h 127.0.0.1 -p "${PORT[$t]}" -U "$user" "$DB" >/dev/null 2>&1)
      R[$t]+="$(awk '{print $3}' "$d"/pgbench_log.* | median) "
    done
  done
  for t in $TARGETS; do M[$t]=$(printf '%s\n' ${R[$t]} | median); done
  for t in $TARGETS; do
    printf "| %s | %s | %s| %.0f µs | %+.0f µs |\n" "$mode" "$t" "${R[$t]}" "${M[$t]}" "$(echo "${M[$t]} - ${M[direct]}" | bc -l)"
  done
done
