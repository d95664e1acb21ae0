/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The engine's own float math: a TA has no libm (DESIGN §5). Every function is
 * deterministic and identical on every platform (no FMA contraction assumptions,
 * no table lookups that depend on the host). Accuracy in ulp against a double
 * reference is stated per function in mathf.c and checked by tests/unit/test_mathf.c.
 */
#ifndef CDL_ENGINE_MATHF_H
#define CDL_ENGINE_MATHF_H

#include <stdint.h>

float cdl_expf(float x);
float cdl_expm1f(float x);
float cdl_logf(float x);
float cdl_log1pf(float x);
float cdl_powf(float x, float y);
float cdl_sqrtf(float x);
float cdl_tanhf(float x);
float cdl_erff(float x);
float cdl_sigmoidf(float x); /* 1 / (1 + exp(-x)) without overflow */
float cdl_sinf(float x);
float cdl_cosf(float x);
float cdl_tanf(float x);
float cdl_atanf(float x);
float cdl_asinf(float x);
float cdl_acosf(float x);
float cdl_sinhf(float x);
float cdl_coshf(float x);
float cdl_asinhf(float x);
float cdl_acoshf(float x);
float cdl_atanhf(float x);

float cdl_fabsf(float x);
float cdl_floorf(float x);
float cdl_ceilf(float x);
float cdl_truncf(float x);
float cdl_roundf(float x);        /* half away from zero (C roundf) */
float cdl_nearbyintf(float x);    /* half to even (ONNX Round) */
float cdl_fmodf(float x, float y);
float cdl_fminf(float x, float y);
float cdl_fmaxf(float x, float y);

int cdl_isnanf(float x);
int cdl_isinff(float x);
float cdl_nanf(void);
float cdl_inff(void);

#endif /* CDL_ENGINE_MATHF_H */
