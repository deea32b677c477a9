/* fpbench -- an x87-bound benchmark for `npm run bench`: each iteration
 * draws the same 32 x 24 corner of the Mandelbrot set in long double (at
 * most 256 steps a point), then moves the five bodies of the n-body problem
 * (the Sun and the four giant planets) 50 steps, in long double with FSQRT
 * and FDIV. Every iteration runs the same instructions, so the count is
 * linear in the iterations from one on (bench/fpu.mjs checks that): about
 * 2 million an iteration. Prints a checksum of the Mandelbrot counts, the
 * system's energy before (15 digits) and after (its bits: a decimal
 * conversion's instruction count would depend on the value).
 * "iterations=N" on the Multiboot command line (default 8); 0 runs
 * nothing, to time the start-up. Nothing printed has a length that
 * depends on N or on a value. */
#include "fp.h"

#define DEFAULT_ITERATIONS 8
#define W 32
#define H 24
#define MAXIT 256

static u32 mandel(long double cx, long double cy, long double span)
{
    u32 sum = 0;
    for (int j = 0; j < H; j++) {
        long double ci = cy + span * (j - H / 2) / W;
        for (int i = 0; i < W; i++) {
            long double cr = cx + span * (i - W / 2) / W, zr = 0, zi = 0, r2 = 0, i2 = 0;
            u32 n = 0;
            while (n < MAXIT && r2 + i2 < 4) {
                zi = 2 * zr * zi + ci;
                zr = r2 - i2 + cr;
                r2 = zr * zr;
                i2 = zi * zi;
                n++;
            }
            sum = sum * 31 + n;
        }
    }
    return sum;
}

/* ---- n-body (units: AU, years, solar masses) */
#define PI 3.141592653589793238462643383279502884L
#define SOLAR_MASS (4 * PI * PI)
#define DAYS_PER_YEAR 365.24L
struct body { long double x, y, z, vx, vy, vz, m; };
static struct body bodies[5];
static const struct body initial[5] = {
    { 0, 0, 0, 0, 0, 0, SOLAR_MASS },
    { 4.84143144246472090e+00L, -1.16032004402742839e+00L, -1.03622044471123109e-01L,
      1.66007664274403694e-03L * DAYS_PER_YEAR, 7.69901118419740425e-03L * DAYS_PER_YEAR,
      -6.90460016972063023e-05L * DAYS_PER_YEAR, 9.54791938424326609e-04L * SOLAR_MASS },
    { 8.34336671824457987e+00L, 4.12479856412430479e+00L, -4.03523417114321381e-01L,
      -2.76742510726862411e-03L * DAYS_PER_YEAR, 4.99852801234917238e-03L * DAYS_PER_YEAR,
      2.30417297573763929e-05L * DAYS_PER_YEAR, 2.85885980666130812e-04L * SOLAR_MASS },
    { 1.28943695621391310e+01L, -1.51111514016986312e+01L, -2.23307578892655734e-01L,
      2.96460137564761618e-03L * DAYS_PER_YEAR, 2.37847173959480950e-03L * DAYS_PER_YEAR,
      -2.96589568540237556e-05L * DAYS_PER_YEAR, 4.36624404335156298e-05L * SOLAR_MASS },
    { 1.53796971148509165e+01L, -2.59193146099879641e+01L, 1.79258772950371181e-01L,
      2.68067772490389322e-03L * DAYS_PER_YEAR, 1.62824170038242295e-03L * DAYS_PER_YEAR,
      -9.51592254519715870e-05L * DAYS_PER_YEAR, 5.15138902046611451e-05L * SOLAR_MASS },
};

static long double fsqrt(long double x)
{
    asm("fsqrt" : "+t"(x));
    return x;
}

static void advance(long double dt)
{
    for (int i = 0; i < 5; i++)
        for (int j = i + 1; j < 5; j++) {
            struct body *a = &bodies[i], *b = &bodies[j];
            long double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            long double d2 = dx * dx + dy * dy + dz * dz, mag = dt / (d2 * fsqrt(d2));
            a->vx -= dx * b->m * mag, a->vy -= dy * b->m * mag, a->vz -= dz * b->m * mag;
            b->vx += dx * a->m * mag, b->vy += dy * a->m * mag, b->vz += dz * a->m * mag;
        }
    for (int i = 0; i < 5; i++) {
        struct body *a = &bodies[i];
        a->x += dt * a->vx, a->y += dt * a->vy, a->z += dt * a->vz;
    }
}

static long double energy(void)
{
    long double e = 0;
    for (int i = 0; i < 5; i++) {
        struct body *a = &bodies[i];
        e += a->m * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz) / 2;
        for (int j = i + 1; j < 5; j++) {
            struct body *b = &bodies[j];
            long double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            e -= a->m * b->m / fsqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

int kmain(u32 magic, struct multiboot_info *mbi)
{
    u32 iterations = cmdline_number(mbi, magic, "iterations", DEFAULT_ITERATIONS), sum = 0;
    fninit();
    puts("fpbench: long double Mandelbrot and n-body\n");
    memcpy(bodies, initial, sizeof(bodies));
    /* the Sun moves so that the total momentum is zero */
    long double px = 0, py = 0, pz = 0;
    for (int i = 0; i < 5; i++)
        px += bodies[i].vx * bodies[i].m, py += bodies[i].vy * bodies[i].m, pz += bodies[i].vz * bodies[i].m;
    bodies[0].vx = -px / SOLAR_MASS, bodies[0].vy = -py / SOLAR_MASS, bodies[0].vz = -pz / SOLAR_MASS;
    long double e0 = energy(), span = 0.01L;
    for (u32 it = 0; it < iterations; it++) {
        sum = sum * 17 + mandel(-0.7436438870371L, 0.1318259042053L, span);
        for (int s = 0; s < 50; s++)
            advance(0.01L);
    }
    long double e1 = energy();
    puts("fpbench: checksum ");
    print_hex(sum, 8);
    puts(", energy ");
    print_g(e0, 15);
    puts(" -> ");
    print_ld_bits(&e1);
    putchar('\n');
    return 0;
}
