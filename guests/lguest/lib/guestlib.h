/* guestlib.h -- what the test Guests (faults/, fuzz/) share besides the ABI
 * header: printing on the console, and name=VALUE from the command line.
 * hello stays on its own, as the template to start a Guest from. */
#ifndef GUESTLIB_H
#define GUESTLIB_H
#include "lguest.h"

/* The console, port 0xe9 (each character is a trip to the Host). */
void print(const char *s);
void putdec(uint32_t v);
/* 0x and eight hex digits. */
void puthex(uint32_t v);

/* name=VALUE (decimal or 0x-hex) on the command line, or def when it is not there. */
uint32_t cmdline_value(const char *name, uint32_t def);

#endif
