#!/bin/sh
# install-deps.sh [main|test|bench|all]
# Installs what sioc needs to build and run the given job: Debian's packages
# with apt-get, and for the tests the reference peers (node socket.io 4 and 2,
# socket.io-client) from the npm registry into tests/peers/node_modules.
# Does nothing when everything is already there. Needs root (or sudo) only
# when a Debian package is missing.
set -eu
job=${1:-all}

base="meson ninja-build gcc pkg-config python3 binutils libmsgpack-dev libwebsockets-dev libssl-dev libedit-dev openssl"
test_pkgs="libcmocka-dev libjansson-dev clang libclang-rt-14-dev llvm valgrind nodejs npm python3-socketio python3-engineio python3-aiohttp python3-requests python3-websocket python3-msgpack doxygen g++"
bench_pkgs="g++ libjansson-dev libcjson-dev libsimdjson-dev nodejs npm"

case "$job" in
  main) want="$base" ;;
  test) want="$base $test_pkgs" ;;
  bench) want="$base $bench_pkgs" ;;
  all) want="$base $test_pkgs $bench_pkgs" ;;
  *) echo "usage: $0 [main|test|bench|all]" >&2; exit 2 ;;
esac

# Node.js may come from elsewhere than Debian (with npm inside it): a
# working command counts as installed.
have() {
  case "$1" in
    nodejs) command -v node >/dev/null 2>&1 ;;
    npm) command -v npm >/dev/null 2>&1 ;;
    *) dpkg -s "$1" >/dev/null 2>&1 ;;
  esac
}
missing=""
for p in $want; do
  have "$p" || missing="$missing $p"
done
peers() {
  # The test peers from the npm registry, pinned by tests/peers/package-lock.json.
  case "$job" in
    test|all)
      here=$(cd "$(dirname "$0")/.." && pwd)
      if [ ! -f "$here/tests/peers/node_modules/.package-lock.json" ] ||
         [ "$here/tests/peers/package-lock.json" -nt "$here/tests/peers/node_modules/.package-lock.json" ]; then
        echo "installing the test peers with npm ci (tests/peers)" >&2
        (cd "$here/tests/peers" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
      fi ;;
  esac
}
if [ -z "$missing" ]; then
  peers
  exit 0
fi

echo "installing:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
peers
