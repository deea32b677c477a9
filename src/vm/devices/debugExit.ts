/**
 * QEMU's isa-debug-exit device: writing a value v ends the run with exit
 * status (v << 1) | 1. The status is always odd, so a test harness can tell
 * a guest's own verdict from the emulator's failures.
 */
import type { PortDevice } from '../ioports';

export class DebugExit implements PortDevice {
  constructor(private readonly exit: (status: number) => void) {}
  read(): number {
    return 0;
  }
  write(_port: number, _size: 1 | 2 | 4, value: number): void {
    this.exit(((value << 1) | 1) & 0xff);
  }
}
