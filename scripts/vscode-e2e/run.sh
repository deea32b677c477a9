#!/usr/bin/env bash
# Tests the extension inside a real VS Code (code-server 4.100.3 = VS Code 1.100.3, headless
# chromium), after scripts/vscode-e2e/setup.sh:
#   1. builds lguest-debug.vsix (npm run package) and installs it into a fresh extensions dir;
#   2. starts code-server on 127.0.0.1 with a fresh user-data-dir and a fresh copy of the tour
#      workspace (breakpoints and view state live there; nothing carries over between runs);
#   3. integration tests inside the extension host (test/vscode/integration/, driven by
#      test/vscode/integration.cjs), then the UI test with the keyboard (test/vscode/e2e-ui.cjs), then
#      the memory view's (test/vscode/e2e-memory.cjs);
#   4. stops everything. The exit status is the tests'.
# Screenshots and logs: test-artifacts/vscode-e2e/. Scratch: $LGUEST_E2E_HOME/run.
#   LGUEST_E2E_HOME  as for setup.sh (default ~/.cache/lguest-e2e)
#   LGUEST_E2E_PORT  code-server's port (default: a free one)
#   LGUEST_E2E_RUN   the scratch directory (default: $LGUEST_E2E_HOME/run; two runs at once need two)
#   LGUEST_E2E_ARTIFACTS  where screenshots and logs go (default: test-artifacts/vscode-e2e)
#   LGUEST_DAP_LOG   a file: the extension appends every DAP message to it, both ways (for a failure's story)
#   LGUEST_E2E_ONLY  integration | ui | commands | memory | stops: run one layer
set -euo pipefail

REPO="$(cd "$(dirname "$0")/../.." && pwd)"
E2E_HOME="${LGUEST_E2E_HOME:-$HOME/.cache/lguest-e2e}"
CS_BIN="$E2E_HOME/code-server-4.100.3/node_modules/.bin/code-server"
TOOLS="$E2E_HOME/tools/node_modules"
RUN="${LGUEST_E2E_RUN:-$E2E_HOME/run}"
ART="${LGUEST_E2E_ARTIFACTS:-$REPO/test-artifacts/vscode-e2e}"

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
T_ALL=$(date +%s%N)
[ -x "$CS_BIN" ] && [ -d "$TOOLS/playwright-core" ] \
  || { echo "vscode-e2e: code-server or playwright-core missing under $E2E_HOME: run scripts/vscode-e2e/setup.sh first" >&2; exit 2; }
command -v chromium >/dev/null || { echo "vscode-e2e: chromium missing: run scripts/vscode-e2e/setup.sh first" >&2; exit 2; }

rm -rf "$RUN" "$ART"
mkdir -p "$RUN/udd/User" "$RUN/exts" "$RUN/xdg" "$ART"
# code-server writes ~/.local/share/code-server and ~/.config/code-server whatever --user-data-dir
# says; keep it in the run dir.
export XDG_DATA_HOME="$RUN/xdg/data" XDG_CONFIG_HOME="$RUN/xdg/config"

echo "== vscode-e2e: build and install the .vsix"
t=$(date +%s%N)
(cd "$REPO" && npm run package </dev/null) >"$ART/package.log" 2>&1 || { cat "$ART/package.log" >&2; echo "vscode-e2e: npm run package failed" >&2; exit 1; }
"$CS_BIN" --user-data-dir "$RUN/udd" --extensions-dir "$RUN/exts" --install-extension "$REPO/lguest-debug.vsix" >>"$ART/package.log" 2>&1 \
  || { cat "$ART/package.log" >&2; echo "vscode-e2e: installing the .vsix into code-server failed" >&2; exit 1; }
EXT_DIR="$(ls -d "$RUN"/exts/lguest-debug.lguest-debug-*/ 2>/dev/null | head -1 || true)"; EXT_DIR="${EXT_DIR%/}"
[ -n "$EXT_DIR" ] && [ -f "$EXT_DIR/dist/debugAdapter.js" ] || { echo "vscode-e2e: no installed extension with dist/debugAdapter.js under $RUN/exts" >&2; exit 1; }
# The integration tests are TypeScript: one CommonJS file for the extension host, `vscode` external.
"$REPO/node_modules/.bin/esbuild" "$REPO/test/vscode/integration/index.ts" --bundle --platform=node --target=node20 \
  --format=cjs --external:vscode --sourcemap=inline --outfile="$RUN/integration/index.js" --log-level=warning
echo "== vscode-e2e: built and installed in $(ms_since "$t") ms"

# Copies of the tour workspace (its launch.json, the ELF and the sources it was built from).
for ws in ws-integration ws-ui ws-commands ws-memory ws-stops; do
  mkdir -p "$RUN/$ws" && cp -r "$REPO/guests/lguest/tour" "$RUN/$ws/tour" && rm -rf "$RUN/$ws/tour/obj"
done
cat >"$RUN/udd/User/settings.json" <<'EOF'
{
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "workbench.enableExperiments": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "security.workspace.trust.enabled": false,
  "workbench.colorTheme": "Default Dark Modern",
  "git.enabled": false,
  "chat.disableAIFeatures": true,
  "workbench.secondarySideBar.defaultVisibility": "hidden",
  "editor.minimap.enabled": false,
  // xterm's DOM renderer, so the test can read the Guest console's text from the page.
  "terminal.integrated.gpuAcceleration": "off"
}
EOF

PORT="${LGUEST_E2E_PORT:-$(node -e 's=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')}"
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$PORT" >"$RUN/config.yaml"
export CS_URL="http://127.0.0.1:$PORT" OUT_DIR="$ART" NODE_PATH="$TOOLS"

t=$(date +%s%N)
# setsid: the server and the extension hosts it starts (which outlive a closed page for hours) form
# one process group, ended together at exit.
setsid "$CS_BIN" --config "$RUN/config.yaml" --bind-addr "127.0.0.1:$PORT" --auth none \
  --disable-telemetry --disable-update-check --disable-workspace-trust --disable-getting-started-override \
  --user-data-dir "$RUN/udd" --extensions-dir "$RUN/exts" >"$ART/code-server.log" 2>&1 &
CS_PID=$!
stop_server() { # SIGTERM to the group; SIGKILL what is left after 10 s
  local t; t=$(date +%s%N)
  kill -- "-$CS_PID" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 -- "-$CS_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 -- "-$CS_PID" 2>/dev/null || true
  echo "== vscode-e2e: code-server stopped in $(ms_since "$t") ms"
}
trap stop_server EXIT
trap 'exit 143' TERM INT # so that the EXIT trap runs when `timeout` or Ctrl+C ends the script
healthy() { node -e 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$CS_URL/healthz"; }
for _ in $(seq 1 300); do healthy && break; kill -0 "$CS_PID" 2>/dev/null || break; sleep 0.2; done
healthy || { cat "$ART/code-server.log" >&2; echo "vscode-e2e: code-server did not come up on $CS_URL" >&2; exit 1; }
echo "== vscode-e2e: code-server up on $CS_URL in $(ms_since "$t") ms"

passed=0; failed=0
layer() {
  local name="$1"; shift
  local t; t=$(date +%s%N)
  echo "== vscode-e2e: $name"
  # A bound per layer, far above their run time (10-30 s), for a browser or server that hangs.
  if timeout 300 "$@"; then passed=$((passed + 1)); r=passed; else failed=$((failed + 1)); r=FAILED; fi
  echo "== vscode-e2e: $name $r in $(ms_since "$t") ms"
}
only="${LGUEST_E2E_ONLY:-}"
# Each layer opens its own copy of the tour workspace: breakpoints and view state are kept per
# folder, so one layer's leftovers cannot change what the other sees.
if [ -z "$only" ] || [ "$only" = integration ]; then
  layer "integration tests in the extension host" env WS_DIR="$RUN/ws-integration/tour" EXT_DIR="$EXT_DIR" \
    TESTS_JS="$RUN/integration/index.js" node "$REPO/test/vscode/integration.cjs"
fi
if [ -z "$only" ] || [ "$only" = ui ]; then
  layer "UI end-to-end (keyboard)" env WS_DIR="$RUN/ws-ui/tour" node "$REPO/test/vscode/e2e-ui.cjs"
fi
if [ -z "$only" ] || [ "$only" = commands ]; then
  layer "the views' menus, clicked (and the bare machine)" env WS_DIR="$RUN/ws-commands/tour" node "$REPO/test/vscode/e2e-commands.cjs"
fi
if [ -z "$only" ] || [ "$only" = memory ]; then
  layer "memory view end-to-end" env WS_DIR="$RUN/ws-memory/tour" node "$REPO/test/vscode/e2e-memory.cjs"
fi
if [ -z "$only" ] || [ "$only" = stops ]; then
  layer "stops across documents and runs (exception widget, Disassembly view, restarts)" env WS_DIR="$RUN/ws-stops/tour" node "$REPO/test/vscode/e2e-stops.cjs"
fi
echo "== vscode-e2e: layers: $passed passed, $failed failed in $(ms_since "$T_ALL") ms (screenshots and logs: ${ART#$REPO/}/)"
[ "$failed" = 0 ]
