/* format.h -- vformat, shared by the kernel and libtour. */
#ifndef FORMAT_H
#define FORMAT_H

/* libtour's copy has a name of its own: the kernel and libtour are linked
 * into one image, whose one symbol table names both. */
#ifdef LIBTOUR
#define vformat libtour_vformat
#endif

int vformat(char *buf, int size, const char *fmt, __builtin_va_list ap);

#endif
