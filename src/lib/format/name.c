/*
 * name.c - see name.h.
 */
#include "strata/format/name.h"

#include <string.h>

static const char *const tiers[] = { "community", "street", "district", "province", "department", NULL };

int strata_name_node_valid(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > 63 || name[0] == '-')
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	return 1;
}

int strata_name_dataset_valid(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > 64 || name[0] == '-' || name[0] == '_')
		return 0;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return 0;
	return 1;
}

int strata_name_tier_valid(const char *tier)
{
	for (int i = 0; tiers[i]; i++)
		if (strcmp(tier, tiers[i]) == 0)
			return 1;
	return 0;
}


int strata_name_tier_rank(const char *tier)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(tier, tiers[i]) == 0)
			return i;
	return -1;
}
