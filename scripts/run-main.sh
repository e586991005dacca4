#!/bin/sh
# run-main.sh: the main job. Builds sioc, starts the reference server
# `sioc serve --app test-suite` on a free port of 127.0.0.1 (configured as
# the official protocol test suites expect: pingInterval 300, pingTimeout
# 200, maxPayload 1e6, connectTimeout 1000, Engine.IO v3 and v4), and runs
# the conformance harness `sioc conform server` against it: the Engine.IO
# cases on /engine.io/ and all cases on /socket.io/, for Engine.IO v4 and v3,
# then the Socket.IO cases again with the msgpack parser.
# Prints the harness's report; JSON and JUnit reports are written to
# build/conformance/. Exits non-zero when a MUST case fails.
#
# SIOC_CONFORM_ARGS adds options to every `sioc conform` run (for example
# "--case 'eio4.*'" or "--strict").
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh main
build=${SIOC_BUILDDIR:-build}
builddir=$build/release
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" --buildtype=release -Dtests=disabled -Dbench=disabled >/dev/null
fi
ninja -C "$builddir" >/dev/null
sioc="$builddir/conformance/sioc"
reports=$build/conformance
mkdir -p "$reports"

out=$(mktemp)
serve_pid=
stop_serve() {
  if [ -n "$serve_pid" ]; then
    kill "$serve_pid" 2>/dev/null || true
    wait "$serve_pid" 2>/dev/null || true
    serve_pid=
  fi
}
trap 'stop_serve; rm -f "$out"' EXIT
trap 'exit 130' INT TERM

# start_serve EIO PARSER: sioc serve accepting that Engine.IO version only
# (as the official suites run their servers), on a port the system picks;
# sets sio_url and eio_url from its listening line.
start_serve() {
  : >"$out"
  "$sioc" serve --app test-suite --port 0 --eio "$1" --parser "$2" --ping-interval 300 \
    --ping-timeout 200 --max-payload 1000000 --connect-timeout 1000 >"$out" &
  serve_pid=$!
  i=0
  while ! grep -q '"listening"' "$out"; do
    i=$((i + 1))
    if [ "$i" -gt 100 ] || ! kill -0 "$serve_pid" 2>/dev/null; then
      echo "sioc serve did not start" >&2
      exit 1
    fi
    sleep 0.1
  done
  sio_url=$(sed -n 's/.*"listening":"\([^"]*\)".*/\1/p' "$out" | head -n 1)
  eio_url=$(sed -n 's/.*"engine.io":"\([^"]*\)".*/\1/p' "$out" | head -n 1)
}

status=0
summary=""
# Engine.IO v4 and v3 with the JSON parser (both paths), then the msgpack
# parser (Socket.IO path, Engine.IO v4).
for run in 4:json 3:json 4:msgpack; do
  eio=${run%%:*}
  parser=${run#*:}
  start_serve "$eio" "$parser"
  echo "== sioc serve --app test-suite --eio $eio --parser $parser: $eio_url and $sio_url"
  urls="$eio_url $sio_url"
  [ "$parser" = json ] || urls=$sio_url
  for url in $urls; do
    case "$url" in
      */engine.io/) name=eio$eio-engine.io ;;
      *) name=eio$eio-socket.io ;;
    esac
    [ "$parser" = json ] || name=$name-$parser
    echo
    echo "== sioc conform server $url --eio $eio --parser $parser"
    log=$build/conformance/$name.txt
    # shellcheck disable=SC2086
    eval "\"\$sioc\" conform server \"\$url\" --eio $eio --parser $parser \
      --report-json \"\$reports/$name.json\" --junit \"\$reports/$name.xml\" ${SIOC_CONFORM_ARGS:-}" |
      tee "$log"
    if grep -q ' [1-9][0-9]* fail,' "$log"; then
      status=1
    fi
    summary="$summary$(printf '%-22s %s' "$name" "$(grep -E '^[0-9]+ cases?:' "$log" | tail -n 1)")
"
  done
  stop_serve
done
echo
echo "== summary"
printf '%s' "$summary"
echo
echo "reports: $reports/*.json (per case: verdict, expected, actual, wire log) and $reports/*.xml (JUnit)"
exit $status
