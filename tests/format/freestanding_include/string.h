/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The string functions a trusted application may rely on (OP-TEE libutils
 * offers these): used by format.freestanding to compile the package reader
 * against nothing else.
 */
#ifndef CDL_FREESTANDING_STRING_H
#define CDL_FREESTANDING_STRING_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif /* CDL_FREESTANDING_STRING_H */
