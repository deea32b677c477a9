/**
 * The file behind the disk: what setup_block_file opened in lguest's Launcher
 * (tools/lguest/lguest.c, Linux 4.10) with open(O_RDWR|O_LARGEFILE), its length
 * found with lseek64(SEEK_END). We open it read-write, or read-only for
 * --block-readonly, take its size once, and then only read and write inside
 * it, at positions (pread/pwrite), so the file is never truncated or grown.
 * A flush is fdatasync, as the Launcher's VIRTIO_BLK_T_FLUSH was.
 */
import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import type { BlockBackend } from './block';

export class FileBlockBackend implements BlockBackend {
  readonly size: number;
  readonly id: string;
  private fd: number;

  /** Opens `path`; throws an Error naming the file (for the command line to print) if it cannot. */
  constructor(readonly path: string, readonly readOnly = false) {
    let fd: number;
    try {
      fd = openSync(path, readOnly ? 'r' : 'r+');
    } catch (e) {
      // Node says "ENOENT: no such file or directory, open '<path>'": keep the reason, we name the file ourselves.
      const why = (e as Error).message.replace(/, open '.*'$/s, '');
      throw new Error(`cannot open block device file ${path}${readOnly ? ' (read-only)' : ''}: ${why}`);
    }
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      throw new Error(`cannot use ${path} as a block device: not a regular file`);
    }
    this.fd = fd;
    this.size = st.size;
    this.id = basename(path);
  }

  read(offset: number, length: number): Uint8Array {
    const buf = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd, buf, got, length - got, offset + got);
      if (n === 0) break;
      got += n;
    }
    return got === length ? buf : buf.subarray(0, got);
  }

  write(offset: number, data: Uint8Array): void {
    if (this.readOnly) throw new Error(`${this.path} is open read-only`);
    let put = 0;
    while (put < data.length) put += writeSync(this.fd, data, put, data.length - put, offset + put);
  }

  flush(): void {
    if (!this.readOnly) fdatasyncSync(this.fd);
  }

  /** Give the file back (when the Host ends). */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
