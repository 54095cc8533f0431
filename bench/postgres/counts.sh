#!/usr/bin/env bash
# System calls, context switches, page faults and CPU migrations per
# transaction of one gateway build, counted with `perf stat` on the
# gateway process while pgbench -S runs through it: counts, which a loaded
# machine moves far less than time.
#
#   bench/postgres/counts.sh [CHECKOUT] [gateway flags]
#   CLIENTS=1 DUR=5 REC=tmpfs bench/postgres/counts.sh ../old
#
# REC=disk (default) records to a directory on disk, tmpfs to /dev/shm,
# none records nothing. Needs perf (linux-perf) with access to the syscall
# tracepoints (root, or kernel.perf_event_paranoid <= -1), PostgreSQL on
# 127.0.0.1:5432 and pgbench.
set -uo pipefail
SRC=$(cd "${1:-.}" && pwd); shift || true; EXTRA="$*"
CLIENTS=${CLIENTS:-8}; DUR=${DUR:-5}; MODE=${MODE:-simple}; REC=${REC:-disk}
W=$(mktemp -d); DB=counts_$RANDOM$RANDOM; RD=
cleanup() { kill "${GW:-}" 2>/dev/null; wait 2>/dev/null
  psql -X -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1; rm -rf "$W" ${RD:+"$RD"}; }
trap cleanup EXIT
psql -X -q -h 127.0.0.1 -U postgres -d test -c "CREATE DATABASE $DB" >/dev/null
pgbench -i -q -s 10 -h 127.0.0.1 -U postgres "$DB" >/dev/null 2>&1
(cd "$SRC" && go build -o "$W/gw" ./examples/pggateway) || exit 1
echo "bench benchtoken agent agents" > "$W/tokens"
case $REC in
  tmpfs) RD=$(mktemp -d /dev/shm/counts.XXXXXX); recf="-record-dir $RD";;
  none) recf=;;
  *) recf="-record-dir $W/rec";;
esac
# shellcheck disable=SC2086
"$W/gw" -listen 127.0.0.1:6558 -upstream "postgres://postgres@127.0.0.1:5432/$DB?sslmode=disable" \
  -rules "$SRC/bench/postgres/rules.yaml" -tokens "$W/tokens" -insecure-password $recf $EXTRA 2>"$W/gw.log" &
GW=$!; sleep 1
EVENTS=context-switches,page-faults,cpu-migrations,raw_syscalls:sys_enter
for s in futex nanosleep read write pwrite64 epoll_pwait fsync io_uring_enter; do EVENTS+=",syscalls:sys_enter_$s"; done
perf stat -e "$EVENTS" -p "$GW" -o "$W/stat.txt" & PERF=$!
HZ=$(getconf CLK_TCK); t0=$(awk '{print $14+$15}' "/proc/$GW/stat")
out=$(PGSSLMODE=disable PGPASSWORD=benchtoken pgbench -n -S -M "$MODE" -c "$CLIENTS" -j 2 -T "$DUR" -h 127.0.0.1 -p 6558 -U bench "$DB" 2>&1)
t1=$(awk '{print $14+$15}' "/proc/$GW/stat")
kill -INT $PERF; wait $PERF
n=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p')
echo "transactions $n, tps $(echo "$out" | sed -n 's/^tps = \([0-9]*\).*/\1/p'), gateway CPU µs per transaction $(echo "($t1-$t0)*1000000/$HZ/${n:-1}" | bc)"
awk -v n="${n:-1}" '/^ *[0-9,]+ /{gsub(",","",$1); sub("syscalls:sys_enter_","",$2); printf "%-24s %6.2f per transaction\n", $2, $1/n}' "$W/stat.txt"
