/**
 * What a virtio device is to the transport that carries it (virtioPci.ts):
 * its identity, the features it offers, its configuration bytes, its
 * queues, and the work it does when the Guest notifies one of them. The
 * Launcher's devices (tools/lguest/lguest.c in Linux 4.10) are console.ts,
 * block.ts and rng.ts; the split rings they read are virtqueue.ts.
 */
import type { Virtqueue } from './virtqueue';

export interface VirtioDeviceModel {
  /** The Launcher's name for it, which starts every bad_driver message: "console", "block", "rng". */
  readonly name: string;
  /** The virtio device type (console 3, block 2, rng 4): the PCI device ID is 0x1040 + type. */
  readonly type: number;
  /** PCI class and subclass, as the Launcher gave them. */
  readonly pciClass: number;
  readonly pciSubclass: number;
  /** The feature bits offered beyond VIRTIO_F_VERSION_1 (bit 32), which the transport adds: bits 0-31. */
  readonly features: number;
  /** The names of its queues, in order (bad_driver_vq says "<device> vq <name>: bad driver: ..."). */
  readonly queueNames: readonly string[];
  /** The device-specific configuration, little-endian, as the Guest reads it at BAR0 offset 60; empty for none. */
  readonly config: Uint8Array;
  /**
   * The Guest notified queue `index`: use every buffer it has made available (this is where the Launcher's
   * service thread would have woken). `accepted` is the low word of the features the driver accepted.
   * Throws DriverError (virtqueue.ts) with the Launcher's text when the driver breaks a rule.
   */
  service(index: number, vq: Virtqueue, accepted: number): void;
  /** Back to its state at power-on (a device reset by the driver, or a Guest restart). */
  reset(): void;
  /**
   * Input for the device (the console's keyboard): put what fits into the Guest's buffers in queue 0 and return
   * how many bytes that was. Throws DriverError like service.
   */
  input?(vq: Virtqueue, data: Uint8Array, accepted: number): number;
  /** The console's emerg_wr: one byte written to the config field at offset 8, printed at once. */
  emergencyWrite?(byte: number): void;
  /** A device with state of its own (the entropy device's stream) gives it as plain numbers, and takes it back. */
  captureState?(): number[];
  restoreState?(state: readonly number[]): void;
}
