/**
 * The I/O port space. Devices claim ranges of ports; a port nobody claims
 * behaves like a PC's open bus: writes vanish, reads return all ones.
 */
import type { IoBus } from './cpu/state';

export interface PortDevice {
  read(port: number, size: 1 | 2 | 4): number;
  write(port: number, size: 1 | 2 | 4, value: number): void;
}

export class IoPorts implements IoBus {
  private readonly devices: (PortDevice | undefined)[] = new Array(0x10000).fill(undefined);

  register(first: number, count: number, device: PortDevice): void {
    for (let p = first; p < first + count; p++) this.devices[p & 0xffff] = device;
  }

  in(port: number, size: 1 | 2 | 4): number {
    const d = this.devices[port & 0xffff];
    if (d) return d.read(port & 0xffff, size);
    return size === 4 ? -1 : size === 2 ? 0xffff : 0xff;
  }

  out(port: number, size: 1 | 2 | 4, value: number): void {
    const d = this.devices[port & 0xffff];
    if (d) d.write(port & 0xffff, size, value);
  }
}
