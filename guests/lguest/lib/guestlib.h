/* guestlib.h -- what the test Guests (faults/, fuzz/) share besides the ABI
 * header: page-table entry bits, printing on the console, and name=VALUE
 * from the command line.
 * hello stays on its own, as the template to start a Guest from. */
#ifndef GUESTLIB_H
#define GUESTLIB_H
#include "lguest.h"

/* x86 page-table entry bits. */
#define PG_P    0x001
#define PG_RW   0x002
#define PG_US   0x004
#define PG_PWT  0x008
#define PG_PCD  0x010
#define PG_A    0x020
#define PG_D    0x040
#define PG_PSE  0x080
#define PG_G    0x100

/* The console, port 0xe9 (each character is a trip to the Host). */
void print(const char *s);
void putdec(uint32_t v);
/* 0x and eight hex digits. */
void puthex(uint32_t v);

/* name=VALUE (decimal or 0x-hex) on the command line, or def when it is not there. */
uint32_t cmdline_value(const char *name, uint32_t def);

#endif
