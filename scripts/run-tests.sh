#!/bin/sh
# run-tests.sh: every test sioc has, the way CI runs them.
#  1. the whole meson test suite (codec, vectors, fuzz corpus replay, cli)
#     built with gcc, ASan and UBSan, warnings as errors;
#  2. each libFuzzer target (clang) for SIOC_FUZZ_SECONDS seconds (default 60)
#     from the committed seed corpus.
# Ends with one line "N passed, N failed" counted from meson's test logs;
# exits non-zero if anything failed.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)
sh scripts/install-deps.sh test

builddir=${SIOC_BUILDDIR:-build}
fuzz_seconds=${SIOC_FUZZ_SECONDS:-60}
status=0

setup() {
  dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
}

echo "== build with gcc, ASan and UBSan"
setup "$builddir/asan" -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
  -Dc_args=-fno-sanitize-recover=all -Dbench=disabled
ninja -C "$builddir/asan"
echo "== meson test (ASan, UBSan)"
meson test -C "$builddir/asan" --setup asan --print-errorlogs || status=1

echo "== libFuzzer runs, ${fuzz_seconds}s per target"
CC=clang setup "$builddir/fuzz" -Dwerror=true -Dfuzzing=true -Dfuzz_seconds="$fuzz_seconds" \
  -Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=all \
  -Dtests=disabled -Dtools=false -Dbench=disabled
ninja -C "$builddir/fuzz"
meson test -C "$builddir/fuzz" --suite fuzz-run --num-processes 2 --print-errorlogs || status=1
grep -h 'executions in' "$builddir"/fuzz/meson-logs/testlog.txt || true

python3 "$root/scripts/test-summary.py" "$builddir/asan/meson-logs/testlog-asan.json" \
  "$builddir/fuzz/meson-logs/testlog.json" || status=1
exit $status
