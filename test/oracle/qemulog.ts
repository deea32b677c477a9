/**
 * A streaming reader of QEMU's execution log (`-d cpu,nochain,int` with one
 * instruction per translation block), for the log-driven oracle
 * (logstep.ts). QEMU writes ~900 bytes per instruction, tens of GB for a
 * long kernel, so the log goes through a named pipe and is parsed chunk by
 * chunk as it arrives; nothing is kept but the current chunk.
 *
 * What the log holds (QEMU 7.2, qemu-system-i386):
 * - `cpu`: before every translation block runs, the CPU state (18 lines,
 *   "EAX=..." to "EFER=..."); EFL there is the computed EFLAGS, as the gdb
 *   stub's. With one instruction per block, one dump per instruction (per
 *   REP iteration).
 * - `int`: for every exception or interrupt delivered in protected mode, a
 *   line "N: v=VV e=EEEE i=I cpl=C IP=CS:EIP ..." and then the CPU state at
 *   that moment (another 18-line dump, which is not a step), preceded by
 *   "check_exception old: ... new: ..." for exceptions. The next `cpu`
 *   dump is then at the handler.
 */
import type { FileHandle } from 'node:fs/promises';
import { FIELDS } from './compare';

/** What next() found. */
export const enum LogNext {
  /** A state before an instruction, into the caller's array. */
  STATE = 0,
  /** More bytes are needed: await fill(), then ask again. */
  MORE = 1,
}

const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX['0123456789abcdef'.charCodeAt(i)] = i;
  HEX['0123456789ABCDEF'.charCodeAt(i)] = i;
}

const E = 0x45, A = 0x41, X = 0x58, EQ = 0x3d, NL = 0x0a;
/** Lines of one state dump, and the first letters of those read (a check that the format is what we parse). */
const DUMP_LINES = 18;
const TAGS: [number, string][] = [[0, 'EAX='], [1, 'ESI='], [2, 'EIP='], [3, 'ES ='], [4, 'CS ='], [5, 'SS ='], [6, 'DS ='], [7, 'FS ='], [8, 'GS ='], [13, 'CR0='], [17, 'EFER']];

export class QemuLog {
  private buf = Buffer.allocUnsafe(1 << 22);
  private pos = 0;
  private end = 0;
  private eof = false;
  /** Where the dump last returned starts and ends (for reports). */
  private dumpStart = 0;
  private dumpEnd = 0;
  /** The lines QEMU logged between the last two states: exceptions and interrupts delivered. */
  events: string[] = [];
  /** Of those, the "v=" lines (one per delivery begun). */
  deliveries = 0;
  /** Bytes parsed so far. */
  bytes = 0;

  /** A "v=" line was read and its dump not yet. */
  private intDump = false;

  constructor(private readonly fh: FileHandle) {
    this.buf[0] = NL;
  }

  /** Read more of the log. False at its end (QEMU closed it: it has exited). */
  async fill(): Promise<boolean> {
    if (this.eof) return false;
    // Keep the unparsed rest (a partial line or dump) at the front.
    if (this.pos > 0) {
      this.buf.copyWithin(0, this.pos, this.end);
      this.end -= this.pos;
      this.dumpStart -= this.pos;
      this.dumpEnd -= this.pos;
      this.pos = 0;
    }
    if (this.end > this.buf.length / 2) {
      const bigger = Buffer.allocUnsafe(this.buf.length * 2);
      bigger.set(this.buf.subarray(0, this.end));
      this.buf = bigger;
    }
    const { bytesRead } = await this.fh.read(this.buf as unknown as Uint8Array, this.end, this.buf.length - 1 - this.end, null);
    if (bytesRead === 0) {
      this.eof = true;
      return false;
    }
    this.end += bytesRead;
    // A newline past the data, so that searches stop there (a line is complete only if its newline is before `end`).
    this.buf[this.end] = NL;
    return true;
  }

  /** Unparsed bytes left at the end of the log (a partial line: QEMU was killed mid-write). */
  get leftover(): number {
    return this.end - this.pos;
  }

  /**
   * The next state QEMU logged before running an instruction, into `out`
   * (FIELDS order). `events` and `deliveries` then tell what QEMU logged
   * since the previous state. Returns MORE when the buffer ends first.
   */
  next(out: Uint32Array): LogNext {
    const b = this.buf, end = this.end;
    let pos = this.pos;
    for (;;) {
      const nl = b.indexOf(NL, pos);
      if (nl >= end) return this.partial(pos);
      if (b[pos] === E && b[pos + 1] === A && b[pos + 2] === X && b[pos + 3] === EQ) {
        // A state dump: find its 18 lines.
        const start = pos;
        const lines = this.lineStarts;
        let p = pos;
        for (let k = 0; k < DUMP_LINES; k++) {
          lines[k] = p;
          const e = b.indexOf(NL, p);
          if (e >= end) return this.partial(start);
          p = e + 1;
        }
        this.bytes += p - start;
        pos = p;
        if (this.intDump) {
          // The state at an exception's delivery, after its "v=" line: not a step.
          this.intDump = false;
          this.pos = pos;
          continue;
        }
        this.checkFormat(lines);
        parseDump(b, lines, out);
        this.pos = pos;
        this.dumpStart = start;
        this.dumpEnd = pos;
        return LogNext.STATE;
      }
      const line = b.toString('latin1', pos, nl);
      this.bytes += nl + 1 - pos;
      pos = nl + 1;
      this.events.push(line);
      if (/^\s*\d+: v=/.test(line)) {
        this.deliveries++;
        this.intDump = true;
      }
      // The events are kept until the caller has read them: consume() clears them.
      this.pos = pos;
    }
  }

  /** Forget the events of the last step (call after reading them). */
  consume(): void {
    if (this.events.length > 0) this.events = [];
    this.deliveries = 0;
  }

  /** The text of the dump next() last returned, while it is still in the buffer. */
  lastDump(): string {
    return this.buf.toString('latin1', this.dumpStart, this.dumpEnd).trimEnd();
  }

  private readonly lineStarts = new Int32Array(DUMP_LINES);

  private partial(pos: number): LogNext {
    this.pos = pos;
    return LogNext.MORE;
  }

  private checked = false;

  /** At the first dump: are the lines where this parser expects them? (The values' digits are checked at every one.) */
  private checkFormat(lines: Int32Array): void {
    if (this.checked) return;
    const b = this.buf;
    for (const [k, tag] of TAGS) {
      if (b.toString('latin1', lines[k], lines[k] + 4) !== tag) {
        throw new Error(`unexpected QEMU log format: line ${k} of a state dump starts "${b.toString('latin1', lines[k], lines[k] + 20)}", not "${tag}"`);
      }
    }
    this.checked = true;
  }
}

function hex32(b: Buffer, p: number): number {
  let v = 0;
  for (let k = 0; k < 8; k++) {
    const d = HEX[b[p + k]];
    if (d < 0) throw new Error(`unexpected QEMU log format at "${b.toString('latin1', p, p + 12)}"`);
    v = (v << 4) | d;
  }
  return v >>> 0;
}

function hex16(b: Buffer, p: number): number {
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const d = HEX[b[p + k]];
    if (d < 0) throw new Error(`unexpected QEMU log format at "${b.toString('latin1', p, p + 12)}"`);
    v = (v << 4) | d;
  }
  return v;
}

/*
 * The lines read, with their fixed column layout:
 *   EAX=........ EBX=........ ECX=........ EDX=........
 *   ESI=........ EDI=........ EBP=........ ESP=........
 *   EIP=........ EFL=........ [...] CPL=. II=. A20=. SMM=. HLT=.
 *   ES =ssss bbbbbbbb llllllll ffffffff ...   (then CS SS DS FS GS)
 *   CR0=........ CR2=........ CR3=........ CR4=........
 */
const I = (name: (typeof FIELDS)[number]) => FIELDS.indexOf(name);
const EAX_I = I('eax'), EBX_I = I('ebx'), ECX_I = I('ecx'), EDX_I = I('edx');
const ESI_I = I('esi'), EDI_I = I('edi'), EBP_I = I('ebp'), ESP_I = I('esp');
const EIP_I = I('eip'), EFL_I = I('eflags'), ES_I = I('es'), CR0_I = I('cr0');

function parseDump(b: Buffer, lines: Int32Array, out: Uint32Array): void {
  let p = lines[0];
  out[EAX_I] = hex32(b, p + 4); out[EBX_I] = hex32(b, p + 17); out[ECX_I] = hex32(b, p + 30); out[EDX_I] = hex32(b, p + 43);
  p = lines[1];
  out[ESI_I] = hex32(b, p + 4); out[EDI_I] = hex32(b, p + 17); out[EBP_I] = hex32(b, p + 30); out[ESP_I] = hex32(b, p + 43);
  p = lines[2];
  out[EIP_I] = hex32(b, p + 4); out[EFL_I] = hex32(b, p + 17);
  // ES CS SS DS FS GS: QEMU's order is the encoding's, as FIELDS'.
  for (let s = 0; s < 6; s++) out[ES_I + s] = hex16(b, lines[3 + s] + 4);
  p = lines[13];
  out[CR0_I] = hex32(b, p + 4); out[CR0_I + 1] = hex32(b, p + 17); out[CR0_I + 2] = hex32(b, p + 30); out[CR0_I + 3] = hex32(b, p + 43);
}

/** The CS:EIP of a "v=" line ("IP=0008:00101234"), or null. */
export function deliveryIp(line: string): { cs: number; eip: number } | null {
  const m = /IP=([0-9a-f]{4}):([0-9a-f]{8})/.exec(line);
  return m ? { cs: parseInt(m[1], 16), eip: parseInt(m[2], 16) } : null;
}
