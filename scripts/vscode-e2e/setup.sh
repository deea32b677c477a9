#!/usr/bin/env bash
# Installs what the VS Code tests (scripts/vscode-e2e/run.sh) need, outside the repo. Idempotent:
# a second run only checks. Made for Debian 12 + Node 20 as root, with only the npm registry and
# the Debian mirror reachable (no GitHub, no Microsoft update server).
#
#   LGUEST_E2E_HOME  where code-server and the browser driver go (default ~/.cache/lguest-e2e)
#
# What and why:
#   - Debian: chromium (the browser Playwright drives), ripgrep (see below), libkrb5-dev (code-server's
#     `kerberos` native module does not build without gssapi.h), and a C++ toolchain for node-gyp.
#   - code-server 4.100.3 = VS Code 1.100.3 (server + web workbench, from npm). It is the newest
#     code-server whose postinstall accepts Node 20 (4.103+ want Node 22, 4.133+ Node 24), and the
#     postinstall checks the exact major, so the version is pinned.
#   - playwright-core 1.65.1: drives Debian's chromium. Not `playwright`, whose postinstall downloads
#     browsers (never run `playwright install` here).
# @vscode/vsce comes from the repo's devDependencies (`npm run package`), not from here.
set -euo pipefail

E2E_HOME="${LGUEST_E2E_HOME:-$HOME/.cache/lguest-e2e}"
CS_VERSION=4.100.3
PW_VERSION=1.65.1
# code-server 4.100.3 pins @vscode/ripgrep 1.15.11 (lib/vscode/npm-shrinkwrap.json), whose postinstall
# downloads ripgrep-v13.0.0-10 from GitHub. Change these three together.
RG_PKG_VERSION=1.15.11
RG_TAG=v13.0.0-10

fail() { echo "vscode-e2e setup FAILED: $*" >&2; exit 1; }
T_ALL=$(date +%s%N)
step() { STEP_NAME="$1"; STEP_T0=$(date +%s%N); echo "== setup: $1"; }
done_step() { echo "== setup: $STEP_NAME: $(( ($(date +%s%N) - STEP_T0) / 1000000 )) ms"; }

node_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" || fail "node is not on PATH"
[ "$node_major" = 20 ] || fail "code-server $CS_VERSION needs Node 20 (its postinstall checks the major); this is Node $(node -v)"

step "Debian packages"
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v rg >/dev/null || need+=(ripgrep)
dpkg -s libkrb5-dev >/dev/null 2>&1 || need+=(libkrb5-dev)
command -v g++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  [ "$(id -u)" = 0 ] || fail "missing Debian packages (${need[*]}); run as root or: sudo apt-get install ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || fail "apt-get update failed (is the Debian mirror reachable?)"
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null \
    || fail "apt-get install ${need[*]} failed"
fi
command -v chromium >/dev/null || fail "chromium is still not on PATH after apt-get install"
done_step

step "code-server $CS_VERSION"
CS_DIR="$E2E_HOME/code-server-$CS_VERSION"
CS_BIN="$CS_DIR/node_modules/.bin/code-server"
RG_BIN="$CS_DIR/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg"
if [ ! -x "$CS_BIN" ] || [ ! -x "$RG_BIN" ]; then
  # @vscode/ripgrep's postinstall looks in $(os.tmpdir())/vscode-ripgrep-cache-<version>/ before it
  # downloads from GitHub (which is not reachable: it retries for about a minute, then fails the whole
  # install). Put Debian's rg there in the archive form it expects.
  rg_cache="$(node -p "require('os').tmpdir()")/vscode-ripgrep-cache-$RG_PKG_VERSION"
  rg_tgz="$rg_cache/ripgrep-$RG_TAG-x86_64-unknown-linux-musl.tar.gz"
  if [ ! -s "$rg_tgz" ]; then
    mkdir -p "$rg_cache"; tmp="$(mktemp -d)"; cp "$(command -v rg)" "$tmp/rg"
    tar czf "$rg_tgz" -C "$tmp" rg; rm -rf "$tmp"
  fi
  rm -rf "$CS_DIR"; mkdir -p "$CS_DIR"
  echo '{ "name": "lguest-e2e-code-server", "private": true }' >"$CS_DIR/package.json"
  echo "npm install code-server@$CS_VERSION (its postinstall builds native modules; log: $CS_DIR/install.log)"
  # --unsafe-perm: code-server's postinstall refuses to run as root without it.
  # npm_config_yes=true: node-pty's postinstall runs `npx node-gyp`, and an .npmrc with yes=false
  #   makes npx abort ("npx canceled due to missing packages").
  # Prebuilt-binary downloads of the native modules fail offline; they fall back to node-gyp builds.
  (cd "$CS_DIR" && npm_config_yes=true npm install --no-audit --no-fund "code-server@$CS_VERSION" --unsafe-perm) \
    >"$CS_DIR/install.log" 2>&1 || { tail -40 "$CS_DIR/install.log" >&2; fail "npm install code-server@$CS_VERSION failed (log above, full log in $CS_DIR/install.log)"; }
  # A newer npm that skips install scripts would "succeed" without a working server: check.
  [ -x "$RG_BIN" ] || fail "code-server installed without its postinstall (no $RG_BIN); see $CS_DIR/install.log"
fi
cs_version="$(XDG_DATA_HOME="$E2E_HOME/xdg/data" XDG_CONFIG_HOME="$E2E_HOME/xdg/config" "$CS_BIN" --version 2>/dev/null | grep -m1 'with Code')" \
  || fail "$CS_BIN does not run; delete $CS_DIR and run setup again"
echo "code-server $cs_version"
done_step

step "playwright-core $PW_VERSION"
TOOLS_DIR="$E2E_HOME/tools"
if [ "$(node -p "try { require('$TOOLS_DIR/node_modules/playwright-core/package.json').version } catch { '' }")" != "$PW_VERSION" ]; then
  mkdir -p "$TOOLS_DIR"
  echo '{ "name": "lguest-e2e-tools", "private": true }' >"$TOOLS_DIR/package.json"
  (cd "$TOOLS_DIR" && npm install --no-audit --no-fund "playwright-core@$PW_VERSION") >"$TOOLS_DIR/install.log" 2>&1 \
    || { tail -20 "$TOOLS_DIR/install.log" >&2; fail "npm install playwright-core@$PW_VERSION failed"; }
fi
done_step

echo "== setup: OK in $(( ($(date +%s%N) - T_ALL) / 1000000 )) ms ($E2E_HOME)"
