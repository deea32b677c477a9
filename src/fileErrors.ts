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
