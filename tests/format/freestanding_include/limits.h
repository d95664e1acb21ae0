/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Intentionally empty. GCC's own <limits.h> defines every limit but ends with
 * `#include_next <limits.h>` to reach a C library's; with -nostdinc there is
 * none, so this file ends the chain. (Clang's limits.h needs no help.)
 */
