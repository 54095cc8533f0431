#!/usr/bin/env bash
# Head-to-head: two builds of the gateway (examples/pggateway) from two
# checkouts, side by side, pgbench -S alternating between them; prints TPS
# and the gateway's CPU µs per transaction for each round. On a noisy
# machine compare the paired ratios (round by round), not two runs of
# run.sh made minutes apart.
#
#   bench/postgres/ab.sh OLD_CHECKOUT NEW_CHECKOUT [ROUNDS] [gateway flags]
#   CLIENTS=1 DUR=3 MODE=prepared bench/postgres/ab.sh ../old . 8 -fsync
#
# NOREC=old|new runs that build without a record; GMP_old / GMP_new set
# its GOMAXPROCS. The builds take turns going first. RESTART=1 starts both
# gateways afresh before every round: two processes of one build differ by
# up to ±10 µs of single-client p50 and ±4 µs of CPU per transaction on a
# 2-core guest (memory layout, thread placement), so a difference that
# small needs rounds over several processes. Needs what run.sh needs.
set -uo pipefail
OLD=$(cd "$1" && pwd) NEW=$(cd "$2" && pwd) ROUNDS=${3:-3}; shift 3 || shift $#; EXTRA="$*"
MODE=${MODE:-simple}; CLIENTS=${CLIENTS:-8}; DUR=${DUR:-4}
RULES=$(cd "$(dirname "$0")" && pwd)/rules.yaml
W=$(mktemp -d); DB=ab_$RANDOM$RANDOM
cleanup() { kill "${PID[old]:-}" "${PID[new]:-}" 2>/dev/null; wait 2>/dev/null
  psql -X -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1; rm -rf "$W"; }
declare -A PID PORT=([old]=6501 [new]=6502)
trap cleanup EXIT
psql -X -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $DB" >/dev/null
pgbench -i -q -s 10 -h 127.0.0.1 -U postgres "$DB" >/dev/null 2>&1
(cd "$OLD" && go build -o "$W/gw_old" ./examples/pggateway) && (cd "$NEW" && go build -o "$W/gw_new" ./examples/pggateway) || exit 1
echo "bench benchtoken agent agents" > "$W/tokens"
# start_gw V starts build V's gateway (a fresh record directory) and warms
# it up with a second of the benchmark's load.
start_gw() {
  local v=$1 rec G
  rm -rf "$W/rec_$v"; mkdir -p "$W/rec_$v"
  rec="-record-dir $W/rec_$v"; [ "${NOREC:-}" = "$v" ] && rec=
  G=GMP_$v
  # shellcheck disable=SC2086
  env GOMAXPROCS="${!G:-$(nproc)}" "$W/gw_$v" -listen "127.0.0.1:${PORT[$v]}" \
    -upstream "postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable" -rules "$RULES" \
    -tokens "$W/tokens" -insecure-password $rec $EXTRA 2>"$W/$v.log" &
  PID[$v]=$!
  sleep 1
  PGSSLMODE=disable PGPASSWORD=benchtoken pgbench -n -S -M "$MODE" -c "$CLIENTS" -j 2 -T 1 \
    -h 127.0.0.1 -p "${PORT[$v]}" -U bench "$DB" >/dev/null 2>&1
}
for v in old new; do start_gw "$v"; done
HZ=$(getconf CLK_TCK)
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
for r in $(seq "$ROUNDS"); do
  if [ -n "${RESTART:-}" ] && [ "$r" -gt 1 ]; then
    for v in old new; do kill "${PID[$v]}"; wait "${PID[$v]}" 2>/dev/null; start_gw "$v"; done
  fi
  order="old new"; [ $((r % 2)) = 0 ] && order="new old"
  for v in $order; do
    t0=$(ticks "${PID[$v]}")
    out=$(PGSSLMODE=disable PGPASSWORD=benchtoken pgbench -n -S -M "$MODE" -c "$CLIENTS" -j 2 -T "$DUR" \
      -h 127.0.0.1 -p "${PORT[$v]}" -U bench "$DB" 2>&1)
    t1=$(ticks "${PID[$v]}")
    n=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
    tps=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) .*/\1/p')
    echo "$r $v tps=${tps%.*} cpu_us_tx=$(echo "($t1-$t0)*1000000/$HZ/${n:-1}" | bc)"
  done
done
