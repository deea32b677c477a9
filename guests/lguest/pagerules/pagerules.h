/* pagerules.h -- what entry.S and pagerules.c share. */
#ifndef PAGERULES_H
#define PAGERULES_H
#include "lguest.h"

/* Linux's user segments: GDT slots 14 and 15 with RPL 3. */
#define USER_CS         0x73
#define USER_DS         0x7b

/* Every access that may fault is one two-byte instruction, so the
 * page-fault handler can step over it and let the Guest go on. */
#define ACCESS_LEN      2

#ifndef __ASSEMBLER__

/* One read or write of va at ring 1. */
void kernel_read(uint32_t va);
void kernel_write(uint32_t va);
/* The same at ring 3: down by iret, back by int $0x80. */
void user_access(int write, uint32_t va);

/* The instructions that make the accesses, and the page(s) of ring-3 code. */
extern char kernel_read_insn[], kernel_write_insn[], user_read_insn[], user_write_insn[];
extern char user_text[], user_text_end[];

/* The two gates: #PF (pf_entry calls page_fault) and the system call. */
struct pf_frame {
        uint32_t edi, esi, ebp, esp, ebx, edx, ecx, eax;        /* pushal */
        uint32_t errcode, eip, cs, eflags;                       /* the CPU's, or the Host's */
};
void pf_entry(void);
void page_fault(struct pf_frame *f);
void syscall_entry(void);

/* The kernel stack for traps from ring 3 (SET_STACK), one page. */
extern char kstack_top[];

#endif
#endif
