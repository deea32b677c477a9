/**
 * A virtio 1.0 ("modern") device on PCI, as lguest's final Launcher made
 * one: its configuration space (identity, the five virtio capabilities,
 * BAR0, an IRQ line) and BAR0's registers: the common configuration
 * (features, status, queues), the notify register, the ISR and the
 * device's own configuration.
 *
 * The Launcher checked the driver against the virtio specification at every
 * step and stopped the Guest with "bad driver" at the first breach; so do
 * we (DriverError, which kills the Guest with that text). Work is done when
 * the Guest notifies, in no virtual time, and the interrupt is raised at
 * once, ISR first, as LHREQ_IRQ did.
 */
import type { PhysicalMemory } from '../../cpu/memory';
import type { VirtioDeviceModel } from './model';
import { Virtqueue, DriverError, type QueueRegisters, type RingLayout } from './virtqueue';
import { PciConfigSpace, CFG, type Bar0 } from './pci';
import { hexC } from '../lguest';

/** BAR0's layout: struct virtio_pci_common_cfg (56 bytes), then notify, ISR, padding and the device's config. */
export const MMIO = {
  deviceFeatureSelect: 0, deviceFeature: 4, guestFeatureSelect: 8, guestFeature: 12, msixConfig: 16, numQueues: 18,
  deviceStatus: 20, configGeneration: 21, queueSelect: 22, queueSize: 24, queueMsixVector: 26, queueEnable: 28,
  queueNotifyOff: 30, queueDescLo: 32, queueDescHi: 36, queueAvailLo: 40, queueAvailHi: 44, queueUsedLo: 48,
  queueUsedHi: 52, notify: 56, isr: 58, padding: 59, deviceConfig: 60,
} as const;

export const STATUS = { ACKNOWLEDGE: 1, DRIVER: 2, DRIVER_OK: 4, FEATURES_OK: 8 } as const;

/** The virtio capability types (cfg_type) and the PCI vendor-specific capability ID. */
const CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4, CAP_PCI_CFG = 5, PCI_CAP_ID_VNDR = 0x09;
/** VIRTIO_F_VERSION_1 is bit 32: bit 0 of the high word. */
const VERSION_1_HIGH = 1;

/** A device's whole state as plain data (for the Host's state: state.ts). */
export interface VirtioDeviceState {
  pci: number[];
  regs: number[];
  acceptedLo: number;
  acceptedHi: number;
  wroteFeaturesOk: boolean;
  queues: { regs: QueueRegisters; lastAvail: number; pendingUsed: number; ring: RingLayout | null }[];
  model: number[] | null;
}

export class VirtioPciDevice implements Bar0 {
  readonly pci: PciConfigSpace;
  readonly queues: Virtqueue[];
  /** BAR0's bytes: the registers as the driver reads them. */
  readonly regs: Uint8Array;
  private readonly view: DataView;
  readonly size: number;
  /** Features the driver accepted (low and high words). */
  private acceptedLo = 0;
  private acceptedHi = 0;
  /** The driver wrote FEATURES_OK and has not read the status back yet. */
  private wroteFeaturesOk = false;

  constructor(
    readonly model: VirtioDeviceModel, mem: PhysicalMemory, guestBytes: number, readonly irqLine: number,
    readonly barAddress: number, private readonly raiseIrq: (irq: number) => void,
  ) {
    this.size = MMIO.deviceConfig + model.config.length;
    this.regs = new Uint8Array(this.size);
    this.view = new DataView(this.regs.buffer);
    this.queues = model.queueNames.map((q) => new Virtqueue(model.name, q, mem, guestBytes));
    this.pci = new PciConfigSpace(model.name, this);
    this.initConfigSpace();
    this.powerOn();
  }

  /** init_pci_config: identity, IRQ line, capability list, BAR0. */
  private initConfigSpace(): void {
    const v = this.pci.view, m = this.model;
    v.setUint16(CFG.vendor, 0x1af4, true);
    v.setUint16(CFG.device, 0x1040 + m.type, true);
    v.setUint16(CFG.status, 1 << 4, true); // a capability list
    v.setUint8(CFG.revision, 1);
    v.setUint8(CFG.class, m.pciClass);
    v.setUint8(CFG.subclass, m.pciSubclass);
    v.setUint16(CFG.subsystemDevice, 0x40, true);
    v.setUint8(CFG.irqLine, this.irqLine);
    v.setUint8(CFG.capabilities, CFG.capCommon);
    v.setUint32(CFG.bar0, this.barAddress, true);
    const hasConfig = m.config.length > 0;
    this.cap(CFG.capCommon, 16, CAP_COMMON, MMIO.deviceFeatureSelect, MMIO.notify, CFG.capNotify);
    this.cap(CFG.capNotify, 20, CAP_NOTIFY, MMIO.notify, 2, CFG.capIsr); // notify_off_multiplier 0: one register
    this.cap(CFG.capIsr, 16, CAP_ISR, MMIO.isr, 1, CFG.capCfgAccess);
    this.cap(CFG.capCfgAccess, 20, CAP_PCI_CFG, 0, 0, hasConfig ? CFG.capDevice : 0);
    // The device configuration's capability is linked in only when there is a configuration.
    this.cap(CFG.capDevice, 16, CAP_DEVICE, MMIO.deviceConfig, m.config.length, 0);
  }

  private cap(at: number, len: number, type: number, offset: number, length: number, next: number): void {
    const v = this.pci.view;
    v.setUint8(at, PCI_CAP_ID_VNDR);
    v.setUint8(at + 1, next);
    v.setUint8(at + 2, len);
    v.setUint8(at + 3, type);
    v.setUint8(at + 4, 0); // BAR0
    v.setUint32(at + 8, offset, true);
    v.setUint32(at + 12, length, true);
  }

  /** The device as the Launcher created it (and as a Guest restart finds it). */
  powerOn(): void {
    this.regs.fill(0);
    this.view.setUint16(MMIO.numQueues, this.queues.length, true);
    this.regs.set(this.model.config, MMIO.deviceConfig);
    this.pci.view.setUint32(CFG.bar0, this.barAddress, true);
    this.resetDevice();
    this.model.reset();
  }

  /** reset_device: features forgotten, queues back to size 256 and disabled. */
  private resetDevice(): void {
    this.acceptedLo = this.acceptedHi = 0;
    this.wroteFeaturesOk = false;
    this.view.setUint16(MMIO.queueEnable, 0, true);
    for (const q of this.queues) q.reset();
  }

  /** The Guest's EIP, for the Launcher's messages that name it (its getreg(eip)); 0 where there is no Guest. */
  guestEip: () => number = () => 0;

  private eipText(): string {
    return hexC(this.guestEip());
  }

  private bad(what: string): never {
    throw new DriverError(`${this.model.name}: bad driver: ${what}`);
  }

  private get status(): number {
    return this.regs[MMIO.deviceStatus];
  }

  private queue(n: number): Virtqueue | undefined {
    return this.queues[n];
  }

  /** save_vq_config / restore_vq_config: the live queue registers belong to the selected queue. */
  private saveQueue(q: Virtqueue): void {
    const v = this.view, r = q.regs;
    r.size = v.getUint16(MMIO.queueSize, true);
    r.enable = v.getUint16(MMIO.queueEnable, true);
    r.notifyOff = v.getUint16(MMIO.queueNotifyOff, true);
    r.descLo = v.getUint32(MMIO.queueDescLo, true);
    r.descHi = v.getUint32(MMIO.queueDescHi, true);
    r.availLo = v.getUint32(MMIO.queueAvailLo, true);
    r.availHi = v.getUint32(MMIO.queueAvailHi, true);
    r.usedLo = v.getUint32(MMIO.queueUsedLo, true);
    r.usedHi = v.getUint32(MMIO.queueUsedHi, true);
  }
  private restoreQueue(q: Virtqueue): void {
    const v = this.view, r = q.regs;
    v.setUint16(MMIO.queueSize, r.size, true);
    v.setUint16(MMIO.queueMsixVector, 0, true);
    v.setUint16(MMIO.queueEnable, r.enable, true);
    v.setUint16(MMIO.queueNotifyOff, r.notifyOff, true);
    v.setUint32(MMIO.queueDescLo, r.descLo, true);
    v.setUint32(MMIO.queueDescHi, r.descHi, true);
    v.setUint32(MMIO.queueAvailLo, r.availLo, true);
    v.setUint32(MMIO.queueAvailHi, r.availHi, true);
    v.setUint32(MMIO.queueUsedLo, r.usedLo, true);
    v.setUint32(MMIO.queueUsedHi, r.usedHi, true);
  }

  // ---- BAR0 writes (emulate_mmio_write) ------------------------------------------------

  write(off: number, val: number, mask: number): void {
    val = (val & mask) >>> 0;
    const v = this.view;
    switch (off) {
      case MMIO.deviceFeatureSelect:
        v.setUint32(MMIO.deviceFeature, val === 0 ? this.model.features : val === 1 ? VERSION_1_HIGH : 0, true);
        return this.featureWrite(off, val, mask);
      case MMIO.guestFeatureSelect:
        if (val > 1) this.bad(`Unexpected driver select ${val}`);
        return this.featureWrite(off, val, mask);
      case MMIO.guestFeature: {
        if (v.getUint32(MMIO.guestFeatureSelect, true) === 0) this.acceptedLo = val;
        else this.acceptedHi = val;
        if ((this.acceptedLo & ~this.model.features) !== 0 || (this.acceptedHi & ~VERSION_1_HIGH) !== 0) {
          this.bad(`over-accepted features ${hex64(this.acceptedHi, this.acceptedLo)} of `
            + `${hex64(VERSION_1_HIGH, this.model.features)}`);
        }
        return this.featureWrite(off, val, mask);
      }
      case MMIO.deviceStatus:
        return this.statusWrite(val, mask);
      case MMIO.queueSelect: {
        const q = this.queue(val);
        if (q === undefined) {
          v.setUint16(MMIO.queueSize, 0, true);
        } else {
          const current = this.queue(v.getUint16(MMIO.queueSelect, true));
          if (v.getUint16(MMIO.queueSize, true) !== 0 && current !== undefined) this.saveQueue(current);
          this.restoreQueue(q);
        }
        return this.through(off, val, mask, 0xffff);
      }
      case MMIO.queueSize:
        if ((val & (val - 1)) !== 0) this.bad(`invalid queue size ${val}`);
        if (v.getUint16(MMIO.queueEnable, true) !== 0) this.bad('changing queue size on live device');
        return this.through(off, val, mask, 0xffff);
      case MMIO.queueMsixVector:
        this.bad(`attempt to set MSIX vector to ${val}`);
      case MMIO.queueEnable: {
        const q = this.queue(v.getUint16(MMIO.queueSelect, true));
        if (val !== 1) this.bad(`setting queue_enable to ${val}`);
        if ((this.status & STATUS.DRIVER_OK) !== 0) this.bad('enabling vq after DRIVER_OK');
        if (q === undefined) this.bad(`enabling queue ${v.getUint16(MMIO.queueSelect, true)}, which does not exist`);
        v.setUint16(MMIO.queueEnable, val, true);
        this.saveQueue(q);
        q.check();
        return this.through(off, val, mask, 0xffff);
      }
      case MMIO.queueNotifyOff:
        this.bad('attempt to write to queue_notify_off');
      case MMIO.queueDescLo: case MMIO.queueDescHi: case MMIO.queueAvailLo: case MMIO.queueAvailHi:
      case MMIO.queueUsedLo: case MMIO.queueUsedHi:
        if (v.getUint16(MMIO.queueEnable, true) !== 0) this.bad('changing queue on live device');
        if ((this.status & STATUS.FEATURES_OK) === 0) this.bad('setting up vq before FEATURES_OK');
        if (this.wroteFeaturesOk) this.bad("didn't re-read FEATURES_OK before setup");
        return this.through(off, val, mask, 0xffffffff);
      case MMIO.notify: {
        const q = this.queue(val);
        if (q === undefined) this.bad(`Invalid vq notification on ${val}`);
        this.through(off, val, mask, 0xffff);
        // Before DRIVER_OK the Launcher's service threads were not running yet: they start then.
        if ((this.status & STATUS.DRIVER_OK) !== 0) this.service(val);
        return;
      }
      case MMIO.isr:
        this.bad('Unexpected write to isr');
      case MMIO.deviceConfig + 8:
        // The console's emerg_wr: the early console's one byte at a time. No other device has a writable field.
        if (this.model.emergencyWrite === undefined) this.bad(`Unexpected write to offset ${off}`);
        this.through(off, val, mask, 0xffffffff);
        this.model.emergencyWrite(val & 0xff);
        return;
      default:
        this.bad(`Unexpected write to offset ${off}`);
    }
  }

  /** A feature register write: only between DRIVER and FEATURES_OK. */
  private featureWrite(off: number, val: number, mask: number): void {
    if ((this.status & STATUS.DRIVER) === 0) this.bad('feature write before VIRTIO_CONFIG_S_DRIVER');
    if ((this.status & STATUS.FEATURES_OK) !== 0) this.bad('feature write after VIRTIO_CONFIG_S_FEATURES_OK');
    this.through(off, val, mask, 0xffffffff);
  }

  /** Device status: 0 resets; otherwise the next bit of ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK, in order. */
  private statusWrite(val: number, mask: number): void {
    const old = this.status;
    if (val === 0) {
      this.resetDevice();
      this.model.reset();
      return this.through(MMIO.deviceStatus, val, mask, 0xff);
    }
    if ((old & ~val) !== 0) this.bad(`unset of device status bit ${hexC(old)} -> ${hexC(val)}`);
    const added = val & ~old;
    const before: Record<number, number> = {
      [STATUS.ACKNOWLEDGE]: 0, [STATUS.DRIVER]: STATUS.ACKNOWLEDGE,
      [STATUS.FEATURES_OK]: STATUS.ACKNOWLEDGE | STATUS.DRIVER,
      [STATUS.DRIVER_OK]: STATUS.ACKNOWLEDGE | STATUS.DRIVER | STATUS.FEATURES_OK,
    };
    if (before[added] === undefined) this.bad(`unknown device status bit ${hexC(old)} -> ${hexC(val)}`);
    if (old !== before[added]) this.bad(`unexpected status transition ${hexC(old)} -> ${hexC(val)}`);
    if (added === STATUS.FEATURES_OK) this.wroteFeaturesOk = true;
    if (added === STATUS.DRIVER_OK && this.wroteFeaturesOk) this.bad('did not re-read FEATURES_OK');
    this.through(MMIO.deviceStatus, val, mask, 0xff);
    // DRIVER_OK starts the queues: whatever the driver made available already is used now.
    if (added === STATUS.DRIVER_OK) {
      this.queues.forEach((q, i) => { if (q.regs.enable !== 0) this.service(i); });
    }
  }

  /** The driver notified queue `n`: the device does its work, then interrupts if the queue says so. */
  private service(n: number): void {
    const q = this.queues[n];
    if (q.regs.enable === 0) return;
    this.model.service(n, q, this.acceptedLo);
    if (q.interruptDue()) {
      this.regs[MMIO.isr] = 1;
      this.raiseIrq(this.irqLine);
    }
  }

  /** The driver is live and its receive queue (queue 0) enabled: input can go in. */
  get receiving(): boolean {
    return (this.status & STATUS.DRIVER_OK) !== 0 && this.queues[0]?.regs.enable === 1 && this.model.input !== undefined;
  }

  /**
   * Input for the Guest (console_input): into the receive queue's buffers, then the interrupt if the queue says
   * so. Returns the bytes that found room (0 before the driver is ready). Throws DriverError.
   */
  receive(data: Uint8Array): number {
    if (!this.receiving) return 0;
    const q = this.queues[0];
    const n = this.model.input!(q, data, this.acceptedLo);
    if (q.interruptDue()) {
      this.regs[MMIO.isr] = 1;
      this.raiseIrq(this.irqLine);
    }
    return n;
  }

  /** write_through: the access must have the field's own width. */
  private through(off: number, val: number, mask: number, width: number): void {
    const bits = width === 0xff ? 8 : width === 0xffff ? 16 : 32;
    // The Launcher's words, the 16-bit one with the mask in it, and the Guest's EIP (getreg(eip)) at the end.
    if (mask !== width) {
      this.bad(bits === 16 ? `non-16-bit (${hexC(mask)}) write to offset ${off} (${this.eipText()})`
        : `non-${bits}-bit write to offset ${off} (${this.eipText()})`);
    }
    if (bits === 8) this.view.setUint8(off, val);
    else if (bits === 16) this.view.setUint16(off, val, true);
    else this.view.setUint32(off, val, true);
  }

  // ---- BAR0 reads (emulate_mmio_read) ----------------------------------------------------

  read(off: number, mask: number): number {
    switch (off) {
      case MMIO.deviceFeatureSelect: case MMIO.deviceFeature: case MMIO.guestFeatureSelect: case MMIO.guestFeature:
        if ((this.status & STATUS.DRIVER) === 0) this.bad('feature read before VIRTIO_CONFIG_S_DRIVER');
        return this.readThrough(off, mask, 0xffffffff);
      case MMIO.msixConfig:
        this.bad('read of msix_config');
      case MMIO.numQueues:
        return this.readThrough(off, mask, 0xffff);
      case MMIO.deviceStatus:
        // The driver has looked: a FEATURES_OK it wrote is confirmed.
        this.wroteFeaturesOk = false;
        return this.readThrough(off, mask, 0xff);
      case MMIO.configGeneration:
        // None of these devices ever changes its configuration: always 0.
        return this.readThrough(off, mask, 0xff);
      case MMIO.notify:
        if ((this.status & STATUS.DRIVER_OK) === 0) this.bad('notify before VIRTIO_CONFIG_S_DRIVER_OK');
        return this.readThrough(off, mask, 0xffff);
      case MMIO.isr: {
        if (mask !== 0xff) this.bad(`non-8-bit read from offset ${off} (${this.eipText()})`);
        const isr = this.regs[MMIO.isr];
        this.regs[MMIO.isr] = 0; // reading clears it
        return isr;
      }
      case MMIO.padding:
        this.bad(`read from padding (${this.eipText()})`);
      default:
        if (off > this.size - 4) this.bad(`read past end (${this.eipText()})`);
        if ((this.status & STATUS.DRIVER) === 0) this.bad('config read before VIRTIO_CONFIG_S_DRIVER');
        return this.readThrough(off, mask, mask === 0xffffffff ? mask : mask === 0xffff ? 0xffff : 0xff);
    }
  }

  private readThrough(off: number, mask: number, width: number): number {
    const bits = width === 0xff ? 8 : width === 0xffff ? 16 : 32;
    if (mask !== width) this.bad(`non-${bits}-bit read to offset ${off} (${this.eipText()})`);
    return bits === 8 ? this.view.getUint8(off) : bits === 16 ? this.view.getUint16(off, true) : this.view.getUint32(off, true);
  }

  capture(): VirtioDeviceState {
    return {
      pci: [...this.pci.bytes], regs: [...this.regs], acceptedLo: this.acceptedLo, acceptedHi: this.acceptedHi,
      wroteFeaturesOk: this.wroteFeaturesOk,
      queues: this.queues.map((q) => ({
        regs: { ...q.regs }, lastAvail: q.lastAvail, pendingUsed: q.pendingUsed, ring: q.ring === null ? null : { ...q.ring },
      })),
      model: this.model.captureState?.() ?? null,
    };
  }

  restore(s: VirtioDeviceState): void {
    this.pci.bytes.set(s.pci);
    this.regs.set(s.regs);
    this.acceptedLo = s.acceptedLo;
    this.acceptedHi = s.acceptedHi;
    this.wroteFeaturesOk = s.wroteFeaturesOk;
    s.queues.forEach((q, i) => {
      const vq = this.queues[i];
      Object.assign(vq.regs, q.regs);
      vq.lastAvail = q.lastAvail;
      vq.pendingUsed = q.pendingUsed;
      vq.ring = q.ring === null ? null : { ...q.ring };
    });
    if (s.model !== null) this.model.restoreState?.(s.model);
  }

  /** BAR0's bytes as they are, for the debugger: no side effects (reading ISR here does not clear it). */
  peek(off: number): number {
    return off < this.size ? this.regs[off] : 0xff;
  }
}

/** %#llx of a 64-bit value given as two words. */
function hex64(hi: number, lo: number): string {
  if (hi === 0) return hexC(lo);
  return `0x${(hi >>> 0).toString(16)}${(lo >>> 0).toString(16).padStart(8, '0')}`;
}

