/* Compiled evaluator kernel: runs one compiled program on one task (algorithm.md §4.5, §6, §17).
 *
 * core/fast.py compiles a Program into a flat table of instructions whose operands are resolved memory
 * offsets (statically skipped instructions already dropped) and calls run_task() once per task. Numerics
 * follow §4.5 exactly: every float32 operation is a single binary32 operation (built with
 * -ffp-contract=off and without -ffast-math), reductions use numpy's pairwise and einsum orders, and
 * transcendentals are libm binary64 calls rounded once. GAUSSIAN/UNIFORM draw through numpy's own
 * distribution functions on the task's PCG64 bit generator, so the streams equal numpy's.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <string.h>

#include "numpy/random/distributions.h"

/* Internal opcodes: the public ones (1..22) plus two that COPY compiles into. */
enum {
    OP_CONST = 1, OP_ADD = 3, OP_SUB, OP_MUL, OP_DIV, OP_ABS, OP_EXP, OP_LOG, OP_SIN, OP_COS, OP_TAN,
    OP_HEAVISIDE, OP_GAUSSIAN, OP_UNIFORM, OP_DOT, OP_MATMUL, OP_OUTER, OP_NORM, OP_MEAN, OP_STD,
    OP_FROBENIUS = 23, /* COPY of a matrix into a scalar */
    OP_ASSIGN = 24,    /* COPY by the assignment rule (store or broadcast) */
    OP_LAST = 24
};

/* One compiled instruction: int32 fields in this order (fast.py writes the same layout). */
typedef struct {
    int32_t op;
    int32_t a, b, d;      /* memory offsets of arg1, arg2, dest */
    int32_t ra, rb, rr, rd; /* ranks (0 scalar, 1 vector, 2 matrix) of arg1, arg2, result, dest */
    int32_t out;          /* where the result is computed; != d means "then assign to d by broadcast" */
} instr_t;

#define INSTR_FIELDS 9
#define MAX_VECTOR_DIM (1 << 24) /* keeps n * n far from overflow */
static const float EPS = 1e-8f;

typedef struct {
    const instr_t *code;
    const float *consts; /* (c1, c2) per instruction; UNIFORM's c2 holds the rounded width c2 - c1 */
    float *mem;
    float *tmp;          /* scratch for reduction products, n*n or n floats */
    Py_ssize_t n;        /* vector_dim */
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

/* numpy's pairwise summation for n <= 128, without the final "0 +" (see pw_sum). */
KERNEL float pairwise_block(const float *x, Py_ssize_t n, int ordered)
{
    if (n < 8) {
        float res = 0.0f;
        for (Py_ssize_t i = 0; i < n; i++) res = ADD(res, x[i]);
        return res;
    }
    float r[8];
    Py_ssize_t i;
    for (int j = 0; j < 8; j++) r[j] = x[j];
    for (i = 8; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) r[j] = ADD(r[j], x[i + j]);
    float res = ADD(ADD(ADD(r[0], r[1]), ADD(r[2], r[3])), ADD(ADD(r[4], r[5]), ADD(r[6], r[7])));
    for (; i < n; i++) res = ADD(res, x[i]);
    return res;
}

static float pairwise(const float *x, Py_ssize_t n, int ordered)
{
    if (n <= 128) return ordered ? pairwise_block(x, n, 1) : pairwise_block(x, n, 0);
    Py_ssize_t m = n / 2;
    m -= m % 8;
    float left = pairwise(x, m, ordered), right = pairwise(x + m, n - m, ordered);
    return ADD(left, right);
}

KERNEL float pw_sum(const float *x, Py_ssize_t n, int ordered)
{
    float sum = n <= 128 ? pairwise_block(x, n, ordered) : pairwise(x, n, ordered);
    return ADD(0.0f, sum);
}

/* numpy's baseline float32 einsum sum-of-products order (four lanes, blocks of 16). */
KERNEL float einsum_dot(const float *a, const float *b, Py_ssize_t n, int ordered)
{
    float lane[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    Py_ssize_t i = 0;
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

/* pw over the products a_i * b_i, each product rounded first (as numpy forms the product array). */
KERNEL float pw_products(const float *a, const float *b, Py_ssize_t n, float *tmp, int ordered)
{
    for (Py_ssize_t i = 0; i < n; i++) tmp[i] = MUL(a[i], b[i]);
    return pw_sum(tmp, n, ordered);
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

KERNEL void matmul(const float *m, const float *v, float *out, Py_ssize_t n, float *tmp, int ordered)
{
    for (Py_ssize_t i = 0; i < n; i++) out[i] = pw_products(m + i * n, v, n, tmp, ordered);
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

static void execute(const machine_t *m, Py_ssize_t start, Py_ssize_t stop)
{
    float *mem = m->mem;
    Py_ssize_t n = m->n;
    for (Py_ssize_t pc = start; pc < stop; pc++) {
        const instr_t *in = &m->code[pc];
        float c1 = m->consts[2 * pc], c2 = m->consts[2 * pc + 1];
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
            matmul(a, b, o, n, m->tmp, 0);
            if (has_nan(o, n)) matmul(a, b, o, n, m->tmp, 1);
            break;
        case OP_DOT:
            o[0] = einsum_dot(a, b, n, 0);
            if (o[0] != o[0]) o[0] = einsum_dot(a, b, n, 1);
            break;
        case OP_NORM:
            o[0] = sqrtf(pw_products(a, a, n, m->tmp, 0));
            if (o[0] != o[0]) o[0] = sqrtf(pw_products(a, a, n, m->tmp, 1));
            break;
        case OP_FROBENIUS:
            o[0] = sqrtf(pw_products(a, a, n * n, m->tmp, 0));
            if (o[0] != o[0]) o[0] = sqrtf(pw_products(a, a, n * n, m->tmp, 1));
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

/* ---- argument checking: every offset the program touches must lie inside the memory buffer ---- */

static int check_span(Py_ssize_t offset, int rank, Py_ssize_t n, Py_ssize_t mem_len)
{
    return rank >= 0 && rank <= 2 && offset >= 0 && offset + rank_size(rank, n) <= mem_len;
}

static int check_code(const instr_t *code, Py_ssize_t count, Py_ssize_t n, Py_ssize_t mem_len, Py_ssize_t tmp_len)
{
    Py_ssize_t need_tmp = 0;
    for (Py_ssize_t pc = 0; pc < count; pc++) {
        const instr_t *in = &code[pc];
        if (in->op < OP_CONST || in->op > OP_LAST || in->op == 2 || in->op == 22) return 0;
        if (!check_span(in->a, in->ra, n, mem_len) || !check_span(in->b, in->rb, n, mem_len) ||
            !check_span(in->d, in->rd, n, mem_len) || !check_span(in->out, in->rr, n, mem_len))
            return 0;
        if (in->rr > in->rd) return 0;
        if (in->op == OP_FROBENIUS && n * n > need_tmp) need_tmp = n * n;
        if ((in->op == OP_MATMUL || in->op == OP_NORM || in->op == OP_STD) && n > need_tmp) need_tmp = n;
    }
    return need_tmp <= tmp_len;
}

typedef struct {
    Py_buffer code, consts, mem, tmp, x_train, y_train, x_val, y_val, preds;
} buffers_t;

static void release_buffers(buffers_t *bufs)
{
    Py_buffer *all[] = {&bufs->code, &bufs->consts, &bufs->mem, &bufs->tmp, &bufs->x_train,
                        &bufs->y_train, &bufs->x_val, &bufs->y_val, &bufs->preds};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        if (all[i]->obj) PyBuffer_Release(all[i]);
}

static void load_example(float *v0, const float *row, Py_ssize_t input_dim)
{
    memcpy(v0, row, (size_t)input_dim * sizeof(float));
}

/* §6 steps 3-5 on one task. */
static void run_protocol(machine_t *m, const Py_ssize_t phase_end[3], Py_ssize_t s0, Py_ssize_t s1, Py_ssize_t v0,
                         const float *x_train, const float *y_train, Py_ssize_t n_train, const float *x_val,
                         Py_ssize_t n_val, Py_ssize_t input_dim, int epochs, float *preds)
{
    float *mem = m->mem;
    execute(m, 0, phase_end[0]);
    for (int epoch = 0; epoch < epochs; epoch++)
        for (Py_ssize_t i = 0; i < n_train; i++) {
            load_example(mem + v0, x_train + i * input_dim, input_dim);
            execute(m, phase_end[0], phase_end[1]);
            mem[s1] = y_train[i];
            execute(m, phase_end[1], phase_end[2]);
            mem[s1] = 0.0f;
        }
    for (Py_ssize_t i = 0; i < n_val; i++) {
        load_example(mem + v0, x_val + i * input_dim, input_dim);
        execute(m, phase_end[0], phase_end[1]);
        preds[i] = mem[s0];
    }
}

static const char RUN_DOC[] =
    "run_task(code, consts, n_setup, n_predict, n_learn, mem, tmp, vector_dim, s0, s1, v0, input_dim,\n"
    "         X_train, y_train, X_val, y_val, epochs, bitgen_capsule, preds)\n"
    "Run a compiled program on one task; memory is zeroed first; predictions go into `preds`.";

static PyObject *run_task(PyObject *self, PyObject *args)
{
    buffers_t bufs;
    memset(&bufs, 0, sizeof(bufs));
    Py_ssize_t n_setup, n_predict, n_learn, n, s0, s1, v0, input_dim;
    int epochs;
    PyObject *capsule;
    if (!PyArg_ParseTuple(args, "y*y*nnnw*w*nnnnny*y*y*y*iOw*", &bufs.code, &bufs.consts, &n_setup, &n_predict,
                          &n_learn, &bufs.mem, &bufs.tmp, &n, &s0, &s1, &v0, &input_dim, &bufs.x_train,
                          &bufs.y_train, &bufs.x_val, &bufs.y_val, &epochs, &capsule, &bufs.preds))
        goto fail;

    Py_ssize_t count = n_setup + n_predict + n_learn;
    Py_ssize_t mem_len = bufs.mem.len / 4, n_train = bufs.y_train.len / 4, n_val = bufs.y_val.len / 4;
    if (n_setup < 0 || n_predict < 0 || n_learn < 0 || n < 1 || n > MAX_VECTOR_DIM || input_dim < 1 || input_dim > n || epochs < 0 ||
        bufs.code.len != count * INSTR_FIELDS * 4 || bufs.consts.len != count * 2 * 4 ||
        bufs.x_train.len != n_train * input_dim * 4 || bufs.x_val.len != n_val * input_dim * 4 ||
        bufs.preds.len != n_val * 4 || !check_span(s0, 0, n, mem_len) || !check_span(s1, 0, n, mem_len) ||
        !check_span(v0, 1, n, mem_len)) {
        PyErr_SetString(PyExc_ValueError, "run_task: inconsistent buffer sizes or offsets");
        goto fail;
    }
    if (!check_code((const instr_t *)bufs.code.buf, count, n, mem_len, bufs.tmp.len / 4)) {
        PyErr_SetString(PyExc_ValueError, "run_task: compiled code touches memory outside its buffers");
        goto fail;
    }
    bitgen_t *bitgen = (bitgen_t *)PyCapsule_GetPointer(capsule, "BitGenerator");
    if (bitgen == NULL) goto fail;

    machine_t m = {(const instr_t *)bufs.code.buf, (const float *)bufs.consts.buf, (float *)bufs.mem.buf,
                   (float *)bufs.tmp.buf, n, bitgen};
    Py_ssize_t phase_end[3] = {n_setup, n_setup + n_predict, count};
    Py_BEGIN_ALLOW_THREADS
    memset(m.mem, 0, (size_t)mem_len * sizeof(float));
    run_protocol(&m, phase_end, s0, s1, v0, (const float *)bufs.x_train.buf, (const float *)bufs.y_train.buf,
                 n_train, (const float *)bufs.x_val.buf, n_val, input_dim, epochs, (float *)bufs.preds.buf);
    Py_END_ALLOW_THREADS
    release_buffers(&bufs);
    Py_RETURN_NONE;
fail:
    release_buffers(&bufs);
    return NULL;
}

/* Test hook: `count` draws of one kind from a bit generator, for checking the streams against numpy. */
static PyObject *draw(PyObject *self, PyObject *args)
{
    PyObject *capsule;
    int gaussian;
    Py_buffer out;
    if (!PyArg_ParseTuple(args, "Opw*", &capsule, &gaussian, &out)) return NULL;
    bitgen_t *bitgen = (bitgen_t *)PyCapsule_GetPointer(capsule, "BitGenerator");
    if (bitgen == NULL) {
        PyBuffer_Release(&out);
        return NULL;
    }
    float *values = (float *)out.buf;
    for (Py_ssize_t i = 0; i < out.len / 4; i++)
        values[i] = gaussian ? random_standard_normal_f(bitgen) : random_standard_uniform_f(bitgen);
    PyBuffer_Release(&out);
    Py_RETURN_NONE;
}

static PyMethodDef METHODS[] = {
    {"run_task", run_task, METH_VARARGS, RUN_DOC},
    {"draw", draw, METH_VARARGS, "draw(bitgen_capsule, gaussian, out): fill a float32 buffer with draws."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef MODULE = {PyModuleDef_HEAD_INIT, "_fastexec", "Compiled evaluator kernel.", -1, METHODS};

PyMODINIT_FUNC PyInit__fastexec(void) { return PyModule_Create(&MODULE); }
