#!/bin/sh
# Runs every fuzz target in turn, one process at a time, on the stable toolchain.
# Usage (from fuzz/): ./run-all.sh [seconds per target, default 180] [target...]
# Each target's libFuzzer log goes to logs/<target>.log; crashes to artifacts/<target>/.
set -eu
cd "$(dirname "$0")"
seconds=${1:-180}
[ $# -gt 0 ] && shift
targets=${*:-"idx_raw idx_gzip idx_pair csv digits model model_restamped image serve_json"}
mkdir -p logs
cargo fuzz build --sanitizer none
for target in $targets; do
    # -jobs=1 runs libFuzzer in a child that writes fuzz-0.log in the working directory.
    cargo fuzz run --sanitizer none "$target" -- \
        -max_total_time="$seconds" -jobs=1 -workers=1 \
        -rss_limit_mb=512 -malloc_limit_mb=512 -print_final_stats=1 || true
    mv fuzz-0.log "logs/$target.log"
    stats='^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)'
    grep -E "^#[0-9]+.*DONE|$stats|SUMMARY|ERROR|panicked|==fuzz==" \
        "logs/$target.log" | sed "s/^/$target: /" || true
done
