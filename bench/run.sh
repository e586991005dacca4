#!/bin/sh
# Runs the benchmarks and compares sioc with the other implementations.
#
#   bench/run.sh [build-dir]
#
# Builds a release build in build-dir (default: build-release in the source
# tree; created with `meson setup --buildtype=release -Db_lto=true` when missing), installs
# the reference script's npm packages when missing (`npm ci` in bench/), runs
# bench_eio, bench_json (when it was built), bench_sio and the reference
# scripts bench/ref/bench_eio.js and bench/ref/bench_sio.js, then prints a
# table per case and whether each target is met.
#
# SIOC_BENCH_SECONDS sets the seconds per measuring round (default 0.3);
# SIOC_BENCH_FILTER=<text> runs only the C cases whose name contains it.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-"$ROOT/build-release"}
sh "$ROOT/scripts/install-deps.sh" bench

if [ ! -f "$BUILD/build.ninja" ]; then
    meson setup "$BUILD" "$ROOT" --buildtype=release -Db_lto=true
fi
# Only what the benchmarks need, so a broken test elsewhere does not stop them.
TARGETS=bench/bench_eio
TARGETS="$TARGETS bench/bench_sio"
if ninja -C "$BUILD" -t targets all | grep -q '^bench/bench_json:'; then
    TARGETS="$TARGETS bench/bench_json"
fi
# shellcheck disable=SC2086
ninja -C "$BUILD" $TARGETS

if [ ! -d "$ROOT/bench/node_modules/engine.io-parser" ] || [ ! -d "$ROOT/bench/node_modules/socket.io-parser" ]; then
    (cd "$ROOT/bench" && npm ci --no-audit --no-fund)
fi

RESULTS=$(mktemp)
trap 'rm -f "$RESULTS"' EXIT

echo "running bench_eio" >&2
"$BUILD/bench/bench_eio" >>"$RESULTS"
if [ -x "$BUILD/bench/bench_json" ]; then
    echo "running bench_json" >&2
    "$BUILD/bench/bench_json" >>"$RESULTS"
fi
echo "running bench/ref/bench_eio.js ($(node --version))" >&2
node "$ROOT/bench/ref/bench_eio.js" >>"$RESULTS"
echo "running bench_sio" >&2
"$BUILD/bench/bench_sio" >>"$RESULTS"
echo "running bench/ref/bench_sio.js ($(node --version))" >&2
node "$ROOT/bench/ref/bench_sio.js" >>"$RESULTS"
ninja -C "$BUILD" bench/bench_session >&2 && echo "running bench_session" >&2 && "$BUILD/bench/bench_session" >>"$RESULTS"

python3 - "$RESULTS" <<'EOF'
import sys

rows = {}      # case -> {impl: (ops, mbs)}
order = []
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if len(f) != 5 or f[0] != "bench":
        continue
    case, impl, ops, mbs = f[1], f[2], float(f[3]), float(f[4])
    if case not in rows:
        rows[case] = {}
        order.append(case)
    rows[case][impl] = (ops, mbs)

for case in order:
    impls = rows[case]
    print(f"\n{case}")
    print(f"  {'impl':<18} {'ops/s':>14} {'MB/s':>10}  sioc/impl")
    mine = impls.get("sioc")
    for impl, (ops, mbs) in sorted(impls.items(), key=lambda kv: kv[0] != "sioc"):
        ratio = ""
        if mine and impl != "sioc" and ops > 0:
            ratio = f"{mine[0] / ops:.2f}x"
        print(f"  {impl:<18} {ops:>14.1f} {mbs:>10.1f}  {ratio}")

def ratio(case, other):
    r = rows.get(case, {})
    if "sioc" in r and other in r and r[other][0] > 0:
        return r["sioc"][0] / r[other][0]
    return None

targets = []
for case in ("packet_decode_small", "packet_encode_small", "packet_decode_100b", "packet_encode_100b"):
    targets.append((f"{case}: >= 20x engine.io-parser", ratio(case, "engine.io-parser"), 20.0, "x"))
for case in ("payload_v4_decode_100", "payload_v4_encode_100", "payload_v3_decode_100",
             "payload_v3_encode_100"):
    targets.append((f"{case}: >= 5x engine.io-parser", ratio(case, "engine.io-parser"), 5.0, "x"))
targets.append(("payload_v4_decode_100: >= 0.5x the memchr pass",
                ratio("payload_v4_decode_100", "memchr"), 0.5, "x"))
for case in ("sio_decode_small", "sio_decode_ack_nsp", "sio_encode_small", "sio_encode_ack_nsp"):
    targets.append((f"{case}: >= 10x socket.io-parser", ratio(case, "socket.io-parser"), 10.0, "x"))
for case in ("sio_decode_64k", "sio_encode_64k"):
    targets.append((f"{case}: >= 3x socket.io-parser", ratio(case, "socket.io-parser"), 3.0, "x"))
for case in ("sio_msgpack_decode_small", "sio_msgpack_encode_small"):
    targets.append((f"{case}: >= 10x notepack.io", ratio(case, "notepack.io"), 10.0, "x"))
for case in ("base64_encode_64k", "base64_decode_64k"):
    r = rows.get(case, {}).get("sioc")
    targets.append((f"{case}: >= 1000 MB/s", r[1] if r else None, 1000.0, " MB/s"))

r = ratio("payload_v4_encode_100", "memchr")
if r is not None:
    print(f"\nfor information: payload_v4_encode_100 runs at {r:.2f}x a memcpy of the body")

print("\ntargets")
for name, value, goal, unit in targets:
    if value is None:
        print(f"  {name}: no data")
    else:
        shown = f"{value:.2f}{unit}" if unit == "x" else f"{value:.0f}{unit}"
        print(f"  {name}: {shown} -> {'met' if value >= goal else 'NOT met'}")
EOF
