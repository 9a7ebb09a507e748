/*
 * name.h - the names strata accepts for nodes, peers, tiers and datasets.
 *
 * A name goes into ref names, file names and signed text, so the rules are
 * narrow: lower-case letters, digits and '-' (and '_' in dataset names).
 */
#ifndef STRATA_NAME_H
#define STRATA_NAME_H

/* 1 if `name` is a valid node or peer name: [a-z0-9][a-z0-9-]{0,62}. */
int strata_name_node_valid(const char *name);
/* 1 if `tier` is one of community, street, district, province, department. */
int strata_name_tier_valid(const char *tier);
/*
 * A tier's place in the chain of government: community 0, street 1,
 * district 2, province 3; -1 for a department (beside the chain) or an
 * unknown tier.
 */
int strata_name_tier_rank(const char *tier);
/* 1 if `name` is a valid dataset name: [a-z0-9][a-z0-9_-]{0,63}. */
int strata_name_dataset_valid(const char *name);

#endif
