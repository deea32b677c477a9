/**
 * scripts/mkinitramfs.sh: an initramfs of Debian's busybox-static for i386 around a given /init. The archive is
 * read back here with a small newc reader of its own (110-byte ASCII headers "070701", the name, 4-byte
 * alignment), not with the script's writer. The script downloads busybox-static:i386 from the Debian mirror the
 * first time (then uses its cache), so these tests are skipped, and say so, only where there is no apt-get.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const ROOT = join(__dirname, '../..');
const SCRIPT = join(ROOT, 'scripts/mkinitramfs.sh');
const INIT = join(ROOT, 'scripts/linux-test-init.sh');
const HAS_APT = (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, 'apt-get')));

const TEMP = mkdtempSync(join(tmpdir(), 'lguest-mkinitramfs-'));
afterAll(() => rmSync(TEMP, { recursive: true, force: true }));

/** Runs the script; its messages (stderr) and any stdout are kept, never printed. */
function mkinitramfs(...args: string[]) {
  const r = spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Byte-for-byte equality (no Buffer.equals: @types/node 20.9's Buffer is no Uint8Array to TypeScript 5.9). */
function sameBytes(a: ArrayLike<number> | undefined, b: ArrayLike<number>): boolean {
  if (a === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const S_IFMT = 0o170000, S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000, S_IFCHR = 0o020000;

interface CpioEntry {
  /** The path in the initramfs, with a leading "/" whatever the archive wrote ("bin/sh", "./bin/sh"). */
  path: string;
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  rdev: [number, number];
  data: Buffer;
}

/** Reads a newc ("070701") cpio up to its TRAILER!!!; throws on anything else. */
function readNewc(buf: Buffer): CpioEntry[] {
  const entries: CpioEntry[] = [];
  const align4 = (n: number) => (n + 3) & ~3;
  for (let p = 0; ; ) {
    if (p + 110 > buf.length) throw new Error(`cpio: truncated header at ${p}`);
    const magic = buf.toString('latin1', p, p + 6);
    if (magic !== '070701') throw new Error(`cpio: no newc magic at ${p}: ${JSON.stringify(magic)}`);
    const field = (i: number) => {
      const text = buf.toString('latin1', p + 6 + 8 * i, p + 14 + 8 * i);
      if (!/^[0-9a-fA-F]{8}$/.test(text)) throw new Error(`cpio: header field ${i} at ${p} is ${JSON.stringify(text)}`);
      return parseInt(text, 16);
    };
    const [ino, mode, uid, gid, , mtime, filesize, , , rmajor, rminor, namesize] = Array.from({ length: 13 }, (_, i) => field(i));
    const nameEnd = p + 110 + namesize - 1;
    if (namesize < 1 || buf[nameEnd] !== 0) throw new Error(`cpio: the name at ${p} does not end in NUL`);
    const name = buf.toString('latin1', p + 110, nameEnd);
    const dataAt = align4(p + 110 + namesize);
    if (name === 'TRAILER!!!') return entries;
    if (dataAt + filesize > buf.length) throw new Error(`cpio: ${name}'s data runs past the end`);
    entries.push({
      path: '/' + name.replace(/^\.?\/+/, ''),
      ino, mode, uid, gid, mtime,
      rdev: [rmajor, rminor],
      data: buf.subarray(dataAt, dataAt + filesize),
    });
    p = align4(dataAt + filesize);
  }
}

describe('scripts/mkinitramfs.sh: bad arguments (exit status 64, before any download)', () => {
  const extra = join(TEMP, 'extra.txt');
  writeFileSync(extra, 'x\n');
  const out = join(TEMP, 'never.cpio');
  const bad: [string, string[], string][] = [
    ['no arguments', [], '--init FILE is required'],
    ['no -o', ['--init', INIT], '-o OUT is required'],
    ['a missing --init file', ['--init', join(TEMP, 'no-such-init'), '-o', out], 'no such file'],
    ['--init twice', ['--init', INIT, '--init', INIT, '-o', out], '--init given twice'],
    ['-o without its value', ['--init', INIT, '-o'], '-o needs a value'],
    ['-o in a missing directory', ['--init', INIT, '-o', join(TEMP, 'no-such-dir', 'x.cpio')], 'does not exist'],
    ['-o naming a directory', ['--init', INIT, '-o', TEMP], 'is a directory'],
    ['--add without a colon', ['--init', INIT, '-o', out, '--add', extra], 'wants SRC:DEST'],
    ['--add to a relative DEST', ['--init', INIT, '-o', out, '--add', `${extra}:etc/x`], 'DEST must be an absolute path'],
    ['--add to a DEST ending in /', ['--init', INIT, '-o', out, '--add', `${extra}:/etc/`], 'must name a file'],
    ['--add to /init', ['--init', INIT, '-o', out, '--add', `${extra}:/init`], "/init is --init's"],
    ['--add to one DEST twice', ['--init', INIT, '-o', out, '--add', `${extra}:/a`, '--add', `${extra}:/a`], '/a given twice'],
    ['--add of a missing file', ['--init', INIT, '-o', out, '--add', `${join(TEMP, 'nope')}:/a`], 'no such file'],
    ['an unknown option', ['--init', INIT, '-o', out, '--frobnicate'], 'unknown option: --frobnicate'],
    ['a stray argument', ['--init', INIT, '-o', out, 'stray'], 'unexpected argument: stray'],
  ];
  for (const [title, args, message] of bad) {
    it(`${title}: says "${message}"`, () => {
      const r = mkinitramfs(...args);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain('usage: scripts/mkinitramfs.sh');
      expect(r.status).toBe(64);
      expect(existsSync(out)).toBe(false);
    });
  }
});

describe.skipIf(!HAS_APT)(
  `scripts/mkinitramfs.sh builds a busybox initramfs${HAS_APT ? '' : ' (skipped: no apt-get here to download busybox-static:i386)'}`,
  () => {
    const extraText = 'added by --add\n';
    let first: Buffer, second: Buffer, gzipped: Buffer, entries: CpioEntry[];
    const byPath = (path: string) => entries.find((e) => e.path === path);

    // The first build on a machine downloads the package (about 10 s; root adds i386 to dpkg's architectures
    // and runs apt-get update first); later ones use the cache and take about a second each.
    beforeAll(() => {
      const extra = join(TEMP, 'hello.txt');
      writeFileSync(extra, extraText);
      const build = (out: string, ...more: string[]) => {
        const r = mkinitramfs('--init', INIT, '--add', `${extra}:/etc/lguest/hello.txt`, ...more, '-o', join(TEMP, out));
        if (r.status !== 0) throw new Error(`mkinitramfs.sh exited with ${r.status}:\n${r.stderr}${r.stdout}`);
        return readFileSync(join(TEMP, out));
      };
      first = build('a.cpio');
      second = build('b.cpio');
      gzipped = build('c.cpio.gz', '--gzip');
      entries = readNewc(first);
    }, 300_000);

    it('has /init: the given file, mode 0755', () => {
      const init = byPath('/init');
      expect(init?.mode).toBe(S_IFREG | 0o755);
      expect(sameBytes(init?.data, readFileSync(INIT))).toBe(true);
    });

    it('has /bin/busybox: an ELF32 i386 executable (e_machine 3)', () => {
      const bb = byPath('/bin/busybox');
      expect(bb?.mode).toBe(S_IFREG | 0o755);
      const elf = bb!.data;
      expect(elf.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
      expect(elf[4]).toBe(1); // ELFCLASS32
      expect(elf[5]).toBe(1); // little-endian
      expect(elf.readUInt16LE(16)).toBe(2); // ET_EXEC
      expect(elf.readUInt16LE(18)).toBe(3); // EM_386
      expect(elf.length).toBeGreaterThan(1_000_000);
    });

    it('links every applet to /bin/busybox where busybox --install would, sh, mount, cat and poweroff among them', () => {
      const links = entries.filter((e) => (e.mode & S_IFMT) === S_IFLNK);
      // Debian 12's busybox 1.35.0 has 269 applets: 267 links, as "busybox" itself and "linuxrc" get none.
      expect(links.length).toBeGreaterThanOrEqual(250);
      for (const l of links) expect([l.path, l.data.toString('latin1')]).toEqual([l.path, '/bin/busybox']);
      for (const p of ['/bin/sh', '/bin/mount', '/bin/cat', '/sbin/poweroff', '/usr/bin/env', '/usr/sbin/chroot']) {
        expect(byPath(p)?.mode, p).toBe(S_IFLNK | 0o777);
      }
      const names = links.map((l) => l.path.slice(l.path.lastIndexOf('/') + 1));
      expect(new Set(names).size).toBe(names.length);
    });

    it('has the directories, /dev/console (5,1) and /dev/null (1,3), and the --add file', () => {
      for (const d of ['/dev', '/proc', '/sys', '/tmp', '/mnt', '/root', '/etc', '/bin', '/sbin', '/usr/bin', '/usr/sbin', '/etc/lguest']) {
        expect((byPath(d)?.mode ?? 0) & S_IFMT, d).toBe(S_IFDIR);
      }
      expect(byPath('/dev/console')).toMatchObject({ mode: S_IFCHR | 0o600, rdev: [5, 1] });
      expect(byPath('/dev/null')).toMatchObject({ mode: S_IFCHR | 0o666, rdev: [1, 3] });
      const added = byPath('/etc/lguest/hello.txt');
      expect(added?.mode).toBe(S_IFREG | 0o644);
      expect(added?.data.toString('latin1')).toBe(extraText);
    });

    it('owns everything by 0:0 with one mtime, sorted, every directory before what it holds', () => {
      expect(entries.filter((e) => e.uid !== 0 || e.gid !== 0)).toEqual([]);
      expect(new Set(entries.map((e) => e.mtime)).size).toBe(1);
      const paths = entries.map((e) => e.path);
      expect(paths).toEqual([...paths].sort());
      expect(new Set(paths).size).toBe(paths.length);
      const seen = new Set(['/']);
      for (const p of paths) {
        expect(seen.has(p.slice(0, p.lastIndexOf('/')) || '/'), p).toBe(true);
        seen.add(p);
      }
      expect(new Set(entries.map((e) => e.ino)).size).toBe(entries.length);
      expect(first.length % 512).toBe(0);
    });

    it('refuses an --add onto one of its own entries (exit status 64)', () => {
      const out = join(TEMP, 'collides.cpio');
      const r = mkinitramfs('--init', INIT, '--add', `${INIT}:/bin/sh`, '-o', out);
      expect(r.stderr).toContain('the initramfs already has /bin/sh');
      expect(r.status).toBe(64);
      expect(existsSync(out)).toBe(false);
    }, 120_000);

    it('gives the same bytes for the same inputs, and --gzip is that archive compressed (no name, no time)', () => {
      expect(sameBytes(second, first)).toBe(true);
      expect([gzipped[0], gzipped[1]]).toEqual([0x1f, 0x8b]);
      expect(gzipped.readUInt32LE(4)).toBe(0); // gzip -n: no timestamp
      expect(sameBytes(gunzipSync(new Uint8Array(gzipped)), first)).toBe(true);
    });
  },
);
