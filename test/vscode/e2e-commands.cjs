'use strict';
// Every title-bar button and context-menu item the extension contributes to its views, clicked where a user
// clicks them, each checked for what it should do (issue 17: the palette passes nothing, a title bar the focused
// item or a context object, a context menu its tree item). The list comes from package.json's menus, so a new
// item cannot be forgotten: the test fails if one was not clicked, or applies to no tree item it knows. Then the
// bare machine (paging.elf): the GDT, IDT and page tables views show the CPU's tables, the lguest-only parts say
// what they are, and no notification pops up.
//   env: CS_URL, WS_DIR (a copy of guests/lguest/tour), OUT_DIR; playwright-core through NODE_PATH
const fs = require('node:fs');
const path = require('node:path');
const {
  OUT, log, launchBrowser, runCommand, pane, expandPane, collapsePane, waitForRow, waitForNoRow, screenshot,
  waitPaused, pressF5UntilLaunched, openTourWorkbench, addFunctionBreakpoint, noNotifications,
} = require('./lib.cjs');

const WS = process.env.WS_DIR;
const REPO = path.join(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8'));
const VIEWS = pkg.contributes.views.debug.map((v) => ({ id: v.id, name: v.name }));
const TITLES = Object.fromEntries(pkg.contributes.commands.map((c) => [c.command, c.title]));
// The tree items this test can find, by view and contextValue (the views' code sets them).
const ITEMS = [
  { view: 'lguest.idt', item: 'gate.handler' }, { view: 'lguest.idt', item: 'gate' },
  { view: 'lguest.traps', item: 'trap' }, { view: 'lguest.pagetables', item: 'pte' },
];
// Menus other tests click (the memory view's, in its own test).
const ELSEWHERE = { 'debug/variables/context': 'test/vscode/e2e-memory.cjs', commandPalette: 'not a menu: the palette' };

/** A `when` clause of VS Code's, as far as the menus use it: `||` of `&&` of `key == value` and `key =~ /re/`. */
function when(clause, ctx) {
  return clause.split('||').some((alt) => alt.split('&&').every((term) => {
    const eq = /^\s*(\w+)\s*==\s*(\S+)\s*$/.exec(term);
    if (eq) return ctx[eq[1]] === eq[2];
    const re = /^\s*(\w+)\s*=~\s*\/(.*)\/\s*$/.exec(term);
    if (re) return ctx[re[1]] !== undefined && new RegExp(re[2]).test(ctx[re[1]]);
    throw new Error(`a when clause this test cannot read: ${term}`);
  }));
}

/** What package.json asks to be clicked: `title <command> <view>` and `context <command> <view> <item>`. */
function contributed() {
  const want = new Set();
  for (const [menu, entries] of Object.entries(pkg.contributes.menus)) {
    if (menu !== 'view/title' && menu !== 'view/item/context') {
      if (!ELSEWHERE[menu]) throw new Error(`package.json has a menu this test does not click: ${menu}`);
      continue;
    }
    for (const e of entries) {
      const places = menu === 'view/title'
        ? VIEWS.filter((v) => when(e.when, { view: v.id })).map((v) => `title ${e.command} ${v.id}`)
        : ITEMS.filter((i) => when(e.when, { view: i.view, viewItem: i.item })).map((i) => `context ${e.command} ${i.view} ${i.item}`);
      if (places.length === 0) throw new Error(`${menu} ${e.command} (${e.when}) applies to nothing this test knows`);
      places.forEach((p) => want.add(p));
    }
  }
  return want;
}

const clicked = new Set();
const viewName = (id) => VIEWS.find((v) => v.id === id).name;

/** Only `keep` open among the lguest views (they share the side bar with Variables, Watch...). */
async function showOnly(page, keep) {
  for (const v of VIEWS) if (v.name !== keep) await collapsePane(page, v.name);
  await expandPane(page, keep);
}

async function clickTitleButton(page, viewId, command) {
  const header = pane(page, viewName(viewId)).locator('.pane-header');
  await header.hover();
  await header.locator(`.action-label[aria-label="${TITLES[command]}"]`).click();
  clicked.add(`title ${command} ${viewId}`);
  log(`clicked ${viewName(viewId)}'s title button "${TITLES[command]}"`);
}

async function clickContextItem(page, viewId, row, command, item) {
  await row.click({ button: 'right' });
  const menu = page.locator('.context-view .monaco-menu');
  await menu.waitFor({ state: 'visible' });
  // The menu takes a click that comes too soon after it opened as the right-click's own: point, then Enter.
  await menu.locator('.action-item .action-label', { hasText: new RegExp(`^${TITLES[command].replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }).hover();
  await page.keyboard.press('Enter');
  await menu.waitFor({ state: 'hidden' });
  clicked.add(`context ${command} ${viewId} ${item}`);
  log(`clicked "${TITLES[command]}" in the context menu of a ${item} in ${viewName(viewId)}`);
}

/** An input box by its title; returns its initial value. */
async function inputBox(page, title) {
  const widget = page.locator('.quick-input-widget', { has: page.locator('.quick-input-title', { hasText: title }) });
  await widget.waitFor({ state: 'visible' });
  return { widget, value: await widget.locator('input.input').inputValue() };
}

async function answer(page, widget, text) {
  await widget.locator('input.input').fill(text);
  await page.keyboard.press('Enter');
  await widget.waitFor({ state: 'hidden' });
}

/** A title-bar trap breakpoint: with no item focused VS Code passes its context object, and the command asks. */
async function trapBreakpointFromTitle(page, viewId, vector) {
  await clickTitleButton(page, viewId, 'lguest.addTrapBreakpoint');
  const { widget, value } = await inputBox(page, 'Add a trap breakpoint');
  if (/object/i.test(value)) throw new Error(`the box starts at ${value}`);
  await answer(page, widget, String(vector));
  await expandPane(page, 'Breakpoints');
  await waitForRow(page, 'Breakpoints', new RegExp(`^trap ${vector}$`));
  const rows = await pane(page, 'Breakpoints').locator('.monaco-list-row').allInnerTexts();
  if (rows.some((r) => /object/i.test(r))) throw new Error(`breakpoints: ${JSON.stringify(rows)}`);
}

let page;
(async () => {
  if (!WS) throw new Error('WS_DIR is not set');
  const want = contributed();
  log(`to click: ${[...want].join('; ')}`);
  // A second configuration: the bare machine's paging test, from the repository.
  const launch = path.join(WS, '.vscode/launch.json');
  fs.writeFileSync(launch, JSON.stringify({
    version: '0.2.0',
    configurations: [
      { type: 'lguest', request: 'launch', name: 'lguest: tour', program: '${workspaceFolder}/build/tour.elf', stopOnEntry: true },
      { type: 'lguest', request: 'launch', name: 'bare: paging', mode: 'bare', program: path.join(REPO, 'guests/bare/build/paging.elf') },
    ],
  }, null, 2));
  let browser;
  ({ browser, page } = await launchBrowser());
  await openTourWorkbench(page, WS, 260);

  // ---- The tour, at timer_tick: traps in the log, the Guest's own page tables, linear boot mode's slot left over.
  await pressF5UntilLaunched(page);
  await waitPaused(page, 'Paused on entry');
  await collapsePane(page, 'Watch');
  await collapsePane(page, 'Variables');
  await addFunctionBreakpoint(page, 'timer_tick');
  await page.keyboard.press('F5');
  await waitPaused(page, 'Paused on function breakpoint');
  await collapsePane(page, 'Call Stack');
  await collapsePane(page, 'Breakpoints');

  // Item 5: the leftover slot says what it is (no Guest directory read from physical page 0).
  await showOnly(page, 'Shadow Page Tables');
  await waitForRow(page, 'Shadow Page Tables', /^slot 0left from linear boot mode: shadows no Guest directory$/);
  await screenshot(page, 'c1-leftover-boot-slot');

  // Title bars: Refresh on each view, the rest where they are.
  for (const v of VIEWS) {
    if (!want.has(`title lguest.refresh ${v.id}`)) continue;
    await showOnly(page, v.name);
    await waitForRow(page, v.name, /\S/);
    await clickTitleButton(page, v.id, 'lguest.refresh');
    await waitForRow(page, v.name, /\S/);
  }
  await noNotifications(page, 'after the Refresh buttons');

  // Translate: the box starts at CR2; the whole walk shows at the top of the view.
  await showOnly(page, 'Shadow Page Tables');
  await clickTitleButton(page, 'lguest.pagetables', 'lguest.translate');
  const tr = await inputBox(page, 'Translate an address');
  if (!/^0x[0-9a-f]{8}$/.test(tr.value)) throw new Error(`the translate box starts at ${JSON.stringify(tr.value)}, not CR2`);
  await answer(page, tr.widget, tr.value);
  const selectedPte = pane(page, 'Shadow Page Tables').locator('.monaco-list-row.selected');
  await selectedPte.waitFor();
  const pteLabel = /^0x[0-9a-f]{8}/.exec(await selectedPte.innerText())?.[0];
  log(`CR2 ${tr.value}: page table entry ${pteLabel} selected`);
  await screenshot(page, 'c2-translate-cr2-entry');

  // Its context menu translates the entry's address.
  await clickContextItem(page, 'lguest.pagetables', selectedPte, 'lguest.translate', 'pte');
  await pane(page, 'Shadow Page Tables').locator('.monaco-list-row.selected', { hasText: pteLabel }).click();
  await page.keyboard.press('Home');
  await waitForRow(page, 'Shadow Page Tables', new RegExp(`^translate ${pteLabel}\\b`));
  await waitForRow(page, 'Shadow Page Tables', /^Guest PTE0x[0-9a-f]{8}/);
  await noNotifications(page, 'after the translations');
  await screenshot(page, 'c3-translate-from-entry-menu');

  // IDT: the title's trap breakpoint asks (it was `trap [object Object]`); a gate's menu and a click.
  await showOnly(page, 'IDT');
  await trapBreakpointFromTitle(page, 'lguest.idt', 13);
  await collapsePane(page, 'Breakpoints');
  const pf = pane(page, 'IDT').locator('.monaco-list-row', { hasText: /^\s*14\s+0x0e\s+page fault/ }).first();
  await clickContextItem(page, 'lguest.idt', pf, 'lguest.addTrapBreakpoint', 'gate.handler');
  await clickContextItem(page, 'lguest.idt', pf, 'lguest.revealTrap', 'gate.handler');
  await page.locator('.tab.active', { hasText: 'entry.S' }).waitFor();
  // A click on a gate shows its handler too: system_call's (entry.S), with no editor open before.
  await runCommand(page, 'View: Close All Editors');
  await page.locator('.tab').first().waitFor({ state: 'detached' });
  const sys = pane(page, 'IDT').locator('.monaco-list-row', { hasText: /^128\s+0x80\s+system call/ });
  await pane(page, 'IDT').locator('.monaco-list-row').first().click();
  await page.keyboard.press('End');
  await sys.click();
  await page.locator('.tab.active', { hasText: 'entry.S' }).waitFor();
  await screenshot(page, 'c4-idt-gate-shows-its-handler');
  // A gate without a handler (under "N other vectors"): its menu has the trap breakpoint.
  const others = pane(page, 'IDT').locator('.monaco-list-row', { hasText: /other vectors/ });
  await others.click();
  await page.keyboard.press('ArrowRight');
  const bare = pane(page, 'IDT').locator('.monaco-list-row', { hasText: /^\s*2\s+0x02\s/ }).first();
  await clickContextItem(page, 'lguest.idt', bare, 'lguest.addTrapBreakpoint', 'gate');
  await expandPane(page, 'Breakpoints');
  for (const v of [13, 14, 2]) await waitForRow(page, 'Breakpoints', new RegExp(`^trap ${v}$`));
  await screenshot(page, 'c5-idt-trap-breakpoints');
  await collapsePane(page, 'Breakpoints');

  // Traps: the title's trap breakpoint and filter; a trap's menu.
  await showOnly(page, 'Traps');
  await waitForRow(page, 'Traps', /^trap 14\s+page fault[\s\S]*fixed/);
  await trapBreakpointFromTitle(page, 'lguest.traps', 6);
  await collapsePane(page, 'Breakpoints');
  await clickTitleButton(page, 'lguest.traps', 'lguest.filterTraps');
  const fl = await inputBox(page, 'Filter the traps');
  await answer(page, fl.widget, 'direct');
  const traps = pane(page, 'Traps');
  await traps.locator('.pane-header', { hasText: 'filtered: direct' }).waitFor();
  await traps.getByText(/^Filtered to direct: \d+ of the \d+ most recent traps\.$/).waitFor();
  await waitForNoRow(page, 'Traps', /^trap (?![\s\S]*direct)/);
  await screenshot(page, 'c6-traps-filtered-by-action');
  // Every trap again (an empty filter), then a page fault's menu: its code, a breakpoint, a filter to its kind.
  await clickTitleButton(page, 'lguest.traps', 'lguest.filterTraps');
  const again = await inputBox(page, 'Filter the traps');
  if (again.value !== 'direct') throw new Error(`the filter box starts at ${JSON.stringify(again.value)}`);
  await answer(page, again.widget, '');
  const fault = traps.locator('.monaco-list-row', { hasText: /^trap 14\s+page fault[\s\S]*fixed/ }).first();
  await fault.waitFor();
  await clickContextItem(page, 'lguest.traps', fault, 'lguest.revealTrap', 'trap');
  await page.locator('.tab.active', { hasText: /\.c$|\.c\b/ }).waitFor();
  await clickContextItem(page, 'lguest.traps', fault, 'lguest.addTrapBreakpoint', 'trap');
  await clickContextItem(page, 'lguest.traps', fault, 'lguest.filterTraps', 'trap');
  await traps.locator('.pane-header', { hasText: 'filtered: trap 14; fixed' }).waitFor();
  await waitForNoRow(page, 'Traps', /^trap (?!14\s)/);
  await screenshot(page, 'c7-traps-filtered-from-a-trap');
  await noNotifications(page, 'after the menus');

  const missing = [...want].filter((w) => !clicked.has(w));
  if (missing.length > 0) throw new Error(`contributed but not clicked: ${missing.join('; ')}`);
  log(`clicked all ${want.size} contributed menu items`);

  // ---- The bare machine: paging.elf at demand_pf (paging on, the runtime's IDT loaded).
  await page.keyboard.press('Shift+F5');
  await page.locator('.debug-toolbar').waitFor({ state: 'hidden' });
  await runCommand(page, 'Remove All Breakpoints');
  await page.locator('.start-debug-action-item select').selectOption({ label: 'bare: paging' });
  await addFunctionBreakpoint(page, 'demand_pf');
  await collapsePane(page, 'Breakpoints');
  await expandPane(page, 'Call Stack');
  await page.locator('.monaco-workbench .part.editor').click({ position: { x: 300, y: 200 } });
  await page.keyboard.press('F5');
  await page.locator('.debug-toolbar').waitFor({ state: 'visible', timeout: 60_000 });
  await waitPaused(page, 'Paused on function breakpoint');
  await collapsePane(page, 'Call Stack');
  await showOnly(page, 'GDT');
  await waitForRow(page, 'GDT', /code, readable\s+base 0x00000000\s+limit 0xffffffff\s+DPL 0/);
  await pane(page, 'GDT').locator('.pane-header', { hasText: "the CPU's (bare machine)" }).waitFor();
  await showOnly(page, 'IDT');
  await waitForRow(page, 'IDT', /^\s*14\s+0x0e\s+page fault \(#PF\)→ isr_14\s+interrupt DPL 0$/);
  await screenshot(page, 'c8-bare-idt');
  await showOnly(page, 'Shadow Page Tables');
  await pane(page, 'Shadow Page Tables').locator('.pane-header', { hasText: "the CPU's own, at CR3" }).waitFor();
  await waitForRow(page, 'Shadow Page Tables', /^0x00000000-0x003fffffPDE 0x[0-9a-f]{8} P/);
  await clickTitleButton(page, 'lguest.pagetables', 'lguest.translate');
  const btr = await inputBox(page, 'Translate an address');
  if (!/^0x[0-9a-f]{8}$/.test(btr.value)) throw new Error(`the translate box starts at ${JSON.stringify(btr.value)}, not CR2`);
  await answer(page, btr.widget, btr.value);
  await pane(page, 'Shadow Page Tables').locator('.monaco-list-row.selected').click();
  await page.keyboard.press('Home');
  await waitForRow(page, 'Shadow Page Tables', new RegExp(`^translate ${btr.value}`));
  await waitForRow(page, 'Shadow Page Tables', /^notebare machine: no shadow$/);
  await screenshot(page, 'c9-bare-page-tables');
  await showOnly(page, 'Traps');
  await pane(page, 'Traps').getByText(/^A bare machine has no Host: no trap log/).waitFor();
  await screenshot(page, 'c10-bare-traps');
  await noNotifications(page, 'on the bare machine');
  await runCommand(page, 'Notifications: Show Notifications');
  const center = page.locator('.notifications-center');
  await center.waitFor({ state: 'visible' });
  const items = await center.locator('.notification-list-item').allInnerTexts();
  if (items.length > 0) throw new Error(`in the notifications center: ${JSON.stringify(items)}`);
  await page.keyboard.press('Shift+F5');
  await page.locator('.debug-toolbar').waitFor({ state: 'hidden' });
  await browser.close();
  console.log('1 passed, 0 failed');
})().catch(async (e) => {
  console.error(e);
  if (page) await screenshot(page, 'commands-failure').catch(() => {});
  console.log('0 passed, 1 failed');
  process.exit(1);
});
