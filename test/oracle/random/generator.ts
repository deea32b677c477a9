/**
 * A random test kernel from a seed: the same seed gives the same bytes.
 *
 * The kernel (layout.ts has the memory map) starts by loading its own GDT,
 * IDT and TSS, the SYSENTER MSRs, and turning paging on. Then it runs N
 * cases. Each case loads the segment registers, every general register and
 * EFLAGS from a block of random values (POP DS..GS, POPAD, then POPFD or,
 * for a ring-3 case, IRETD), and runs K random instructions
 * (instructions.ts). Before all that it stores the address of the next case
 * in NEXT: every exception handler (and SYSENTER's landing) pops the frame
 * into registers, so the frame is compared too, and jumps there. So a
 * fault is part of what is compared, and then the kernel moves on.
 *
 * A quarter of the cases start by reading the page-table entries of the
 * scratch pages into EAX (A and D bits compared) and clearing their A/D
 * bits. At the end, a checksum of the scratch pages goes through
 * EAX (memory is compared through what it leaves in registers), and a write
 * to port 0xF4 (isa-debug-exit) ends the run: QEMU exits with status 1.
 */
import { Asm, type Label } from './asm';
import { multibootElf, multibootHeader } from './elf';
import * as L from './layout';
import { Rng } from './rng';
import { Ctx, GenState, EBP, ESP, CS, SS, valueFor, le32, type Role } from './operands';
import { drawable, type Policy, type MapEntry } from './instructions';
import { flagsValue, loadSeg, debugBreakpoints } from './templates';
import { KNOWN_BUGS } from './exclusions';
import { x87Item, x87CaseStart, x87EnvCheck } from './x87';

export interface GeneratorOptions {
  seed: number;
  /** Number of cases (default 100). */
  cases?: number;
  /** Random instructions per case (default 24). */
  perCase?: number;
  /** Share of the cases run at ring 3 (default 0.25). */
  ring3?: number;
  /** Generate the cases of our known bugs too (exclusions.ts KNOWN_BUGS), which are otherwise avoided. */
  knownBugs?: boolean;
  /**
   * x87 streams (x87.ts): CR0.NE set (#MF, not FERR#), each case starts with FNCLEX (or FNINIT) and
   * a FLDCW, and this share of its items (default 0.9 with x87) are x87 ones, the rest as usual.
   */
  x87?: boolean | number;
  /** With x87: an FNSTENV after every x87 item (to find where the tag word parts ways). */
  x87EnvEvery?: boolean;
}

export interface Kernel {
  /** The Multiboot ELF file. */
  elf: Uint8Array;
  entry: number;
  /** Where each case starts, and at which ring: to tell which case an address is in. */
  cases: { addr: number; cpl: 0 | 3 }[];
  /** The address after the last case (the checksum and the exit). */
  end: number;
  /** The #DB handler's first instruction (where a delivered #DB lands). */
  dbHandler: number;
}

/** Vectors whose exceptions push an error code. */
const ERROR_CODE = new Set([8, 10, 11, 12, 13, 14, 17]);
/** Gates in the IDT: the exceptions, and the system call (DPL 3, as INT3 and INTO, so ring 3 can use them). */
const HANDLED = [...Array(32).keys(), 0x80];
/** The share of ring-0 items that are a DR-armed stream (besides the MOV DRn draws that become one). */
const DR_STREAM_SHARE = 0.01;

export function generateKernel(opts: GeneratorOptions): Kernel {
  const nCases = opts.cases ?? 100, perCase = opts.perCase ?? 24, ring3 = opts.ring3 ?? 0.25;
  const rng = new Rng(opts.seed);
  const x87Share = opts.x87 === true ? 0.9 : typeof opts.x87 === 'number' ? opts.x87 : 0;
  const tableBytes = Math.ceil((nCases * L.TABLE_SIZE) / 0x1000) * 0x1000;
  const codeBase = L.TABLES + Math.max(tableBytes, 0x1000);
  const a = new Asm(codeBase);
  const tables = new Uint8Array(tableBytes);
  const landing = a.label('sysenter landing');
  const pools = { 0: drawable(0), 3: drawable(3) } as const;

  // Exception handlers: pop the error code (if any), EIP, CS, EFLAGS (and ESP, SS from ring 3) into registers, go on with the next case.
  const common = a.label('common handler');
  const stubs = new Map<number, Label>();
  for (const v of HANDLED) {
    const l = a.label(`vector ${v}`);
    a.bind(l);
    stubs.set(v, l);
    if (ERROR_CODE.has(v)) a.u8(0x5a); // pop edx
    // #DB: DR6 into EDX (compared at the next step), then DR6 and DR7 cleared: a DR-armed stream (templates.ts debugBreakpoints) ends here disarmed.
    if (v === 1) a.u8(0x0f, 0x21, 0xf2, 0x31, 0xd2, 0x0f, 0x23, 0xf2, 0x0f, 0x23, 0xfa);
    a.u8(0xe9).ref(common, 'rel32');
  }
  a.bind(common);
  a.u8(0x58, 0x5b, 0x59); // pop eax (EIP), pop ebx (CS), pop ecx (EFLAGS)
  a.u8(0xf6, 0xc3, 0x03, 0x74, 0x02, 0x5e, 0x5f); // test bl,3; jz +2; pop esi (ESP); pop edi (SS)
  a.bind(landing);
  a.u8(0xbc).u32(L.STACK0_TOP); // mov esp, STACK0_TOP
  // push DATA0; pop ss: a fault at ring 0 on a stack of the mixed-stack template left SS based elsewhere (it pushes at WINDOW_BASE + ESP then, in RAM).
  a.u8(0x6a, L.SEL.DATA0, 0x17);
  a.u8(0x36, 0xff, 0x25).u32(L.NEXT); // jmp [ss:NEXT]: SS is flat at ring 0, DS may be anything

  // The start: descriptor tables, TSS, SYSENTER MSRs, paging.
  const entry = a.here;
  const reload = a.label('reload CS');
  a.u8(0x0f, 0x01, 0x15).u32(L.GDTR); // lgdt [GDTR]
  a.u8(0x0f, 0x01, 0x1d).u32(L.IDTR); // lidt [IDTR]
  a.u8(0xea).ref(reload, 'abs32').u16(L.SEL.CODE0);
  a.bind(reload);
  a.u8(0x66, 0xb8).u16(L.SEL.DATA0); // mov ax, DATA0
  for (const s of [0xd8, 0xc0, 0xe0, 0xe8, 0xd0]) a.u8(0x8e, s); // mov ds/es/fs/gs/ss, ax
  a.u8(0xbc).u32(L.STACK0_TOP);
  a.u8(0x66, 0xb8).u16(L.SEL.TSS).u8(0x0f, 0x00, 0xd8); // ltr ax
  // LDTR as QEMU leaves it is the reset state (base 0, limit 0xFFFF, usable); ours has limit 0. No LDT in either.
  a.u8(0x31, 0xc0, 0x0f, 0x00, 0xd0); // xor eax, eax; lldt ax
  a.u8(0x31, 0xd2); // xor edx, edx
  a.u8(0xb9).u32(0x174).u8(0xb8).u32(L.SEL.CODE0).u8(0x0f, 0x30); // SYSENTER_CS
  a.u8(0xb9).u32(0x175).u8(0xb8).u32(L.STACK0_TOP).u8(0x0f, 0x30); // SYSENTER_ESP
  a.u8(0xb9).u32(0x176).u8(0xb8).ref(landing, 'abs32').u8(0x0f, 0x30); // SYSENTER_EIP
  a.u8(0xb8).u32(L.PAGE_DIR).u8(0x0f, 0x22, 0xd8); // mov cr3, eax
  a.u8(0x0f, 0x20, 0xc0).u8(0x0d).u32(0x80010000).u8(0x0f, 0x22, 0xc0); // cr0 |= PG | WP
  if (x87Share > 0) {
    a.u8(0x0f, 0x20, 0xc0).u8(0x0d).u32(0x20).u8(0x25).u32(~0xc >>> 0).u8(0x0f, 0x22, 0xc0); // cr0 |= NE; cr0 &= ~(EM | TS)
    a.u8(0xdb, 0xe3); // fninit
  }

  // The cases.
  const cases: Kernel['cases'] = [];
  const starts = Array.from({ length: nCases + 1 }, (_, k) => a.label(k < nCases ? `case ${k}` : 'end'));
  const st0 = new GenState();
  const avoiding = new Set(opts.knownBugs ? [] : KNOWN_BUGS.map((b) => b.id));
  const ctx = new Ctx(rng, a, st0, (count) => { for (let k = 0; k < count; k++) item(); }, landing, avoiding);
  ctx.x87 = x87Share > 0;

  function item(): void {
    if (x87Share > 0 && rng.chance(x87Share)) {
      for (let tries = 0; tries < 20; tries++) {
        if (x87Item(ctx)) {
          if (opts.x87EnvEvery) x87EnvCheck(ctx);
          return;
        }
      }
    }
    // DR-armed streams (templates.ts debugBreakpoints): at ring 0, outside the x87 streams (whose seeds stay as they were).
    if (x87Share === 0 && ctx.st.cpl === 0 && rng.chance(DR_STREAM_SHARE) && debugBreakpoints(ctx)) return;
    const pool = pools[ctx.st.cpl];
    for (let tries = 0; tries < 50; tries++) {
      const pick: { e: MapEntry; p: Policy } = rng.weighted(pool, (x) => x.p.weight);
      if (pick.p.gen!(ctx, pick.e)) return;
    }
    ctx.emit(0x90);
  }

  // A ring-0 case that ends with a far jump leaves CS with another selector to the next case (unless it faulted).
  let csMayDiffer = false;
  for (let k = 0; k < nCases; k++) {
    a.bind(starts[k]);
    const cpl: 0 | 3 = rng.chance(ring3) ? 3 : 0;
    cases.push({ addr: starts[k].addr, cpl });
    if (rng.chance(0.25)) accessedDirtyCheck(a);
    const slot = L.TABLES + k * L.TABLE_SIZE;
    const tv = new DataView(tables.buffer, k * L.TABLE_SIZE, L.TABLE_SIZE);
    a.u8(0xbc).u32(slot); // mov esp, slot
    a.u8(0x1f, 0x07, 0x0f, 0xa1, 0x0f, 0xa9); // pop ds; pop es; pop fs; pop gs
    a.u8(0x36, 0xc7, 0x05).u32(L.NEXT).ref(starts[k + 1], 'abs32'); // mov dword [ss:NEXT], next case
    a.u8(0x61); // popad

    const st = new GenState();
    st.cpl = cpl;
    st.segs = Array.from({ length: 6 }, () => ({ sel: 0, base: null, writable: false }));
    st.segs[CS] = cpl === 0 && csMayDiffer ? { sel: -1, base: null, writable: false } : { sel: cpl === 0 ? L.SEL.CODE0 : L.SEL.CODE3, base: 0, writable: false };
    st.segs[SS] = { sel: cpl === 0 ? L.SEL.DATA0 : L.SEL.DATA3, base: 0, writable: true };
    [3, 0, 4, 5].forEach((s, n) => { // in the order of the POPs above: DS ES FS GS
      const sel = segmentChoice(rng, s, cpl);
      tv.setUint32(n * 4, sel, true);
      st.segs[s] = loadSeg(s, sel, 0) ?? st.segs[s];
    });
    // POPAD order: EDI ESI EBP (ESP) EBX EDX ECX EAX.
    for (const r of [7, 6, 5, 4, 3, 2, 1, 0]) {
      if (r === ESP) continue;
      const role = roleChoice(rng, r);
      st.roles[r] = role;
      tv.setUint32(16 + (7 - r) * 4, valueFor(rng, role), true);
    }
    const esp = (valueFor(rng, 'stack') - (rng.chance(0.05) ? 2 : 0)) >>> 0;
    if (cpl === 0) {
      tv.setUint32(48, flagsValue(ctx, 0), true);
      a.u8(0x9d, 0xbc).u32(esp); // popfd; mov esp, the case's ESP
    } else {
      // IRETD pops EIP, CS, EFLAGS, ESP, SS: into ring 3 at the case's body.
      const body = a.here + 1;
      [body, L.SEL.CODE3, flagsValue(ctx, rng.pick([0, 3])), esp, L.SEL.DATA3].forEach((v, n) => tv.setUint32(48 + n * 4, v, true));
      a.u8(0xcf);
    }
    ctx.st = st;
    if (x87Share > 0) x87CaseStart(ctx);
    for (let n = 0; n < perCase; n++) item();
    if (ctx.st.cpl === 3) a.u8(0xcd, 0x80); // int 0x80: back to ring 0 through the handler
    csMayDiffer = ctx.st.cpl === 0 && ctx.st.segs[CS].sel !== L.SEL.CODE0;
  }
  a.bind(starts[nCases]);
  const end = starts[nCases].addr;
  checksum(a);
  a.u8(0xb0, 0x00, 0xe6, 0xf4); // mov al, 0; out 0xf4, al: isa-debug-exit, status 1

  const code = a.finish();
  const image = new Uint8Array(codeBase - L.IMAGE + code.length);
  image.set(multibootHeader(), 0);
  image.set([0xe9, ...le32(entry - (L.IMAGE + 12 + 5))], 12); // a jump to the start, for anyone who enters at the top
  writePaging(image, codeBase + code.length);
  writeSystemTables(image, stubs);
  writeScratch(image, rng);
  image.set(tables, L.TABLES - L.IMAGE);
  image.set(code, codeBase - L.IMAGE);
  return { elf: multibootElf(image, L.IMAGE, entry), entry, cases, end, dbHandler: (stubs.get(1) as Label).addr };
}

/** Segment register values for a case: mostly usable data segments, flat or based, sometimes null or odd ones. */
function segmentChoice(rng: Rng, s: number, cpl: 0 | 3): number {
  const flat = cpl === 0 ? L.SEL.DATA0 : L.SEL.DATA3;
  const k = rng.int(20);
  if (s === 3) return k < 15 ? flat : k < 18 ? L.SEL.BASED3 : k < 19 ? L.SEL.DATA3 : 0;
  if (s === 0) return k < 12 ? flat : k < 18 ? L.SEL.BASED3 : k < 19 ? L.SEL.DATA3 : 0;
  if (s === 4) return k < 10 ? L.SEL.BASED3 : k < 18 ? flat : 0;
  return k < 10 ? flat : k < 15 ? L.SEL.BASED3 : k < 17 ? 0 : cpl === 0 ? L.SEL.DATA16 : L.SEL.CODE3;
}

function roleChoice(rng: Rng, r: number): Role {
  const k = rng.int(20);
  if (r === EBP) return k < 6 ? 'stack' : k < 10 ? 'ptr' : k < 12 ? 'small' : 'any';
  return k < 6 ? 'ptr' : k < 9 ? 'small' : 'any';
}

/**
 * The page-table entries whose A and D bits random code changes: the
 * scratch pages. Not the stack's: ENTER checks that its final ESP is
 * writable, which sets D on that page in Bochs and in ours, not in QEMU.
 */
const WATCHED_PAGES = [1, 2, 3, 4].map((p) => L.SCRATCH + p * 0x1000);

/** Read the watched PTEs (and the PDE) into EAX, one step each, then clear their A/D bits and flush the TLB. */
function accessedDirtyCheck(a: Asm): void {
  const ptes = WATCHED_PAGES.map((p) => L.PAGE_TABLE + (p >>> 12) * 4);
  for (const e of [L.PAGE_DIR, ...ptes]) a.u8(0x36, 0xa1).u32(e); // mov eax, [ss:e]
  for (const e of ptes) a.u8(0x36, 0x81, 0x25).u32(e).u32(~0x60 >>> 0); // and dword [ss:e], ~(A|D)
  a.u8(0x0f, 0x20, 0xd8, 0x0f, 0x22, 0xd8); // mov eax, cr3; mov cr3, eax
}

/** Fold the scratch pages' hot middle into EAX, 32 dwords per LOOP iteration. */
function checksum(a: Asm): void {
  const from = L.PTR_LO - 0x200, to = L.PTR_HI + 0x200;
  a.u8(0x66, 0xb8).u16(L.SEL.DATA0).u8(0x8e, 0xd8); // mov ax, DATA0; mov ds, ax
  a.u8(0xbe).u32(from).u8(0xb9).u32((to - from) / 128).u8(0x31, 0xc0); // mov esi, from; mov ecx, n; xor eax, eax
  const top = a.here;
  for (let k = 0; k < 32; k++) a.u8(k % 2 === 0 ? 0x03 : 0x33, 0x46, k * 4); // add/xor eax, [esi+4k]
  a.u8(0x81, 0xc6).u32(128); // add esi, 128
  a.u8(0xe2, (top - (a.here + 2)) & 0xff); // loop top
}

function writePaging(image: Uint8Array, end: number): void {
  const dv = new DataView(image.buffer);
  const at = (addr: number) => addr - L.IMAGE;
  dv.setUint32(at(L.PAGE_DIR), L.PAGE_TABLE | 0x7, true);
  for (let page = 0x100; page < 0x400; page++) {
    const addr = page << 12;
    let pte = addr | 0x7; // present, writable, user
    if (addr >= L.PAGE_DIR && addr < L.SCRATCH) pte = addr | 0x3; // page tables, GDT, IDT, TSS: supervisor
    const s = (addr - L.SCRATCH) >> 12;
    if (addr >= L.SCRATCH && s < L.SCRATCH_PAGES.length) {
      const kind = L.SCRATCH_PAGES[s];
      pte = kind === 'not present' ? 0 : kind === 'read-only' ? addr | 0x5 : kind === 'supervisor-only' ? addr | 0x3 : addr | 0x7;
    }
    if (addr >= L.STACK0_TOP - 0x1000 && addr < L.STACK0_TOP) pte = addr | 0x3;
    // The case tables and the code: read-only, so that nothing random can write there (CR0.WP makes that hold at ring 0 too).
    if (addr >= L.TABLES && addr < end) pte = addr | 0x5;
    if (addr === L.IMAGE) pte = addr | 0x5;
    dv.setUint32(at(L.PAGE_TABLE) + page * 4, pte, true);
  }
}

function writeSystemTables(image: Uint8Array, stubs: Map<number, Label>): void {
  const dv = new DataView(image.buffer);
  const at = (addr: number) => addr - L.IMAGE;
  L.DESCRIPTORS.forEach((d, k) => image.set(L.descriptorBytes(d), at(L.GDT) + k * 8));
  dv.setUint16(at(L.GDTR), L.GDT_LIMIT, true);
  dv.setUint32(at(L.GDTR) + 2, L.GDT, true);
  dv.setUint16(at(L.IDTR), L.IDT_VECTORS * 8 - 1, true);
  dv.setUint32(at(L.IDTR) + 2, L.IDT, true);
  // TSS: the ring-0 stack; the I/O bitmap offset beyond the limit (no bitmap: ring 3 I/O faults unless IOPL is 3).
  dv.setUint32(at(L.TSS) + 4, L.STACK0_TOP, true);
  dv.setUint32(at(L.TSS) + 8, L.SEL.DATA0, true);
  dv.setUint16(at(L.TSS) + 0x66, 0x68, true);
  for (let v = 0; v < L.IDT_VECTORS; v++) {
    const stub = stubs.get(v);
    const o = at(L.IDT) + v * 8;
    if (stub !== undefined) {
      // Interrupt gates for even vectors, trap gates for odd ones (they differ in IF only); DPL 3 for INT3, INTO and 0x80.
      const dpl = v === 3 || v === 4 || v === 0x80 ? 3 : 0;
      const type = v % 2 === 0 ? 0xe : 0xf;
      dv.setUint16(o, stub.addr & 0xffff, true);
      dv.setUint16(o + 2, L.SEL.CODE0, true);
      dv.setUint16(o + 4, (0x80 | (dpl << 5) | type) << 8, true);
      dv.setUint16(o + 6, stub.addr >>> 16, true);
    } else if (v < 0x40) {
      // A gate marked not present: #NP.
      dv.setUint16(o + 2, L.SEL.CODE0, true);
      dv.setUint16(o + 4, 0x0e << 8, true);
    }
    // 0x40-0x7F: all zero, not a gate at all (#GP).
  }
}

/** Random bytes in the scratch pages that are present. */
function writeScratch(image: Uint8Array, rng: Rng): void {
  L.SCRATCH_PAGES.forEach((kind, p) => {
    if (kind === 'not present') return;
    const o = L.SCRATCH + p * 0x1000 - L.IMAGE;
    for (let k = 0; k < 0x1000; k += 4) new DataView(image.buffer).setUint32(o + k, rng.interesting(), true);
  });
}
