'use strict';
// The memory view in the real workbench (issue 17), with the keyboard and the mouse: F5 on the tour,
// a function breakpoint on syscall_dispatch, "lguest: Open Memory View" from the palette; `$esp`
// typed into the view shows the stack; `&stat_syscalls` followed across a stop shows the counter the
// kernel bumped as changed; at the write system call `tf->ecx` is hello's text, a byte typed over
// its first letter comes out of the Guest capitalized; a write to the Host's memory is refused in the
// view (no notification); an unmapped page shows ??; "View Memory" from a variable's context menu in
// Variables opens the view at that variable. A screenshot after each step in OUT_DIR.
//   env: CS_URL, WS_DIR (a copy of guests/lguest/tour), OUT_DIR; playwright-core through NODE_PATH
const fs = require('node:fs');
const {
  OUT, log, launchBrowser, runCommand, pane, expandPane, collapsePane, waitForText, waitForRow, screenshot,
  waitPaused, pressF5UntilLaunched, nameValue, openTourWorkbench, step, addFunctionBreakpoint,
} = require('./lib.cjs');

const WS = process.env.WS_DIR;

/** The memory view's page: a webview is an iframe holding the page's iframe. */
function memoryFrame(page) {
  return page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
}

/** Types an expression into the view's input and follows it; waits until the view says where it is. */
async function follow(page, view, expression) {
  const input = view.locator('#expression');
  await input.click();
  await input.fill(expression);
  await page.keyboard.press('Enter');
  const escaped = expression.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const where = await waitForText(`the memory view following ${expression}`, async () => [await view.locator('#where').innerText()],
    new RegExp(`^${escaped} = \\S`));
  await waitForText('the bytes read', () => view.locator('.byte.target').allInnerTexts(), /^[0-9a-f?]{2}$/);
  log(`memory view: ${where[0]}`);
  return where[0];
}

/** The view's rows as text: offset, bytes, ASCII. */
async function rows(view) {
  return view.locator('.row').evaluateAll((rs) => rs.map((r) => ({
    offset: r.querySelector('.offset').textContent,
    bytes: [...r.querySelectorAll('.byte')].map((b) => b.textContent),
    ascii: r.querySelector('.ascii').textContent,
  })));
}

let page;
(async () => {
  if (!WS) throw new Error('WS_DIR is not set');
  fs.mkdirSync(OUT, { recursive: true });
  let browser;
  ({ browser, page } = await launchBrowser());

  await step('F5 to syscall_dispatch', async () => {
    await openTourWorkbench(page, WS, 100);
    await pressF5UntilLaunched(page);
    if (!(await pane(page, 'Call Stack').isVisible())) await runCommand(page, 'View: Show Run and Debug');
    await waitPaused(page, 'Paused on entry');
    await collapsePane(page, 'Watch');
    await addFunctionBreakpoint(page, 'syscall_dispatch');
    await collapsePane(page, 'Breakpoints');
    await expandPane(page, 'Call Stack');
    await page.keyboard.press('F5');
    await waitPaused(page, 'Paused on function breakpoint');
    await waitForRow(page, 'Call Stack', /^syscall_dispatch[\s\S]*syscalls\.c/);
  });

  let view;
  await step('the palette opens the memory view; $esp shows the stack', async () => {
    await runCommand(page, 'lguest: Open Memory View');
    view = memoryFrame(page);
    await view.locator('#expression').waitFor();
    const where = await follow(page, view, '$esp');
    const esp = Number(/^\$esp = (0x[0-9a-f]{8})/.exec(where)?.[1]);
    if (!(esp >= 0xc0000000)) throw new Error(`$esp is not a kernel stack address: ${where}`);
    // The row that holds esp: on show, every byte read (the stack is mapped), the followed byte marked.
    const row = `0x${(Math.floor(esp / 16) * 16).toString(16).padStart(8, '0')}`;
    const shown = await rows(view);
    const r = shown.find((x) => x.offset === row);
    if (!r) throw new Error(`no row ${row} in ${JSON.stringify(shown.map((x) => x.offset))}`);
    if (!r.bytes.every((b) => /^[0-9a-f]{2}$/.test(b))) throw new Error(`stack row ${row}: ${r.bytes.join(' ')}`);
    // The return address syscall_dispatch was called with: 4 bytes at esp, a kernel text address.
    const at = esp % 16;
    const word = shown.flatMap((x) => x.bytes).slice(shown.indexOf(r) * 16 + at, shown.indexOf(r) * 16 + at + 4);
    const ret = parseInt(word.reverse().join(''), 16);
    if (!(ret >= 0xc0100000 && ret < 0xc0200000)) throw new Error(`the word at $esp is no return address into the kernel: ${word.join(' ')}`);
    log(`$esp = 0x${esp.toString(16)}, return address 0x${ret.toString(16)}`);
    await screenshot(page, 'm1-memory-esp');
  });

  await step('&stat_syscalls across a stop: the counter bumped is marked changed', async () => {
    await follow(page, view, '&stat_syscalls');
    const before = await view.locator('.byte.changed').count();
    if (before !== 0) throw new Error(`${before} bytes marked changed before any stop`);
    // The next system call: the last one's counter (getpid's) has gone up by one.
    await runCommand(page, 'Debug: Continue');
    await waitForText('changed bytes after the next stop', () => view.locator('.byte.changed').allInnerTexts(), /^[0-9a-f]{2}$/);
    const changed = await view.locator('.byte.changed').count();
    log(`bytes changed at the next stop: ${changed}`);
    await screenshot(page, 'm2-memory-changed-since-last-stop');
  });

  await step('a byte typed over hello\'s text comes out of the Guest', async () => {
    // This stop is hello's write: tf->ecx is its buffer, "[hello] hello, world: ...".
    const where = await follow(page, view, 'tf->ecx');
    const buf = Number(/= (\d+|0x[0-9a-f]+)/.exec(where)?.[1]);
    const text = (await rows(view)).map((r) => r.ascii).join('');
    if (!text.includes('[hello] hello, world')) throw new Error(`tf->ecx does not show hello's text: ${where}: ${text}`);
    const h = view.locator(`.byte[data-address="${buf + 1}"]`);
    if ((await h.innerText()) !== '68') throw new Error(`the byte after '[' is ${await h.innerText()}, not 68 ('h')`);
    await h.click();
    await page.keyboard.type('48');
    await waitForText('the written byte', async () => [await view.locator(`.byte[data-address="${buf + 1}"]`).innerText()], /^48$/);
    await waitForText('the view\'s notice', async () => [await view.locator('#notice').innerText()], /^wrote 0x48 at 0x/);
    // Written since the stop: marked changed.
    if (!(await view.locator(`.byte.changed[data-address="${buf + 1}"]`).count())) throw new Error('the written byte is not marked changed');
    await screenshot(page, 'm3-memory-byte-written');
    await runCommand(page, 'Debug: Continue');
    await waitForText('Debug Console', () => page.locator('.repl .monaco-list-row').allInnerTexts(), /\[Hello\] hello, world/);
    await waitPaused(page, 'Paused on function breakpoint');
    await screenshot(page, 'm4-guest-printed-the-edit');
  });

  await step('a write to the Host\'s memory is refused in the view; an unmapped page is ??', async () => {
    await follow(page, view, '0xffc00000');
    const first = view.locator('.byte[data-address="4290772992"]');
    const was = await first.innerText();
    if (!/^[0-9a-f]{2}$/.test(was)) throw new Error(`the Switcher's first byte is not readable: ${was}`);
    await first.click();
    await page.keyboard.type(was === '00' ? '01' : '00');
    await waitForText('the refusal', async () => [await view.locator('#notice').innerText()], /^cannot write 0xffc00000: \S/);
    if ((await first.innerText()) !== was) throw new Error('the Host\'s byte changed');
    log(`refused: ${await view.locator('#notice').innerText()}`);
    await screenshot(page, 'm5-memory-host-write-refused');
    await follow(page, view, '0');
    const r = await rows(view);
    if (!r.some((x) => x.offset === '0x00000000' && x.bytes.every((b) => b === '??'))) throw new Error(`page 0: ${JSON.stringify(r[0])}`);
    await screenshot(page, 'm6-memory-unmapped');
    // The refusal belongs in the view: nothing pops up (the adapter answers it without showUser).
    const toasts = await page.locator('.notification-toast').allInnerTexts();
    if (toasts.length > 0) throw new Error(`notifications: ${JSON.stringify(toasts)}`);
  });

  await step('View Memory from a variable\'s context menu', async () => {
    await collapsePane(page, 'Call Stack');
    await expandPane(page, 'Variables');
    await waitForRow(page, 'Variables', nameValue('tf', '0x[0-9a-f]{8} <.*>'));
    const tf = pane(page, 'Variables').locator('.monaco-list-row', { hasText: nameValue('tf', '0x.*') }).first();
    await tf.click();
    await page.keyboard.press('ArrowRight');
    const shown = await waitForRow(page, 'Variables', nameValue('eax', '\\d+'));
    const eax = Number(nameValue('eax', '(\\d+)').exec(shown.find((r) => nameValue('eax', '\\d+').test(r)))[1]);
    const row = pane(page, 'Variables').locator('.monaco-list-row', { hasText: nameValue('eax', '\\d+') }).first();
    await row.click({ button: 'right' });
    const item = page.locator('.context-view .action-label', { hasText: /^View Memory$/ });
    await item.waitFor();
    await screenshot(page, 'm7-variables-context-menu');
    await item.click();
    // The view at tf->eax's address: its first byte is eax's lowest.
    const where = await waitForText('the view at tf->eax', async () => [await view.locator('#where').innerText()], /^0x[0-9a-f]{8} = /);
    await waitForText('tf->eax\'s first byte', () => view.locator('.byte.target').allInnerTexts(), new RegExp(`^${(eax & 0xff).toString(16).padStart(2, '0')}$`));
    const typed = await view.locator('#expression').inputValue();
    if (!where[0].startsWith(`${typed} = `)) throw new Error(`the view's input says ${typed}, the view ${where[0]}`);
    log(`View Memory on tf->eax (${eax}): ${where[0]}`);
    await screenshot(page, 'm8-memory-from-variables');
  });

  await step('Shift+F5: the view says the session ended', async () => {
    await runCommand(page, 'Debug: Stop');
    await page.locator('.debug-toolbar').waitFor({ state: 'hidden' });
    await waitForText('the view after the end', async () => [await view.locator('#where').innerText()], /the session has ended/);
    await screenshot(page, 'm9-memory-session-ended');
  });

  await browser.close();
  console.log('1 passed, 0 failed');
})().catch(async (e) => {
  console.error(e);
  if (page) await screenshot(page, 'memory-failure').catch(() => {});
  console.log('0 passed, 1 failed');
  process.exit(1);
});
