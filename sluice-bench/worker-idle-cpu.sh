#!/usr/bin/env bash
# What an idle worker process costs: starts `sluice local` with 3 workers and replication 3 (so every
# worker holds one replica of every partition), waits until every partition is placed and led, lets it
# settle, then reads each worker process's CPU time, threads and resident memory from /proc (Linux).
#
#   sluice-bench/worker-idle-cpu.sh [REPLICAS_PER_WORKER] [ELECTION_TIMEOUT]
#   sluice-bench/worker-idle-cpu.sh 72 1s
#
# Environment: SETTLE (seconds, default 60), WINDOW (seconds, default 60), HTTP_PORT (default 18080),
# RAFT_PORT (default 19080). Every process it starts is stopped when it ends, also on failure.
set -euo pipefail

replicas=${1:-72}
timeout=${2:-1s}
settle=${SETTLE:-60}
window=${WINDOW:-60}
http_port=${HTTP_PORT:-18080}
raft_port=${RAFT_PORT:-19080}
root=$(cd "$(dirname "$0")/.." && pwd)
data=$(mktemp -d /tmp/sluice-idle-XXXXXX)
url=http://127.0.0.1:$http_port

local_pid=
stop() {
  if [[ -n $local_pid ]] && kill -0 "$local_pid" 2>/dev/null; then
    kill -TERM "$local_pid"
    wait "$local_pid" 2>/dev/null || true
  fi
  rm -rf "$data"
}
trap stop EXIT

SLUICE_RAFT_ELECTION_TIMEOUT=$timeout "$root/sluice" local --workers 3 --partitions "$replicas" --replication 3 \
  --http-port "$http_port" --raft-port "$raft_port" --data-dir "$data" >"$data.log" 2>&1 &
local_pid=$!

placed() {
  "$root/sluice" nodes list -o json --url "$url" 2>/dev/null \
    | python3 -c 'import json,sys; n=json.load(sys.stdin); print(sum(x["replicas"] for x in n), sum(x["leaderships"] for x in n))' 2>/dev/null
}
deadline=$((SECONDS + 300))
until [[ "$(placed || true)" == "$((replicas * 3)) $replicas" ]]; do
  if ((SECONDS > deadline)) || ! kill -0 "$local_pid" 2>/dev/null; then
    echo "the cluster did not place $replicas partitions in time; its log:" >&2
    tail -20 "$data.log" >&2
    exit 1
  fi
  sleep 2
done
sleep "$settle"

mapfile -t workers < <(pgrep -P "$local_pid")
ticks_per_second=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
declare -A before
for pid in "${workers[@]}"; do before[$pid]=$(cpu "$pid"); done
sleep "$window"
echo "replicas per worker: $replicas, election timeout: $timeout, window: ${window}s, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %14s %8s %10s\n' pid "cpu % of core" threads "rss MiB"
for pid in "${workers[@]}"; do
  used=$(( $(cpu "$pid") - before[$pid] ))
  threads=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")
  rss=$(awk '/^VmRSS:/ {printf "%.0f", $2 / 1024}' "/proc/$pid/status")
  printf '%-8s %14.1f %8s %10s\n' "$pid" "$(echo "100 * $used / $ticks_per_second / $window" | bc -l)" "$threads" "$rss"
done
