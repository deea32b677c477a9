/**
 * The console, lguest's Launcher's first device (setup_console, console_output
 * and console_input in tools/lguest/lguest.c, Linux 4.10): the Guest's hvc0.
 * Queue 1 ("output") carries the Guest's bytes to our output, in order, and each
 * buffer goes back used with length 0, as the Launcher gave it. Queue 0 ("input")
 * holds the Guest's empty buffers for keyboard input; the Launcher's thread sat
 * in readv(stdin) on them. Nothing reads our stdin yet, so a notify leaves them
 * available, and `input` fills them when some bytes come.
 * VIRTIO_CONSOLE_F_EMERG_WRITE lets the Guest print a byte by writing it to the
 * configuration's emerg_wr field, before its driver has queues.
 */
import type { VirtioDeviceModel } from './model';
import { VIRTIO_RING_F_INDIRECT_DESC, type Virtqueue } from './virtqueue';

export const VIRTIO_ID_CONSOLE = 3;
export const VIRTIO_CONSOLE_F_EMERG_WRITE = 2;

export class ConsoleDevice implements VirtioDeviceModel {
  readonly name = 'console';
  readonly type = VIRTIO_ID_CONSOLE;
  readonly pciClass = 0x07;
  readonly pciSubclass = 0x00;
  readonly features = 1 << VIRTIO_CONSOLE_F_EMERG_WRITE;
  readonly queueNames = ['input', 'output'] as const;
  /** struct virtio_console_config: u16 cols, u16 rows, u32 max_nr_ports, u32 emerg_wr, all 0. */
  readonly config = new Uint8Array(12);

  constructor(private readonly output: (byte: number) => void) {}

  service(index: number, vq: Virtqueue, accepted: number): void {
    if (index !== 1) return; // input: the buffers wait for `input`
    const indirect = (accepted & (1 << VIRTIO_RING_F_INDIRECT_DESC)) !== 0;
    for (let chain = vq.pop(indirect); chain !== null; chain = vq.pop(indirect)) {
      if (chain.in.length > 0) throw vq.vqError('Input buffers in console output queue?');
      for (const s of chain.out) {
        const bytes = vq.gather([s]);
        for (const b of bytes) this.output(b);
      }
      vq.pushUsed(chain.head, 0);
    }
  }

  /**
   * console_input: put `data` into the Guest's input buffers (queue 0), one buffer after another, each used
   * with the bytes it took. Returns how many bytes found room; the rest wait for the Guest to give more
   * buffers. The transport then asks vq.interruptDue() as after any notify.
   */
  input(vq: Virtqueue, data: Uint8Array, accepted: number): number {
    const indirect = (accepted & (1 << VIRTIO_RING_F_INDIRECT_DESC)) !== 0;
    let n = 0;
    while (n < data.length) {
      const chain = vq.pop(indirect);
      if (chain === null) break;
      if (chain.out.length > 0) throw vq.vqError('Output buffers in console in queue?');
      const took = vq.scatter(chain.in, data.subarray(n));
      vq.pushUsed(chain.head, took);
      n += took;
    }
    return n;
  }

  reset(): void {}

  emergencyWrite(byte: number): void {
    this.output(byte & 0xff);
  }
}
