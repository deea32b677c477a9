/**
 * Watching for a Host that hangs: one that handles the same trap at the
 * same place over and over while the Guest gets nowhere. demand_page does
 * that when it "fixes" a fault with a shadow entry the CPU still refuses
 * (say, one without the user bit for a ring-3 access): the Guest faults
 * again at once, and again, for ever. A Guest that merely spins is not a
 * hang, even if the timer pulls it out at the same instruction each time:
 * it ran instructions in between. Nor is a Guest whose own page-fault
 * handler is at an address that faults: each time the Host hands it the
 * fault it pushes another frame on the Guest's stack, until that runs out
 * (lguest, and a real CPU, do the same). So the Guest's stack pointer is
 * part of what must stay the same, with the trap, CR2 and EIP.
 *
 * So, for each exit to the Host, how many Guest instructions ran since the
 * Host let it in? Between two exits the CPU runs the Switcher in (always
 * the same straight-line code: `entryCost` instructions, measured below),
 * then the Guest, then the Switcher out. The moment the CPU delivers the
 * trap to one of the Switcher's stubs (cpu.onVector, at ring 0) divides the
 * Guest's part from the way out. What the Guest ran counts the trapping
 * instruction itself, which did not retire: 1 or less means nothing did.
 */
import { Host } from '../../src/vm/lguest/host';
import type { HostEvent } from '../../src/vm/lguest/events';

/** More consecutive exits than this with the same (trap, cr2, eip, esp) and no Guest instruction retired: a hang. */
export const HANG_EXITS = 64;

export interface Hang {
  trap: number;
  cr2: number;
  eip: number;
  esp: number;
  /** The virtual time of the exit that made it a hang. */
  time: number;
}

let entryCost: number | null = null;

/**
 * The instructions from the Host's call into the Switcher to the Guest's
 * first instruction: the same for every entry and every Guest, so measured
 * once, stepping through the Switcher on a fresh Host with `image`.
 */
export function switcherEntryCost(image: Uint8Array): number {
  if (entryCost === null) {
    const host = new Host({ memoryMiB: 8 });
    host.boot(image, 'guest.elf');
    while (!host.inGuestCode) host.stepInstruction(true);
    entryCost = host.cpu.instructions;
  }
  return entryCost;
}

export class HangWatch {
  hang: Hang | null = null;
  private readonly entryCost: number;
  /** When the CPU last delivered a vector to the Switcher, and when the Host last took an exit. */
  private vectorAt = 0;
  private exitAt = -Infinity;
  /** The last exit's (trap, cr2, eip, esp), and how many in a row had it with nothing run in between. */
  private key = '';
  private exits = 0;

  /** Watch `host`, running `image`: call `see` with every Host event; `onHang` runs once, at the hang's last exit. */
  constructor(private readonly host: Host, image: Uint8Array, private readonly onHang: (h: Hang) => void = () => {}) {
    this.entryCost = switcherEntryCost(image);
    const deliver = host.cpu.onVector;
    host.cpu.onVector = (vector, code, eip) => {
      if (host.inGuest && host.cpu.cpl === 0) this.vectorAt = host.cpu.instructions;
      deliver?.(vector, code, eip);
    };
  }

  see(e: HostEvent): void {
    if (e.kind !== 'trap') return;
    const guestRan = this.vectorAt - this.exitAt - this.entryCost;
    const esp = this.host.lg.reg('esp');
    const key = `${e.trap} ${e.cr2} ${e.eip} ${esp}`;
    this.exits = key === this.key && guestRan <= 1 ? this.exits + 1 : 1;
    this.key = key;
    this.exitAt = e.time;
    if (this.exits > HANG_EXITS && this.hang === null) {
      this.hang = { trap: e.trap, cr2: e.cr2, eip: e.eip, esp, time: e.time };
      this.onHang(this.hang);
    }
  }
}
