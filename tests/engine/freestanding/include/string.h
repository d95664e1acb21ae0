/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The whole of <string.h> a trusted application can count on: what OP-TEE's
 * libutils provides to TAs. The freestanding check compiles the engine with
 * this as its only libc header, so any other libc function fails to compile.
 */
#ifndef CDL_FREESTANDING_STRING_H
#define CDL_FREESTANDING_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

#endif /* CDL_FREESTANDING_STRING_H */
