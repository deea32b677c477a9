/** Small helpers shared by the tests. */
import { execFileSync } from 'node:child_process';

/** Is QEMU (qemu-system-i386) installed? Tests that compare with it live run only then. */
export function hasQemu(): boolean {
  try {
    execFileSync('qemu-system-i386', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
