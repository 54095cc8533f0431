#!/usr/bin/env bash
# Several gateway variants side by side: each variant is a gateway binary
# (examples/pggateway, built by you) with its own flags and environment,
# all started at once on their own ports in front of one pgbench database;
# pgbench -S runs against each in turn, the order reversed every other
# round, for ROUNDS rounds. Per round and as medians it prints TPS, the
# one-client p50 (LOG=1) and, per transaction, perf's counts of EVENTS in
# the gateway process (task-clock as CPU µs). Read the differences against
# a second copy of the first variant run as a control: two processes of
# one build differ by a few µs of CPU per transaction.
#
#   bench/postgres/variants.sh "NAME=BINARY[:KEY=VALUE,...] ..."
#
# KEYs: norec=1 (no record), flags=-a+-b=c (gateway flags, '+' between
# them), recdir=DIR (where the record goes; default /dev/shm), script=FILE
# (a pgbench script run against this variant in place of -S), and any
# other KEY=VALUE is put in the gateway's environment (GOMAXPROCS=1,
# GOGC=400). Settings: CLIENTS (8), DUR (3 s), ROUNDS (5), MODE (simple),
# LOG=1, RESTART=1 (start every gateway afresh each round), EVENTS (perf
# events; default task-clock,context-switches and futex calls). Example:
#
#   go build -o /tmp/gw ./examples/pggateway
#   RESTART=1 ROUNDS=8 bench/postgres/variants.sh \
#     "s5=/tmp/gw:recdir=/var/tmp s20=/tmp/gw:recdir=/var/tmp,flags=-sync-interval=20ms s5b=/tmp/gw:recdir=/var/tmp"
#
# Needs PostgreSQL on 127.0.0.1:5432 (trust), pgbench, psql and perf.
set -uo pipefail
read -r -a SPECS <<<"$1"
CLIENTS=${CLIENTS:-8} DUR=${DUR:-3} ROUNDS=${ROUNDS:-5} MODE=${MODE:-simple}
EVENTS=${EVENTS:-task-clock,context-switches,syscalls:sys_enter_futex}
RULES=$(cd "$(dirname "$0")" && pwd)/rules.yaml
# shellcheck source=bench/postgres/lib.sh
. "$(dirname "$0")/lib.sh"
W=$(mktemp -d) DB=variants_$RANDOM$RANDOM
declare -A BIN OPTS PORT PID SCRIPT
NAMES=() RECDIRS=()
i=0
for s in "${SPECS[@]}"; do
  n=${s%%=*} rest=${s#*=}
  BIN[$n]=${rest%%:*} OPTS[$n]=""
  [[ $rest == *:* ]] && OPTS[$n]=${rest#*:}
  PORT[$n]=$((6600 + i)); i=$((i + 1)); NAMES+=("$n")
done
cleanup() {
  for n in "${NAMES[@]}"; do kill "${PID[$n]:-}" 2>/dev/null; done; wait 2>/dev/null
  drop_bench_db "$DB"
  rm -rf "$W" "${RECDIRS[@]}"
}
trap cleanup EXIT
new_bench_db "$DB" || exit 1
echo "bench benchtoken agent agents" >"$W/tokens"
bench() { # bench NAME SECONDS [pgbench options]: pgbench -S (or NAME's script) against NAME's gateway
  local n=$1 t=$2 load=(-S); shift 2
  [ -n "${SCRIPT[$n]:-}" ] && load=(-f "${SCRIPT[$n]}")
  PGSSLMODE=disable PGPASSWORD=benchtoken pgbench -n "${load[@]}" -M "$MODE" -c "$CLIENTS" -j "$([ "$CLIENTS" = 1 ] && echo 1 || echo 2)" \
    -T "$t" "$@" -h 127.0.0.1 -p "${PORT[$n]}" -U bench "$DB" 2>&1
}
start() { # start NAME: a fresh record directory, the gateway, a second of warm-up
  local n=$1 kv rec="" norec="" recdir=/dev/shm flags=() env=()
  IFS=, read -r -a kvs <<<"${OPTS[$n]}"
  for kv in "${kvs[@]}"; do
    case $kv in
    norec=*) norec=${kv#*=} ;;
    recdir=*) recdir=${kv#*=} ;;
    script=*) SCRIPT[$n]=${kv#*=} ;;
    flags=*) IFS=+ read -r -a flags <<<"${kv#*=}" ;;
    *=*) env+=("$kv") ;;
    esac
  done
  if [ -z "$norec" ]; then
    rec=$recdir/variants_${DB}_$n; rm -rf "$rec"; mkdir -p "$rec"; RECDIRS+=("$rec")
    flags+=(-record-dir "$rec")
  fi
  env "${env[@]}" "${BIN[$n]}" -listen "127.0.0.1:${PORT[$n]}" -upstream "postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable" \
    -rules "$RULES" -tokens "$W/tokens" -insecure-password "${flags[@]}" 2>"$W/$n.log" &
  PID[$n]=$!
  sleep 1
  bench "$n" 1 >/dev/null
}
for n in "${NAMES[@]}"; do start "$n"; done
: >"$W/rounds"
for r in $(seq "$ROUNDS"); do
  if [ -n "${RESTART:-}" ] && [ "$r" -gt 1 ]; then
    for n in "${NAMES[@]}"; do kill "${PID[$n]}"; wait "${PID[$n]}" 2>/dev/null; start "$n"; done
  fi
  order=("${NAMES[@]}")
  [ $((r % 2)) = 0 ] && mapfile -t order < <(printf '%s\n' "${NAMES[@]}" | tac)
  for n in "${order[@]}"; do
    rm -f "$W"/lat*
    perf stat -x, -e "$EVENTS" -p "${PID[$n]}" -o "$W/perf" 2>/dev/null &
    pp=$!; sleep 0.2
    if [ -n "${LOG:-}" ]; then out=$(cd "$W" && bench "$n" "$DUR" -l --log-prefix="$W/lat"); else out=$(bench "$n" "$DUR"); fi
    kill -INT "$pp"; wait "$pp" 2>/dev/null
    ntx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' <<<"$out")
    tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' <<<"$out")
    [ -n "$ntx" ] && [ "$ntx" -gt 0 ] || { echo "$n: pgbench failed: $out" >&2; exit 1; }
    line="$r $n tps=${tps%.*}"
    [ -n "${LOG:-}" ] && line+=" p50_us=$(cat "$W"/lat* | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {print a[int(NR/2)+1]}')"
    while IFS=, read -r val _ ev _; do
      [ -z "$ev" ] || [ -z "$val" ] || [[ $val == \<* ]] && continue
      ev=${ev##*sys_enter_}
      if [ "$ev" = task-clock ]; then line+=" cpu_us_tx=$(bc <<<"scale=2; $val*1000/$ntx")"
      else line+=" ${ev}_tx=$(bc <<<"scale=3; $val/$ntx")"; fi
    done < <(grep -v '^#' "$W/perf")
    echo "$line" | tee -a "$W/rounds"
  done
done
echo "medians over $ROUNDS rounds ($MODE, $CLIENTS clients, ${DUR}s):"
for n in "${NAMES[@]}"; do
  awk -v n="$n" '$2 == n' "$W/rounds" | python3 -c '
import statistics, sys
rows = [dict(kv.split("=", 1) for kv in l.split()[2:]) for l in sys.stdin]
print(sys.argv[1], " ".join(f"{k}={statistics.median(float(r[k]) for r in rows):g}" for k in rows[0]))' "$n"
done
