/* fuzz.h -- what entry.S and fuzz.c share. */
#ifndef FUZZ_H
#define FUZZ_H
#include "lguest.h"

/* Linux's user segments: GDT slots 14 and 15 with RPL 3. */
#define USER_CS         0x73
#define USER_DS         0x7b

/* The stubs entry.S lays out at fixed strides, so C can index them. */
#define VECTOR_STUB_SIZE 16     /* vector_stubs: push $n; jmp trap_common */
#define INT_STUB_SIZE    4      /* int_stubs: int $n; ret */

/* What a ring-3 excursion does (user_action; entry.S's user_table). */
#define U_SYSCALL       0       /* int $0x80 */
#define U_INT3          1
#define U_UD2           2
#define U_HCALL         3       /* int $0x1f: not allowed from ring 3 */
#define U_OUT           4       /* outb: not emulated at ring 3 */
#define U_CLI           5
#define U_READ          6       /* read user_arg, then int $0x80 */
#define U_WRITE         7       /* write user_arg, then int $0x80 */
#define U_SPIN          8       /* spin a while (the timer may come), then int $0x80 */
#define U_INTN          9       /* int $user_arg */
#define U_FPU           10      /* x87 instructions (#NM while we have TS), then int $0x80 */
#define U_FPU_MF        11      /* an unmasked 1/0 and FWAIT: #MF */
#define U_ACTIONS       12

#ifndef __ASSEMBLER__

/* fuzz_setjmp() saves the callee-saved registers, the stack and the return
 * address in fuzz_jb and returns 0.  Every trap handler of ours ends in
 * trap_common, which puts them back and "returns" from fuzz_setjmp again
 * with 1 + the vector: a trap abandons the action it interrupted. */
struct fuzz_jmpbuf {
        uint32_t ebx, esi, edi, ebp, esp, eip;
};
extern struct fuzz_jmpbuf fuzz_jb;
int fuzz_setjmp(void) __attribute__((returns_twice));

extern char vector_stubs[], int_stubs[];
extern void timer_entry(void);
extern char timer_iret[];
extern volatile uint32_t timer_ticks, timer_rearm_left, timer_rearm_ns;
extern volatile uint32_t trap_vector;

/* Instructions that trap (or are emulated), each as a function. */
extern void t_ud2(void), t_int3(void), t_into(void), t_div0(void), t_hlt(void), t_sti(void),
        t_cli(void), t_movcr3(void), t_lidt(void), t_rdmsr(void), t_wbinvd(void), t_insb(void),
        t_outsb(void), t_icebp(void), t_sysenter(void), t_fpu(void), t_bound(void), t_badds(void),
        t_iret_junk(void), t_single_step(void), t_lost_stack(void), t_rdtsc(void), t_cpuid(void),
        t_invlpg(void), t_ljmp_junk(void);

/* Ring 3: iret to eip at ring 3 on stack esp.  Never returns: whatever
 * happens there ends in a trap. */
__attribute__((noreturn)) void enter_user(uint32_t eip, uint32_t esp);
extern char user_code[];
extern volatile uint32_t user_action, user_arg;

/* The x87 across a trip to the Host (entry.S): fpu_check returns 0 if
 * nothing changed, else marks fpu_wrong with 0xf8700000 | what; the test
 * reads it. fpu_checked counts the checks that passed. fpu_mf raises #MF. */
void fpu_load(uint32_t cw);
uint32_t fpu_check(uint32_t cw);
void fpu_mf(void);
extern volatile uint32_t fpu_wrong, fpu_checked;

/* Where act_far aims; it records its CS | 0x1a9d0000 in landed_cs. */
extern void far_landing(void);
extern volatile uint32_t landed_cs;

#endif
#endif
