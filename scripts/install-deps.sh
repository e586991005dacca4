#!/bin/sh
# install-deps.sh [main|test|bench|all]
# Installs, from Debian's packages only, what sioc needs to build and run the
# given job. Does nothing when everything is already there. Needs root (or
# sudo) only when something is missing.
set -eu
job=${1:-all}

base="meson ninja-build gcc pkg-config python3 binutils libmsgpack-dev"
test_pkgs="libcmocka-dev libjansson-dev clang libclang-rt-14-dev llvm valgrind"
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
[ -z "$missing" ] && exit 0

echo "installing:$missing" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
