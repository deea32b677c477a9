/**
 * The 0xE9 debug console (Bochs' port E9 hack, QEMU's -debugcon): each byte
 * written is a byte of output. Reading the port returns 0xE9, which is how a
 * guest can tell the console is there.
 */
import type { PortDevice } from '../ioports';

export class DebugConsole implements PortDevice {
  constructor(private readonly output: (byte: number) => void) {}
  read(): number {
    return 0xe9;
  }
  write(_port: number, _size: 1 | 2 | 4, value: number): void {
    this.output(value & 0xff);
  }
}
