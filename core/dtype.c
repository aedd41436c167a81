/* dtype.c — dtype sizes, names, and conversions (including float16/bfloat16,
 * which are storage types: ops compute them in float32). */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "tensor.h"

size_t mxi_dtype_size(int dtype) {
    switch (dtype) {
    case MX_FLOAT32: case MX_INT32: return 4;
    case MX_FLOAT64: case MX_INT64: return 8;
    case MX_FLOAT16: case MX_BFLOAT16: return 2;
    case MX_UINT8: case MX_INT8: case MX_BOOL: return 1;
    default: return 0;
    }
}

static const struct { int dtype; const char *name; } dtype_names[] = {
    {MX_FLOAT32, "float32"}, {MX_FLOAT64, "float64"}, {MX_FLOAT16, "float16"},
    {MX_BFLOAT16, "bfloat16"}, {MX_UINT8, "uint8"}, {MX_INT8, "int8"},
    {MX_INT32, "int32"}, {MX_INT64, "int64"}, {MX_BOOL, "bool"},
};

const char *mxi_dtype_name(int dtype) {
    for (size_t i = 0; i < sizeof dtype_names / sizeof dtype_names[0]; i++)
        if (dtype_names[i].dtype == dtype) return dtype_names[i].name;
    return "unknown";
}

int mxi_dtype_from_name(const char *name) {
    for (size_t i = 0; i < sizeof dtype_names / sizeof dtype_names[0]; i++)
        if (strcmp(dtype_names[i].name, name) == 0) return dtype_names[i].dtype;
    if (strcmp(name, "float") == 0) return MX_FLOAT32;
    if (strcmp(name, "double") == 0) return MX_FLOAT64;
    if (strcmp(name, "half") == 0) return MX_FLOAT16;
    return -1;
}

bool mxi_dtype_valid(int dtype) { return mxi_dtype_size(dtype) != 0; }

bool mxi_dtype_is_float(int dtype) {
    return dtype == MX_FLOAT32 || dtype == MX_FLOAT64 || dtype == MX_FLOAT16 ||
           dtype == MX_BFLOAT16;
}

float mxi_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff, bits;
    if (exp == 0) {
        if (mant == 0) {
            bits = sign;
        } else { /* subnormal: renormalise */
            exp = 127 - 15 + 1;
            while (!(mant & 0x400)) { mant <<= 1; exp--; }
            mant &= 0x3ff;
            bits = sign | (exp << 23) | (mant << 13);
        }
    } else if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t mxi_float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000;
    int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
    uint32_t mant = x & 0x7fffff;
    if (((x >> 23) & 0xff) == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
    if (exp >= 0x1f) return (uint16_t)(sign | 0x7c00);
    if (exp <= 0) {
        if (exp < -10) return (uint16_t)sign;
        mant |= 0x800000;
        uint32_t shift = (uint32_t)(14 - exp);
        uint32_t half = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t h = sign | ((uint32_t)exp << 10) | (mant >> 13);
    uint32_t rem = mant & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1))) h++; /* round to nearest even */
    return (uint16_t)h;
}

float mxi_bf16_to_float(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t mxi_float_to_bf16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)((x >> 16) | 0x40); /* NaN */
    x += 0x7fff + ((x >> 16) & 1);
    return (uint16_t)(x >> 16);
}

double mxi_load_as_double(const void *p, int dtype, int64_t i) {
    switch (dtype) {
    case MX_FLOAT32: return ((const float *)p)[i];
    case MX_FLOAT64: return ((const double *)p)[i];
    case MX_FLOAT16: return mxi_half_to_float(((const uint16_t *)p)[i]);
    case MX_BFLOAT16: return mxi_bf16_to_float(((const uint16_t *)p)[i]);
    case MX_UINT8: return ((const uint8_t *)p)[i];
    case MX_INT8: return ((const int8_t *)p)[i];
    case MX_INT32: return ((const int32_t *)p)[i];
    case MX_INT64: return (double)((const int64_t *)p)[i];
    case MX_BOOL: return ((const uint8_t *)p)[i] != 0;
    default: return 0;
    }
}

void mxi_store_from_double(void *p, int dtype, int64_t i, double v) {
    switch (dtype) {
    case MX_FLOAT32: ((float *)p)[i] = (float)v; break;
    case MX_FLOAT64: ((double *)p)[i] = v; break;
    case MX_FLOAT16: ((uint16_t *)p)[i] = mxi_float_to_half((float)v); break;
    case MX_BFLOAT16: ((uint16_t *)p)[i] = mxi_float_to_bf16((float)v); break;
    /* integer casts truncate toward zero like numpy's astype; NaN/inf give 0 */
    case MX_UINT8: ((uint8_t *)p)[i] = isfinite(v) ? (uint8_t)(int64_t)v : 0; break;
    case MX_INT8: ((int8_t *)p)[i] = isfinite(v) ? (int8_t)(int64_t)v : 0; break;
    case MX_INT32: ((int32_t *)p)[i] = isfinite(v) ? (int32_t)(int64_t)v : 0; break;
    case MX_INT64: ((int64_t *)p)[i] = isfinite(v) ? (int64_t)v : 0; break;
    case MX_BOOL: ((uint8_t *)p)[i] = v != 0; break;
    default: break;
    }
}

/* float32 <-> float16 with the F16C instructions (8 per instruction, round to
 * nearest even like mxi_float_to_half) where the CPU has them: the software
 * conversion cost 6 ns per element (casting 1M floats to float16 took 6 ms).
 * Tails and CPUs without F16C take the software path. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

static bool have_f16c(void) {
    static int known = -1; /* every thread racing here computes the same answer */
    if (known < 0) known = __builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx");
    return known;
}

__attribute__((target("avx,f16c"))) static int64_t f32_to_f16_hw(const float *s, uint16_t *d, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(d + i), _mm256_cvtps_ph(_mm256_loadu_ps(s + i), _MM_FROUND_TO_NEAREST_INT));
    return i;
}

__attribute__((target("avx,f16c"))) static int64_t f16_to_f32_hw(const uint16_t *s, float *d, int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(d + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(s + i))));
    return i;
}
#else
static bool have_f16c(void) { return false; }
static int64_t f32_to_f16_hw(const float *s, uint16_t *d, int64_t n) { (void)s; (void)d; (void)n; return 0; }
static int64_t f16_to_f32_hw(const uint16_t *s, float *d, int64_t n) { (void)s; (void)d; (void)n; return 0; }
#endif

void mxi_convert(const void *src, int sd, void *dst, int dd, int64_t n) {
    if (sd == dd) {
        memcpy(dst, src, (size_t)n * mxi_dtype_size(sd));
        return;
    }
    /* fast paths for the common float32 <-> other conversions */
    if (sd == MX_FLOAT32 && dd == MX_FLOAT64) {
        for (int64_t i = 0; i < n; i++) ((double *)dst)[i] = ((const float *)src)[i];
    } else if (sd == MX_FLOAT64 && dd == MX_FLOAT32) {
        for (int64_t i = 0; i < n; i++) ((float *)dst)[i] = (float)((const double *)src)[i];
    } else if (sd == MX_FLOAT16 && dd == MX_FLOAT32) {
        int64_t i = have_f16c() ? f16_to_f32_hw(src, dst, n) : 0;
        for (; i < n; i++) ((float *)dst)[i] = mxi_half_to_float(((const uint16_t *)src)[i]);
    } else if (sd == MX_FLOAT32 && dd == MX_FLOAT16) {
        int64_t i = have_f16c() ? f32_to_f16_hw(src, dst, n) : 0;
        for (; i < n; i++) ((uint16_t *)dst)[i] = mxi_float_to_half(((const float *)src)[i]);
    } else {
        for (int64_t i = 0; i < n; i++) mxi_store_from_double(dst, dd, i, mxi_load_as_double(src, sd, i));
    }
}
