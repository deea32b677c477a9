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

/** By leaf. A leaf above the highest (basic or extended) gets the highest basic leaf's values, as the SDM says. */
export const CPUID_LEAVES: readonly CpuidLeaf[] = [
  // Highest basic leaf 1; "GenuineIntel" in EBX, EDX, ECX.
  { eax: 1, ebx: 0x756e6547, ecx: 0x6c65746e, edx: 0x49656e69 },
  // Family 6, model 3, stepping 3 (a Pentium II), and the features.
  { eax: 0x0633, ebx: 0, ecx: 0, edx: CPUID_FEATURES },
];

export function cpuidLeaf(leaf: number): CpuidLeaf {
  return CPUID_LEAVES[leaf >>> 0] ?? CPUID_LEAVES[CPUID_LEAVES.length - 1];
}
