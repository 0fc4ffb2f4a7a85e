#!/usr/bin/env bash
# Load benchmark of `digitnet serve` (not a test): 64 concurrent clients for 10 s
# on 127.0.0.1, each POSTing the drawing page's own canvas PNG (bench/serve_seven.png,
# 224x224 RGBA as the page sends it, a "7" drawn in headless Chromium) to /api/predict.
#
#   bench/serve_load.sh [--model M] [CONNECTIONS] [SECONDS]
#
# Needs wrk (Debian: apt-get install wrk). Builds the release binary, starts the
# server on a free loopback port, runs wrk with latency percentiles, stops the
# server with SIGTERM, and exits non-zero if any request failed.
set -euo pipefail
cd "$(dirname "$0")/.."

model_args=()
if [ "${1:-}" = "--model" ]; then
  model_args=(--model "$2")
  shift 2
fi
connections="${1:-64}"
seconds="${2:-10}"
threads=$(( connections < 2 ? connections : 2 ))

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk" >&2; exit 2; }
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/digitnet"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" serve --addr 127.0.0.1:0 "${model_args[@]}" >"$work/out" 2>"$work/err" &
server_pid=$!
for _ in $(seq 1 300); do
  grep -q 'http://' "$work/out" 2>/dev/null && break
  sleep 0.1
done
url="$(grep -o 'http://[^ ]*' "$work/out")" || { cat "$work/err" >&2; exit 1; }

# Check one request by hand before loading the server.
curl -sf -H 'Content-Type: image/png' --data-binary @bench/serve_seven.png "${url}api/predict" \
  | head -c 120 >"$work/one"
echo "one answer: $(cat "$work/one")..."

cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "image/png"
local f = assert(io.open("bench/serve_seven.png", "rb"))
wrk.body = f:read("*a")
f:close()
LUA

echo "wrk: $connections connections, $threads threads, ${seconds}s, POST ${url}api/predict"
wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s "$work/post.lua" \
  "${url}api/predict" | tee "$work/wrk"

kill -TERM "$server_pid"
wait "$server_pid" || true
server_pid=""

rps="$(awk '/^Requests\/sec/ {print $2}' "$work/wrk")"
p50="$(awk '$1 == "50%" {print $2}' "$work/wrk")"
p99="$(awk '$1 == "99%" {print $2}' "$work/wrk")"
total="$(awk '/requests in/ {print $1}' "$work/wrk")"
non2xx="$(awk '/Non-2xx/ {print $NF}' "$work/wrk")"
socket="$(awk -F'[ ,]+' '/Socket errors/ {print $4 + $6 + $8 + $10}' "$work/wrk")"
errors=$(( ${non2xx:-0} + ${socket:-0} ))
echo
echo "summary: ${rps} requests/s, p50 ${p50}, p99 ${p99}, ${total} requests, ${errors} errors"
[ "$errors" -eq 0 ]
