// The cpio half of scripts/mkinitramfs.sh (run it through that script, which fetches busybox):
//   node scripts/mkinitramfs.mjs OUT.cpio BUSYBOX INIT [SRC DEST]...
// Writes a newc cpio ("070701", as the kernel's initramfs unpacker reads) holding /bin/busybox, one
// symlink per applet, /init, the usual directories, /dev/console and /dev/null, and each SRC at DEST.
// Written here rather than with cpio(1) so that device nodes need no root, every entry is owned by 0:0
// with one fixed mtime, and the same inputs give the same bytes on every machine.
//
// The applet list comes from the binary itself (busybox for i386 cannot be assumed to run here):
// applet_names, the NUL-separated, sorted name table, and applet_install_loc, four bits per applet
// saying where "busybox --install" puts its link (0 /, 1 /bin, 2 /sbin, 3 /usr/bin, 4 /usr/sbin).
// Exit status: 0, 64 for an --add that collides with another entry, 1 for anything else.
import { readFileSync, writeFileSync, statSync } from 'node:fs';

const MTIME = 1495238400; // 2017-05-20 00:00 UTC (Linux 4.10.17's release), as ../shared/linux/build.sh used
const DIRS = ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'dev', 'proc', 'sys', 'tmp', 'mnt', 'root', 'etc'];
const LOCATIONS = ['', 'bin', 'sbin', 'usr/bin', 'usr/sbin'];

function fail(message, status = 1) {
  process.stderr.write(`mkinitramfs: ${message}\n`);
  process.exit(status);
}

/** The applet names: the longest run of sorted, NUL-terminated names that starts with "[" ("[", "[[", "acpid", ...). */
function appletNames(bin) {
  let best = [];
  for (let at = bin.indexOf('[\0'); at >= 0; at = bin.indexOf('[\0', at + 1)) {
    const names = [];
    let p = at;
    for (;;) {
      const end = bin.indexOf(0, p);
      if (end <= p || end - p > 32) break;
      const name = bin.toString('latin1', p, end);
      if (!/^[a-z0-9_.[\]-]+$/.test(name) || (names.length > 0 && !(names[names.length - 1] < name))) break;
      names.push(name);
      p = end + 1;
    }
    if (bin[p] === 0 && names.length > best.length) best = names;
  }
  if (best.length < 100) fail(`cannot find busybox's applet name table (found ${best.length} names)`);
  return best;
}

/**
 * applet_install_loc: ceil(N/2) bytes, two applets a byte (the even one in the low nibble), every location
 * 1..4 except "linuxrc" (0, the root), the unused high nibble of an odd count 0, sh and mount in /bin.
 * Exactly one place in the binary must fit; otherwise null.
 */
function installLocations(bin, names) {
  const n = names.length, len = (n + 1) >> 1;
  const at = (i) => names.indexOf(i);
  const sh = at('sh'), mount = at('mount');
  const good = new Uint32Array(bin.length + 1); // good[i]: how many of bin[0..i) have both nibbles <= 4
  for (let i = 0; i < bin.length; i++) good[i + 1] = good[i] + ((bin[i] & 15) <= 4 && bin[i] >> 4 <= 4 ? 1 : 0);
  const found = [];
  for (let s = 0; s + len <= bin.length; s++) {
    if (good[s + len] - good[s] !== len) continue;
    const loc = (i) => (bin[s + (i >> 1)] >> ((i & 1) * 4)) & 15;
    if (n & 1 && bin[s + len - 1] >> 4 !== 0) continue;
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = (loc(i) === 0) === (names[i] === 'linuxrc');
    if (ok && (sh < 0 || loc(sh) === 1) && (mount < 0 || loc(mount) === 1)) found.push(names.map((_, i) => loc(i)));
    if (found.length > 1) return null;
  }
  return found.length === 1 ? found[0] : null;
}

const [out, busyboxPath, initPath, ...adds] = process.argv.slice(2);
if (!out || !busyboxPath || !initPath || adds.length % 2) fail('usage: node scripts/mkinitramfs.mjs OUT.cpio BUSYBOX INIT [SRC DEST]...', 64);

const busybox = readFileSync(busyboxPath);
if (busybox.readUInt32BE(0) !== 0x7f454c46 || busybox[4] !== 1 || busybox.readUInt16LE(18) !== 3) {
  fail(`${busyboxPath} is not an ELF32 i386 executable`);
}

/** name (no leading "/") -> { mode, data, rdev } */
const entries = new Map();
const dir = (name, mode = 0o755) => entries.set(name, { mode: 0o040000 | mode });
for (const d of DIRS) dir(d, d === 'tmp' ? 0o1777 : d === 'root' ? 0o700 : 0o755);
dir('usr');
entries.set('dev/console', { mode: 0o020600, rdev: [5, 1] });
entries.set('dev/null', { mode: 0o020666, rdev: [1, 3] });
entries.set('bin/busybox', { mode: 0o100755, data: busybox });
entries.set('init', { mode: 0o100755, data: readFileSync(initPath) });

const names = appletNames(busybox);
const where = installLocations(busybox, names);
if (where === null) {
  process.stderr.write(`mkinitramfs: warning: cannot find busybox's applet_install_loc table: all ${names.length} applet links go in /bin\n`);
}
for (const [i, name] of names.entries()) {
  // "busybox" (listed as bin/busybox) is the binary itself; "linuxrc" is an initrd-as-root's /linuxrc, and
  // an initramfs runs /init instead (../shared/linux/build.sh skipped both too).
  if (name === 'busybox' || name === 'linuxrc') continue;
  entries.set(`${LOCATIONS[where ? where[i] : 1]}/${name}`, { mode: 0o120777, data: Buffer.from('/bin/busybox') });
}

for (let i = 0; i < adds.length; i += 2) {
  const [src, dest] = [adds[i], adds[i + 1]];
  const name = dest.replace(/^\/+/, '');
  const parts = name.split('/');
  for (let j = 1; j < parts.length; j++) {
    const parent = parts.slice(0, j).join('/');
    const e = entries.get(parent);
    if (e === undefined) dir(parent);
    else if ((e.mode & 0o170000) !== 0o040000) fail(`--add ${src}:${dest}: /${parent} is not a directory in the initramfs`, 64);
  }
  if (entries.has(name)) fail(`--add ${src}:${dest}: the initramfs already has /${name}`, 64);
  const executable = (statSync(src).mode & 0o111) !== 0;
  entries.set(name, { mode: executable ? 0o100755 : 0o100644, data: readFileSync(src) });
}

// newc: a 110-byte header of 13 eight-digit hex fields after "070701", the name and its NUL padded to 4 bytes
// from the header's start, the data padded to 4; then "TRAILER!!!", and zeros up to a 512-byte block.
const chunks = [];
let size = 0;
const push = (b) => { chunks.push(b); size += b.length; };
const pad4 = () => { if (size & 3) push(Buffer.alloc(4 - (size & 3))); };
function record(ino, name, mode, data, rdev = [0, 0], nlink = 1) {
  const hex = (v) => (v >>> 0).toString(16).toUpperCase().padStart(8, '0');
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const fields = [ino, mode, 0, 0, nlink, MTIME, data.length, 0, 0, rdev[0], rdev[1], nameBytes.length, 0];
  push(Buffer.from(`070701${fields.map(hex).join('')}`, 'latin1'));
  push(nameBytes);
  pad4();
  push(data);
  pad4();
}
// Sorted by name, so every directory comes before what it holds; inode numbers 1, 2, ... in that order.
for (const [i, name] of [...entries.keys()].sort().entries()) {
  const e = entries.get(name);
  const isDir = (e.mode & 0o170000) === 0o040000;
  record(i + 1, name, e.mode, e.data ?? Buffer.alloc(0), e.rdev, isDir ? 2 : 1);
}
record(0, 'TRAILER!!!', 0, Buffer.alloc(0));
if (size % 512) push(Buffer.alloc(512 - (size % 512)));
writeFileSync(out, Buffer.concat(chunks));
const links = [...entries.values()].filter((e) => (e.mode & 0o170000) === 0o120000).length;
process.stderr.write(`mkinitramfs: ${entries.size} entries (${links} busybox applet links${where ? '' : ', all in /bin'}), ${size} bytes\n`);
