/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stand-in for OP-TEE's <limits.h> (lib/libutils/isoc/include/limits.h,
 * which defines the limits itself). Here GCC's own <limits.h> defines them,
 * then `#include_next <limits.h>` looks for a C library's: this empty file
 * ends that chain.
 */
