/**
 * Instructions the Host does for the Guest kernel (lguest's emulate_insn
 * and the Launcher's emulate_mmio): the Guest's TSS has no I/O bitmap, so
 * IN, OUT and CLI at ring 1 raise #GP(0); and a MOV to a device register
 * faults, since the shadow never maps those pages.
 *
 * The ports: the Launcher's (PCI configuration at 0xCF8–0xCFF, the keyboard
 * controller's status at 0x64), and two of our own for Guests without
 * drivers: 0xE9, the console (what it writes is printed), and 0xF4, the exit
 * port (the run ends with status (v << 1) | 1, as QEMU's isa-debug-exit in
 * bare mode). Reads elsewhere see nothing there (all ones), writes elsewhere
 * vanish, CLI is skipped (the Guest's interrupt flag is
 * lguest_data.irq_enabled, not the CPU's). The same instructions from ring 3
 * are the Guest's problem: its #GP.
 */
import { Lguest } from './lguest';
import type { Emulation, IoAccess } from './decide';
import { DriverError } from './devices/virtqueue';
import { setRegisterValue } from './mmio';
import { maskOf } from './devices/pci';

/** Carry out an emulation decide.ts planned. A driver breaking the device's rules is killed with the Launcher's words. */
export function applyEmulation(lg: Lguest, e: Emulation): void {
  if (e.io !== undefined) {
    try {
      doAccess(lg, e.io);
    } catch (err) {
      if (!(err instanceof DriverError)) throw err;
      lg.kill(err.message);
      return;
    }
  }
  if (e.eax !== undefined) lg.setReg('eax', e.eax);
  if (e.consoleByte !== undefined) lg.onConsole(e.consoleByte);
  if (e.exitStatus !== undefined && lg.dead === null) lg.dead = { kind: 'exit', status: e.exitStatus };
  lg.setReg('eip', e.eip);
  lg.stats.emulated++;
}

function doAccess(lg: Lguest, io: IoAccess): void {
  const d = lg.devices;
  switch (io.kind) {
    case 'port-in': {
      const mask = maskOf(io.size);
      const v = d.portIn(io.port, io.size);
      lg.setReg('eax', ((lg.reg('eax') & ~mask) | (v & mask)) >>> 0);
      lg.stats.portIo++;
      return;
    }
    case 'port-out':
      d.portOut(io.port, io.size, io.value);
      lg.stats.portIo++;
      return;
    case 'mmio-read': {
      const t = d.target(io.phys)!;
      setRegisterValue(lg, io.reg, io.size, t.device.read(t.offset, maskOf(io.size)));
      lg.stats.mmio++;
      return;
    }
    case 'mmio-write': {
      const t = d.target(io.phys)!;
      t.device.write(t.offset, io.value, maskOf(io.size));
      lg.stats.mmio++;
      return;
    }
  }
}

