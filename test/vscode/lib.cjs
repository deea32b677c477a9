'use strict';
// What the two Playwright drivers share: Debian's chromium through playwright-core, opening the
// code-server workbench, the command palette, view panes, and waiting for text without sleeping.
// playwright-core is resolved through NODE_PATH (run.sh points it at the setup's tools dir).
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const BASE = process.env.CS_URL || 'http://127.0.0.1:8931';
const OUT = process.env.OUT_DIR || path.join(__dirname, '../../test-artifacts/vscode-e2e');
// The machine may be loaded: every wait is for a condition, with a generous limit.
const TIMEOUT = Number(process.env.E2E_TIMEOUT_MS || 60_000);

const t0 = Date.now();
function log(msg) {
  console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}`);
}

async function launchBrowser() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // --no-sandbox: we run as root. The rest keeps chromium off the network and the GPU.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run', '--disable-default-apps'],
  });
  const context = await browser.newContext({ viewport: { width: 1600, height: 1000 } });
  const page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  page.on('pageerror', (e) => log(`pageerror: ${e.message}`));
  return { browser, page };
}

/** Opens the workbench on a folder; `query` adds URL parameters (the test payload). */
async function openWorkbench(page, folder, query = '') {
  await page.goto(`${BASE}/?folder=${encodeURIComponent(folder)}${query}`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('.monaco-workbench');
  await page.waitForSelector('.statusbar'); // rendered once the workbench has restored its parts
  log('workbench open');
}

/** Drags the side bar's edge to the right, so that the views' descriptions fit in screenshots. */
async function widenSideBar(page, by) {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box) return;
  const x = box.x + box.width, y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + by, y, { steps: 5 });
  await page.mouse.up();
}

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Runs a command from the palette (F1). Clicks the row whose label is exactly `label`: Enter would
 * take the first row, and fuzzy ranking may put another command there. The palette can close under the
 * typing or the click (CI runs waited a minute on a row, then on the palette's input, no longer visible,
 * the focus taken as a debug session ended): then it is opened again, up to three times.
 */
async function runCommand(page, label) {
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input.input');
    const row = page.locator('.quick-input-list .monaco-list-row')
      .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(label)}$`) }) }).first();
    try {
      await input.waitFor({ state: 'visible', timeout: 15_000 });
      await input.fill(`>${label}`, { timeout: 15_000 });
      await row.waitFor({ state: 'visible', timeout: 15_000 });
      await row.click({ timeout: 15_000 });
      return;
    } catch (e) {
      if (attempt === 3) throw e;
      log(`the palette closed before "${label}" ran: again`);
      await page.keyboard.press('Escape');
    }
  }
}

/** A view pane of the side bar, by its title ("Call Stack", "Shadow Page Tables", ...). */
function pane(page, title) {
  return page.locator('.pane', { has: page.locator('.pane-header', { hasText: new RegExp(`^\\s*${escapeRe(title)}`) }) });
}

async function expandPane(page, title) {
  const header = pane(page, title).locator('.pane-header').first();
  await header.waitFor();
  if ((await header.getAttribute('aria-expanded')) === 'false') await header.click();
}

async function collapsePane(page, title) {
  const header = pane(page, title).locator('.pane-header').first();
  if ((await header.count()) && (await header.getAttribute('aria-expanded')) === 'true') await header.click();
}

/** Polls a function returning strings until one matches `re`; returns them all. */
async function waitForText(what, read, re, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  let last = [];
  for (;;) {
    last = await read().catch(() => []);
    if (last.some((t) => re.test(t))) return last;
    if (Date.now() > deadline) throw new Error(`${what}: nothing matches ${re}; saw ${JSON.stringify(last).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Waits for a row of a view pane to match `re`; returns the rows' texts. */
function waitForRow(page, title, re, timeout) {
  return waitForText(`pane "${title}"`, () => pane(page, title).locator('.monaco-list-row').allInnerTexts(), re, timeout);
}

/** Waits until no row of a view pane matches `re`. */
async function waitForNoRow(page, title, re, timeout = TIMEOUT) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const rows = await pane(page, title).locator('.monaco-list-row').allInnerTexts().catch(() => null);
    if (rows && !rows.some((t) => re.test(t))) return rows;
    if (Date.now() > deadline) throw new Error(`pane "${title}": a row still matches ${re}: ${JSON.stringify(rows)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function screenshot(page, name) {
  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file });
  log(`screenshot ${path.relative(process.cwd(), file)}`);
}

/**
 * The Call Stack pane's header says why the session stopped: "Paused on entry", "Paused on
 * function breakpoint", or for an exception stop its description ("trap 14: page fault at ...").
 */
async function waitPaused(page, what) {
  await pane(page, 'Call Stack').locator('.pane-header', { hasText: what }).waitFor();
  log(`Call Stack: ${what}`);
}

/**
 * The workbench on the tour workspace, ready for F5: keyboard focus in the editor area, Run and Debug
 * open with its configuration picker on "lguest: tour" (F5 before the workbench has read launch.json
 * only opens Run and Debug), the side bar widened by `widen` pixels.
 */
async function openTourWorkbench(page, ws, widen) {
  await openWorkbench(page, ws);
  await page.locator('.monaco-workbench .part.editor').click({ position: { x: 300, y: 200 } });
  await runCommand(page, 'View: Show Run and Debug');
  await waitForText('the launch configuration picker',
    () => page.locator('.start-debug-action-item select').evaluateAll((ss) => ss.map((s) => s.options[s.selectedIndex]?.text ?? '')),
    /^lguest: tour$/);
  await widenSideBar(page, widen);
}

/** One named step of a test, said in the log before it runs (what failed is the last step named). */
async function step(name, fn) {
  log(`step: ${name}`);
  await fn();
}

/** A tree row's text as `name = value` (or `name: value`), the value a regular expression. */
function nameValue(name, value) {
  return new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*[=:]\\s*${value}$`);
}

/**
 * F5 in the editor area until a launch begins (the debug toolbar shows), three presses at most, then wait for
 * the toolbar. F5 was seen to do nothing when pressed before the workbench knew the extension's debugger, or
 * with the focus left on the picker's Start button; a user presses it again. A second press cannot launch twice:
 * F5's keybinding wants the debug state inactive, and the toolbar comes up as soon as a launch begins.
 */
async function pressF5UntilLaunched(page) {
  for (let attempt = 1; ; attempt++) {
    await page.locator('.monaco-workbench .part.editor').click({ position: { x: 300, y: 200 } });
    await page.keyboard.press('F5');
    if (attempt === 3) break;
    if (await page.locator('.debug-toolbar').waitFor({ state: 'visible', timeout: 15_000 }).then(() => true, () => false)) break;
    log(`F5 #${attempt} started no launch: F5 again`);
  }
  // The first launch starts the extension and the adapter's process: on a loaded machine that can take a while.
  await page.locator('.debug-toolbar').waitFor({ state: 'visible', timeout: 120_000 });
}

/** An input box opened by a command: wait for its title, type, Enter. */
async function answerInputBox(page, title, text) {
  const widget = page.locator('.quick-input-widget', { has: page.locator('.quick-input-title', { hasText: title }) });
  await widget.waitFor({ state: 'visible' });
  await widget.locator('input.input').fill(text);
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden' });
}

/** The text of the terminal on show (xterm's DOM renderer: settings.json turns the GPU one off). */
async function terminalText(page) {
  return page.locator('.terminal-wrapper.active .xterm-rows').allInnerTexts();
}

/**
 * A function breakpoint typed into the Breakpoints view, as a user adds one (the palette's command, then its name).
 * The name goes into the row's text box itself (not the exception filters' checkboxes above it, which the wait
 * once found first: then the name, typed as keys, could start before the box had the focus, and a loaded CI
 * machine lost its first letter, "imer_tick").
 */
async function addFunctionBreakpoint(page, name) {
  await expandPane(page, 'Breakpoints');
  await runCommand(page, 'Add Function Breakpoint'); // no "Debug:" in its palette label
  const input = pane(page, 'Breakpoints').locator('.monaco-list-row input:not([type="checkbox"]), .monaco-list-row textarea').first();
  await input.waitFor({ state: 'visible' });
  await input.fill(name);
  await input.press('Enter');
  await waitForRow(page, 'Breakpoints', new RegExp(`^${escapeRe(name)}$`));
}

/** No error popped up (a view's own failed request, say): the notifications on show, none wanted. */
async function noNotifications(page, when) {
  const toasts = await page.locator('.notification-toast').allInnerTexts();
  if (toasts.length > 0) throw new Error(`notifications ${when}: ${JSON.stringify(toasts)}`);
}

module.exports = {
  BASE, OUT, TIMEOUT, log, launchBrowser, openWorkbench, widenSideBar, runCommand, pane, expandPane, collapsePane, waitForText,
  waitForRow, waitForNoRow, screenshot, nameValue, pressF5UntilLaunched, waitPaused, openTourWorkbench, step,
  answerInputBox, terminalText, addFunctionBreakpoint, noNotifications,
};
