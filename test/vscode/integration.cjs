'use strict';
// Runs test/vscode/integration/ inside code-server's real extension host. The workbench URL's
// `payload` names an extension to develop and a test module (extensionDevelopmentPath and
// extensionTestsPath, the mechanism of VS Code web's Extension Development Host windows). The
// extension host loads the test module and calls its run(); when that settles, the workbench calls
// window.codeAutomationExit(0 or 1) in the page, and window.codeAutomationLog carries the extension
// host's console output. Both must exist before the page loads.
//   env: CS_URL, WS_DIR (the folder to open), EXT_DIR (the installed extension's folder on the
//   server), TESTS_JS (the bundled test module), OUT_DIR
const fs = require('node:fs');
const path = require('node:path');
const { BASE, OUT, log, launchBrowser, openWorkbench, screenshot } = require('./lib.cjs');

const WS = process.env.WS_DIR;
const EXT = process.env.EXT_DIR;
const TESTS = process.env.TESTS_JS;
const LIMIT = Number(process.env.INTEGRATION_TIMEOUT_MS || 240_000);

let page;
(async () => {
  for (const [k, v] of Object.entries({ WS_DIR: WS, EXT_DIR: EXT, TESTS_JS: TESTS })) if (!v) throw new Error(`${k} is not set`);
  fs.mkdirSync(OUT, { recursive: true });
  const logFile = fs.createWriteStream(path.join(OUT, 'integration.log'));
  ({ page } = await launchBrowser());

  let settle;
  const exited = new Promise((resolve) => { settle = resolve; });
  await page.exposeFunction('codeAutomationExit', (code) => settle(code));
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const line = (args || []).map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ');
    logFile.write(`[${type}] ${line}\n`);
    // The test lines: "ok - ...", "not ok - ...", and the summary.
    if (/^(ok|not ok|#) |^\d+ passed, \d+ failed/m.test(line)) console.log(line);
  });

  const remote = (p) => `vscode-remote://${new URL(BASE).host}${p}`; // the server's files, seen from the page
  const payload = JSON.stringify([['extensionDevelopmentPath', remote(EXT)], ['extensionTestsPath', remote(TESTS)]]);
  const t = Date.now();
  await openWorkbench(page, WS, `&payload=${encodeURIComponent(payload)}`);
  const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('no exit code'), LIMIT))]);
  log(`tests finished with exit code ${code} after ${Date.now() - t} ms`);
  await screenshot(page, 'integration-end');
  logFile.end();
  process.exit(code === 0 ? 0 : 1);
})().catch(async (e) => {
  console.error(e);
  if (page) await screenshot(page, 'integration-failure').catch(() => {});
  process.exit(1);
});
