/* heap -- grows its heap with brk and touches it.  The pages are not
 * there until touched: each first touch is a page fault the Host cannot
 * fix (our page tables say "not present"), so it comes to the kernel,
 * which maps a fresh zeroed page. */
#include "libtour.h"

PROGRAM(heap)

#define PAGES 16

int heap_main(void)
{
        uint8_t *start = brk(0);
        uint8_t *end = brk(start + PAGES * 4096);
        if (end != start + PAGES * 4096) {
                printf("[heap] brk failed\n");
                return 1;
        }
        printf("[heap] heap at 0x%x, %u pages, none of them there yet\n", (uint32_t)(uintptr_t)start, PAGES);
        uint32_t nonzero = 0;
        for (int p = 0; p < PAGES; p++) {
                volatile uint32_t *w = (volatile uint32_t *)(start + p * 4096);
                w[0] = 0x1000u + (uint32_t)p;   /* the first touch: a write */
                for (int i = 1; i < 1024; i++)
                        nonzero += w[i] != 0;
        }
        uint32_t sum = 0;
        for (int p = 0; p < PAGES; p++)
                sum += *(volatile uint32_t *)(start + p * 4096);
        printf("[heap] wrote one word per page, sum 0x%x, %u nonzero words in fresh pages\n", sum, nonzero);
        brk(start);
        printf("[heap] gave it all back\n");
        return nonzero == 0 && sum == PAGES * 0x1000u + PAGES * (PAGES - 1) / 2 ? 0 : 1;
}
