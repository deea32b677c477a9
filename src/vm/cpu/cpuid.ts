/**
 * What CPUID says: a P6-class processor with exactly the features this CPU
 * has. The one table of its values; docs/cpu.md prints the same table, and a
 * test holds the two together.
 */

/** Leaf 1 EDX: the features, by bit (SDM Vol. 2 CPUID, Table 3-11). */
export const CPUID_FEATURES =
  (1 << 0) /* FPU: the x87 */ | (1 << 2) /* DE */ | (1 << 3) /* PSE */ | (1 << 4) /* TSC */ | (1 << 5) /* MSR */ |
  (1 << 8) /* CX8 */ | (1 << 11) /* SEP */ | (1 << 13) /* PGE */ | (1 << 15); /* CMOV */

export interface CpuidLeaf { eax: number; ebx: number; ecx: number; edx: number }

/** The processor brand string of leaves 80000002H-80000004H: 48 bytes, NUL-padded (SDM Vol. 2 CPUID, "Processor Brand String"). */
export const CPUID_BRAND = 'lguest-debug virtual P6';

/** Four bytes of the brand string as a little-endian register value. */
function brandWord(k: number): number {
  let v = 0;
  for (let b = 3; b >= 0; b--) v = (v << 8) | (CPUID_BRAND.charCodeAt(4 * k + b) || 0);
  return v >>> 0;
}
const brandLeaf = (n: number): CpuidLeaf => ({ eax: brandWord(4 * n), ebx: brandWord(4 * n + 1), ecx: brandWord(4 * n + 2), edx: brandWord(4 * n + 3) });

/** The basic leaves, from 0. */
const BASIC: readonly CpuidLeaf[] = [
  // Highest basic leaf 1; "GenuineIntel" in EBX, EDX, ECX.
  { eax: 1, ebx: 0x756e6547, ecx: 0x6c65746e, edx: 0x49656e69 },
  // Family 6, model 3, stepping 3 (a Pentium II), and the features.
  { eax: 0x0633, ebx: 0, ecx: 0, edx: CPUID_FEATURES },
];

/** The extended leaves, from 80000000H, as QEMU's qemu32 model lays them out (its values where they are ours). */
const EXTENDED: readonly CpuidLeaf[] = [
  // Highest extended leaf: the last of the brand string.
  { eax: 0x80000004, ebx: 0, ecx: 0, edx: 0 },
  // Extended features: none of them (no SYSCALL, NX, long mode, LAHF in 64-bit mode).
  { eax: 0, ebx: 0, ecx: 0, edx: 0 },
  brandLeaf(0), brandLeaf(1), brandLeaf(2),
];

/** Every leaf the CPU has, by number: the table docs/cpu.md prints. */
export const CPUID_LEAVES: ReadonlyMap<number, CpuidLeaf> = new Map([
  ...BASIC.map((v, k) => [k, v] as const),
  ...EXTENDED.map((v, k) => [(0x80000000 + k) >>> 0, v] as const),
]);

/**
 * A leaf above the highest of its range, basic or extended, gets the
 * highest basic leaf's values, as the SDM says (Vol. 2 CPUID, "If a value
 * entered for CPUID.EAX is higher than the maximum input value...").
 */
export function cpuidLeaf(leaf: number): CpuidLeaf {
  return CPUID_LEAVES.get(leaf >>> 0) ?? BASIC[BASIC.length - 1];
}
