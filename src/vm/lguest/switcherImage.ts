/**
 * The Switcher as built: switcher/build/switcher.elf, carried in the bundle as
 * base64 (switcher/image.ts, generated). Its three segments are the
 * Switcher's page (linked at SWITCHER_ADDR), the Host's glue (run_guest_once
 * and the Host's interrupt handler, linked at HOST_TEXT_VIRT) and the table
 * of the 256 stub addresses the Guest's IDT starts from.
 */
import { Elf32 } from '../elf';
import { SWITCHER_ELF_BASE64 } from './switcher/image';
import { SWITCHER_ADDR, HOST_TEXT_VIRT } from './layout';

export interface SwitcherImage {
  /** The ELF itself (symbols and line tables, for the debugger). */
  readonly elf: Elf32;
  /** The Switcher's page: what is mapped at SWITCHER_ADDR. */
  readonly text: Uint8Array;
  /** The Host's glue: what is mapped at HOST_TEXT_VIRT. */
  readonly hostText: Uint8Array;
  /** default_idt_entries: the stub for each vector. */
  readonly stubs: Uint32Array;
  readonly switchToGuest: number;
  readonly runGuestOnce: number;
  readonly backInHost: number;
  readonly hostInterrupt: number;
  /** Every global symbol, by name. */
  readonly symbols: ReadonlyMap<string, number>;
}

let cached: SwitcherImage | null = null;

export function switcherImage(): SwitcherImage {
  if (cached !== null) return cached;
  const bytes = Uint8Array.from(Buffer.from(SWITCHER_ELF_BASE64, 'base64'));
  const elf = new Elf32(bytes, 'switcher.elf');
  const segment = (vaddr: number): Uint8Array => {
    const s = elf.loadSegments.find((p) => p.vaddr === vaddr);
    if (!s) throw new Error(`switcher.elf has no segment at 0x${vaddr.toString(16)}`);
    return bytes.slice(s.offset, s.offset + s.filesz);
  };
  const symbols = new Map<string, number>();
  for (const s of elf.symbols()) if (s.name !== '' && s.bind === 1) symbols.set(s.name, s.value);
  const sym = (name: string): number => {
    const v = symbols.get(name);
    if (v === undefined) throw new Error(`switcher.elf has no symbol ${name}`);
    return v;
  };
  const table = segment(sym('default_idt_entries'));
  const stubs = new Uint32Array(256);
  const dv = new DataView(table.buffer, table.byteOffset, table.byteLength);
  for (let i = 0; i < 256; i++) stubs[i] = dv.getUint32(i * 4, true);
  cached = {
    elf, text: segment(SWITCHER_ADDR), hostText: segment(HOST_TEXT_VIRT), stubs, symbols,
    switchToGuest: sym('switch_to_guest'), runGuestOnce: sym('run_guest_once'), backInHost: sym('back_in_host'),
    hostInterrupt: sym('host_interrupt'),
  };
  return cached;
}
