/**
 * A 16550 UART (COM1 at 0x3F8), output only: what the guest transmits is
 * printed at once, the transmitter is always ready (LSR THRE and TEMT set)
 * and nothing arrives from outside. In loopback mode (MCR bit 4) what the
 * guest transmits lands in its own receive FIFO instead, and the modem
 * inputs mirror the modem outputs, as a driver's self-test expects.
 * Enough for a kernel's polling serial driver; interrupts come when
 * something needs them.
 */
import type { PortDevice } from '../ioports';

const LSR_DR = 0x01, LSR_THRE = 0x20, LSR_TEMT = 0x40, LCR_DLAB = 0x80, MCR_LOOP = 0x10, FIFO_SIZE = 16;

export class Uart16550 implements PortDevice {
  private ier = 0;
  private lcr = 0;
  private mcr = 0;
  private scr = 0;
  private fcr = 0;
  private dll = 0x0c;
  private dlm = 0;
  private readonly rx: number[] = [];

  constructor(private readonly base: number, private readonly output: (byte: number) => void) {}

  read(port: number): number {
    switch (port - this.base) {
      case 0:
        if ((this.lcr & LCR_DLAB) !== 0) return this.dll;
        return this.rx.shift() ?? 0;
      case 1: return (this.lcr & LCR_DLAB) !== 0 ? this.dlm : this.ier;
      case 2: return (this.fcr & 1) !== 0 ? 0xc1 : 0x01; // no interrupt pending
      case 3: return this.lcr;
      case 4: return this.mcr;
      case 5: return LSR_THRE | LSR_TEMT | (this.rx.length > 0 ? LSR_DR : 0);
      case 6:
        if ((this.mcr & MCR_LOOP) !== 0) {
          // DTR -> DSR, RTS -> CTS, OUT1 -> RI, OUT2 -> DCD.
          const m = this.mcr;
          return ((m & 1) << 5) | ((m & 2) << 3) | ((m & 4) << 4) | ((m & 8) << 4);
        }
        return 0xb0; // DCD, DSR, CTS: a cable is there
      default: return this.scr;
    }
  }

  write(port: number, _size: 1 | 2 | 4, value: number): void {
    value &= 0xff;
    switch (port - this.base) {
      case 0:
        if ((this.lcr & LCR_DLAB) !== 0) this.dll = value;
        else if ((this.mcr & MCR_LOOP) === 0) this.output(value);
        else if (this.rx.length < FIFO_SIZE) this.rx.push(value);
        break;
      case 1:
        if ((this.lcr & LCR_DLAB) !== 0) this.dlm = value;
        else this.ier = value & 0x0f;
        break;
      case 2:
        this.fcr = value;
        if ((value & 2) !== 0) this.rx.length = 0; // clear the receive FIFO
        break;
      case 3: this.lcr = value; break;
      case 4: this.mcr = value & 0x1f; break;
      case 7: this.scr = value; break;
    }
  }
}
