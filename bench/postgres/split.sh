#!/usr/bin/env bash
# Where a transaction's CPU goes, per path, in one sitting: pgbouncer, the
# bare Go relay on raw system calls (bench/postgres/relay -raw), the
# gateway without a record, the gateway recording to tmpfs (/dev/shm: the
# recorder's own work without the file system's) and the gateway as run.sh
# runs it (record on disk). pgbench -S runs through each in turn, REPS rounds alternating;
# each proxy's user and kernel CPU µs per transaction are read from
# /proc/PID/stat, medians printed as a Markdown table. Then the gateway's
# own code is sampled with `perf record` under the same load and its
# user-space time split by package (µs per transaction).
#
#   bench/postgres/split.sh                     # from the repository root
#   DUR=5 REPS=3 MODE=prepared bench/postgres/split.sh
#
# Needs what run.sh needs, and perf (linux-perf) for the package split
# (root, or kernel.perf_event_paranoid <= 0; skipped with a note if absent).
set -uo pipefail
DUR=${DUR:-5}; REPS=${REPS:-3}; MODE=${MODE:-simple}; CLIENTS=${CLIENTS:-8}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=bench/postgres/lib.sh
. "$ROOT/bench/postgres/lib.sh"
W=$(mktemp -d); DB=split_$RANDOM$RANDOM
declare -A PID=() PORT=([pgbouncer]=6533 [relay-raw]=6541 [gate-norecord]=6535 [gate-tmpfs]=6536 [gate]=6534)
TARGETS="pgbouncer relay-raw gate-norecord gate-tmpfs gate"
SHM=/dev/shm/airlock-split-$$
cleanup() {
  for p in "${PID[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null
  drop_bench_db "$DB"
  rm -rf "$W" "$SHM"
}
trap cleanup EXIT
new_bench_db "$DB" || exit 1
start_pgbouncer "$W" "${PORT[pgbouncer]}" "$DB" || exit 1
(cd "$ROOT" && go build -o "$W/relay" ./bench/postgres/relay && go build -o "$W/gw" ./examples/pggateway) || exit 1
"$W/relay" -raw -listen "127.0.0.1:${PORT[relay-raw]}" -upstream 127.0.0.1:5432 2>"$W/relay.log" &
PID[relay-raw]=$!
start_gateway gate-norecord
mkdir -p "$W/record" "$SHM"; start_gateway gate -record-dir "$W/record"; start_gateway gate-tmpfs -record-dir "$SHM"
sleep 1
PID[pgbouncer]=$(cat "$W/pgbouncer.pid")

HZ=$(getconf CLK_TCK)
cpu() { awk '{print $14, $15}' "/proc/${PID[$1]}/stat"; } # user, system ticks
load() { # target duration
  local user=postgres pw=
  case $1 in gate*) user=bench pw=benchtoken;; esac
  env PGSSLMODE=disable PGPASSWORD=$pw pgbench -n -S -M "$MODE" -c "$CLIENTS" -j 2 -T "$2" \
    -h 127.0.0.1 -p "${PORT[$1]}" -U "$user" "$DB" 2>&1 | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p'
}
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
declare -A U=() S=() N=()
for t in $TARGETS; do load "$t" 1 >/dev/null; done # warm up
for r in $(seq "$REPS"); do
  for t in $TARGETS; do
    read -r u0 s0 < <(cpu "$t")
    n=$(load "$t" "$DUR")
    read -r u1 s1 < <(cpu "$t")
    U[$t]+="$(echo "($u1-$u0)*1000000/$HZ/${n:-1}" | bc -l) "
    S[$t]+="$(echo "($s1-$s0)*1000000/$HZ/${n:-1}" | bc -l) "
    N[$t]+="$(echo "${n:-0}/$DUR" | bc) "
  done
done
echo "pgbench -S -M $MODE, $CLIENTS clients, ${REPS} × ${DUR}s alternating; medians; CPU of the proxy process only"
echo
echo "| path | TPS | vs pgbouncer | user µs/tx | kernel µs/tx | total µs/tx |"
echo "|---|---|---|---|---|---|"
B=$(printf "%s\n" ${N[pgbouncer]} | median)
for t in $TARGETS; do
  tps=$(printf "%s\n" ${N[$t]} | median)
  u=$(printf "%s\n" ${U[$t]} | median); s=$(printf "%s\n" ${S[$t]} | median)
  printf "| %s | %.0f | %.2f | %.1f | %.1f | %.1f |\n" "$t" "$tps" "$(echo "$tps/$B" | bc -l)" "$u" "$s" "$(echo "$u+$s" | bc -l)"
  [ "$t" = gate ] && GATE_TOTAL=$(echo "$u+$s" | bc -l)
done

if ! command -v perf >/dev/null || ! perf record -q -e cpu-clock -o "$W/probe.data" -- true >/dev/null 2>&1; then
  echo; echo "(perf unavailable: no package split)"; exit 0
fi
perf record -q -e cpu-clock -p "${PID[gate]}" -o "$W/gw.data" -- sleep "$DUR" >/dev/null 2>&1 &
PERF=$!
n=$(load gate "$DUR"); wait $PERF
echo
echo "The gateway (record on disk) sampled with perf over ${DUR}s, ${n} transactions: where its time goes,"
echo "as shares of the samples and as µs per transaction of the gate's total above (perf's own overhead"
echo "slows the sampled run, so its shares, not its absolute times, are read)"
echo
echo "| where | µs/tx | share |"
echo "|---|---|---|"
perf report -i "$W/gw.data" --no-children --sort dso,sym -g none --stdio 2>/dev/null | grep -E '^ +[0-9.]+%' |
  awk -v gt="${GATE_TOTAL:-0}" '
    { p = $1; sub("%", "", p); dso = $2; s = $4; for (i = 5; i <= NF; i++) s = s " " $i
      k = s
      if (dso == "[kernel.kallsyms]") k = "kernel"
      else if (s ~ /airlock-sdk\/airlock\//) { sub(/.*airlock-sdk\/airlock\//, "", k); sub(/[.(].*/, "", k) }
      else if (s ~ /^(runtime|internal\/runtime|memeqbody|indexbytebody|aeshashbody|memmove)/) k = "Go runtime (allocation, GC, scheduler, maps, copies)"
      else if (s ~ /sha256/) k = "crypto/sha256"
      else if (dso ~ /vdso/) k = "vdso (clock)"
      else { sub(/[.(].*/, "", k); k = "other: " k }
      t[k] += p }
    END { for (k in t) printf "%s\t%.2f\t%.1f\n", k, t[k] * gt / 100, t[k] }' |
  sort -t "$(printf '\t')" -k2 -gr | head -20 | awk -F '\t' '{printf "| %s | %.2f | %.1f %% |\n", $1, $2, $3}'
