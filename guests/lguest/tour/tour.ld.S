/* tour.ld.S -- the tour image, one ELF for the kernel and every program,
 * so one symbol table describes every address space.  (cpp turns this
 * into obj/tour.ld.)
 *
 * virtual                 physical (p_paddr, where the Launcher loads it)
 * 0xc0100000 kernel       0x100000  text, rodata, lguest_data, data, bss
 * 0x30000000 libtour      0x200000  shared read-only by every process
 * 0x40000000 + n<<24      0x240000 + n*0x30000   program n: text, then data
 * 0xc0400000 ...          0x400000  free pages, handed out by the kernel */
OUTPUT_FORMAT("elf32-i386")
OUTPUT_ARCH(i386)
ENTRY(_start_phys)

#define KERNEL_VIRT     0xc0100000
#define KERNEL_PHYS     0x100000
#define LIB_VIRT        0x30000000
#define LIB_PHYS        0x200000
#define PROG_VIRT(n)    (0x40000000 + ((n) << 24))
#define PROG_PHYS(n)    (0x240000 + (n) * 0x30000)
#define ALLOC_PHYS      0x400000

/* A program's text (read-only) and data (read-write, its own page). */
#define PROGRAM(name, n)                                                                    \
    . = PROG_VIRT(n);                                                                       \
    __user_##name##_text = .;                                                               \
    __user_##name##_text_pa = PROG_PHYS(n);                                                 \
    .user.name.text : AT(PROG_PHYS(n)) { obj/user/name.o(.text .text.* .rodata .rodata.*) } :user_##name##_text \
    __user_##name##_text_end = .;                                                           \
    . = ALIGN(4096);                                                                        \
    __user_##name##_data = .;                                                               \
    __user_##name##_data_pa = PROG_PHYS(n) + (. - PROG_VIRT(n));                            \
    .user.name.data : AT(__user_##name##_data_pa) { obj/user/name.o(.data .data.* .bss .bss.* COMMON) } :user_##name##_data \
    __user_##name##_data_end = .;                                                           \
    ASSERT(. - PROG_VIRT(n) <= 0x30000, "program too big for its slot")

#define PHDRS_FOR(name) user_##name##_text PT_LOAD FLAGS(5); user_##name##_data PT_LOAD FLAGS(6);

PHDRS
{
    text PT_LOAD FLAGS(5);
    data PT_LOAD FLAGS(6);
    lib PT_LOAD FLAGS(5);
    PHDRS_FOR(hello) PHDRS_FOR(primes) PHDRS_FOR(collatz) PHDRS_FOR(sleeper) PHDRS_FOR(heap) PHDRS_FOR(crasher) PHDRS_FOR(bench)
}

SECTIONS
{
    . = KERNEL_VIRT;
    _start_phys = _start - 0xc0000000;
    .text : AT(KERNEL_PHYS) { obj/kernel/entry.o(.text.entry) obj/kernel/[a-z]*.o(.text .text.*) obj/common/format.k.o(.text .text.*) } :text
    .rodata : { obj/kernel/[a-z]*.o(.rodata .rodata.*) obj/common/format.k.o(.rodata .rodata.*) } :text
    . = ALIGN(4096);
    .data : AT(ADDR(.data) - 0xc0000000) { obj/kernel/[a-z]*.o(.data.lguest) obj/kernel/[a-z]*.o(.data .data.*) obj/common/format.k.o(.data .data.*) } :data
    .bss : {
        __bss_start = .;
        obj/kernel/[a-z]*.o(.bss .bss.* COMMON) obj/common/format.k.o(.bss .bss.* COMMON)
        __bss_end = .;
    } :data
    ASSERT(. <= 0xc0200000, "the kernel must end below its programs")

    . = LIB_VIRT;
    __libtour_start = .;
    __libtour_pa = LIB_PHYS;
    .libtour : AT(LIB_PHYS) { obj/user/lib.o(.text .text.* .rodata .rodata.*) obj/common/format.u.o(.text .text.* .rodata .rodata.*) } :lib
    __libtour_end = .;
    ASSERT(. - LIB_VIRT <= 0x40000, "libtour too big")

    PROGRAM(hello, 0)
    PROGRAM(primes, 1)
    PROGRAM(collatz, 2)
    PROGRAM(sleeper, 3)
    PROGRAM(heap, 4)
    PROGRAM(crasher, 5)
    PROGRAM(bench, 6)

    __alloc_start = 0xc0000000 + ALLOC_PHYS;

    /DISCARD/ : { *(.note*) *(.comment) *(.eh_frame*) *(.data.rel*) }
}
