/**
 * A client of QEMU's gdb stub (the GDB Remote Serial Protocol), over QEMU's
 * own stdin/stdout (`-gdb stdio`): nothing listens on a port. Just what
 * lockstep needs: registers, memory, single steps, a hardware breakpoint,
 * and monitor commands.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

/** General registers as QEMU's `g` packet orders them (i386), then the segment selectors and control registers, and the x87's. */
export interface QemuRegs {
  eax: number; ecx: number; edx: number; ebx: number; esp: number; ebp: number; esi: number; edi: number;
  eip: number; eflags: number;
  cs: number; ss: number; ds: number; es: number; fs: number; gs: number;
  cr0: number; cr2: number; cr3: number; cr4: number;
  /** x87 control and status words (the status word with TOP in bits 13-11). */
  fcw: number; fsw: number;
  /**
   * The x87 data registers R0..R7, PHYSICAL (QEMU 7.2's stub sends env->fpregs[n], not ST(n):
   * seen after FLD1 from TOP 0, which lands in the eighth), 10 bytes each as FSTP m80 stores
   * them, as one hex string (so a state compares with ===). The stub sends 0 for the tag word,
   * FIP, FCS, FDP, FDS and FOP: those are compared through FNSTENV/FNSAVE images (x87compare.ts).
   */
  fpr: string;
}
const G_ORDER = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip', 'eflags', 'cs', 'ss', 'ds', 'es', 'fs', 'gs'] as const;
/** After the sixteen above: fs_base, gs_base, k_gs_base, then cr0, cr2, cr3, cr4 (32 bits each). */
const CR_OFFSET = 16 + 3;
/**
 * Then cr8 and efer, then the x87 (QEMU 7.2, i386: a 344-byte `g` reply): R0..R7 at byte 100
 * (10 bytes each), then fctrl, fstat, ftag, fiseg, fioff, foseg, fooff, fop (32 bits each);
 * then xmm0-7 and mxcsr.
 */
const FPR_BYTE = (CR_OFFSET + 6) * 4, FCTRL_BYTE = FPR_BYTE + 80;

export class QemuGdb {
  private readonly proc: ChildProcessWithoutNullStreams;
  private buf = '';
  private waiting: ((packet: string) => void) | null = null;
  private readonly queue: string[] = [];
  private exited = false;
  private ackMode = true;
  private pendingAcks = '';
  /** Console output of `monitor` commands ('O' packets), collected for qRcmd. */
  private consoleOut = '';

  constructor(args: string[], qemu = 'qemu-system-i386') {
    this.proc = spawn(qemu, ['-gdb', 'stdio', '-S', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdout.setEncoding('latin1');
    // Writes racing QEMU's exit (a guest that ended) are no error of ours.
    this.proc.stdin.on('error', () => {});
    this.proc.stdout.on('data', (d: string) => this.onData(d));
    this.proc.on('exit', () => {
      this.exited = true;
      this.deliver('X00');
    });
  }

  get hasExited(): boolean {
    return this.exited;
  }

  private onData(d: string): void {
    this.buf += d;
    for (;;) {
      // Skip acks and anything before a packet start.
      const start = this.buf.indexOf('$');
      if (start < 0) { this.buf = ''; return; }
      const hash = this.buf.indexOf('#', start);
      if (hash < 0 || this.buf.length < hash + 3) { this.buf = this.buf.slice(start); return; }
      const body = this.buf.slice(start + 1, hash);
      this.buf = this.buf.slice(hash + 3);
      // The acknowledgement goes out with the next request (QEMU's system-mode stub does not wait for it): one write, not two.
      if (this.ackMode) this.pendingAcks += '+';
      this.deliver(unescape(body));
    }
  }

  private deliver(packet: string): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w(packet);
    } else {
      this.queue.push(packet);
    }
  }

  private next(): Promise<string> {
    const p = this.queue.shift();
    if (p !== undefined) return Promise.resolve(p);
    if (this.exited) return Promise.resolve('X00');
    return new Promise((resolve) => { this.waiting = resolve; });
  }

  /** Send a packet and wait for its reply (skipping console output packets, which are kept). */
  async request(body: string): Promise<string> {
    let sum = 0;
    for (let i = 0; i < body.length; i++) sum = (sum + body.charCodeAt(i)) & 0xff;
    this.proc.stdin.write(`${this.pendingAcks}$${body}#${sum.toString(16).padStart(2, '0')}`);
    this.pendingAcks = '';
    for (;;) {
      const reply = await this.next();
      if (reply.startsWith('O') && reply !== 'OK') {
        this.consoleOut += Buffer.from(reply.slice(1), 'hex').toString('latin1');
        continue;
      }
      return reply;
    }
  }

  /** Handshake. QEMU 7.2 does not know QStartNoAckMode (an empty reply): then packets stay acknowledged. */
  async start(): Promise<void> {
    await this.request('qSupported');
    if ((await this.request('QStartNoAckMode')) === 'OK') this.ackMode = false;
  }

  /** Run to a hardware breakpoint at `addr` (a linear address, like the entry point), then remove it. */
  async runTo(addr: number): Promise<void> {
    const hex = addr.toString(16);
    if ((await this.request(`Z1,${hex},1`)) !== 'OK') throw new Error('QEMU refused the hardware breakpoint');
    const stop = await this.request('c');
    if (!stop.startsWith('T') && !stop.startsWith('S')) throw new Error(`the guest did not reach 0x${hex} (${stop})`);
    await this.request(`z1,${hex},1`);
  }

  /** One instruction (or REP iteration), with any exception or interrupt it delivers. False once the guest has ended. */
  async step(): Promise<boolean> {
    const r = await this.request('s');
    return r.startsWith('T') || r.startsWith('S');
  }

  async regs(): Promise<QemuRegs> {
    const g = await this.request('g');
    const word = (k: number) => {
      const h = g.slice(k * 8, k * 8 + 8);
      return parseInt(h.slice(6, 8) + h.slice(4, 6) + h.slice(2, 4) + h.slice(0, 2), 16) >>> 0;
    };
    const r = {} as Record<string, number>;
    G_ORDER.forEach((name, k) => { r[name] = word(k); });
    r.cr0 = word(CR_OFFSET);
    r.cr2 = word(CR_OFFSET + 1);
    r.cr3 = word(CR_OFFSET + 2);
    r.cr4 = word(CR_OFFSET + 3);
    const at = (byte: number) => word(byte / 4);
    if (g.length >= (FCTRL_BYTE + 8) * 2) {
      r.fcw = at(FCTRL_BYTE) & 0xffff;
      r.fsw = at(FCTRL_BYTE + 4) & 0xffff;
    } else {
      r.fcw = r.fsw = 0;
    }
    const out = r as unknown as QemuRegs;
    out.fpr = g.slice(FPR_BYTE * 2, (FPR_BYTE + 80) * 2);
    return out;
  }

  /** Write general registers and EFLAGS (for starting both machines from the same state). */
  async setRegs(values: Partial<Record<(typeof G_ORDER)[number], number>>): Promise<void> {
    for (const [name, v] of Object.entries(values)) {
      const idx = G_ORDER.indexOf(name as (typeof G_ORDER)[number]);
      const le = [0, 8, 16, 24].map((s) => (((v as number) >>> s) & 0xff).toString(16).padStart(2, '0')).join('');
      const r = await this.request(`P${idx.toString(16)}=${le}`);
      if (r !== 'OK') throw new Error(`QEMU refused to set ${name}: ${r}`);
    }
  }

  async readMemory(addr: number, len: number): Promise<Uint8Array> {
    const r = await this.request(`m${addr.toString(16)},${len.toString(16)}`);
    if (r.startsWith('E')) throw new Error(`QEMU could not read 0x${addr.toString(16)}: ${r}`);
    return Uint8Array.from(Buffer.from(r, 'hex'));
  }

  /** A monitor command (`info registers`...): its text. */
  async monitor(command: string): Promise<string> {
    this.consoleOut = '';
    await this.request(`qRcmd,${Buffer.from(command, 'latin1').toString('hex')}`);
    return this.consoleOut;
  }

  kill(): void {
    if (!this.exited) this.proc.kill('SIGKILL');
  }
}

/** Undo the protocol's escaping (}x means x ^ 0x20) and run-length encoding (x*n). */
function unescape(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (ch === '}') out += String.fromCharCode(s.charCodeAt(++i) ^ 0x20);
    else if (ch === '*') {
      const n = s.charCodeAt(++i) - 29;
      out += out[out.length - 1].repeat(n);
    } else out += ch;
  }
  return out;
}
