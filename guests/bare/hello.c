/* hello -- the smallest kernel, and the product's demo sample: greets on the
 * debug console (port 0xE9), shows the Multiboot magic and the memory sizes
 * the loader reported, and exits with status 0. */
#include "rt.h"

static unsigned fib(unsigned n)
{
    unsigned a = 0, b = 1;
    while (n--) {
        unsigned t = a + b;
        a = b;
        b = t;
    }
    return a;
}

int kmain(u32 magic, struct multiboot_info *mbi)
{
    puts("Hello from a bare-metal i386 kernel!\n");
    printf("multiboot magic: %08x (%s)\n", magic, magic == MB_BOOT_MAGIC ? "ok" : "bad");
    if (magic == MB_BOOT_MAGIC && (mbi->flags & 1))
        printf("memory: lower %u KiB, upper %u KiB\n", mbi->mem_lower, mbi->mem_upper);
    printf("fib(40) = %u\n", fib(40));
    puts("Bye.\n");
    return 0;
}
