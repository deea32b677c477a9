/**
 * The Launcher's devices (lguest.c's `struct device_list`): a dummy host
 * bridge at 00:00.0, then one virtio device per slot in the order given
 * (console always first, then block devices, then rng), each with IRQ line
 * n at slot n and its BAR0 from lguest's MMIO allocator, which starts 1 MiB
 * above the Guest's memory and gives each device a power-of-two region.
 *
 * What the Guest kernel cannot do at ring 1 comes here: IN and OUT (the PCI
 * ports, and port 0x64, which reads 1 as a keyboard controller ready for
 * output, as the Launcher answered) and loads and stores to a page its
 * tables map into [memory size, device_limit): MMIO.
 */
import type { PhysicalMemory } from '../../cpu/memory';
import type { VirtioDeviceModel } from './model';
import { PciBus, PciConfigSpace, CFG, maskOf } from './pci';
import { VirtioPciDevice, type VirtioDeviceState } from './virtioPci';

/** The devices' state as plain data. */
export interface DevicesState {
  address: number;
  bridge: number[];
  virtio: VirtioDeviceState[];
}

/** The MMIO allocator starts this far above the Guest's memory (lguest's DEVICE_PAGES: 256 pages). */
export const MMIO_GAP = 256 * 4096;
/** Port 0x64, the PS/2 controller's status: 1 = "ready", which is all Linux asks of it here. */
export const KEYBOARD_STATUS_PORT = 0x64;

export class LauncherDevices {
  readonly bus = new PciBus();
  readonly virtio: VirtioPciDevice[] = [];
  /** Where the devices' registers start: 1 MiB above memory. */
  readonly mmioStart: number;
  /** The end of the last BAR, rounded up to a page: a Guest PTE at or past it is a bad one. */
  readonly deviceLimit: number;
  /** Raises a device's interrupt (the Host's set_interrupt, as LHREQ_IRQ did). */
  onIrq: (irq: number) => void = () => {};

  /** Where the Guest is, for the messages that name its EIP. */
  set guestEip(f: () => number) {
    for (const d of this.virtio) d.guestEip = f;
  }

  constructor(mem: PhysicalMemory, readonly guestBytes: number, models: VirtioDeviceModel[]) {
    if (models.length > 31) throw new RangeError('Can only handle 31 PCI devices');
    // 31 BARs of at most 128 bytes each end far below the window's end: the Host's region starts there.
    const bridge = new PciConfigSpace('PCI Host Bridge', null);
    bridge.view.setUint8(CFG.class, 0x06); // a bridge, subclass 0: a host bridge
    this.bus.slots[0] = bridge;
    this.mmioStart = guestBytes + MMIO_GAP;
    let next = this.mmioStart;
    models.forEach((m, i) => {
      const slot = i + 1;
      const d = new VirtioPciDevice(m, mem, guestBytes, slot, next, (irq) => this.onIrq(irq));
      next += powerOfTwo(d.size);
      this.virtio.push(d);
      this.bus.slots[slot] = d.pci;
    });
    this.deviceLimit = Math.ceil(next / 4096) * 4096;
  }

  /** The devices as the Launcher made them: a Guest restart starts from here. */
  powerOn(): void {
    this.bus.address = 0;
    for (const d of this.virtio) d.powerOn();
  }

  capture(): DevicesState {
    return { address: this.bus.address, bridge: [...this.bus.slots[0]!.bytes], virtio: this.virtio.map((d) => d.capture()) };
  }
  restore(s: DevicesState): void {
    this.bus.address = s.address;
    this.bus.slots[0]!.bytes.set(s.bridge);
    s.virtio.forEach((d, i) => this.virtio[i].restore(d));
  }

  // ---- Ports ------------------------------------------------------------------------

  /** Does the Launcher answer this port (anything else reads all ones, and writes vanish)? */
  static handles(port: number): boolean {
    return port === KEYBOARD_STATUS_PORT || PciBus.isAddressPort(port) || PciBus.isDataPort(port);
  }

  /** An IN. Throws DriverError when it reaches a device that finds it a bad driver's. */
  portIn(port: number, size: 1 | 2 | 4): number {
    if (port === KEYBOARD_STATUS_PORT) return 1;
    if (PciBus.isAddressPort(port) || PciBus.isDataPort(port)) return this.bus.read(port, size);
    return maskOf(size);
  }

  /** Would the Launcher take this OUT? If not, the Guest gets #GP (lguest's bad_io). */
  portOutAccepted(port: number, size: 1 | 2 | 4): boolean {
    if (PciBus.isAddressPort(port) || PciBus.isDataPort(port)) return this.bus.writeAccepted(port, size);
    return true;
  }

  /** An OUT portOutAccepted took. Throws DriverError like portIn. */
  portOut(port: number, size: 1 | 2 | 4, value: number): void {
    if (PciBus.isAddressPort(port) || PciBus.isDataPort(port)) this.bus.write(port, size, value);
  }

  // ---- MMIO -------------------------------------------------------------------------

  /** Is this Guest-physical frame MMIO rather than memory (gpte_in_iomem)? */
  inIomem(phys: number): boolean {
    return phys >= this.guestBytes && phys < this.deviceLimit;
  }

  /** find_mmio_region: the device whose BAR0 holds `phys`, and the offset in it; null where none does. */
  target(phys: number): { device: VirtioPciDevice; offset: number } | null {
    for (const d of this.virtio) {
      if (phys >= d.barAddress && phys < d.barAddress + d.size) return { device: d, offset: phys - d.barAddress };
    }
    return null;
  }

  /** A byte of the MMIO range as it is, without side effects (the debugger's phys: view); null where no register is. */
  peek(phys: number): number | null {
    const t = this.target(phys);
    return t === null ? null : t.device.peek(t.offset);
  }
}

/** get_mmio_region: regions are powers of two. */
function powerOfTwo(n: number): number {
  let i = 1;
  while (i < n) i <<= 1;
  return i;
}
