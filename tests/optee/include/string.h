/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Stand-in for OP-TEE's <string.h> (lib/libutils/isoc/include/string.h), the
 * one a TA built with the TA dev kit sees: the functions below are those
 * libutils implements (lib/libutils/isoc/newlib/sub.mk) with OP-TEE's
 * prototypes. The optee.link check compiles the TA against this and the
 * compiler's own headers only; tests/optee/allowed_symbols.txt decides
 * which of them the TA may actually call.
 */
#ifndef CDL_OPTEE_SHIM_STRING_H
#define CDL_OPTEE_SHIM_STRING_H

#include <stddef.h>

void *memcpy(void *__restrict s1, const void *__restrict s2, size_t n);
void *memmove(void *s1, const void *s2, size_t n);
int memcmp(const void *s1, const void *s2, size_t n);
void *memset(void *s, int c, size_t n);
void *memchr(const void *buf, int c, size_t length);

int strcmp(const char *s1, const char *s2);
int strncmp(const char *s1, const char *s2, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t n);
char *strchr(const char *s, int c);
char *strstr(const char *big, const char *little);

#endif /* CDL_OPTEE_SHIM_STRING_H */
