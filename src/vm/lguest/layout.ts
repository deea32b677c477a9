/**
 * The numbers the Host is built on: where things are in the emulated
 * machine's physical memory and in its address spaces, the layout of the
 * structures the Switcher and the Guest share with us, and the Guest ABI's
 * constants (REFERENCE.md; guests/include/lguest.h is the Guest's copy).
 *
 * Physical memory holds the Guest's RAM from 0 (Guest-physical address p
 * is host-physical p: lguest's mem_base is 0 here), and above it the Host's
 * world: the Switcher's pages, the Host's own tables and stack, and a pool
 * of pages for the shadow page tables. The Guest can never reach the Host's
 * part: every shadow page table entry points below `pfn_limit`.
 */

// ---- The Switcher and the per-CPU pages (switcher/layout.h) --------------------

export const SWITCHER_ADDR = 0xffc00000;
/** struct lguest_pages for our one CPU: the register page, then the read-only state page. */
export const SWITCHER_PAGES = SWITCHER_ADDR + 0x1000;
export const HOST_TEXT_VIRT = 0xc0003000;
export const HOST_RETURN_PORT = 0x4c47;

/** Offsets in struct lguest_pages. */
export const PAGES_REGS = 0xfb8;
export const PAGES_HOST_CR3 = 0x1000;
export const PAGES_HOST_IDT_DESC = 0x1004;
export const PAGES_HOST_GDT_DESC = 0x100a;
export const PAGES_HOST_SP = 0x1010;
export const PAGES_GUEST_IDT_DESC = 0x1014;
export const PAGES_GUEST_GDT_DESC = 0x101a;
export const PAGES_GUEST_TSS = 0x1020;
export const PAGES_GUEST_IDT = 0x1088;
export const PAGES_GUEST_GDT = 0x1888;

/** struct lguest_regs: what the Switcher saves (72 bytes at the end of the register page). */
export const REGS = {
  eax: 0, ebx: 4, ecx: 8, edx: 12, esi: 16, edi: 20, ebp: 24, gs: 28, fs: 32, ds: 36, es: 40,
  trapnum: 44, errcode: 48, eip: 52, cs: 56, eflags: 60, esp: 64, ss: 68,
} as const;
export type RegName = keyof typeof REGS;
export const REG_NAMES = Object.keys(REGS) as RegName[];
/**
 * REGS[name] by a switch. The Host reads a dozen registers a trip by name; one look-up in REGS with names
 * that vary is a megamorphic load in V8 (a hash probe each time), a switch on constant strings is not.
 * test/lguest/layout.test.ts holds it to REGS.
 */
export function regOffset(name: RegName): number {
  switch (name) {
    case 'eax': return 0;
    case 'ebx': return 4;
    case 'ecx': return 8;
    case 'edx': return 12;
    case 'esi': return 16;
    case 'edi': return 20;
    case 'ebp': return 24;
    case 'gs': return 28;
    case 'fs': return 32;
    case 'ds': return 36;
    case 'es': return 40;
    case 'trapnum': return 44;
    case 'errcode': return 48;
    case 'eip': return 52;
    case 'cs': return 56;
    case 'eflags': return 60;
    case 'esp': return 64;
    case 'ss': return 68;
  }
}


/** A trap number no CPU delivers: set before each entry, it survives only if the way back went wrong. */
export const IMPOSSIBLE_TRAP = 256;

// ---- Segments ---------------------------------------------------------------------

export const GDT_ENTRIES = 32;
export const GDT_ENTRY_TLS_MIN = 6;
export const GDT_ENTRY_TLS_ENTRIES = 3;
export const GDT_ENTRY_LGUEST_CS = 10;
export const GDT_ENTRY_LGUEST_DS = 11;
export const GDT_ENTRY_KERNEL_CS = 12;
export const GDT_ENTRY_KERNEL_DS = 13;
export const GDT_ENTRY_TSS = 16;
export const GDT_ENTRY_DOUBLEFAULT_TSS = 31;
export const LGUEST_CS = GDT_ENTRY_LGUEST_CS * 8;
export const LGUEST_DS = GDT_ENTRY_LGUEST_DS * 8;
export const HOST_KERNEL_CS = GDT_ENTRY_KERNEL_CS * 8;
export const HOST_KERNEL_DS = GDT_ENTRY_KERNEL_DS * 8;
export const TSS_SEL = GDT_ENTRY_TSS * 8;
export const GUEST_PL = 1;
/** The Guest kernel's selectors as its registers hold them: slots 12 and 13 with RPL 1. */
export const GUEST_KERNEL_CS = HOST_KERNEL_CS | GUEST_PL;
export const GUEST_KERNEL_DS = HOST_KERNEL_DS | GUEST_PL;
/** Flat 4 GiB descriptors (high words; the low word is 0x0000ffff), accessed bit set. */
export const FLAT_CODE_HI = 0x00cf9b00;
export const FLAT_DATA_HI = 0x00cf9300;
export const FLAT_LO = 0x0000ffff;

// ---- Traps ------------------------------------------------------------------------

export const LGUEST_TRAP_ENTRY = 0x1f;
export const SYSCALL_VECTOR = 0x80;
export const FIRST_EXTERNAL_VECTOR = 32;
export const LGUEST_IRQS = 32;
/**
 * The vector of the Host's own timer, which pulls the Host in when the Guest's timer is due (Linux's local APIC
 * timer).
 */
export const HOST_TIMER_VECTOR = 0xef;

/** Vectors for which the CPU pushes an error code. */
export function hasErrorCode(trap: number): boolean {
  return trap === 8 || (trap >= 10 && trap <= 14) || trap === 17;
}

// ---- Paging -----------------------------------------------------------------------

export const PAGE_SIZE = 4096;
export const _PAGE_PRESENT = 0x1, _PAGE_RW = 0x2, _PAGE_USER = 0x4, _PAGE_PWT = 0x8, _PAGE_PCD = 0x10;
export const _PAGE_ACCESSED = 0x20, _PAGE_DIRTY = 0x40, _PAGE_PSE = 0x80, _PAGE_GLOBAL = 0x100;
/** What a page directory entry may have set: P|RW|US|A|D. */
export const _PAGE_TABLE = 0x67;
/** Kernel pages as lguest maps the Switcher's: read-write (regs), read-only (state, text). */
export const PAGE_KERNEL = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY;
export const PAGE_KERNEL_RO = _PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_DIRTY;
export const PAGE_KERNEL_RX = _PAGE_PRESENT | _PAGE_ACCESSED;
export const PTRS_PER_PGD = 1024;
export const SWITCHER_PGD_INDEX = SWITCHER_ADDR >>> 22;
/** Shadow page directories kept at once, as lguest. */
export const PGDIR_CACHE = 4;
/** What the Guest must leave alone at the top of its address space: the Switcher's 4 MiB. */
export const RESERVE_MEM = 0x100000000 - SWITCHER_ADDR;

// ---- Above Guest RAM: the devices' window, then the Host's region ----

/**
 * Guest-physical addresses just above memory belong to the devices (lguest's Launcher put its MMIO there: 1 MiB
 * above memory, then DEVICE_PAGES = 256 pages of registers). The Host's own region starts after this window, so
 * a device register and a Host page never share an address.
 */
export const DEVICE_WINDOW = 2 * 1024 * 1024;

// ---- The Host's region of physical memory (offsets from its start, above the devices' window) ----

export const HOST = {
  switcherText: 0x0000,
  regsPage: 0x1000,
  statePage: 0x2000,
  hostText: 0x3000,
  /** The Host's IDT (0), GDT (0x800) and TSS (0x900) share a page. */
  tables: 0x4000,
  stack: 0x5000,
  stackTop: 0x7000,
  pgdir: 0x7000,
  /** Maps the Host's pages at HOST_VIRT. */
  pteKernel: 0x8000,
  /** Maps the Switcher's pages in the Host's view. */
  pteSwitcher: 0x9000,
  /** The pool the shadow page tables come from. */
  pool: 0xa000,
} as const;
/** Pages in the pool: every shadow directory and every shadow page table that could ever exist at once. */
export const POOL_PAGES = PGDIR_CACHE * (1 + PTRS_PER_PGD);
export const HOST_REGION_SIZE = HOST.pool + POOL_PAGES * PAGE_SIZE;
/** Where the Host's page tables map the start of the Host's region. */
export const HOST_VIRT = 0xc0000000;
export const HOST_IDT_OFF = 0x000, HOST_GDT_OFF = 0x800, HOST_TSS_OFF = 0x900;

// ---- struct lguest_data (REFERENCE.md 3.1) -------------------------------------

export const LGUEST_DATA = {
  irq_enabled: 0, blocked_interrupts: 4, cr2: 8, time: 12, irq_pending: 20, hcall_status: 24, hcalls: 88,
  reserve_mem: 1368, tsc_khz: 1372, noirq_iret: 1376, kernel_address: 1380, syscall_vec: 1384,
} as const;
export const LGUEST_DATA_SIZE = 1388;
/** LGUEST_DATA[name] by a switch, as regOffset for REGS. */
export function dataOffset(name: keyof typeof LGUEST_DATA): number {
  switch (name) {
    case 'irq_enabled': return 0;
    case 'blocked_interrupts': return 4;
    case 'cr2': return 8;
    case 'time': return 12;
    case 'irq_pending': return 20;
    case 'hcall_status': return 24;
    case 'hcalls': return 88;
    case 'reserve_mem': return 1368;
    case 'tsc_khz': return 1372;
    case 'noirq_iret': return 1376;
    case 'kernel_address': return 1380;
    case 'syscall_vec': return 1384;
  }
}

export const LHCALL_RING_SIZE = 64;
export const HCALL_ARGS_SIZE = 20;
export const X86_EFLAGS_IF = 0x200;

// ---- Hypercalls (REFERENCE.md 2.2) ---------------------------------------------

export const LHCALL = {
  FLUSH_ASYNC: 0, LGUEST_INIT: 1, SHUTDOWN: 2, NEW_PGTABLE: 4, FLUSH_TLB: 5, LOAD_IDT_ENTRY: 6, SET_STACK: 7, TS: 8,
  SET_CLOCKEVENT: 9, HALT: 10, SET_PTE: 14, SET_PGD: 15, LOAD_TLS: 16, LOAD_GDT_ENTRY: 18, SEND_INTERRUPTS: 19,
} as const;
export type HypercallName = keyof typeof LHCALL;
const HCALL_NAMES = new Map<number, HypercallName>(Object.entries(LHCALL).map(([k, v]) => [v, k as HypercallName]));
/** LHCALL_ name of a call number, or undefined for a number the ABI does not have. */
export function hypercallName(n: number): HypercallName | undefined {
  return HCALL_NAMES.get(n);
}
export const LGUEST_SHUTDOWN_POWEROFF = 1;
export const LGUEST_SHUTDOWN_RESTART = 2;
export const SHUTDOWN_MSG_MAX = 128;

// ---- Boot (ABI-NOTES.md) --------------------------------------------------------

export const BOOT_PARAMS = 0;
export const CMDLINE_ADDR = 0x1000;
export const BP_E820_ENTRIES = 0x1e8;
export const BP_E820_TABLE = 0x2d0;
export const BP_VERSION = 0x206;
export const BP_LOADFLAGS = 0x211;
export const BP_CMD_LINE_PTR = 0x228;
export const BP_HARDWARE_SUBARCH = 0x23c;
/** The initial ramdisk, as lguest's Launcher placed it: its address, its (page-rounded) size, and who loaded it. */
export const BP_TYPE_OF_LOADER = 0x210;
export const BP_RAMDISK_IMAGE = 0x218;
export const BP_RAMDISK_SIZE = 0x21c;
/** type_of_loader: "undefined" (lguest's Launcher has no number of its own). */
export const LOADER_UNDEFINED = 0xff;
/** The rest of boot_params the Launcher sets, as lguest's did: the kernel's alignment, no tboot, no APM. */
export const BP_KERNEL_ALIGNMENT = 0x230;
export const BP_TBOOT_ADDR = 0x058;
export const BP_APM_BIOS_VERSION = 0x040;
/** 16 MiB: CONFIG_PHYSICAL_ALIGN as lguest's Launcher assumed it; a bzImage decompresses itself there. */
export const KERNEL_ALIGNMENT = 0x1000000;
/**
 * A bzImage's boot header (struct setup_header, Documentation/x86/boot.txt) sits at these offsets of its file,
 * the same as in boot_params: the sectors of real-mode setup (u8), the magic "HdrS", the 32-bit entry (u32).
 */
export const BP_SETUP_SECTS = 0x1f1;
export const BP_HEADER = 0x202;
export const BP_CODE32_START = 0x214;
/** "HdrS", read as a little-endian u32. */
export const HDRS_MAGIC = 0x53726448;
/** Where lguest's Launcher put a bzImage's protected-mode part: 1 MiB, as a modern bzImage expects. */
export const BZIMAGE_LOAD_ADDR = 0x100000;
export const BOOT_PROTOCOL = 0x0207;
export const KEEP_SEGMENTS = 0x40;
export const SUBARCH_LGUEST = 1;
export const BOOT_EFLAGS = 0x202;

// ---- Time and ports ---------------------------------------------------------------

/** One instruction is one nanosecond: the TSC ticks at 1 GHz. */
export const TSC_KHZ = 1_000_000;
/** --epoch's default: 2000-01-01T00:00:00Z. */
export const DEFAULT_EPOCH_SECONDS = 946_684_800;
export const CONSOLE_PORT = 0xe9;
export const EXIT_PORT = 0xf4;
