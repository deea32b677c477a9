/* layout.h -- the numbers the Switcher and the Host's glue are built on.
 *
 * src/vm/lguest/layout.ts holds the same numbers for the TypeScript Host;
 * a test reads them back out of the built ELF (they are exported as
 * absolute symbols below) and fails if the two ever disagree. */
#ifndef SWITCHER_LAYOUT_H
#define SWITCHER_LAYOUT_H

/* The Switcher lives in the top 4 MiB of every address space, Host and
 * Guest alike: one text page, then the two per-CPU pages (we have one CPU). */
#define SWITCHER_ADDR           0xffc00000
#define SWITCHER_PAGES          (SWITCHER_ADDR + 0x1000)

/* The Host kernel's own pages (its text, tables and stack) are mapped at
 * 0xC0000000 in the Host's page tables, like Linux's direct map. */
#define HOST_TEXT               0xc0003000

/* Segment selectors.  Slots 10 and 11 are lguest's own flat ring 0
 * segments, present in the Host's GDT and in the Guest's, so the code
 * segment the Switcher runs on stays valid across the switch.  Slot 16 is
 * the TSS in both GDTs; 12 and 13 are the Host kernel's segments. */
#define LGUEST_CS               (10 * 8)
#define LGUEST_DS               (11 * 8)
#define HOST_KERNEL_CS          (12 * 8)
#define HOST_KERNEL_DS          (13 * 8)
#define TSS_SEL                 (16 * 8)

/* struct lguest_pages, from SWITCHER_PAGES: the register page (the
 * Guest's registers at its very end, where a trap's frame lands), then the
 * read-only state page.  Offsets as in REFERENCE.md 7.2 and 7.3. */
#define PAGES_regs              0xfb8           /* 4096 - 72 */
#define PAGES_regs_trapnum      (PAGES_regs + 44)
#define PAGES_host_cr3          0x1000
#define PAGES_host_idt_desc     0x1004
#define PAGES_host_gdt_desc     0x100a
#define PAGES_host_sp           0x1010
#define PAGES_guest_idt_desc    0x1014
#define PAGES_guest_gdt_desc    0x101a
#define PAGES_guest_tss         0x1020
#define PAGES_guest_idt         0x1088
#define PAGES_guest_gdt         0x1888

/* The Host's glue tells the TypeScript Host it is back by writing here
 * ("LG"): only the Host's ring 0 code can reach a port, so no Guest can. */
#define HOST_RETURN_PORT        0x4c47

#endif
