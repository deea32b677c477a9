/**
 * The log-driven lockstep (logstep.ts): its reader of QEMU's log on a
 * canned piece of log (no QEMU needed), and short live runs when QEMU is
 * installed. The long runs (arith, bench) are `npm run oracle -- --log`.
 */
import { describe, it, expect } from 'vitest';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { hasQemu } from '../helpers';
import { logstep } from './logstep';
import { QemuLog, LogNext, deliveryIp } from './qemulog';
import { FIELDS, toState } from './compare';

const kernel = (name: string) => join(__dirname, '../../guests/bare/build', `${name}.elf`);

/** A state dump as QEMU 7.2 writes it (-d cpu). */
function dump(eip: number, eax: number, ecx: number): string {
  const h = (v: number) => v.toString(16).padStart(8, '0');
  return [
    `EAX=${h(eax)} EBX=00000000 ECX=${h(ecx)} EDX=00000005`,
    'ESI=00000000 EDI=00001000 EBP=00108170 ESP=00108128',
    `EIP=${h(eip)} EFL=00000046 [---Z-P-] CPL=0 II=0 A20=1 SMM=0 HLT=0`,
    'ES =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]',
    'CS =0008 00000000 ffffffff 00cf9b00 DPL=0 CS32 [-RA]',
    'SS =0018 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]',
    'DS =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]',
    'FS =0010 00000000 ffffffff 00cf9300 DPL=0 DS   [-WA]',
    'GS =0023 00000000 ffffffff 00cff300 DPL=3 DS   [-WA]',
    'LDT=0000 00000000 0000ffff 00008200 DPL=0 LDT',
    'TR =0028 0010c200 00002068 00008900 DPL=0 TSS32-avl',
    'GDT=     00104030 000000ff',
    'IDT=     0010e270 000007ff',
    'CR0=80000011 CR2=00000000 CR3=00105000 CR4=00000010',
    'DR0=00000000 DR1=00000000 DR2=00000000 DR3=00000000 ',
    'DR6=ffff0ff0 DR7=00000400',
    'CCS=00000001 CCD=00000000 CCO=LOGICB',
    'EFER=0000000000000000',
  ].join('\n') + '\n';
}

/** A FileHandle that gives `text` a few bytes per read, as a pipe may. */
function pieces(text: string, size: number): FileHandle {
  const bytes = Buffer.from(text, 'latin1');
  let at = 0;
  return {
    read: async (buf: Uint8Array, off: number, len: number) => {
      const n = Math.min(size, len, bytes.length - at);
      buf.set(bytes.subarray(at, at + n), off);
      at += n;
      return { bytesRead: n, buffer: buf };
    },
  } as unknown as FileHandle;
}

describe('QEMU log reader', () => {
  it('reads states before instructions, and an exception\'s lines (not its dump) as events', async () => {
    const v = '     0: v=00 e=0000 i=0 cpl=0 IP=0008:0010192e pc=0010192e SP=0010:00108128 env->regs[R_EAX]=00000001';
    const text = dump(0x10192e, 1, 0) + 'check_exception old: 0xffffffff new 0x0\n' + v + '\n' + dump(0x10192e, 1, 0) + dump(0x101000, 1, 7);
    for (const size of [7, 1000, 1 << 20]) {
      const log = new QemuLog(pieces(text, size));
      const q = new Uint32Array(FIELDS.length);
      const next = async () => {
        let r = log.next(q);
        while (r === LogNext.MORE) {
          if (!(await log.fill())) return false;
          r = log.next(q);
        }
        return true;
      };
      expect(await next()).toBe(true);
      expect(toState(q)).toMatchObject({ eip: 0x10192e, eax: 1, ecx: 0, edx: 5, edi: 0x1000, esp: 0x108128, eflags: 0x46, es: 0x10, cs: 8, ss: 0x18, gs: 0x23, cr0: 0x80000011, cr3: 0x105000, cr4: 0x10 });
      expect(log.events).toEqual([]);
      log.consume();
      expect(await next()).toBe(true);
      expect(toState(q)).toMatchObject({ eip: 0x101000, ecx: 7 });
      expect(log.events).toEqual(['check_exception old: 0xffffffff new 0x0', v]);
      expect(log.deliveries).toBe(1);
      expect(deliveryIp(v)).toEqual({ cs: 8, eip: 0x10192e });
      log.consume();
      expect(await next()).toBe(false);
      expect(log.bytes).toBe(text.length);
    }
  });
});

describe.runIf(hasQemu())('lockstep with QEMU\'s log', () => {
  it('hello, to its end', async () => {
    const r = await logstep(kernel('hello'));
    expect(r.report ?? '').toBe('');
    expect(r.end).toBe('exit');
    expect(r.steps).toBeGreaterThan(15_000);
  });
  it('exceptions, for 20,000 steps (its first exceptions)', async () => {
    const r = await logstep(kernel('exceptions'), { maxSteps: 20_000 });
    expect(r.report ?? '').toBe('');
    expect(r.end).toBe('limit');
    expect(r.steps).toBe(20_000);
  });
  it('triplefault, to its end (QEMU shuts down, so must we in the same step)', async () => {
    const r = await logstep(kernel('triplefault'));
    expect(r.report ?? '').toBe('');
    expect(r.end).toBe('exit');
  });
});
