/**
 * A translation (lguest.translate) as nodes of the page tables view: the whole walk, each level on a row of its
 * own, where a notification would cut it short. Under lguest the Guest's walk and the shadow's; on the bare machine
 * the CPU's.
 */
import * as vscode from 'vscode';
import { Node } from './common';
import type { TranslateBody, WalkJson, WalkStepJson } from '../debugAdapter/lguestRequests';

const step = (s: WalkStepJson | null | undefined) => (s ? `${s.value} ${s.flags.join(' ')}  (at ${s.address})` : '-');

function row(label: string, description: string, icon: string): Node {
  const n = new Node(label);
  n.description = description;
  n.iconPath = new vscode.ThemeIcon(icon);
  return n;
}

function walkRows(who: string, w: WalkJson | undefined): Node[] {
  if (!w) return [];
  return [
    row(`${who}PDE`, step(w.pde), 'symbol-array'),
    row(`${who}PTE`, step(w.pte), 'symbol-field'),
    row(`${who}physical`, w.physical ?? 'not mapped', w.physical ? 'pass' : 'circle-slash'),
  ];
}

/** The translation's node, expanded: the address and where it ends, then each step. */
export function translationNode(r: TranslateBody, bare: boolean): Node {
  const end = (bare ? r.physical : r.guest?.physical) ?? 'not mapped';
  const rows = bare
    ? [...walkRows('', r.guest), ...(r.guest ? [] : [row('physical', r.physical ?? 'not mapped', 'pass')])]
    : [...walkRows('Guest ', r.guest), ...walkRows('shadow ', r.shadow)];
  if (r.note) rows.push(row('note', r.note, 'info'));
  const n = new Node(
    `translate ${r.address}${r.symbol ? ` <${r.symbol}>` : ''}`, vscode.TreeItemCollapsibleState.Expanded,
    async () => rows,
  );
  n.description = `→ ${end}${bare || !r.shadow ? '' : `, shadow → ${r.shadow.physical ?? 'not yet'}`}`;
  n.tooltip = [n.label, ...rows.map((x) => `${x.label}: ${x.description}`)].join('\n');
  n.iconPath = new vscode.ThemeIcon('search');
  n.id = `translation ${r.address}`;
  n.contextValue = 'translation';
  n.arg = { address: r.address };
  return n;
}
