/**
 * The Registers and lguest scopes: the Guest's machine state as variables,
 * in lower case and hex, with the bits of EFLAGS, CR0 and CR4 and the
 * descriptor cache of each segment register as children.
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import { Target, GPR_NAMES } from './runtime/target';
import { SEG_NAMES, CS, SS, DS, ES, FS, GS } from '../vm/cpu/state';
import { lguestData, shadowSlots } from '../vm/lguest/inspect';
import { trapName } from '../vm/lguest/describe';

export const hex = (v: number, digits = 8) => `0x${(v >>> 0).toString(16).padStart(digits, '0')}`;

/** A variable's children (an array's: `count` of them from `start`, when the client pages through them). */
export type Child = (start?: number, count?: number) => DebugProtocol.Variable[];

const EFLAGS_BITS: [string, number][] = [
  ['cf', 0], ['pf', 2], ['af', 4], ['zf', 6], ['sf', 7], ['tf', 8], ['if', 9], ['df', 10], ['of', 11], ['nt', 14],
  ['rf', 16], ['vm', 17], ['ac', 18], ['id', 21],
];
const CR0_BITS: [string, number][] = [
  ['pe', 0], ['mp', 1], ['em', 2], ['ts', 3], ['et', 4], ['ne', 5], ['wp', 16], ['am', 18], ['nw', 29], ['cd', 30],
  ['pg', 31],
];
const CR4_BITS: [string, number][] = [
  ['vme', 0], ['pvi', 1], ['tsd', 2], ['de', 3], ['pse', 4], ['pae', 5], ['mce', 6], ['pge', 7], ['pce', 8],
];

/** What VS Code offers no Set Value for: everything here but the general registers, eip and eflags. */
const READ_ONLY: DebugProtocol.VariablePresentationHint = { attributes: ['readOnly'] };

function bits(v: number, names: [string, number][]): DebugProtocol.Variable[] {
  return names.map(([n, b]) => ({ name: n, value: String((v >>> b) & 1), variablesReference: 0, presentationHint: READ_ONLY }));
}

/** A descriptor's fields, decoded (lo, hi: its two words). */
export function describeDescriptor(lo: number, hi: number): {
  base: number; limit: number; type: string; dpl: number; present: boolean; db: boolean; g: boolean; accessed: boolean;
  system: boolean;
} {
  const base = ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) >>> 0;
  let limit = (lo & 0xffff) | (hi & 0xf0000);
  const g = (hi & 0x800000) !== 0;
  if (g) limit = ((limit << 12) | 0xfff) >>> 0;
  const system = (hi & 0x1000) === 0;
  const t = (hi >>> 8) & 0xf;
  const type = system
    ? ([
      'reserved', '16-bit TSS', 'LDT', '16-bit TSS (busy)', '16-bit call gate', 'task gate', '16-bit interrupt gate',
      '16-bit trap gate', 'reserved', '32-bit TSS', 'reserved', '32-bit TSS (busy)', '32-bit call gate', 'reserved',
      '32-bit interrupt gate', '32-bit trap gate',
    ][t])
    : (t & 8) !== 0 ? `code${t & 2 ? ', readable' : ''}${t & 4 ? ', conforming' : ''}`
      : `data${t & 2 ? ', writable' : ', read-only'}${t & 4 ? ', expand-down' : ''}`;
  return {
    base, limit, type, dpl: (hi >>> 13) & 3, present: (hi & 0x8000) !== 0, db: (hi & 0x400000) !== 0, g,
    accessed: !system && (t & 1) !== 0, system,
  };
}

function descriptorChildren(d: ReturnType<typeof describeDescriptor>): DebugProtocol.Variable[] {
  const v = (name: string, value: string) => ({ name, value, variablesReference: 0, presentationHint: READ_ONLY });
  return [v('base', hex(d.base)), v('limit', hex(d.limit)), v('type', d.type), v('dpl', String(d.dpl)),
    v('present', String(d.present)), v('32-bit', String(d.db)), v('granularity', d.g ? '4 KiB' : 'byte'),
    v('accessed', String(d.accessed))];
}

export class RegisterView {
  constructor(private readonly t: Target, private readonly ref: (c: Child) => number) {}

  private v(name: string, value: number, children?: Child, memory = false): DebugProtocol.Variable {
    const settable = (GPR_NAMES as readonly string[]).includes(name) || name === 'eip' || name === 'eflags';
    return {
      name, value: hex(value), variablesReference: children ? this.ref(children) : 0,
      memoryReference: memory ? hex(value) : undefined,
      ...(settable ? {} : { presentationHint: READ_ONLY }),
    };
  }

  /** The Registers scope. */
  registers(): DebugProtocol.Variable[] {
    const t = this.t, c = t.cpu;
    const r = (n: string) => t.reg(n)!;
    const out: DebugProtocol.Variable[] = GPR_NAMES.map((n) => this.v(n, r(n), undefined, true));
    out.push(this.v('eip', r('eip'), undefined, true));
    out.push(this.v('eflags', r('eflags'), () => [
      ...bits(r('eflags'), EFLAGS_BITS),
      { name: 'iopl', value: String((r('eflags') >>> 12) & 3), variablesReference: 0, presentationHint: READ_ONLY },
    ]));
    const segs = [ES, CS, SS, DS, FS, GS];
    SEG_NAMES.forEach((n, i) => {
      const sel = r(n);
      out.push({ name: n, value: hex(sel, 4), variablesReference: this.ref(() => this.segmentChildren(segs[i], sel)), presentationHint: READ_ONLY });
    });
    out.push(this.v('cr0', r('cr0'), () => bits(r('cr0'), CR0_BITS)));
    out.push(this.v('cr2', r('cr2'), undefined, true));
    out.push(this.v('cr3', r('cr3')));
    out.push(this.v('cr4', r('cr4'), () => bits(r('cr4'), CR4_BITS)));
    const table = (
      name: string, s: { base: number; limit: number; sel: number }, withSel: boolean,
    ): DebugProtocol.Variable => ({
      name, presentationHint: READ_ONLY,
      value: withSel
        ? `${hex(s.sel, 4)} base ${hex(s.base)} limit ${hex(s.limit, 4)}`
        : `base ${hex(s.base)} limit ${hex(s.limit, 4)}`,
      variablesReference: this.ref(() => [
        ...(withSel ? [{ name: 'selector', value: hex(s.sel, 4), variablesReference: 0, presentationHint: READ_ONLY }] : []),
        { name: 'base', value: hex(s.base), variablesReference: 0, memoryReference: hex(s.base), presentationHint: READ_ONLY },
        { name: 'limit', value: hex(s.limit), variablesReference: 0, presentationHint: READ_ONLY },
      ]),
    });
    const sys = this.systemTables();
    out.push(
      table('gdtr', sys.gdtr, false), table('idtr', sys.idtr, false), table('tr', sys.tr, true),
      table('ldtr', c.ldtr, true),
    );
    return out;
  }

  /** GDTR, IDTR and TR as the Guest runs with them: in the Host's context, those the Switcher loads for it. */
  private systemTables() {
    const t = this.t, c = t.cpu;
    if (t.inHostContext) {
      const w = t.host!.world;
      const virt = (p: number) => (p - w.statePage + 0xffc02000) >>> 0;
      return {
        gdtr: { sel: 0, base: virt(w.guestGdt), limit: 255 }, idtr: { sel: 0, base: virt(w.guestIdt), limit: 2047 },
        tr: { sel: 0x80, base: virt(w.guestTss), limit: 103 },
      };
    }
    return { gdtr: c.gdtr, idtr: c.idtr, tr: c.tr };
  }

  private segmentChildren(seg: number, sel: number): DebugProtocol.Variable[] {
    const t = this.t, c = t.cpu;
    if (!t.inHostContext) {
      // The CPU's hidden cache: what the segment really is now.
      const attr = c.segAttr[seg];
      const hi = (attr << 8) >>> 0, lo = 0;
      const d = describeDescriptor(lo, hi);
      return [
        { name: 'selector', value: hex(sel, 4), variablesReference: 0, presentationHint: READ_ONLY },
        ...descriptorChildren({ ...d, base: c.segBase[seg] >>> 0, limit: c.segLimit[seg] >>> 0 }),
      ];
    }
    // In the Host's context the Guest's segments are selectors saved in the register page: decode them from its GDT.
    const w = t.host!.world, i = sel >>> 3;
    if ((sel & 4) !== 0 || i >= 32 || i === 0) return [{ name: 'selector', value: hex(sel, 4), variablesReference: 0, presentationHint: READ_ONLY }];
    const lo = t.mem.read32(w.guestGdt + i * 8) >>> 0, hi = t.mem.read32(w.guestGdt + i * 8 + 4) >>> 0;
    return [
      { name: 'selector', value: hex(sel, 4), variablesReference: 0, presentationHint: READ_ONLY },
      ...descriptorChildren(describeDescriptor(lo, hi)),
    ];
  }

  /** The lguest scope: what the Host knows. */
  lguest(lastTrap: string): DebugProtocol.Variable[] {
    const t = this.t, h = t.host!, lg = h.lg;
    // What the Host knows is shown, not set.
    const v = (name: string, value: string, children?: Child): DebugProtocol.Variable => ({
      name, value, variablesReference: children ? this.ref(children) : 0, presentationHint: READ_ONLY,
    });
    const pt = lg.pageTables;
    const out = [
      v('context', t.inHostContext ? 'Host (the Guest is stopped at a trap)' : h.inGuestCode ? 'Guest' : 'Switcher'),
      v('guest cr3', pt.linearPages ? 'none (linear boot mode)' : hex(pt.pgdirs[pt.cpuPgd].gpgdir)),
      v('shadow slot', `${pt.cpuPgd}: shadows ${hex(pt.pgdirs[pt.cpuPgd].gpgdir)}, at ${hex(pt.shadowCr3)}`,
        () => shadowSlots(lg).map((s) => v(`slot ${s.slot}`, s.pgdir === 0 ? 'unused'
          : `${s.active ? 'active, ' : ''}shadows ${hex(s.gpgdir)}, shadow at ${hex(s.pgdir)}, `
            + `${s.presentEntries} directory entries`))),
      v('irqs pending', hex(lg.irqsPending)),
      v('halted', String(lg.halted)),
      v('timer',
        lg.timerDeadline === null ? 'off' : `fires at ${lg.timerDeadline} ns (in ${lg.timerDeadline - lg.now} ns)`),
      v('time', `${lg.now} ns`),
      v('esp1/ss1', `${hex(lg.esp1)} / ${hex(lg.ss1, 4)} (${lg.stackPages} pages)`),
      v('last trap', lastTrap),
    ];
    const d = lguestData(lg);
    if (d === null) out.push(v('lguest_data', 'not yet registered (LGUEST_INIT)'));
    else {
      out.push(v('lguest_data', hex(d.address), () => [
        v('irq_enabled', hex(d.irq_enabled)), v('blocked_interrupts', hex(d.blocked_interrupts)), v('cr2', hex(d.cr2)),
        v('time', `${d.time.sec} s ${d.time.nsec} ns`), v('irq_pending', hex(d.irq_pending)),
        v('reserve_mem', hex(d.reserve_mem)), v('tsc_khz', String(d.tsc_khz)), v('noirq_iret', hex(d.noirq_iret)),
        v('kernel_address', hex(d.kernel_address)), v('syscall_vec', hex(d.syscall_vec, 2)),
        v('ring', `${d.ring.length} calls waiting`),
      ]));
    }
    return out;
  }
}

export { trapName };
