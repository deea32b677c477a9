/* fp.h -- what the floating-point kernels (x87, fpmath, fpbench) share: x87
 * control through inline asm, 64-bit integers printed without libgcc, the
 * bits of float/double/long double, and a printf-like decimal formatter
 * written in C on the x87 itself (fp.c).
 *
 * These kernels and fp.c are built with their own flags (Makefile FP_CFLAGS:
 * no -mgeneral-regs-only, -march=pentiumpro -mfpmath=387), so gcc compiles
 * their float, double and long double to x87 code, with FCOMI/FUCOMI and
 * FCMOVcc; the rest of the runtime stays integer-only. There is no libm and
 * no libgcc: 64-bit division is udiv64 below (two DIVs), and float to
 * integer conversions are the ones gcc writes inline (FISTP m16/m32/m64
 * under a truncating control word). */
#ifndef FP_H
#define FP_H
#include "rt.h"

/* The control word's fields */
#define CW_EXC_MASKS    0x003F          /* IM DM ZM OM UM PM */
#define CW_PC_24        0x0000
#define CW_PC_53        0x0200
#define CW_PC_64        0x0300
#define CW_RC_NEAR      0x0000
#define CW_RC_DOWN      0x0400
#define CW_RC_UP        0x0800
#define CW_RC_ZERO      0x0C00
#define CW_DEFAULT      0x037F          /* FNINIT's: all masked, 64-bit precision, nearest */
/* The status word's */
#define SW_IE 0x0001
#define SW_DE 0x0002
#define SW_ZE 0x0004
#define SW_OE 0x0008
#define SW_UE 0x0010
#define SW_PE 0x0020
#define SW_SF 0x0040
#define SW_ES 0x0080
#define SW_C0 0x0100
#define SW_C1 0x0200
#define SW_C2 0x0400
#define SW_C3 0x4000
#define SW_B  0x8000

static inline void fninit(void) { asm volatile("fninit" ::: "memory"); }
static inline void fnclex(void) { asm volatile("fnclex" ::: "memory"); }
static inline void fwait(void) { asm volatile("fwait" ::: "memory"); }
static inline u16 fnstcw(void) { u16 cw; asm volatile("fnstcw %0" : "=m"(cw)); return cw; }
static inline void fldcw(u16 cw) { asm volatile("fldcw %0" : : "m"(cw) : "memory"); }
static inline u16 fnstsw(void) { u16 sw; asm volatile("fnstsw %0" : "=a"(sw)); return sw; }

/* The 80-bit format in memory */
struct f80 { u64 mant; u16 se; } __attribute__((packed));
union ld { long double v; struct f80 f; };
union dbl { double v; u64 u; };
union flt { float v; u32 u; };

static inline long double ld_bits(u16 se, u64 mant) { union ld x = { .f = { mant, se } }; return x.v; }
static inline double d_bits(u64 u) { union dbl x = { .u = u }; return x.v; }
static inline float f_bits(u32 u) { union flt x = { .u = u }; return x.v; }

/* 64-bit integers: n / d and n % d by two 32-bit DIVs */
u64 udiv64(u64 n, u32 d, u32 *rem);
void print_u64(u64 v);
void print_s64(s64 v);
void print_hex64(u64 v);                /* 16 hex digits */
void print_hex(u64 v, int digits);      /* that many, whatever the value */

/* Bits: "4000:c90fdaa22168c235" / "400921fb54442d18" / "40490fdb". By
 * pointer: a signaling NaN passed by value through the x87 would come out
 * quiet (FLD m32/m64 quiets it). */
void print_ld_bits(const long double *v);
void print_d_bits(const double *v);
void print_f_bits(const float *v);

/* Decimal, like C's printf under round-to-nearest: %.{prec}Lg and
 * %.{prec-1}Le with prec significant digits (1..18), %.{dec}Lf. "inf",
 * "-inf", "nan", "-nan"; -0 keeps its sign. The conversion runs on the x87
 * with its own control word (nearest, 64-bit precision, all masked) and
 * puts the caller's back; it leaves the status word's flags as they were
 * (fnstsw values a caller took before stay true). */
void print_g(long double v, int prec);
void print_e(long double v, int prec);
void print_f(long double v, int dec);

/* The same into a buffer (at least 64 bytes for print_g/print_e), returning its length. */
int fmt_g(char *buf, long double v, int prec);
int fmt_e(char *buf, long double v, int prec);
int fmt_f(char *buf, long double v, int dec);

u32 cmdline_number(struct multiboot_info *mbi, u32 magic, const char *key, u32 def);

#endif /* FP_H */
