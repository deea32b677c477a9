/* fpu.h -- what entry.S and fpu.c share. */
#ifndef FPU_H
#define FPU_H
#include "lguest.h"

/* FSAVE's image in 32-bit protected mode: the environment, then ST(0)..ST(7). */
#define X87_IMAGE_BYTES 108

#ifndef __ASSEMBLER__

/* FNINIT, then seven values of every tag (valid, zero, special), the
 * condition codes of a compare, two exception flags and a control word of
 * our own. */
void x87_load(void);
/* FNSAVE to image, then FRSTOR from it: the state stays in the x87. */
void x87_save(uint8_t *image);
/* One WAIT, one FNOP: they change nothing, but fault while TS is set. */
void x87_wait(void);
void x87_nop(void);
/* One more FNOP, where test/lguest/fpu.test.ts sets CR0.TS behind our back. */
void host_ts_probe(void);
/* A read of va that may fault (two bytes: the #PF handler steps over it), and a ud2. */
void pf_probe(uint32_t va);
void ud_probe(void);

/* The gates: #NM, #UD, #BP, #PF, the timer. */
void nm_entry(void), ud_entry(void), bp_entry(void), pf_entry(void), timer_entry(void);
/* The one iret the Host must not interrupt (lguest_data.noirq_iret). */
extern char noirq_iret[];

/* What the handlers counted, and the cr2 of the last page fault. */
extern volatile uint32_t nm_count, ud_count, bp_count, pf_count, pf_cr2, ticks;

#endif
#endif
