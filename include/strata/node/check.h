/*
 * check.h - what 'strata doctor' asks of the node layer: its node.conf
 * (strata_peers_check), its keys and their files' modes, an interrupted
 * change, and the audit chain.  Each problem goes to `cb` with where it
 * is and the fix (node.h).
 *
 * Trust: reads the node's own files; changes nothing.
 */
#ifndef STRATA_CHECK_H
#define STRATA_CHECK_H

#include "strata/node/node.h"

/* Returns the number of problems found, or an error. */
int strata_node_check(strata_node *n, strata_problem_cb cb, void *payload);

#endif
