#!/bin/sh
# run-main.sh: the main job. Builds sioc and decodes the sample captures in
# vectors/captures/ with `sioc decode`: the Engine.IO sessions one Engine.IO
# packet per line, then the Socket.IO sessions with --sio, one Socket.IO
# packet (or non-message Engine.IO packet) per line.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh main
builddir=${SIOC_BUILDDIR:-build}/release
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" --buildtype=release -Dtests=disabled -Dbench=disabled >/dev/null
fi
ninja -C "$builddir" >/dev/null
sioc="$builddir/conformance/sioc"
for capture in vectors/captures/eio4-session.jsonl vectors/captures/eio3-session.jsonl; do
  case "$capture" in
    *eio3*) eio=3 ;;
    *) eio=4 ;;
  esac
  echo "== sioc decode --eio $eio --transport polling --input $capture"
  "$sioc" decode --eio "$eio" --transport polling --input "$capture"
done
for capture in vectors/captures/sio*.jsonl; do
  [ -f "$capture" ] || continue
  case "$capture" in
    */sio4*) sio=4 ;;
    *) sio=5 ;;
  esac
  # Each unit carries its own "transport" (the sessions upgrade from polling).
  echo "== sioc decode --sio $sio --input $capture"
  "$sioc" decode --sio "$sio" --input "$capture"
done
