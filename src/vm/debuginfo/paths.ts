/**
 * Source file names as the line tables spell them ("./kernel/sched.c",
 * "src/vm/lguest/switcher/switcher_32.S", "/usr/lib/gcc-cross/.../stdint.h")
 * and as the editor sends them (absolute paths on disk): normalizing,
 * joining, and deciding whether two name the same file. Pure string work,
 * the same on every platform (a Windows path's backslashes become slashes).
 */

/** True for "/x", "\\x" and "C:/x": a name that does not depend on a directory. */
export function isAbsolute(p: string): boolean {
  return p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:[\\/]/.test(p);
}

/**
 * A path's components with "." dropped and "dir/.." folded (a leading ".."
 * of a relative path stays); the first component of an absolute path is ""
 * (or the drive, "C:").
 */
export function components(p: string): string[] {
  const parts = p.replace(/\\/g, '/').split('/');
  const abs = isAbsolute(p);
  const out: string[] = [];
  parts.forEach((c, i) => {
    if (i === 0 && abs) { out.push(c); return; }
    if (c === '' || c === '.') return;
    if (c === '..' && out.length > (abs ? 1 : 0) && out[out.length - 1] !== '..') { out.pop(); return; }
    out.push(c);
  });
  return out;
}

/** "./kernel/../kernel/sched.c" -> "kernel/sched.c"; "/a//b" -> "/a/b"; "" and "." -> ".". */
export function normalize(p: string): string {
  const c = components(p);
  if (isAbsolute(p)) return c.length === 1 ? c[0] + '/' : c.join('/');
  return c.length ? c.join('/') : '.';
}

/** `name` inside directory `dir`, unless `name` is absolute already. */
export function joinPath(dir: string, name: string): string {
  if (isAbsolute(name) || dir === '' || dir === '.') return normalize(name);
  return normalize(dir + '/' + name);
}

/**
 * How well a line table's file name `table` matches a path `query` (both as
 * components()), by their trailing components: Infinity when one is a
 * whole suffix of the other (the query
 * "/work/main/guests/lguest/tour/kernel/sched.c" and the table's
 * "kernel/sched.c", or two equal absolute paths); for an absolute table
 * name, else the number of trailing components the two share; 0 for no match.
 */
export function matchScore(query: string[], table: string[]): number {
  let n = 0;
  while (n < query.length && n < table.length && query[query.length - 1 - n] === table[table.length - 1 - n]) n++;
  if (n === 0) return 0;
  // A relative name is a suffix of anything that ends the same way; an
  // absolute one must equal the other path (its leading "" matched too).
  if (n === table.length || n === query.length) return Infinity;
  // Two absolute paths with different beginnings may still be the same
  // file, built on another machine; a relative name that is no suffix is another file.
  return isAbsoluteComponents(table) ? n : 0;
}

function isAbsoluteComponents(c: string[]): boolean {
  return c.length > 0 && (c[0] === '' || /^[A-Za-z]:$/.test(c[0]));
}
