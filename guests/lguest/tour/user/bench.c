/* bench -- what npm run bench times: COUNT system calls (getpid), or COUNT
 * fresh heap pages, each first touched by a write (a page fault the kernel
 * fixes, one SET_PTE).  It prints the virtual time they took: with one
 * instruction per nanosecond, that is the instructions they cost, the
 * Host's Switcher included. */
#include "libtour.h"

PROGRAM(bench)

int bench_main(void)
{
        uint32_t kind = tls_word(20), count = tls_word(24);
        if (kind == 1) {
                uint64_t t0 = rdtsc();
                for (uint32_t i = 0; i < count; i++)
                        getpid();
                printf("bench: getpid x %u: %llu ns\n", count, rdtsc() - t0);
        } else if (kind == 2) {
                uint8_t *start = brk(0);
                if (brk(start + count * 4096) != start + count * 4096) {
                        printf("bench: brk failed\n");
                        return 1;
                }
                uint64_t t0 = rdtsc();
                for (uint32_t p = 0; p < count; p++)
                        start[p * 4096] = 1;
                printf("bench: fault x %u: %llu ns\n", count, rdtsc() - t0);
        }
        return 0;
}
