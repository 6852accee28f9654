/* Compiled evaluator kernel (algorithm.md §4.5, §6, §17).
 *
 * core/fast.py hands compile() a program's instructions with the statically skipped ones already dropped
 * (the skip rules live once, in core.interpreter); compile() lowers them into a blob: a header and one row
 * per instruction whose operands are resolved offsets into one flat float32 memory. run() executes a blob on
 * a batch of tasks packed into one buffer, each task with its own PCG64 stream.
 *
 * Numerics follow §4.5 exactly: every float32 operation is a single binary32 operation (built with
 * -ffp-contract=off and without -ffast-math), reductions use numpy's pairwise and einsum orders, and
 * transcendentals are libm binary64 calls rounded once. GAUSSIAN/UNIFORM draw through numpy's own
 * distribution functions from a PCG64 generator implemented here and started from the state numpy's
 * PCG64(seed) begins with, so the streams equal numpy's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "numpy/random/distributions.h"

/* Internal opcodes: the public ones (1..22) plus two that COPY compiles into. */
enum {
    OP_NOOP = 0, OP_CONST, OP_CONST_VEC, OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_ABS, OP_EXP, OP_LOG, OP_SIN, OP_COS,
    OP_TAN, OP_HEAVISIDE, OP_GAUSSIAN, OP_UNIFORM, OP_DOT, OP_MATMUL, OP_OUTER, OP_NORM, OP_MEAN, OP_STD, OP_COPY,
    OP_FROBENIUS, /* COPY of a matrix into a scalar */
    OP_ASSIGN,    /* COPY by the assignment rule (store or broadcast) */
    /* Scalar forms (every operand and the dest a scalar): the most frequent instructions, run without the
     * general kernels' rank dispatch. */
    OP_ADD_S, OP_SUB_S, OP_MUL_S, OP_DIV_S, OP_CONST_S, OP_ASSIGN_S,
    /* Short-vector forms (vector_dim <= SHORT_VECTOR): elementwise arithmetic into a vector dest, each operand a
     * vector or a scalar (ra, rb hold the operand strides 1 or 0). */
    OP_ADD_V, OP_SUB_V, OP_MUL_V, OP_DIV_V,
    OP_LAST = OP_DIV_V
};

/* Flat register addresses (core/program.py): s0.. = 0.., v0.. = 20.., m0.. = 30.. */
enum { VECTOR_BASE = 20, MATRIX_BASE = 30, ADDRESS_LIMIT = 1 << 15 /* addresses are int16 */ };

/* One compiled instruction. */
typedef struct {
    int32_t op;
    int32_t a, b, d;        /* memory offsets of arg1, arg2, dest */
    int32_t ra, rb, rr, rd; /* ranks (0 scalar, 1 vector, 2 matrix) of arg1, arg2, result, dest */
    int32_t out;            /* where the result is computed; != d means "then assign to d by broadcast" */
    float c1, c2;           /* constants; UNIFORM's c2 holds the width c2 - c1 rounded once from binary64 */
} instr_t;

/* A compiled program: this header, then its rows, phases concatenated. */
typedef struct {
    int32_t magic;
    int32_t n;            /* vector_dim */
    int32_t phase_end[3]; /* setup, predict, learn rows end here */
    int32_t mem_floats;   /* registers, then a result scratch of n floats */
    int32_t s0, s1, v0;   /* offsets of the protocol registers */
} header_t;

#define BLOB_MAGIC 0x46455833 /* "FEX3" */
#define SHORT_VECTOR 8 /* vector_dim up to which elementwise vector arithmetic runs as a short-vector form */
#define MAX_VECTOR_DIM (1 << 24)   /* keeps n * n far from overflow */
#define MAX_MEMORY_FLOATS (1 << 30) /* keeps every offset within int32 */
static const float EPS = 1e-8f;

/* ---- PCG64 (numpy's default bit generator: 128-bit LCG, XSL-RR output, 32-bit halves buffered) ---- */

typedef struct {
    unsigned __int128 state, inc;
    int has_uint32;
    uint32_t uinteger;
} pcg64_t;

#define PCG_MULTIPLIER (((unsigned __int128)0x2360ed051fc65da4ULL << 64) | 0x4385df649fccf645ULL)

static uint64_t pcg64_next64(void *st)
{
    pcg64_t *g = (pcg64_t *)st;
    g->state = g->state * PCG_MULTIPLIER + g->inc;
    uint64_t folded = (uint64_t)(g->state >> 64) ^ (uint64_t)g->state;
    unsigned rot = (unsigned)(g->state >> 122);
    return (folded >> rot) | (folded << ((64 - rot) & 63));
}

static uint32_t pcg64_next32(void *st)
{
    pcg64_t *g = (pcg64_t *)st;
    if (g->has_uint32) {
        g->has_uint32 = 0;
        return g->uinteger;
    }
    uint64_t next = pcg64_next64(st);
    g->has_uint32 = 1;
    g->uinteger = (uint32_t)(next >> 32);
    return (uint32_t)next;
}

static double pcg64_next_double(void *st) { return (double)(pcg64_next64(st) >> 11) * (1.0 / 9007199254740992.0); }

/* A fresh generator from numpy's PCG64(seed).state words: state high, state low, inc high, inc low. */
static void pcg64_start(pcg64_t *g, bitgen_t *bitgen, const uint64_t words[4])
{
    g->state = ((unsigned __int128)words[0] << 64) | words[1];
    g->inc = ((unsigned __int128)words[2] << 64) | words[3];
    g->has_uint32 = 0;
    g->uinteger = 0;
    bitgen->state = g;
    bitgen->next_uint64 = pcg64_next64;
    bitgen->next_uint32 = pcg64_next32;
    bitgen->next_double = pcg64_next_double;
    bitgen->next_raw = pcg64_next64;
}

/* ---- kernels ---- */

typedef struct {
    const instr_t *code;
    float *mem;
    float *tmp; /* n floats of scratch for STD's squared deviations */
    Py_ssize_t n;
    bitgen_t *bitgen;
} machine_t;

static inline Py_ssize_t rank_size(int rank, Py_ssize_t n) { return rank == 0 ? 1 : (rank == 1 ? n : n * n); }

/* NaN bits. x86 gives an operation with NaN operands the first NaN operand, and numpy keeps the written
 * operand order; a C compiler may swap the operands of + and *. That matters only when both operands are
 * NaNs with different bits, so each kernel below has a plain form (`ordered` = 0) and a form that picks
 * the NaN explicitly (`ordered` = 1), and execute() runs the second only when a NaN is involved. NaNs
 * made from non-NaN operands (inf - inf, 0 * inf) are all the same default NaN. */
#define KERNEL static inline __attribute__((always_inline))

static inline float nan_first(float x, float y, float r)
{
    if (x != x) return x;
    return y != y ? y : r;
}
/* A draw times c2 plus c1; only NaN constants need the ordered form (a draw is never NaN). */
static inline float scale_shift(float draw, float c2, float c1)
{
    if (c1 == c1 && c2 == c2) return draw * c2 + c1;
    float scaled = nan_first(draw, c2, draw * c2);
    return nan_first(scaled, c1, scaled + c1);
}
#define ADD(x, y) (ordered ? nan_first((x), (y), (x) + (y)) : (x) + (y))
#define MUL(x, y) (ordered ? nan_first((x), (y), (x) * (y)) : (x) * (y))

static inline int has_nan(const float *x, Py_ssize_t n)
{
    const int32_t *bits = (const int32_t *)x; /* NaN: magnitude bits above those of inf (vectorises) */
    int found = 0;
    for (Py_ssize_t i = 0; i < n; i++) found |= (bits[i] & 0x7fffffff) > 0x7f800000;
    return found;
}

/* numpy's pairwise summation (§4.5 rule 4) of the terms a_i, or of the products a_i * b_i (each rounded, as
 * numpy forms the product array) when `products` is set; the block form covers n <= 128, without the final
 * "0 +". */
#define TERM(i) (products ? MUL(a[i], b[i]) : a[i])

KERNEL float pairwise_block(const float *a, const float *b, Py_ssize_t n, int products, int ordered)
{
    if (n < 8) {
        float res = 0.0f;
        for (Py_ssize_t i = 0; i < n; i++) res = ADD(res, TERM(i));
        return res;
    }
    float r[8];
    Py_ssize_t i;
    for (int j = 0; j < 8; j++) r[j] = TERM(j);
    for (i = 8; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) r[j] = ADD(r[j], TERM(i + j));
    float res = ADD(ADD(ADD(r[0], r[1]), ADD(r[2], r[3])), ADD(ADD(r[4], r[5]), ADD(r[6], r[7])));
    for (; i < n; i++) res = ADD(res, TERM(i));
    return res;
}

static float pairwise(const float *a, const float *b, Py_ssize_t n, int products, int ordered)
{
    if (n <= 128) return ordered ? pairwise_block(a, b, n, products, 1) : pairwise_block(a, b, n, products, 0);
    Py_ssize_t m = n / 2;
    m -= m % 8;
    float left = pairwise(a, b, m, products, ordered), right = pairwise(a + m, b + m, n - m, products, ordered);
    return ADD(left, right);
}

KERNEL float pw_sum(const float *x, Py_ssize_t n, int ordered)
{
    float sum = n <= 128 ? pairwise_block(x, x, n, 0, ordered) : pairwise(x, x, n, 0, ordered);
    return ADD(0.0f, sum);
}

KERNEL float pw_products(const float *a, const float *b, Py_ssize_t n, int ordered)
{
    float sum = n <= 128 ? pairwise_block(a, b, n, 1, ordered) : pairwise(a, b, n, 1, ordered);
    return ADD(0.0f, sum);
}

/* numpy's baseline float32 einsum sum-of-products order (four lanes, blocks of 16). Without NaNs the four
 * lanes are one vector (GCC vector extensions: elementwise binary32, never reassociated); with NaNs each
 * operation picks its NaN operand in order. */
typedef float v4f __attribute__((vector_size(16)));

static inline v4f load4(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof(v));
    return v;
}

KERNEL float einsum_dot(const float *a, const float *b, Py_ssize_t n, int ordered)
{
    Py_ssize_t i = 0;
    if (!ordered) {
        v4f lanes = {0.0f, 0.0f, 0.0f, 0.0f};
        for (; i + 16 <= n; i += 16) {
            v4f p0 = load4(a + i) * load4(b + i), p4 = load4(a + i + 4) * load4(b + i + 4);
            v4f p8 = load4(a + i + 8) * load4(b + i + 8), p12 = load4(a + i + 12) * load4(b + i + 12);
            lanes = p0 + (p4 + (p8 + (p12 + lanes)));
        }
        for (; i + 4 <= n; i += 4) lanes = load4(a + i) * load4(b + i) + lanes;
        if (i < n) {
            v4f tail = {0.0f, 0.0f, 0.0f, 0.0f}; /* missing elements count as +0 */
            for (int l = 0; i + l < n; l++) tail[l] = a[i + l] * b[i + l];
            lanes = tail + lanes;
        }
        return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    }
    float lane[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (; i + 16 <= n; i += 16)
        for (int l = 0; l < 4; l++) {
            float p0 = MUL(a[i + l], b[i + l]), p4 = MUL(a[i + 4 + l], b[i + 4 + l]);
            float p8 = MUL(a[i + 8 + l], b[i + 8 + l]), p12 = MUL(a[i + 12 + l], b[i + 12 + l]);
            lane[l] = ADD(p0, ADD(p4, ADD(p8, ADD(p12, lane[l]))));
        }
    for (; i < n; i += 4)
        for (int l = 0; l < 4; l++) {
            float p = i + l < n ? MUL(a[i + l], b[i + l]) : 0.0f;
            lane[l] = ADD(p, lane[l]);
        }
    return ADD(ADD(lane[0], lane[1]), ADD(lane[2], lane[3]));
}

KERNEL float population_std(const float *x, Py_ssize_t n, float *tmp, int ordered)
{
    float mean = pw_sum(x, n, ordered) / (float)n;
    for (Py_ssize_t i = 0; i < n; i++) {
        float dev = x[i] - mean;
        tmp[i] = dev * dev;
    }
    return sqrtf(pw_sum(tmp, n, ordered) / (float)n);
}

typedef float v8f __attribute__((vector_size(32), aligned(4))); /* eight floats at any float address */
#define load8(p) (*(const v8f *)(p))
static inline v8f broadcast8(float x) { return (v8f){x, x, x, x, x, x, x, x}; }

/* The 8x8 transpose: row j of the result holds element j of every input vector. */
KERNEL void transpose8(v8f r[8])
{
    typedef int32_t v8i __attribute__((vector_size(32)));
    const v8i unpack_lo = {0, 8, 1, 9, 4, 12, 5, 13}, unpack_hi = {2, 10, 3, 11, 6, 14, 7, 15};
    const v8i pairs_lo = {0, 1, 8, 9, 4, 5, 12, 13}, pairs_hi = {2, 3, 10, 11, 6, 7, 14, 15};
    const v8i halves_lo = {0, 1, 2, 3, 8, 9, 10, 11}, halves_hi = {4, 5, 6, 7, 12, 13, 14, 15};
    v8f t[8], u[8];
    for (int k = 0; k < 8; k += 2) {
        t[k] = __builtin_shuffle(r[k], r[k + 1], unpack_lo);
        t[k + 1] = __builtin_shuffle(r[k], r[k + 1], unpack_hi);
    }
    for (int k = 0; k < 8; k += 4)
        for (int h = 0; h < 2; h++) {
            u[k + 2 * h] = __builtin_shuffle(t[k + h], t[k + h + 2], pairs_lo);
            u[k + 2 * h + 1] = __builtin_shuffle(t[k + h], t[k + h + 2], pairs_hi);
        }
    for (int k = 0; k < 4; k++) {
        r[k] = __builtin_shuffle(u[k], u[k + 4], halves_lo);
        r[k + 4] = __builtin_shuffle(u[k], u[k + 4], halves_hi);
    }
}

/* Eight rows of a NaN-free matmul with 8 <= n <= 128 in the exact pw order: each row's eight accumulators
 * (one vector per row), then transposed so that the accumulator tree, the tail and the final "0 +" run on
 * all eight rows at once. */
KERNEL void matmul_rows8(const float *m, const float *v, float *out, Py_ssize_t n)
{
    v8f acc[8];
    Py_ssize_t full = n - n % 8;
    for (int k = 0; k < 8; k++) {
        const float *row = m + k * n;
        v8f r = load8(row) * load8(v);
        for (Py_ssize_t i = 8; i < full; i += 8) r = r + load8(row + i) * load8(v + i);
        acc[k] = r;
    }
    transpose8(acc);
    v8f sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (Py_ssize_t i = full; i < n; i++) {
        v8f column;
        for (int k = 0; k < 8; k++) column[k] = m[k * n + i];
        sum = sum + column * v[i];
    }
    sum = 0.0f + sum;
    memcpy(out, &sum, sizeof(sum));
}

KERNEL void matmul(const float *m, const float *v, float *out, Py_ssize_t n, int ordered)
{
    Py_ssize_t i = 0;
    if (!ordered && n >= 8 && n <= 128)
        for (; i + 8 <= n; i += 8) matmul_rows8(m + i * n, v, out + i, n);
    for (; i < n; i++) out[i] = pw_products(m + i * n, v, n, ordered);
}

KERNEL void outer(const float *a, const float *b, float *out, Py_ssize_t n, int ordered)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        float x = a[i];
        float *row = out + i * n;
        for (Py_ssize_t j = 0; j < n; j++) row[j] = MUL(x, b[j]);
    }
}

/* sin, cos and tan of ±inf or NaN give the positive quiet NaN, as the canonical interpreter does. */
static inline float trig(double (*fn)(double), float x) { return isfinite(x) ? (float)fn((double)x) : NAN; }

static inline float clamp10(float x) { return x < -10.0f ? -10.0f : (x > 10.0f ? 10.0f : x); }

/* Elementwise binary op over a result of rank rr; lower-rank operands repeat along leading axes. */
#define BINARY_LOOPS(EXPR)                                                                          \
    if (ra == rr && rb == rr) {                                                                     \
        for (Py_ssize_t k = 0; k < size; k++) { float x = a[k], y = b[k]; o[k] = (EXPR); }          \
    } else if (ra == 0 && rb == rr) {                                                               \
        float x = a[0];                                                                             \
        for (Py_ssize_t k = 0; k < size; k++) { float y = b[k]; o[k] = (EXPR); }                    \
    } else if (rb == 0 && ra == rr) {                                                               \
        float y = b[0];                                                                             \
        for (Py_ssize_t k = 0; k < size; k++) { float x = a[k]; o[k] = (EXPR); }                    \
    } else { /* a vector against a matrix: the vector applies along each row */                    \
        Py_ssize_t a_row = ra == 2 ? n : 0, b_row = rb == 2 ? n : 0;                                \
        for (Py_ssize_t i = 0; i < n; i++)                                                          \
            for (Py_ssize_t j = 0; j < n; j++) {                                                    \
                float x = a[i * a_row + j], y = b[i * b_row + j];                                   \
                o[i * n + j] = (EXPR);                                                              \
            }                                                                                       \
    }

static inline float div_eps(float x, float y)
{
    float t = y + EPS;
    return x / t;
}

KERNEL void binary(int op, const float *a, int ra, const float *b, int rb, float *o, int rr, Py_ssize_t n, int ordered)
{
    Py_ssize_t size = rank_size(rr, n);
    switch (op) {
    case OP_ADD: BINARY_LOOPS(ADD(x, y)) break;
    case OP_SUB: BINARY_LOOPS(x - y) break;
    case OP_MUL: BINARY_LOOPS(MUL(x, y)) break;
    case OP_DIV: BINARY_LOOPS(div_eps(x, y)) break;
    }
}

#define UNARY_LOOP(EXPR) for (Py_ssize_t k = 0; k < size; k++) { float x = a[k]; o[k] = (EXPR); }

static void unary(int op, const float *a, float *o, Py_ssize_t size)
{
    switch (op) {
    case OP_ABS: UNARY_LOOP(fabsf(x)) break;
    case OP_EXP: UNARY_LOOP((float)exp((double)clamp10(x))) break;
    case OP_LOG: UNARY_LOOP((float)log((double)(fabsf(x) + EPS))) break;
    case OP_SIN: UNARY_LOOP(trig(sin, x)) break;
    case OP_COS: UNARY_LOOP(trig(cos, x)) break;
    case OP_TAN: UNARY_LOOP(trig(tan, x)) break;
    case OP_HEAVISIDE: UNARY_LOOP(x > 0.0f ? 1.0f : 0.0f) break;
    }
}

/* Write a rank-rr result held at `out` into a dest of rank rd >= rr by repeating it. */
static void assign(float *dest, int rd, const float *out, int rr, Py_ssize_t n)
{
    Py_ssize_t block = rank_size(rr, n), total = rank_size(rd, n);
    if (block == 1) {
        float value = out[0];
        for (Py_ssize_t k = 0; k < total; k++) dest[k] = value;
        return;
    }
    for (Py_ssize_t k = 0; k < total; k += block) memmove(dest + k, out, (size_t)block * sizeof(float));
}


/* A short-vector form: element by element with plain loads and stores (a vector load right after scalar
 * stores to the same register would stall on store forwarding). The results go to a local array first, as
 * the dest may be an operand; when one is NaN they are recomputed with the operand-ordered NaN choice (see
 * nan_first), as the general kernels do. */
#define SHORT_VECTOR_OP(PLAIN, ORDERED)                                                             \
    {                                                                                               \
        const float *a = mem + in->a, *b = mem + in->b;                                            \
        const Py_ssize_t sa = in->ra, sb = in->rb;                                                  \
        float r[SHORT_VECTOR], *d = mem + in->d;                                                    \
        int nan = 0;                                                                                \
        for (Py_ssize_t k = 0; k < n; k++) {                                                        \
            float x = a[k * sa], y = b[k * sb];                                                     \
            r[k] = (PLAIN);                                                                         \
            nan |= r[k] != r[k];                                                                    \
        }                                                                                           \
        if (nan)                                                                                    \
            for (Py_ssize_t k = 0; k < n; k++) {                                                    \
                float x = a[k * sa], y = b[k * sb];                                                 \
                r[k] = ORDERED(x, y);                                                               \
            }                                                                                       \
        for (Py_ssize_t k = 0; k < n; k++) d[k] = r[k];                                             \
    }
#define ORDERED_ADD(x, y) nan_first((x), (y), (x) + (y))
#define ORDERED_MUL(x, y) nan_first((x), (y), (x) * (y))
#define PLAIN_SUB(x, y) ((x) - (y))
#define PLAIN_DIV(x, y) div_eps((x), (y))

KERNEL void execute(const machine_t *m, Py_ssize_t start, Py_ssize_t stop)
{
    float *mem = m->mem;
    Py_ssize_t n = m->n;
    for (Py_ssize_t pc = start; pc < stop; pc++) {
        const instr_t *in = &m->code[pc];
        switch (in->op) {
        case OP_ADD_S: {
            float x = mem[in->a], y = mem[in->b], r = x + y;
            mem[in->d] = r == r ? r : nan_first(x, y, r);
            continue;
        }
        case OP_MUL_S: {
            float x = mem[in->a], y = mem[in->b], r = x * y;
            mem[in->d] = r == r ? r : nan_first(x, y, r);
            continue;
        }
        case OP_SUB_S: mem[in->d] = mem[in->a] - mem[in->b]; continue;
        case OP_DIV_S: mem[in->d] = div_eps(mem[in->a], mem[in->b]); continue;
        case OP_CONST_S: mem[in->d] = in->c1; continue;
        case OP_ASSIGN_S: mem[in->d] = mem[in->a]; continue;
        case OP_ADD_V: SHORT_VECTOR_OP(x + y, ORDERED_ADD) continue;
        case OP_MUL_V: SHORT_VECTOR_OP(x * y, ORDERED_MUL) continue;
        case OP_SUB_V: SHORT_VECTOR_OP(x - y, PLAIN_SUB) continue;
        case OP_DIV_V: SHORT_VECTOR_OP(x / (y + EPS), PLAIN_DIV) continue;
        }
        float c1 = in->c1, c2 = in->c2;
        float *a = mem + in->a, *b = mem + in->b, *d = mem + in->d, *o = mem + in->out;
        switch (in->op) {
        case OP_CONST: {
            Py_ssize_t size = rank_size(in->rd, n);
            for (Py_ssize_t k = 0; k < size; k++) d[k] = c1;
            continue;
        }
        case OP_GAUSSIAN: {
            Py_ssize_t size = rank_size(in->rd, n);
            for (Py_ssize_t k = 0; k < size; k++) {
                float z = random_standard_normal_f(m->bitgen);
                d[k] = scale_shift(z, c2, c1);
            }
            continue;
        }
        case OP_UNIFORM: {
            Py_ssize_t size = rank_size(in->rd, n);
            for (Py_ssize_t k = 0; k < size; k++) {
                float u = random_standard_uniform_f(m->bitgen);
                d[k] = scale_shift(u, c2, c1);
            }
            continue;
        }
        case OP_ADD: case OP_MUL:
            if (o != a && o != b) { /* NaN in, NaN out: check the one result instead of both operands */
                binary(in->op, a, in->ra, b, in->rb, o, in->rr, n, 0);
                if (has_nan(o, rank_size(in->rr, n))) binary(in->op, a, in->ra, b, in->rb, o, in->rr, n, 1);
            } else if (has_nan(a, rank_size(in->ra, n)) || has_nan(b, rank_size(in->rb, n))) {
                binary(in->op, a, in->ra, b, in->rb, o, in->rr, n, 1);
            } else {
                binary(in->op, a, in->ra, b, in->rb, o, in->rr, n, 0);
            }
            break;
        case OP_SUB: case OP_DIV: /* not commutative: the compiler keeps the operand order */
            binary(in->op, a, in->ra, b, in->rb, o, in->rr, n, 0);
            break;
        case OP_ABS: case OP_EXP: case OP_LOG: case OP_SIN: case OP_COS: case OP_TAN: case OP_HEAVISIDE:
            unary(in->op, a, o, rank_size(in->ra, n));
            break;
        case OP_OUTER:
            if (has_nan(a, n) || has_nan(b, n))
                outer(a, b, o, n, 1);
            else
                outer(a, b, o, n, 0);
            break;
        /* A reduction's result is NaN whenever any NaN took part, so a NaN result means "redo it ordered". */
        case OP_MATMUL:
            matmul(a, b, o, n, 0);
            if (has_nan(o, n)) matmul(a, b, o, n, 1);
            break;
        case OP_DOT:
            o[0] = einsum_dot(a, b, n, 0);
            if (o[0] != o[0]) o[0] = einsum_dot(a, b, n, 1);
            break;
        case OP_NORM:
            o[0] = sqrtf(pw_products(a, a, n, 0));
            if (o[0] != o[0]) o[0] = sqrtf(pw_products(a, a, n, 1));
            break;
        case OP_FROBENIUS:
            o[0] = sqrtf(pw_products(a, a, n * n, 0));
            if (o[0] != o[0]) o[0] = sqrtf(pw_products(a, a, n * n, 1));
            break;
        case OP_MEAN:
            o[0] = pw_sum(a, n, 0) / (float)n;
            if (o[0] != o[0]) o[0] = pw_sum(a, n, 1) / (float)n;
            break;
        case OP_STD:
            o[0] = population_std(a, n, m->tmp, 0);
            if (o[0] != o[0]) o[0] = population_std(a, n, m->tmp, 1);
            break;
        case OP_ASSIGN: break; /* `out` is the source itself */
        }
        if (o != d) assign(d, in->rd, o, in->rr, n);
    }
}

/* ---- compile: a Program -> blob ---- */

/* One instruction as Python holds it: (op, arg1, arg2, dest, c1, c2), constants as binary64. Integers beyond
 * a C long are clamped: that far out they are out of bounds or negative either way. */
typedef struct {
    long op, arg1, arg2, dest;
    double c1, c2;
} source_t;

/* A program's memory shape (algorithm.md §2-3); a negative count holds no register, like a zero count. */
typedef struct {
    long scalars, vectors, matrices, n;
} shape_t;

static int rank_of(long addr) { return addr < VECTOR_BASE ? 0 : (addr < MATRIX_BASE ? 1 : 2); }
static int reads_arg1(long op) { return op != OP_CONST && op != OP_CONST_VEC && op != OP_GAUSSIAN && op != OP_UNIFORM; }
static int reads_arg2(long op) { return (op >= OP_ADD && op <= OP_DIV) || (op >= OP_DOT && op <= OP_OUTER); }

static int in_bounds(const shape_t *s, long addr)
{
    if (addr < 0) return 0;
    if (addr < VECTOR_BASE) return addr < s->scalars;
    if (addr < MATRIX_BASE) return addr - VECTOR_BASE < s->vectors;
    return addr - MATRIX_BASE < s->matrices;
}

/* Rule 8 of §4.2: the opcode's operand kinds and the assignment of its result's rank (§4.3). */
static int kinds_fit(const source_t *in, const shape_t *s)
{
    int d = rank_of(in->dest), a = rank_of(in->arg1), b = rank_of(in->arg2);
    switch (in->op) {
    case OP_CONST: case OP_GAUSSIAN: case OP_UNIFORM: return 1;
    case OP_CONST_VEC: return d == 1 && isfinite(in->c1) && trunc(in->c1) >= 0.0 && trunc(in->c1) < (double)s->n;
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: return (a > b ? a : b) <= d;
    case OP_ABS: case OP_EXP: case OP_LOG: case OP_SIN: case OP_COS: case OP_TAN: case OP_HEAVISIDE: return a <= d;
    case OP_DOT: return a == 1 && b == 1;
    case OP_MATMUL: return a == 2 && b == 1 && d >= 1;
    case OP_OUTER: return a == 1 && b == 1 && d == 2;
    case OP_NORM: case OP_MEAN: case OP_STD: return a == 1;
    case OP_COPY: return d == 0 || a <= d;
    default: return 0;
    }
}

/* The static skip rules of §4.2 in order, exactly as core.interpreter.is_skipped states them. */
static int is_skipped(const source_t *in, const shape_t *s)
{
    if (in->op <= OP_NOOP || in->op > OP_COPY || in->dest < 0) return 1;
    if (in->arg1 < 0 && reads_arg1(in->op)) return 1;
    if (in->arg2 < 0 && reads_arg2(in->op)) return 1;
    if (!in_bounds(s, in->dest) || (in->arg1 >= 0 && !in_bounds(s, in->arg1)) ||
        (in->arg2 >= 0 && !in_bounds(s, in->arg2)))
        return 1;
    return !kinds_fit(in, s);
}

static int read_long(PyObject *value, long *out)
{
    int overflow;
    *out = PyLong_AsLongAndOverflow(value, &overflow);
    if (overflow) *out = overflow > 0 ? LONG_MAX : LONG_MIN;
    return !(*out == -1 && PyErr_Occurred());
}

static int read_source(PyObject *item, source_t *src)
{
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 6) {
        PyErr_SetString(PyExc_TypeError, "compile: instructions must be (op, arg1, arg2, dest, c1, c2) tuples");
        return 0;
    }
    if (!read_long(PyTuple_GET_ITEM(item, 0), &src->op) || !read_long(PyTuple_GET_ITEM(item, 1), &src->arg1) ||
        !read_long(PyTuple_GET_ITEM(item, 2), &src->arg2) || !read_long(PyTuple_GET_ITEM(item, 3), &src->dest))
        return 0;
    src->c1 = PyFloat_AsDouble(PyTuple_GET_ITEM(item, 4));
    if (src->c1 == -1.0 && PyErr_Occurred()) return 0;
    src->c2 = PyFloat_AsDouble(PyTuple_GET_ITEM(item, 5));
    return !(src->c2 == -1.0 && PyErr_Occurred());
}

/* Attribute names of core.program.Program, interned once at import. */
static PyObject *SHAPE_NAMES[4], *PHASE_NAMES[3];
static const char *const SHAPE_TEXT[4] = {"scalar_count", "vector_count", "matrix_count", "vector_dim"};
static const char *const PHASE_TEXT[3] = {"setup", "predict", "learn"};

static int read_shape(PyObject *program, shape_t *s)
{
    long *fields[4] = {&s->scalars, &s->vectors, &s->matrices, &s->n};
    for (int i = 0; i < 4; i++) {
        PyObject *value = PyObject_GetAttr(program, SHAPE_NAMES[i]);
        if (value == NULL) return 0;
        int ok = read_long(value, fields[i]);
        Py_DECREF(value);
        if (!ok) return 0;
    }
    return 1;
}

/* §2.4: a program of another shape fails every evaluation on a task of this input width. */
static int evaluable(const shape_t *s, int64_t input_dim) { return s->scalars >= 2 && s->vectors >= 1 && s->n >= input_dim; }

/* Scratch that compiles one program after another without allocating each time. */
typedef struct {
    source_t *src;
    Py_ssize_t src_cap;
    int32_t *offset;
    int offset_cap;
    char *blob;
    size_t blob_cap;
} compiler_t;

static void compiler_free(compiler_t *c)
{
    PyMem_Free(c->src);
    PyMem_Free(c->offset);
    PyMem_Free(c->blob);
}

static int grow(void **buffer, size_t *capacity, size_t needed, size_t item)
{
    if (needed <= *capacity) return 1;
    size_t wanted = needed > 2 * *capacity ? needed : 2 * *capacity;
    void *bigger = PyMem_Realloc(*buffer, wanted * item);
    if (bigger == NULL) {
        PyErr_NoMemory();
        return 0;
    }
    *buffer = bigger, *capacity = wanted;
    return 1;
}

/* The executed instructions of each phase into c->src (skipped ones dropped); kept[p] counts phase p. */
static int gather(PyObject *program, const shape_t *s, compiler_t *c, Py_ssize_t kept[3])
{
    Py_ssize_t k = 0, before = 0;
    for (int p = 0; p < 3; p++) {
        PyObject *phase = PyObject_GetAttr(program, PHASE_NAMES[p]);
        if (phase == NULL) return 0;
        PyObject *items = PySequence_Fast(phase, "compile: a program phase must be a sequence of instructions");
        Py_DECREF(phase);
        if (items == NULL) return 0;
        Py_ssize_t size = PySequence_Fast_GET_SIZE(items);
        size_t cap = (size_t)c->src_cap;
        int ok = grow((void **)&c->src, &cap, (size_t)(k + size), sizeof(source_t));
        c->src_cap = (Py_ssize_t)cap;
        for (Py_ssize_t i = 0; ok && i < size; i++) {
            ok = read_source(PySequence_Fast_GET_ITEM(items, i), &c->src[k]);
            if (ok && !is_skipped(&c->src[k], s)) k++;
        }
        Py_DECREF(items);
        if (!ok) return 0;
        kept[p] = k - before;
        before = k;
    }
    return 1;
}

/* (kernel op, result rank) of an executed instruction, before choosing where the result goes. */
static void lower_result(const source_t *src, int ra, int32_t *op, int32_t *rr)
{
    int rd = rank_of(src->dest);
    *op = (int32_t)src->op;
    switch (src->op) {
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: {
        int rb = rank_of(src->arg2);
        *rr = ra > rb ? ra : rb;
        return;
    }
    case OP_ABS: case OP_EXP: case OP_LOG: case OP_SIN: case OP_COS: case OP_TAN: case OP_HEAVISIDE:
        *rr = ra;
        return;
    case OP_DOT: case OP_NORM: case OP_MEAN: case OP_STD: *rr = 0; return;
    case OP_MATMUL: *rr = 1; return;
    case OP_OUTER: *rr = 2; return;
    case OP_COPY:
        if (rd > 0 || ra == 0) {
            *op = OP_ASSIGN, *rr = ra;
        } else {
            *op = ra == 1 ? OP_NORM : OP_FROBENIUS, *rr = 0;
        }
        return;
    default: *rr = rd; return; /* CONST, GAUSSIAN, UNIFORM fill their dest */
    }
}

/* The scalar form of a kernel op whose dest is a scalar (then so are its operands, §4.2 rule 8). */
static int32_t scalar_form(int32_t op)
{
    switch (op) {
    case OP_ADD: return OP_ADD_S;
    case OP_SUB: return OP_SUB_S;
    case OP_MUL: return OP_MUL_S;
    case OP_DIV: return OP_DIV_S;
    case OP_CONST: return OP_CONST_S;
    case OP_ASSIGN: return OP_ASSIGN_S;
    default: return op;
    }
}

static void lower(const source_t *src, const int32_t *offset, int32_t scratch, long n, instr_t *row)
{
    memset(row, 0, sizeof(*row));
    if (src->op == OP_CONST_VEC) { /* one element of a vector; the skip rules checked the index */
        row->op = OP_CONST_S;
        row->d = row->out = offset[src->dest] + (int32_t)trunc(src->c1);
        row->c1 = (float)src->c2;
        return;
    }
    int ra = reads_arg1(src->op) ? rank_of(src->arg1) : 0;
    lower_result(src, ra, &row->op, &row->rr);
    row->ra = ra;
    row->rd = rank_of(src->dest);
    row->a = reads_arg1(src->op) ? offset[src->arg1] : 0;
    if (reads_arg2(src->op)) row->b = offset[src->arg2], row->rb = rank_of(src->arg2);
    row->d = offset[src->dest];
    if (row->op == OP_ASSIGN)
        row->out = row->a;
    else if (row->rr < row->rd || (src->op == OP_MATMUL && src->dest == src->arg2))
        row->out = scratch; /* broadcast afterwards, or a matmul that would overwrite its vector */
    else
        row->out = row->d;
    row->c1 = (float)src->c1;
    row->c2 = src->op == OP_UNIFORM ? (float)(src->c2 - src->c1) : (float)src->c2;
    if (row->rd == 0)
        row->op = scalar_form(row->op);
    else if (row->rd == 1 && row->rr == 1 && n <= SHORT_VECTOR && row->op >= OP_ADD && row->op <= OP_DIV)
        row->op += OP_ADD_V - OP_ADD, row->ra = row->ra == 1, row->rb = row->rb == 1;
}

/* Lower the gathered instructions into c->blob. Every register the program touches gets a slot, in address
 * order; s0, s1 and v0 always do. ValueError when the memory does not fit the kernel's limits. */
static int lower_program(compiler_t *c, long n, const Py_ssize_t kept[3], size_t *blob_len)
{
    Py_ssize_t count = kept[0] + kept[1] + kept[2];
    if (n < 1 || n > MAX_VECTOR_DIM) {
        PyErr_SetString(PyExc_ValueError, "compile: vector_dim out of range");
        return 0;
    }
    long top_address = VECTOR_BASE;
    for (Py_ssize_t k = 0; k < count; k++) {
        const source_t *in = &c->src[k];
        long most = in->dest;
        if (reads_arg1(in->op) && in->arg1 > most) most = in->arg1;
        if (reads_arg2(in->op) && in->arg2 > most) most = in->arg2;
        if (most > top_address) top_address = most;
    }
    if (top_address >= ADDRESS_LIMIT) {
        PyErr_SetString(PyExc_ValueError, "compile: an executed instruction's address is outside int16");
        return 0;
    }
    size_t cap = (size_t)c->offset_cap;
    if (!grow((void **)&c->offset, &cap, (size_t)top_address + 1, sizeof(int32_t))) return 0;
    c->offset_cap = (int)cap;
    int32_t *offset = c->offset;
    const int32_t UNUSED = -1, USED = 0;
    for (long addr = 0; addr <= top_address; addr++) offset[addr] = UNUSED;
    offset[0] = offset[1] = offset[VECTOR_BASE] = USED;
    for (Py_ssize_t k = 0; k < count; k++) {
        offset[c->src[k].dest] = USED;
        if (reads_arg1(c->src[k].op)) offset[c->src[k].arg1] = USED;
        if (reads_arg2(c->src[k].op)) offset[c->src[k].arg2] = USED;
    }
    int64_t top = 0;
    for (long addr = 0; addr <= top_address && top <= MAX_MEMORY_FLOATS; addr++)
        if (offset[addr] == USED) {
            offset[addr] = (int32_t)top;
            top += rank_size(rank_of(addr), n);
        }
    if (top + n > MAX_MEMORY_FLOATS) {
        PyErr_SetString(PyExc_ValueError, "compile: program memory is too large to evaluate");
        return 0;
    }
    *blob_len = sizeof(header_t) + sizeof(instr_t) * (size_t)count;
    if (!grow((void **)&c->blob, &c->blob_cap, *blob_len, 1)) return 0;
    header_t *h = (header_t *)c->blob;
    instr_t *rows = (instr_t *)(h + 1);
    for (Py_ssize_t k = 0; k < count; k++) lower(&c->src[k], offset, (int32_t)top, n, &rows[k]);
    h->magic = BLOB_MAGIC;
    h->n = (int32_t)n;
    h->phase_end[0] = (int32_t)kept[0];
    h->phase_end[1] = (int32_t)(kept[0] + kept[1]);
    h->phase_end[2] = (int32_t)count;
    h->mem_floats = (int32_t)(top + n);
    h->s0 = offset[0], h->s1 = offset[1], h->v0 = offset[VECTOR_BASE];
    return 1;
}

/* Skip rules, then lowering: the whole compiler for one program. */
static const header_t *compile_into(PyObject *program, const shape_t *s, compiler_t *c, size_t *blob_len)
{
    Py_ssize_t kept[3];
    if (!gather(program, s, c, kept) || !lower_program(c, s->n, kept, blob_len)) return NULL;
    return (const header_t *)c->blob;
}

static const char COMPILE_DOC[] =
    "compile(program) -> (blob, (n_setup, n_predict, n_learn))\n"
    "Compile a core.program.Program into the blob run() takes: the statically skipped instructions (§4.2)\n"
    "dropped, the others lowered onto one flat memory. ValueError when the memory exceeds the kernel's limits.";

static PyObject *compile_program(PyObject *self, PyObject *program)
{
    shape_t shape;
    compiler_t c = {0};
    size_t blob_len;
    PyObject *result = NULL;
    if (!read_shape(program, &shape)) return NULL;
    const header_t *h = compile_into(program, &shape, &c, &blob_len);
    if (h != NULL)
        result = Py_BuildValue("(y#(iii))", (const char *)h, (Py_ssize_t)blob_len, h->phase_end[0],
                               h->phase_end[1] - h->phase_end[0], h->phase_end[2] - h->phase_end[1]);
    compiler_free(&c);
    return result;
}

/* ---- run: blob x packed tasks -> predictions ---- */

static int check_span(int64_t offset, int rank, int64_t n, int64_t mem_len)
{
    return rank >= 0 && rank <= 2 && offset >= 0 && offset + rank_size(rank, n) <= mem_len;
}

/* The operand ranks each kernel assumes (it reads n or n*n floats from its operands whatever they are; a
 * short-vector form's ra and rb are strides 0 or 1, which check_span reads as ranks 0 or 1). */
static int ranks_fit(const instr_t *in, int64_t n)
{
    switch (in->op) {
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV:
        return in->rr == (in->ra > in->rb ? in->ra : in->rb);
    case OP_ABS: case OP_EXP: case OP_LOG: case OP_SIN: case OP_COS: case OP_TAN: case OP_HEAVISIDE: case OP_ASSIGN:
        return in->rr == in->ra;
    case OP_DOT: return in->ra == 1 && in->rb == 1 && in->rr == 0;
    case OP_MATMUL: return in->ra == 2 && in->rb == 1 && in->rr == 1;
    case OP_OUTER: return in->ra == 1 && in->rb == 1 && in->rr == 2;
    case OP_NORM: case OP_MEAN: case OP_STD: return in->ra == 1 && in->rr == 0;
    case OP_FROBENIUS: return in->ra == 2 && in->rr == 0;
    case OP_ADD_S: case OP_SUB_S: case OP_MUL_S: case OP_DIV_S:
        return in->ra == 0 && in->rb == 0 && in->rr == 0 && in->rd == 0;
    case OP_ASSIGN_S: return in->ra == 0 && in->rr == 0 && in->rd == 0;
    case OP_CONST_S: return in->rr == 0 && in->rd == 0;
    case OP_ADD_V: case OP_SUB_V: case OP_MUL_V: case OP_DIV_V: /* ra, rb are strides here */
        return n <= SHORT_VECTOR && in->ra >= 0 && in->ra <= 1 && in->rb >= 0 && in->rb <= 1 && in->rr == 1 && in->rd == 1;
    default: return in->rr == in->rd; /* CONST, GAUSSIAN, UNIFORM fill their dest */
    }
}

/* A blob is bytes the caller could have made up: check that it only touches its own memory. */
static const header_t *checked_blob(const Py_buffer *buf)
{
    const header_t *h = (const header_t *)buf->buf;
    if (buf->len < (Py_ssize_t)sizeof(header_t) || h->magic != BLOB_MAGIC || h->n < 1 || h->n > MAX_VECTOR_DIM ||
        h->phase_end[0] < 0 || h->phase_end[1] < h->phase_end[0] || h->phase_end[2] < h->phase_end[1] ||
        buf->len != (Py_ssize_t)(sizeof(header_t) + sizeof(instr_t) * (size_t)h->phase_end[2]))
        return NULL;
    int64_t n = h->n, mem = h->mem_floats;
    if (!check_span(h->s0, 0, n, mem) || !check_span(h->s1, 0, n, mem) || !check_span(h->v0, 1, n, mem))
        return NULL;
    const instr_t *code = (const instr_t *)(h + 1);
    for (int32_t pc = 0; pc < h->phase_end[2]; pc++) {
        const instr_t *in = &code[pc];
        if (in->op <= OP_NOOP || in->op > OP_LAST || in->op == OP_CONST_VEC || in->op == OP_COPY) return NULL;
        if (!check_span(in->a, in->ra, n, mem) || !check_span(in->b, in->rb, n, mem) ||
            !check_span(in->d, in->rd, n, mem) || !check_span(in->out, in->rr, n, mem) || in->rr > in->rd ||
            !ranks_fit(in, n))
            return NULL;
    }
    return h;
}

/* Where one task lives in the packed data buffer (all counts in floats); fast.py writes the same layout. */
typedef struct {
    int64_t x_train, y_train, x_val, y_val, n_train, n_val, input_dim;
} task_t;

static int check_tasks(const task_t *tasks, Py_ssize_t count, Py_ssize_t data_len, Py_ssize_t preds_len)
{
    int64_t total_val = 0;
    for (Py_ssize_t t = 0; t < count; t++) {
        const task_t *k = &tasks[t];
        if (k->n_train < 0 || k->n_val < 0 || k->input_dim < 1 || k->x_train < 0 || k->y_train < 0 ||
            k->x_val < 0 || k->y_val < 0 || k->x_train + k->n_train * k->input_dim > data_len ||
            k->y_train + k->n_train > data_len || k->x_val + k->n_val * k->input_dim > data_len ||
            k->y_val + k->n_val > data_len)
            return 0;
        total_val += k->n_val;
    }
    return total_val == preds_len;
}

/* Kernels vectorise over 8 lanes where the CPU has AVX2: the same binary32 operations in the same order
 * (no FMA: built with -ffp-contract=off), so results do not depend on the chosen clone. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__APPLE__) && !defined(__clang__)
#define CPU_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define CPU_CLONES
#endif

/* §6 steps 3-5 on one task. */
CPU_CLONES static void run_protocol(machine_t *m, const header_t *h, const float *data, const task_t *task, int epochs,
                         float *preds)
{
    float *mem = m->mem;
    const float *x_train = data + task->x_train, *y_train = data + task->y_train, *x_val = data + task->x_val;
    size_t row_bytes = (size_t)task->input_dim * sizeof(float);
    memset(mem, 0, (size_t)h->mem_floats * sizeof(float));
    execute(m, 0, h->phase_end[0]);
    for (int epoch = 0; epoch < epochs; epoch++)
        for (int64_t i = 0; i < task->n_train; i++) {
            memcpy(mem + h->v0, x_train + i * task->input_dim, row_bytes);
            execute(m, h->phase_end[0], h->phase_end[1]);
            mem[h->s1] = y_train[i];
            execute(m, h->phase_end[1], h->phase_end[2]);
            mem[h->s1] = 0.0f;
        }
    for (int64_t i = 0; i < task->n_val; i++) {
        memcpy(mem + h->v0, x_val + i * task->input_dim, row_bytes);
        execute(m, h->phase_end[0], h->phase_end[1]);
        preds[i] = mem[h->s0];
    }
}

static const char RUN_DOC[] =
    "run(blob, data, tasks, seed_states, epochs, preds)\n"
    "Run a compiled program on each packed task: `tasks` is int64 rows (x_train, y_train, x_val, y_val offsets\n"
    "into the float32 `data`, n_train, n_val, input_dim), `seed_states` uint64 rows of numpy's PCG64(seed)\n"
    "start (state hi, lo, inc hi, lo). Validation predictions go into `preds`, tasks one after another;\n"
    "a task whose input_dim exceeds the program's vector_dim is not run (its predictions are left as they are).";

static PyObject *run(PyObject *self, PyObject *args)
{
    Py_buffer blob = {0}, data = {0}, tasks = {0}, states = {0}, preds = {0};
    int epochs;
    PyObject *result = NULL;
    if (!PyArg_ParseTuple(args, "y*y*y*y*iw*", &blob, &data, &tasks, &states, &epochs, &preds)) goto done;
    Py_ssize_t count = tasks.len / (Py_ssize_t)sizeof(task_t);
    const header_t *h = checked_blob(&blob);
    if (h == NULL) {
        PyErr_SetString(PyExc_ValueError, "run: the compiled program is damaged or touches memory outside its buffers");
        goto done;
    }
    if (epochs < 0 || tasks.len != count * (Py_ssize_t)sizeof(task_t) || states.len != count * 4 * 8 ||
        !check_tasks((const task_t *)tasks.buf, count, data.len / 4, preds.len / 4)) {
        PyErr_SetString(PyExc_ValueError, "run: inconsistent task buffers");
        goto done;
    }
    float *mem = PyMem_RawCalloc((size_t)h->mem_floats + (size_t)h->n + SHORT_VECTOR, sizeof(float));
    if (mem == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    pcg64_t generator;
    bitgen_t bitgen;
    machine_t m = {(const instr_t *)(h + 1), mem, mem + h->mem_floats, h->n, &bitgen}; /* tmp after memory */
    const task_t *task = (const task_t *)tasks.buf;
    const uint64_t *seed_state = (const uint64_t *)states.buf;
    float *out = (float *)preds.buf;
    Py_BEGIN_ALLOW_THREADS
    for (Py_ssize_t t = 0; t < count; out += task[t].n_val, t++) {
        if (task[t].input_dim > h->n) continue;
        pcg64_start(&generator, &bitgen, seed_state + 4 * t);
        run_protocol(&m, h, (const float *)data.buf, &task[t], epochs, out);
    }
    Py_END_ALLOW_THREADS
    PyMem_RawFree(mem);
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&blob);
    PyBuffer_Release(&data);
    PyBuffer_Release(&tasks);
    PyBuffer_Release(&states);
    PyBuffer_Release(&preds);
    return result;
}

static const char RUN_MANY_DOC[] =
    "run_many(programs, data, tasks, seed_states, epochs, task_begin, task_end, preds, ran)\n"
    "Compile and run each core.program.Program on the packed tasks task_begin..task_end-1 (buffers as in run()).\n"
    "`preds` is float32 (programs x every task's validation rows), `ran` uint8 (programs x tasks): ran[p, t] = 1\n"
    "where program p ran on task t and its predictions are in its row, else 0 (a failed evaluation: the task is\n"
    "empty, the program's shape cannot take it (§2.4), or its memory exceeds the kernel's limits).";

static PyObject *run_many(PyObject *self, PyObject *args)
{
    PyObject *programs_arg, *programs = NULL, *result = NULL;
    Py_buffer data = {0}, tasks = {0}, states = {0}, preds = {0}, ran = {0};
    int epochs;
    Py_ssize_t begin, end;
    compiler_t c = {0};
    float *mem = NULL;
    size_t mem_cap = 0;
    if (!PyArg_ParseTuple(args, "Oy*y*y*innw*w*", &programs_arg, &data, &tasks, &states, &epochs, &begin, &end,
                          &preds, &ran))
        goto done;
    programs = PySequence_Fast(programs_arg, "run_many: programs must be a sequence");
    if (programs == NULL) goto done;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(programs), task_count = tasks.len / (Py_ssize_t)sizeof(task_t);
    Py_ssize_t row = 0; /* every task's validation rows, one program after another */
    for (Py_ssize_t t = 0; t < task_count; t++) row += (Py_ssize_t)((const task_t *)tasks.buf)[t].n_val;
    if (epochs < 0 || tasks.len != task_count * (Py_ssize_t)sizeof(task_t) || states.len != task_count * 4 * 8 ||
        begin < 0 || end < begin || end > task_count || preds.len != 4 * row * count ||
        ran.len != count * task_count || !check_tasks((const task_t *)tasks.buf, task_count, data.len / 4, row)) {
        PyErr_SetString(PyExc_ValueError, "run_many: inconsistent task buffers");
        goto done;
    }
    const task_t *task = (const task_t *)tasks.buf;
    const uint64_t *seed_state = (const uint64_t *)states.buf;
    uint8_t *ran_rows = (uint8_t *)ran.buf;
    memset(ran_rows, 0, (size_t)ran.len);
    for (Py_ssize_t p = 0; p < count; p++) {
        PyObject *program = PySequence_Fast_GET_ITEM(programs, p);
        shape_t shape;
        if (!read_shape(program, &shape)) goto done;
        uint8_t *ran_row = ran_rows + p * task_count;
        int any = 0;
        for (Py_ssize_t t = begin; t < end; t++) {
            ran_row[t] = task[t].n_train > 0 && task[t].n_val > 0 && evaluable(&shape, task[t].input_dim);
            any |= ran_row[t];
        }
        if (!any) continue;
        size_t blob_len;
        const header_t *h = compile_into(program, &shape, &c, &blob_len);
        if (h == NULL) {
            if (!PyErr_ExceptionMatches(PyExc_ValueError)) goto done;
            PyErr_Clear(); /* memory beyond the kernel's limits: every task of this program fails */
            memset(ran_row, 0, (size_t)task_count);
            continue;
        }
        size_t had = mem_cap;
        if (!grow((void **)&mem, &mem_cap, (size_t)h->mem_floats + (size_t)h->n + SHORT_VECTOR, sizeof(float))) goto done;
        if (mem_cap > had) memset(mem + had, 0, (mem_cap - had) * sizeof(float)); /* the padding is read */
        pcg64_t generator;
        bitgen_t bitgen;
        machine_t m = {(const instr_t *)(h + 1), mem, mem + h->mem_floats, h->n, &bitgen};
        float *out = (float *)preds.buf + p * row;
        for (Py_ssize_t t = 0; t < end; out += task[t].n_val, t++) {
            if (!ran_row[t]) continue;
            pcg64_start(&generator, &bitgen, seed_state + 4 * t);
            run_protocol(&m, h, (const float *)data.buf, &task[t], epochs, out);
        }
    }
    result = Py_None;
    Py_INCREF(result);
done:
    Py_XDECREF(programs);
    compiler_free(&c);
    PyMem_Free(mem);
    PyBuffer_Release(&data);
    PyBuffer_Release(&tasks);
    PyBuffer_Release(&states);
    PyBuffer_Release(&preds);
    PyBuffer_Release(&ran);
    return result;
}

/* The rmse of regression scores (§7; core/scoring.py `regression_scores` is its numpy definition): per row,
 * errors pred - y in binary32, numpy's pairwise sum of their squares ("0 +" included), / m, sqrt. The label
 * rows repeat: prediction row r is scored against label row r mod (label rows). */
static PyObject *regression_rmse(PyObject *self, PyObject *args)
{
    Py_buffer preds = {0}, labels = {0}, out = {0};
    Py_ssize_t m;
    PyObject *result = NULL;
    float *errors = NULL;
    if (!PyArg_ParseTuple(args, "y*y*nw*", &preds, &labels, &m, &out)) return NULL;
    Py_ssize_t rows = m > 0 ? preds.len / 4 / m : 0, label_rows = m > 0 ? labels.len / 4 / m : 0;
    if (m < 1 || preds.len != 4 * m * rows || labels.len != 4 * m * label_rows || out.len != 4 * rows ||
        (rows > 0 && label_rows == 0)) {
        PyErr_SetString(PyExc_ValueError, "regression_rmse: float32 rows of m predictions, label rows of m, one output per row");
        goto done;
    }
    errors = PyMem_Malloc((size_t)m * sizeof(float));
    if (errors == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const float *p = (const float *)preds.buf, *y = (const float *)labels.buf;
    float *rmse = (float *)out.buf;
    for (Py_ssize_t r = 0; r < rows; r++) {
        const float *row = p + r * m, *label = y + (r % label_rows) * m;
        int finite = 1;
        for (Py_ssize_t k = 0; k < m; k++) {
            finite &= isfinite(row[k]) != 0;
            errors[k] = row[k] - label[k];
        }
        rmse[r] = finite ? sqrtf(pw_products(errors, errors, m, 0) / (float)m) : NAN;
    }
    result = Py_None;
    Py_INCREF(result);
done:
    PyMem_Free(errors);
    PyBuffer_Release(&preds);
    PyBuffer_Release(&labels);
    PyBuffer_Release(&out);
    return result;
}

/* The FEC trace of algorithm.md §11 step 3 (core/fec.py `trace_bytes` is its numpy definition): pred - y,
 * rounded to 3 decimals as numpy's round does it in float32 (x * 1000, rint, / 1000), NaN -> 0,
 * +-inf -> +-1e6, as little-endian float32 bytes. */
static PyObject *fec_trace(PyObject *self, PyObject *args)
{
    Py_buffer preds = {0}, labels = {0};
    PyObject *trace = NULL;
    if (!PyArg_ParseTuple(args, "y*y*", &preds, &labels)) return NULL;
    if (preds.len != labels.len || preds.len % 4) {
        PyErr_SetString(PyExc_ValueError, "fec_trace: predictions and labels must be float32 of one length");
        goto done;
    }
    trace = PyBytes_FromStringAndSize(NULL, preds.len);
    if (trace == NULL) goto done;
    const float *p = (const float *)preds.buf, *y = (const float *)labels.buf;
    unsigned char *out = (unsigned char *)PyBytes_AS_STRING(trace);
    for (Py_ssize_t i = 0; i < preds.len / 4; i++) {
        float e = rintf((p[i] - y[i]) * 1000.0f) / 1000.0f;
        if (e != e)
            e = 0.0f;
        else if (isinf(e))
            e = e > 0 ? 1e6f : -1e6f;
        uint32_t bits;
        memcpy(&bits, &e, 4);
        for (int b = 0; b < 4; b++) out[4 * i + b] = (unsigned char)(bits >> (8 * b));
    }
done:
    PyBuffer_Release(&preds);
    PyBuffer_Release(&labels);
    return trace;
}

/* Test hook: `count` draws of one kind from a generator started at numpy's PCG64(seed) state words. */
static PyObject *draw(PyObject *self, PyObject *args)
{
    Py_buffer words = {0}, out = {0};
    int gaussian;
    if (!PyArg_ParseTuple(args, "y*pw*", &words, &gaussian, &out)) return NULL;
    if (words.len != 4 * 8) {
        PyBuffer_Release(&words);
        PyBuffer_Release(&out);
        PyErr_SetString(PyExc_ValueError, "draw: seed state must be four uint64 words");
        return NULL;
    }
    pcg64_t generator;
    bitgen_t bitgen;
    pcg64_start(&generator, &bitgen, (const uint64_t *)words.buf);
    float *values = (float *)out.buf;
    for (Py_ssize_t i = 0; i < out.len / 4; i++)
        values[i] = gaussian ? random_standard_normal_f(&bitgen) : random_standard_uniform_f(&bitgen);
    PyBuffer_Release(&words);
    PyBuffer_Release(&out);
    Py_RETURN_NONE;
}

static PyMethodDef METHODS[] = {
    {"compile", compile_program, METH_O, COMPILE_DOC},
    {"run", run, METH_VARARGS, RUN_DOC},
    {"run_many", run_many, METH_VARARGS, RUN_MANY_DOC},
    {"regression_rmse", regression_rmse, METH_VARARGS,
     "regression_rmse(preds, labels, m, out): per row of m float32 predictions, the rmse of §7 (NaN if one is not finite)."},
    {"fec_trace", fec_trace, METH_VARARGS, "fec_trace(preds, labels) -> bytes: the FEC trace of float32 predictions."},
    {"draw", draw, METH_VARARGS, "draw(seed_state, gaussian, out): fill a float32 buffer with draws."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_fastexec", "Compiled evaluator kernel.", -1, METHODS};

PyMODINIT_FUNC PyInit__fastexec(void)
{
    for (int i = 0; i < 4; i++)
        if ((SHAPE_NAMES[i] = PyUnicode_InternFromString(SHAPE_TEXT[i])) == NULL) return NULL;
    for (int i = 0; i < 3; i++)
        if ((PHASE_NAMES[i] = PyUnicode_InternFromString(PHASE_TEXT[i])) == NULL) return NULL;
    return PyModule_Create(&MODULE);
}
