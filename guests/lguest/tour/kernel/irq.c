/* irq.c -- the Guest's interrupt flag.  The real IF stays on while a Guest
 * runs; ours is lguest_data.irq_enabled, and "cli" is a store to it.  When
 * interrupts come back on, one may have arrived meanwhile (the Host then
 * set irq_pending): ask for it now, or it waits until the next trap. */
#include "tour.h"

uint32_t irq_save(void)
{
        uint32_t flags = lguest_data.irq_enabled;
        irq_disable();
        return flags;
}

void irq_enable(void)
{
        lguest_data.irq_enabled = LGUEST_EFLAGS_IF;
        __asm__ __volatile__("" ::: "memory");
        if (lguest_data.irq_pending)
                lguest_send_interrupts();
}

void irq_restore(uint32_t flags)
{
        if (flags & LGUEST_EFLAGS_IF)
                irq_enable();
}
