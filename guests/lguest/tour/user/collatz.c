/* collatz -- CPU-bound too, but polite: it yields every 2000 numbers. */
#include "libtour.h"

PROGRAM(collatz)

int collatz_main(void)
{
        unsigned best = 1, best_len = 1;
        for (unsigned n = 1; n < 10000; n++) {
                unsigned len = 1;
                for (uint32_t x = n; x != 1; len++)
                        x = (x & 1) ? 3 * x + 1 : x / 2;
                if (len > best_len) {
                        best_len = len;
                        best = n;
                }
                if (n % 2000 == 0) {
                        printf("[collatz] up to %u: longest chain %u steps, from %u\n", n, best_len, best);
                        sched_yield();
                }
        }
        printf("[collatz] below 10000 the longest chain starts at %u: %u steps\n", best, best_len);
        return 0;
}
