#!/usr/bin/env bash
# Head-to-head: two builds of the gateway (examples/pggateway) from two
# checkouts, side by side, pgbench -S alternating between them (variants.sh
# with two variants); prints TPS and the gateway's CPU µs per transaction
# for each round, then the medians. On a noisy machine compare the paired
# rounds, not two runs of run.sh made minutes apart.
#
#   bench/postgres/ab.sh OLD_CHECKOUT NEW_CHECKOUT [ROUNDS] [gateway flags]
#   CLIENTS=1 DUR=3 MODE=prepared bench/postgres/ab.sh ../old . 8 -fsync
#
# NOREC=old|new runs that build without a record; GMP_old / GMP_new set
# its GOMAXPROCS. The builds take turns going first. RESTART=1 starts both
# gateways afresh before every round: two processes of one build differ by
# up to ±10 µs of single-client p50 and ±4 µs of CPU per transaction on a
# 2-core guest (memory layout, thread placement), so a difference that
# small needs rounds over several processes. The record is written to a
# temporary directory on disk. Needs what variants.sh needs.
set -uo pipefail
OLD=$(cd "$1" && pwd) NEW=$(cd "$2" && pwd) ROUNDS=${3:-3}; shift 3 || shift $#
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
(cd "$OLD" && go build -o "$W/gw_old" ./examples/pggateway) && (cd "$NEW" && go build -o "$W/gw_new" ./examples/pggateway) || exit 1
flags=$(IFS=+; echo "$*")
spec=""
for v in old new; do
  opts="recdir=$W"
  [ "${NOREC:-}" = "$v" ] && opts="norec=1"
  [ -n "$flags" ] && opts+=",flags=$flags"
  g=GMP_$v; [ -n "${!g:-}" ] && opts+=",GOMAXPROCS=${!g}"
  spec+=" $v=$W/gw_$v:$opts"
done
ROUNDS=$ROUNDS DUR=${DUR:-4} EVENTS=${EVENTS:-task-clock} "$(dirname "$0")/variants.sh" "${spec# }"
