#!/bin/sh
# run_fuzzer.sh BINARY SECONDS SEED_DIR... [-LIBFUZZER_FLAG...]
# Runs one libFuzzer target for a bounded time from the seed corpus (one
# or more folders, only read; extra libFuzzer flags such as -dict=FILE may
# come among them). New inputs go to a scratch folder in the build tree,
# never into the sources.
# Prints the number of executions; exits non-zero on any crash, leak,
# timeout or out-of-memory report.
set -eu
bin=$1
secs=$2
shift 2
name=$(basename "$bin")
work="${MESON_BUILD_ROOT:-.}/fuzz-work/$name"
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
    "$work/corpus" "$@" > "$work/log.txt" 2>&1 || {
    tail -n 60 "$work/log.txt"
    exit 1
}
execs=$(grep -E 'stat::number_of_executed_units' "$work/log.txt" | awk '{print $2}')
echo "$name: ${execs:-?} executions in ${secs}s"
