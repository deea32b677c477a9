/* faults.h -- what the faults Guests share (entry.S and lib.c).
 *
 * Every Guest here breaks one rule of the Guest ABI (docs/guest-abi.md)
 * and is meant to be ended by the Host for it.  The numbers it breaks the
 * rule with come from the command line as name=VALUE (decimal or 0x-hex),
 * with the classic mistake as the default, so a test can also try the
 * values just inside the rule: those must survive. */
#ifndef FAULTS_H
#define FAULTS_H
#include "lguest.h"
#include "guestlib.h"

extern struct lguest_data lguest_data;

/* Each Guest's own code: returning from it means the Guest survived. */
void main(void);

/* Power off with the message "survived" (entry.S); needs no stack. */
__attribute__((noreturn)) void survived(void);

/* The top of the 8 KiB boot stack (entry.S). */
extern char stack_top[];

/* The size of Guest memory, from boot_params' e820 table. */
uint32_t mem_size(void);

/* Above memory: a 1 MiB gap, then the devices' registers (one page for
 * the console alone); the device limit is mem_size() + DEVICE_REGION. */
#define DEVICE_REGION 0x101000u

/* Leaving linear mode: pgdir maps 0-4 MiB one to one (kernel, writable)
 * with a page table of its own; a Guest may fill in more of pgdir, and
 * spare_pt, before calling paging_on(), which makes NEW_PGTABLE. */
extern uint32_t pgdir[1024];
extern uint32_t spare_pt[1024];
void paging_on(void);

#endif
