import { readFileSync } from 'node:fs';

/**
 * A file's bytes as a plain Uint8Array over what Node read, not a copy: a Linux vmlinux with its
 * debug information is 33 MB, and copying it cost more than reading it (130 ms against 100).
 */
export function readBytes(path: string): Uint8Array {
  const b = readFileSync(path);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/**
 * Why a file the user named could not be read, in a few words (the command line and the debug adapter say it
 * the same way): not Node's `ENOENT: no such file or directory, open '...'`.
 */
export function readErrorText(e: unknown, expected = 'a file to read'): string {
  switch ((e as NodeJS.ErrnoException).code) {
    case 'ENOENT': return 'no such file';
    case 'EISDIR': return `it is a directory, not ${expected}`;
    case 'EACCES': return 'permission denied';
    default: return (e as Error).message;
  }
}
