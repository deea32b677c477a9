/**
 * The files a launch names, read or opened before the machine is made: the program, its initrd, the ELF its
 * symbols come from, and the disks behind its block devices. Each one missing or wrong is an error that names
 * it; the disks are the only ones kept open (the Guest reads and writes them as it runs), so whoever gets
 * them closes them, and a failure after some were opened closes those itself.
 */
import { Elf32, ImageError } from '../../vm/elf';
import { readErrorText, readBytes } from '../../fileErrors';
import type { Initrd } from '../../vm/lguest/launcher';
import { FileBlockBackend } from '../../vm/lguest/devices/blockFile';
import type { LaunchArgs } from '../launch';

export interface LaunchFiles {
  image: Uint8Array;
  initrd?: Initrd;
  /** The ELF that `symbols` named, parsed: the program's own is read later, once it has booted. */
  symbols?: Elf32;
  /** Open: close them when the session ends. */
  block: FileBlockBackend[];
}

/** Read what `args` names; the files, or why one cannot be used. */
export function openLaunchFiles(args: LaunchArgs): LaunchFiles | { error: string } {
  const image = read(args.program, 'program', 'a kernel image');
  if (typeof image === 'string') return { error: image };
  let initrd: Initrd | undefined;
  if (args.initrd !== undefined) {
    const data = read(args.initrd, 'initrd', 'an initrd');
    if (typeof data === 'string') return { error: data };
    initrd = { data, name: args.initrd };
  }
  let symbols: Elf32 | undefined;
  if (args.symbols !== undefined) {
    const bytes = read(args.symbols, 'symbols', 'an ELF file');
    if (typeof bytes === 'string') return { error: bytes };
    try {
      symbols = new Elf32(bytes, args.symbols);
    } catch (e) {
      if (e instanceof ImageError) return { error: `bad symbols: ${e.message}` };
      throw e;
    }
  }
  const block: FileBlockBackend[] = [];
  try {
    // FileBlockBackend's own message names the file and why (missing, not a regular file, read-only).
    for (const f of args.block) block.push(new FileBlockBackend(f, args.blockReadOnly));
  } catch (e) {
    closeAll(block);
    return { error: (e as Error).message };
  }
  return { image, initrd, symbols, block };
}

export function closeAll(block: FileBlockBackend[]): void {
  for (const b of block) b.close();
}

/** A file's bytes, or the launch error that says why it cannot be read. */
function read(path: string, what: string, expected: string): Uint8Array | string {
  try {
    return readBytes(path);
  } catch (e) {
    return `cannot read ${what} '${path}': ${readErrorText(e, expected)}`;
  }
}
