/*
 * check.h - what 'strata doctor' asks of the node layer: its node.conf
 * (strata_peers_check), its keys and their files' modes, an interrupted
 * change, and the audit chain; and the checked open and reload.  Each problem goes to `cb` with where it
 * is and the fix (node.h).
 *
 * Trust: reads the node's own files; changes nothing.
 */
#ifndef STRATA_CHECK_H
#define STRATA_CHECK_H

#include "strata/node/node.h"

/* Returns the number of problems found, or an error. */
int strata_node_check(strata_node *n, strata_problem_cb cb, void *payload);

/*
 * Opens a node (strata_node_open) and checks its node.conf's peers
 * (strata_peers_check): the first problem is the error, naming the file
 * and line and the fix.  What every command but those that mend a
 * node.conf ('peer', 'doctor') opens a node with.
 */
int strata_node_open_checked(strata_node **out, const char *path);

/*
 * Reads node.conf again (a daemon's SIGHUP), checked as at open: on any
 * problem, or a changed node name or tier, the node keeps what it had
 * and the error names the line.
 */
int strata_node_reload(strata_node *n);

#endif
