/**
 * The FPU scope: the x87's stack ST(0)..ST(7) in the programmer's order, each
 * in decimal with its raw 80 bits (its tag, physical register and fields as
 * children), then the control, status and tag words decoded, and the last
 * instruction's pointers and opcode. The registers, the words, their fields
 * and the tags can be set (fpu.ts says how each is taken).
 */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { FpuState } from '../vm/cpu/fpu/state';
import { storedTagWord } from '../vm/cpu/fpu/environment';
import { classify, exactOf, EXP_BIAS } from '../vm/cpu/fpu/float80';
import type { EvalResult } from './expression';
import type { Child } from './registers';
import { f80Hex, f80Text } from './float80Text';
import {
  CONTROL_FIELDS, STATUS_FIELDS, TAG_NAMES, type SetResult, controlSummary, statusSummary, tagSummary, fieldText,
  fopText, stText, tagIn, setSt, setWord, setField, setTag,
} from './fpu';

/** Sets the variable `name` among a reference's children to `value`; the new value as shown, or why not. */
export type Setter = (name: string, value: string) => { value: string } | { error: string };

const hex = (v: number, digits: number) => `0x${(v >>> 0).toString(16).padStart(digits, '0')}`;

export class FpuView {
  constructor(
    private readonly fpu: FpuState,
    private readonly ref: (children: Child, set?: Setter) => number,
    private readonly evaluate: (expr: string) => EvalResult,
  ) {}

  private v(name: string, value: string, children?: Child, set?: Setter, evaluateName?: string): DebugProtocol.Variable {
    return { name, value, variablesReference: children ? this.ref(children, set) : 0, evaluateName };
  }

  /** ST(i) as the scope shows it: `3.14159265358979323851 (raw 0x4000c90fdaa22168c235)`, `empty (raw ...)`. */
  stValue(i: number): string {
    return `${stText(this.fpu, i)} (raw ${f80Hex(this.fpu.st(i))})`;
  }

  /** The scope's variables, by their names in setVariable. */
  private shown(name: string): string | undefined {
    const f = this.fpu;
    const st = /^st([0-7])$/.exec(name);
    if (st) return this.stValue(Number(st[1]));
    switch (name) {
      case 'fctrl': return `${hex(f.controlWord, 4)} (${controlSummary(f.controlWord)})`;
      case 'fstat': return `${hex(f.statusWord, 4)} (${statusSummary(f.statusWord)})`;
      case 'ftag': return `${hex(storedTagWord(f), 4)} (${tagSummary(storedTagWord(f))})`;
      case 'fcs': return hex(f.fcs, 4);
      case 'fip': return hex(f.fip, 8);
      case 'fds': return hex(f.fds, 4);
      case 'fdp': return hex(f.fdp, 8);
      case 'fop': return fopText(f.fop);
    }
    return undefined;
  }

  /** The FPU scope. */
  variables(): DebugProtocol.Variable[] {
    const f = this.fpu;
    const out: DebugProtocol.Variable[] = [];
    for (let i = 0; i < 8; i++) {
      const fields: Setter = () => ({ error: `set st${i} itself: its fields follow from its value and the tag word` });
      out.push(this.v(`st${i}`, this.stValue(i), () => this.stChildren(i), fields, `$st${i}`));
    }
    const word = (control: boolean) => () => (control ? CONTROL_FIELDS : STATUS_FIELDS).map((fd) => ({
      name: fd.name, value: fieldText(control ? f.controlWord : f.statusWord, fd), variablesReference: 0,
    }));
    const setFieldOf = (control: boolean): Setter => (name, value) => this.answer(
      setField(f, control, name, value, this.evaluate), () => fieldText(control ? f.controlWord : f.statusWord,
        (control ? CONTROL_FIELDS : STATUS_FIELDS).find((x) => x.name === name)!),
      `${control ? 'fctrl' : 'fstat'} has the fields ${(control ? CONTROL_FIELDS : STATUS_FIELDS).map((x) => x.name).join(', ')}`,
    );
    out.push(this.v('fctrl', this.shown('fctrl')!, word(true), setFieldOf(true), '$fctrl'));
    out.push(this.v('fstat', this.shown('fstat')!, word(false), setFieldOf(false), '$fstat'));
    out.push(this.v('ftag', this.shown('ftag')!, () => this.tagChildren(), (name, value) => {
      const p = /^r([0-7])$/.exec(name);
      if (!p) return { error: `ftag's children are r0 to r7` };
      return this.answer(setTag(f, Number(p[1]), value, this.evaluate), () => this.tagText(Number(p[1])));
    }, '$ftag'));
    for (const n of ['fcs', 'fip', 'fds', 'fdp', 'fop']) out.push(this.v(n, this.shown(n)!, undefined, undefined, `$${n}`));
    return out;
  }

  /** setVariable on the scope itself: st0..st7 and the words. */
  set(name: string, value: string): { value: string } | { error: string } {
    const st = /^st([0-7])$/.exec(name);
    if (st) {
      const r = setSt(this.fpu, Number(st[1]), value);
      return 'error' in r ? r : { value: this.shown(name)! };
    }
    const r = setWord(this.fpu, name, value, this.evaluate);
    if (r === null) return { error: 'the FPU scope sets st0 to st7, fctrl, fstat, ftag, fcs, fip, fds, fdp and fop' };
    return this.answer(r, () => this.shown(name)!);
  }

  private answer(r: SetResult | null, shown: () => string, unknown = 'this cannot be set'): { value: string } | { error: string } {
    if (r === null) return { error: unknown };
    return 'error' in r ? r : { value: shown() };
  }

  private stChildren(i: number): DebugProtocol.Variable[] {
    const f = this.fpu, x = f.st(i), p = f.stIndex(i);
    const v = (name: string, value: string) => ({ name, value, variablesReference: 0 });
    const { e } = exactOf(x);
    return [
      v('value', f80Text(x) + (f.isEmpty(i) ? ' (what the empty register still holds)' : '')),
      v('raw', f80Hex(x)),
      v('tag', TAG_NAMES[f.stTag(i)]),
      v('physical', `R${p}`),
      v('class', classify(x)),
      v('sign', String(x.sign)),
      v('exponent', `${hex(x.exp, 4)} (unbiased ${x.exp === 0 ? e + 63 : x.exp - EXP_BIAS})`),
      v('significand', hex(Number(x.sig >> 32n), 8) + (x.sig & 0xffffffffn).toString(16).padStart(8, '0')),
    ];
  }

  /** R(p)'s tag, and which ST(i) it is now: `valid (st0)`. */
  private tagText(p: number): string {
    return `${TAG_NAMES[tagIn(storedTagWord(this.fpu), p)]} (st${(p - this.fpu.top) & 7})`;
  }

  private tagChildren(): DebugProtocol.Variable[] {
    return Array.from({ length: 8 }, (_, p) => ({ name: `r${p}`, value: this.tagText(p), variablesReference: 0 }));
  }
}
