/**
 * The PCI bus and the virtio-PCI transport, driven through the ports and BAR0 as Linux's virtio_pci_modern
 * does: identity and capabilities by configuration reads, BAR sizing, the early console's window writes,
 * the status sequence, feature negotiation, queue setup, a notify that prints, ISR and the IRQ; and the
 * Launcher's "bad driver" rules, each with its words.
 */
import { describe, it, expect, beforeEach } from 'vitest';
import { PhysicalMemory } from '../../src/vm/cpu/memory';
import { LauncherDevices } from '../../src/vm/lguest/devices/launcherDevices';
import { ConsoleDevice } from '../../src/vm/lguest/devices/console';
import { RngDevice } from '../../src/vm/lguest/devices/rng';
import { BlockDevice, MemoryBlockBackend } from '../../src/vm/lguest/devices/block';
import { MMIO, STATUS } from '../../src/vm/lguest/devices/virtioPci';
import { DriverError } from '../../src/vm/lguest/devices/virtqueue';
import { RingBuilder } from './ringBuilder';

const GUEST = 0x100000;
let mem: PhysicalMemory, devs: LauncherDevices, printed: number[], irqs: number[];

beforeEach(() => {
  mem = new PhysicalMemory(GUEST);
  printed = [];
  irqs = [];
  devs = new LauncherDevices(mem, GUEST, [
    new ConsoleDevice((b) => printed.push(b)), new BlockDevice(new MemoryBlockBackend(new Uint8Array(4096))),
    new RngDevice(1),
  ]);
  devs.onIrq = (irq) => irqs.push(irq);
});

/** A configuration read of `size` bytes at `reg` of slot `slot`, as Linux's pci_conf1_read. */
function cfgRead(slot: number, reg: number, size: 1 | 2 | 4 = 4): number {
  devs.portOut(0xcf8, 4, (0x80000000 | (slot << 11) | (reg & 0xfc)) >>> 0);
  return devs.portIn(0xcfc + (reg & 3), size);
}
function cfgWrite(slot: number, reg: number, value: number, size: 1 | 2 | 4 = 4): boolean {
  devs.portOut(0xcf8, 4, (0x80000000 | (slot << 11) | (reg & 0xfc)) >>> 0);
  if (!devs.portOutAccepted(0xcfc + (reg & 3), size)) return false;
  devs.portOut(0xcfc + (reg & 3), size, value);
  return true;
}
const console0 = () => devs.virtio[0];
const mmioWrite = (off: number, v: number, size: 1 | 2 | 4) => console0().write(off, v, size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff);
const mmioRead = (off: number, size: 1 | 2 | 4) => console0().read(off, size === 1 ? 0xff : size === 2 ? 0xffff : 0xffffffff);

describe('PCI configuration mechanism #1', () => {
  it('keeps the address latch readable at any width and offset (Linux\'s probe writes 0xCFB, reads 0xCF8)', () => {
    devs.portOut(0xcfb, 1, 0x01);
    expect(devs.portIn(0xcf8, 4)).toBe(0x01000000);
    devs.portOut(0xcf8, 4, 0x80000000);
    expect(devs.portIn(0xcf8, 4)).toBe(0x80000000);
    expect(devs.portIn(0xcfa, 2)).toBe(0x8000);
  });

  it('shows the host bridge, then the devices in the Launcher\'s order, and nothing elsewhere', () => {
    expect(cfgRead(0, 0x08) >>> 16).toBe(0x0600); // class 06, subclass 00
    expect(cfgRead(0, 0x00)).toBe(0); // vendor 0: Linux's scan passes it by
    expect(cfgRead(1, 0x00)).toBe(0x10431af4);
    expect(cfgRead(2, 0x00)).toBe(0x10421af4);
    expect(cfgRead(3, 0x00)).toBe(0x10441af4);
    expect(cfgRead(4, 0x00)).toBe(0xffffffff);
    expect([1, 2, 3].map((s) => cfgRead(s, 0x3c, 1))).toEqual([1, 2, 3]); // IRQ line n at slot n
    expect(cfgRead(1, 0x08)).toBe(0x07000001); // class 07/00, revision 1
    expect(cfgRead(2, 0x08) >>> 16).toBe(0x0180);
    expect(cfgRead(3, 0x08) >>> 16).toBe(0xff00);
    expect(cfgRead(1, 0x2c) >>> 16).toBe(0x40); // subsystem device
    expect(cfgRead(1, 0x04) >>> 16).toBe(0x10); // status: a capability list
    // Not enabled, another bus or function, past the configuration space: all ones.
    devs.portOut(0xcf8, 4, 1 << 11);
    expect(devs.portIn(0xcfc, 4)).toBe(0xffffffff);
    devs.portOut(0xcf8, 4, 0x80000000 | (1 << 11) | (1 << 8));
    expect(devs.portIn(0xcfc, 2)).toBe(0xffff);
    expect(cfgRead(1, 0x98)).toBe(0xffffffff);
  });

  it('links the five virtio capabilities in the Launcher\'s order, the device one only where there is a config', () => {
    const chain = (slot: number) => {
      const caps: number[][] = [];
      for (let at = cfgRead(slot, 0x34, 1); at !== 0; at = cfgRead(slot, at + 1, 1)) {
        caps.push([cfgRead(slot, at, 1), cfgRead(slot, at + 3, 1), cfgRead(slot, at + 8), cfgRead(slot, at + 12)]);
      }
      return caps;
    };
    // [vendor capability 9, cfg_type, BAR0 offset, length]
    expect(chain(1)).toEqual([[9, 1, 0, 56], [9, 2, 56, 2], [9, 3, 58, 1], [9, 5, 0, 0], [9, 4, 60, 12]]);
    expect(chain(2).at(-1)).toEqual([9, 4, 60, 36]);
    expect(chain(3)).toHaveLength(4);
  });

  it('places BAR0s from 1 MiB above memory on powers of two; sizing reads back the size', () => {
    expect([1, 2, 3].map((s) => cfgRead(s, 0x10))).toEqual([GUEST + 0x100000, GUEST + 0x100080, GUEST + 0x100100]);
    expect(devs.deviceLimit).toBe(GUEST + 0x101000);
    expect(cfgWrite(1, 0x10, 0xffffffff)).toBe(true);
    expect(cfgRead(1, 0x10)).toBe(0xffffff80); // 128 bytes
    expect(cfgWrite(3, 0x10, 0xffffffff)).toBe(true);
    expect(cfgRead(3, 0x10)).toBe(0xffffffc0); // 64
  });

  it('refuses the writes the Launcher refused (a #GP for the Guest) and takes the others', () => {
    expect(cfgWrite(1, 0x00, 0x1234, 2)).toBe(false); // vendor ID
    expect(cfgWrite(1, 0x04, 0x0006)).toBe(false); // command as 32 bits
    expect(cfgWrite(1, 0x04, 0x0006, 2)).toBe(true); // command as 16 bits: ignored
    expect(cfgRead(1, 0x04, 2)).toBe(0);
    expect(cfgWrite(1, 0x0d, 0x40, 1)).toBe(true); // latency timer
    expect(cfgRead(1, 0x0d, 1)).toBe(0x40);
    expect(cfgWrite(1, 0x0c, 0xffffffff)).toBe(true); // cache line and latency only: header type stays
    expect(cfgRead(1, 0x0c)).toBe(0x0000ffff);
    expect(cfgWrite(1, 0x30, 0xfffff800)).toBe(true); // ROM address
    expect(cfgWrite(5, 0x10, 0)).toBe(false); // nothing in slot 5
    expect(cfgWrite(1, 0x94, 0)).toBe(false); // the window with cap.length 0
  });

  it('writes the console\'s emerg_wr through the configuration window: the early console', () => {
    cfgWrite(1, 0x88, 0, 1); // cap.bar
    cfgWrite(1, 0x8c, 60 + 8); // cap.offset: emerg_wr
    cfgWrite(1, 0x90, 4); // cap.length
    for (const c of 'ok\n') cfgWrite(1, 0x94, c.charCodeAt(0));
    expect(String.fromCharCode(...printed)).toBe('ok\n');
  });

  it('reads BAR0 through the window; a window naming no register is a bad driver', () => {
    cfgWrite(1, 0x8c, MMIO.numQueues);
    cfgWrite(1, 0x90, 2);
    expect(cfgRead(1, 0x94, 2)).toBe(2);
    cfgWrite(1, 0x8c, 3); // not aligned to its length
    expect(() => cfgRead(1, 0x94)).toThrow(new DriverError('console: bad driver: Invalid cfg_access to bar0, offset 3 len 2'));
  });

  it('answers port 0x64 with 1 and every other port with all ones', () => {
    expect(devs.portIn(0x64, 1)).toBe(1);
    expect(devs.portIn(0x60, 1)).toBe(0xff);
    expect(devs.portIn(0x3fd, 2)).toBe(0xffff);
  });
});

describe('the virtio-PCI transport (the console, as Linux drives it)', () => {
  /** Linux's virtio_dev_probe up to FEATURES_OK, read back. */
  function negotiate(): void {
    mmioWrite(MMIO.deviceStatus, 0, 1);
    mmioWrite(MMIO.deviceStatus, STATUS.ACKNOWLEDGE, 1);
    mmioWrite(MMIO.deviceStatus, STATUS.ACKNOWLEDGE | STATUS.DRIVER, 1);
    mmioWrite(MMIO.deviceFeatureSelect, 0, 4);
    expect(mmioRead(MMIO.deviceFeature, 4)).toBe(1 << 2); // EMERG_WRITE
    mmioWrite(MMIO.deviceFeatureSelect, 1, 4);
    expect(mmioRead(MMIO.deviceFeature, 4)).toBe(1); // VERSION_1
    mmioWrite(MMIO.guestFeatureSelect, 0, 4);
    mmioWrite(MMIO.guestFeature, 0, 4);
    mmioWrite(MMIO.guestFeatureSelect, 1, 4);
    mmioWrite(MMIO.guestFeature, 1, 4);
    mmioWrite(MMIO.deviceStatus, STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK, 1);
    expect(mmioRead(MMIO.deviceStatus, 1)).toBe(0xb);
  }
  /** Queue 1 (transmit) on our rings, then DRIVER_OK. */
  function setUpTransmit(rb: RingBuilder): void {
    mmioWrite(MMIO.queueSelect, 1, 2);
    expect(mmioRead(MMIO.queueSize, 2)).toBe(256);
    mmioWrite(MMIO.queueSize, rb.num, 2);
    mmioWrite(MMIO.queueDescLo, rb.desc, 4);
    mmioWrite(MMIO.queueAvailLo, rb.avail, 4);
    mmioWrite(MMIO.queueUsedLo, rb.used, 4);
    mmioWrite(MMIO.queueEnable, 1, 2);
    mmioWrite(MMIO.deviceStatus, 0xf, 1);
  }

  it('prints what the driver puts in the transmit queue at its notify, then sets ISR and raises IRQ 1', () => {
    const rb = new RingBuilder(mem, 8);
    negotiate();
    setUpTransmit(rb);
    rb.bytes(0x8000, [...'hello'].map((c) => c.charCodeAt(0)));
    rb.offer(rb.chain(0, [{ addr: 0x8000, len: 5 }]));
    mmioWrite(MMIO.notify, 1, 2);
    expect(String.fromCharCode(...printed)).toBe('hello');
    expect(rb.usedIdx).toBe(1);
    expect(rb.usedElem(0)).toEqual({ id: 0, len: 0 });
    expect(irqs).toEqual([1]);
    // The debugger's view does not clear ISR; the driver's read does.
    expect(devs.peek(GUEST + 0x100000 + MMIO.isr)).toBe(1);
    expect(mmioRead(MMIO.isr, 1)).toBe(1);
    expect(mmioRead(MMIO.isr, 1)).toBe(0);
  });

  it('uses at DRIVER_OK what was made available before it, and raises no IRQ when the driver asks for none', () => {
    const rb = new RingBuilder(mem, 8);
    negotiate();
    rb.bytes(0x8000, [0x41]);
    rb.offer(rb.chain(0, [{ addr: 0x8000, len: 1 }]));
    rb.availFlags = 1; // VRING_AVAIL_F_NO_INTERRUPT
    setUpTransmit(rb);
    expect(printed).toEqual([0x41]);
    expect(irqs).toEqual([]);
  });

  it('keeps each queue\'s registers apart (queue_select saves and restores them)', () => {
    negotiate();
    mmioWrite(MMIO.queueSelect, 0, 2);
    mmioWrite(MMIO.queueDescLo, 0x4000, 4);
    mmioWrite(MMIO.queueSelect, 1, 2);
    expect(mmioRead(MMIO.queueDescLo, 4)).toBe(0);
    mmioWrite(MMIO.queueSelect, 0, 2);
    expect(mmioRead(MMIO.queueDescLo, 4)).toBe(0x4000);
    mmioWrite(MMIO.queueSelect, 7, 2);
    expect(mmioRead(MMIO.queueSize, 2)).toBe(0); // no such queue
  });

  const bad = (f: () => void, what: string) => expect(f).toThrow(new DriverError(`console: bad driver: ${what}`));

  it('stops a driver that skips a status step, clears a bit or does not read FEATURES_OK back', () => {
    bad(() => mmioWrite(MMIO.deviceStatus, STATUS.DRIVER, 1), 'unexpected status transition 0 -> 0x2');
    mmioWrite(MMIO.deviceStatus, 1, 1);
    bad(() => mmioWrite(MMIO.deviceStatus, 0x5, 1), 'unexpected status transition 0x1 -> 0x5');
    mmioWrite(MMIO.deviceStatus, 3, 1);
    bad(() => mmioWrite(MMIO.deviceStatus, 1, 1), 'unset of device status bit 0x3 -> 0x1');
    bad(() => mmioWrite(MMIO.deviceStatus, 0x83, 1), 'unknown device status bit 0x3 -> 0x83');
    mmioWrite(MMIO.deviceStatus, 0xb, 1);
    bad(() => mmioWrite(MMIO.queueDescLo, 0x1000, 4), "didn't re-read FEATURES_OK before setup");
    bad(() => mmioWrite(MMIO.deviceStatus, 0xf, 1), 'did not re-read FEATURES_OK');
  });

  it('stops a driver that reads or writes features out of turn, or accepts what was not offered', () => {
    bad(() => mmioRead(MMIO.deviceFeature, 4), 'feature read before VIRTIO_CONFIG_S_DRIVER');
    bad(() => mmioRead(MMIO.deviceConfig, 4), 'config read before VIRTIO_CONFIG_S_DRIVER');
    mmioWrite(MMIO.deviceStatus, 1, 1);
    mmioWrite(MMIO.deviceStatus, 3, 1);
    bad(() => mmioWrite(MMIO.guestFeatureSelect, 2, 4), 'Unexpected driver select 2');
    bad(() => mmioWrite(MMIO.guestFeature, 1 << 3, 4), 'over-accepted features 0x8 of 0x100000004');
    bad(() => mmioWrite(MMIO.deviceFeatureSelect, 0, 2), 'non-32-bit write to offset 0 (0)');
  });

  it('stops a driver that misuses the queue registers, MSI-X, ISR or the padding', () => {
    negotiate();
    bad(() => mmioWrite(MMIO.queueSize, 100, 2), 'invalid queue size 100');
    bad(() => mmioWrite(MMIO.queueMsixVector, 1, 2), 'attempt to set MSIX vector to 1');
    bad(() => mmioWrite(MMIO.queueNotifyOff, 1, 2), 'attempt to write to queue_notify_off');
    bad(() => mmioWrite(MMIO.queueEnable, 0, 2), 'setting queue_enable to 0');
    bad(() => mmioWrite(MMIO.isr, 0, 1), 'Unexpected write to isr');
    bad(() => mmioWrite(MMIO.notify, 5, 2), 'Invalid vq notification on 5');
    bad(() => mmioRead(MMIO.msixConfig, 2), 'read of msix_config');
    bad(() => mmioRead(MMIO.padding, 1), 'read from padding (0)');
    bad(() => mmioRead(MMIO.notify, 2), 'notify before VIRTIO_CONFIG_S_DRIVER_OK');
    bad(() => mmioRead(MMIO.isr, 2), 'non-8-bit read from offset 58 (0)');
    bad(() => mmioRead(MMIO.numQueues, 4), 'non-16-bit read to offset 18 (0)');
    bad(() => mmioWrite(MMIO.queueSelect, 0, 4), 'non-16-bit (0xffffffff) write to offset 22 (0)');
    bad(() => mmioWrite(MMIO.deviceConfig, 1, 4), 'Unexpected write to offset 60');
  });

  it('checks a queue when it is enabled: alignment, 64-bit addresses, memory, used flags', () => {
    negotiate();
    mmioWrite(MMIO.queueSelect, 1, 2);
    mmioWrite(MMIO.queueDescLo, 0x1008, 4);
    expect(() => mmioWrite(MMIO.queueEnable, 1, 2)).toThrow('console vq output: bad driver: invalid alignment in queue addresses');
  });

  it('resets at status 0 and at power-on: features, queues and status forgotten', () => {
    const rb = new RingBuilder(mem, 8);
    negotiate();
    setUpTransmit(rb);
    devs.powerOn();
    expect(console0().regs[MMIO.deviceStatus]).toBe(0);
    expect(console0().queues[1].regs.enable).toBe(0);
    expect(console0().queues[1].regs.size).toBe(256);
    expect(devs.bus.address).toBe(0);
  });
});
