/* primes -- a CPU hog: trial division, never yielding.  Only the timer
 * interrupt takes the CPU away from it. */
#include "libtour.h"

PROGRAM(primes)

int primes_main(void)
{
        unsigned found = 0, last = 0;
        for (unsigned n = 2; n < 30000; n++) {
                unsigned d = 2;
                while (d * d <= n && n % d != 0)
                        d++;
                if (d * d > n) {
                        found++;
                        last = n;
                        if (found % 1000 == 0)
                                printf("[primes] %u primes so far, the last %u\n", found, last);
                }
        }
        printf("[primes] %u primes below 30000, the largest %u\n", found, last);
        return 0;
}
