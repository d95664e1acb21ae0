// SPDX-License-Identifier: Apache-2.0
#include <string.h>

#include "op.h"

bool cdl_attr_streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

const cdl_attr *cdl_attr_find(const cdl_node *node, const char *name)
{
	for (uint32_t i = 0; i < node->n_attrs; i++)
		if (cdl_attr_streq(node->attrs[i].name, name))
			return &node->attrs[i];
	return NULL;
}

int64_t cdl_attr_int(const cdl_node *node, const char *name, int64_t dflt)
{
	const cdl_attr *a = cdl_attr_find(node, name);

	if (!a)
		return dflt;
	if (a->type == CDL_ATTR_INT)
		return a->v.i;
	if (a->type == CDL_ATTR_FLOAT)
		return (int64_t)a->v.f;
	return dflt;
}

float cdl_attr_float(const cdl_node *node, const char *name, float dflt)
{
	const cdl_attr *a = cdl_attr_find(node, name);

	if (!a)
		return dflt;
	if (a->type == CDL_ATTR_FLOAT)
		return a->v.f;
	if (a->type == CDL_ATTR_INT)
		return (float)a->v.i;
	return dflt;
}

const char *cdl_attr_string(const cdl_node *node, const char *name, const char *dflt)
{
	const cdl_attr *a = cdl_attr_find(node, name);

	if (!a || a->type != CDL_ATTR_STRING || !a->v.s)
		return dflt;
	return a->v.s;
}

const int64_t *cdl_attr_ints(const cdl_node *node, const char *name, uint32_t *count)
{
	const cdl_attr *a = cdl_attr_find(node, name);

	*count = 0;
	if (!a || a->type != CDL_ATTR_INTS)
		return NULL;
	*count = a->count;
	return a->v.ints;
}

const float *cdl_attr_floats(const cdl_node *node, const char *name, uint32_t *count)
{
	const cdl_attr *a = cdl_attr_find(node, name);

	*count = 0;
	if (!a || a->type != CDL_ATTR_FLOATS)
		return NULL;
	*count = a->count;
	return a->v.floats;
}
