/* ud2 -- executes ud2 with no IDT entry for #UD (6).  A trap the Guest has
 * no gate for cannot be reflected.
 * lguest: "unhandled trap 6 at EIP (0)", EIP = the symbol fault. */
#include "faults.h"

void main(void)
{
        lguest_init(&lguest_data);
        __asm__ __volatile__(".globl fault\nfault:\tud2");
}
