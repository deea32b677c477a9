/**
 * The VS Code extension: the `lguest` debugger type (its adapter runs as a
 * process of its own, dist/debugAdapter.js), a configuration provider for
 * sessions without a launch.json, the views of the machine (GDT, IDT,
 * shadow page tables, traps), the Guest's console in a terminal, and a few
 * commands. Nothing here runs the Guest: the adapter does.
 */
import * as vscode from 'vscode';
import { appendFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { GdtView } from './views/gdtView';
import { IdtView } from './views/idtView';
import { PageTablesView } from './views/pageTablesView';
import { TrapsView } from './views/trapsView';
import { GuestConsole, AdapterMessage } from './views/console';
import { LguestView } from './views/common';
import { registerMemoryView } from './views/memoryView';
import { addTrapBreakpoint, translate, revealCode, filterTraps } from './views/commands';

/** What the extension hands to other extensions (and to its tests inside VS Code): its views' data. */
export interface LguestApi {
  views: { gdt: GdtView; idt: IdtView; pagetables: PageTablesView; traps: TrapsView };
}

export function activate(context: vscode.ExtensionContext): LguestApi {
  const adapter = context.asAbsolutePath(join('dist', 'debugAdapter.js'));
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory('lguest', {
      createDebugAdapterDescriptor: () => new vscode.DebugAdapterExecutable(process.execPath, [adapter]),
    }),
    vscode.debug.registerDebugConfigurationProvider('lguest', new ConfigurationProvider(context)),
  );

  const gdt = new GdtView(), idt = new IdtView(), pagetables = new PageTablesView(), traps = new TrapsView();
  const views: LguestView[] = [gdt, idt, pagetables, traps];
  const ids = ['lguest.gdt', 'lguest.idt', 'lguest.pagetables', 'lguest.traps'];
  const treeViews = views.map((v, i) => vscode.window.createTreeView(ids[i], {
    treeDataProvider: v, showCollapseAll: true,
  }));
  context.subscriptions.push(...treeViews);
  views.forEach((v, i) => { v.treeView = treeViews[i]; });
  const refresh = () => views.forEach((v) => v.refresh());
  const console = new GuestConsole();
  context.subscriptions.push(console);

  // The adapter's messages, as they pass: stops refresh the views; the Guest's console reads its output, and its
  // keyboard waits for the launch and stops at the end.
  context.subscriptions.push(vscode.debug.registerDebugAdapterTrackerFactory('lguest', {
    createDebugAdapterTracker: (session) => {
      const guest = console.attach(session);
      // LGUEST_DAP_LOG=<file> in VS Code's environment: every message both ways, a line each (how issue 17's
      // missing exception widget was found: VS Code fetched the stack twice).
      const log = process.env.LGUEST_DAP_LOG;
      const trace = (dir: string, m: unknown) => { if (log) appendFileSync(log, `${Date.now()} ${dir} ${JSON.stringify(m)}\n`); };
      return {
        onWillReceiveMessage: (m: unknown) => trace('->', m),
        onDidSendMessage: (m: AdapterMessage) => {
          trace('<-', m);
          if (m.type === 'event' && (m.event === 'stopped' || m.event === 'invalidated')) refresh();
          guest.message(m);
        },
        onWillStopSession: () => { refresh(); guest.end(); },
        onExit: () => guest.end(),
      };
    },
  }));
  context.subscriptions.push(vscode.debug.onDidChangeActiveDebugSession(() => refresh()));

  context.subscriptions.push(
    vscode.commands.registerCommand('lguest.refresh', refresh),
    vscode.commands.registerCommand('lguest.openConsole', () => console.show()),
    // The views' commands take whatever the place they are run from passes (views/commands.ts).
    vscode.commands.registerCommand('lguest.addTrapBreakpoint', (arg?: unknown) => addTrapBreakpoint(arg)),
    vscode.commands.registerCommand('lguest.translate', (arg?: unknown) => translate(arg, pagetables)),
    vscode.commands.registerCommand('lguest.revealTrap', (arg?: unknown) => revealCode(arg)),
    vscode.commands.registerCommand('lguest.filterTraps', (arg?: unknown) => filterTraps(arg, traps)),
  );
  registerMemoryView(context);
  return { views: { gdt, idt, pagetables, traps } };
}

export function deactivate(): void {}

/**
 * Fills in a launch configuration when there is none (F5 without
 * launch.json): debug the ELF open in the editor, or else the sample tour
 * that comes with the extension.
 */
class ConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly context: vscode.ExtensionContext) {}

  resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration,
  ): vscode.DebugConfiguration | undefined {
    if (!config.type && !config.request && !config.name) {
      const open = vscode.window.activeTextEditor?.document.uri.fsPath;
      const sample = this.context.asAbsolutePath(join('guests', 'lguest', 'tour', 'build', 'tour.elf'));
      const program = open && open.endsWith('.elf') ? open : sample;
      if (!existsSync(program)) {
        void vscode.window.showErrorMessage(
          'Open an ELF file to debug, or add an lguest configuration to launch.json.',
        );
        return undefined;
      }
      return {
        type: 'lguest', request: 'launch', name: 'lguest: ' + program.split('/').pop(), program, stopOnEntry: true,
      };
    }
    if (!config.program) {
      void vscode.window.showErrorMessage("An lguest launch configuration needs 'program', the Guest's ELF file.");
      return undefined;
    }
    return config;
  }
}
