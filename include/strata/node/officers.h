/*
 * officers.h - the people who act on a node: named officers with roles,
 * each with a personal Ed25519 key pinned here as a peer's is.
 *
 *     [officer "zhang"]
 *         key = ssh-ed25519 AAAA...     the officer's own key (never the node's)
 *         role = officer|operator|auditor
 *         displayname = 张三
 *         added = TIME
 *         removed = TIME                once removed: kept, so their events still verify
 *
 * Roles: an officer commits policies, answers requests and corrections,
 * orders erasures, imports and describes data; an operator runs peers,
 * keys, services and exchanges, and names the officers; an auditor reads
 * and changes nothing.  A node with no officer works as before, its
 * changes the node's alone.  Once it has one, every change names who
 * makes it (the actor): strata_journal_lock, the one way a writer starts,
 * refuses a change with no actor, or by an auditor, or by someone whose
 * entry changed since they were named; the caller checks the role a
 * change needs (strata_officers_permit) before it starts.  The officers
 * always include a current operator, so someone can always name the rest.
 *
 * What the actor does is theirs and signed: every audit event made while
 * they act names them (Strata-Officer: NAME <SHA256:...>, Strata-Officer-
 * Role) and ends with Strata-Officer-Signature: their SSHSIG (namespace
 * "strata-officer", base64 on one line) over the event commit's bytes as
 * git_commit_create_buffer wrote them without that line.  Stock tools
 * check it: drop the gpgsig header and the last line, then
 * `ssh-keygen -Y verify -n strata-officer`.  The node's key still signs
 * the commit, the signature line included.  The commits that record an
 * officer's own decision (a dataset version imported, a policy committed)
 * name them too (strata_officer_trailer); their event signs their id.
 *
 * How the actor signs is the caller's (the tool runs ssh-keygen, so a
 * passphrase, ssh-agent or a hardware token all work): a strata_cosign_fn.
 *
 * Trust: node.conf's officer entries are the operator's; a signature is
 * checked against the pinned key before the actor is taken, and each
 * signature made is checked again.
 */
#ifndef STRATA_OFFICERS_H
#define STRATA_OFFICERS_H

#include <stdint.h>
#include "strata/base/buf.h"
#include "strata/format/sign.h"
#include "strata/node/node.h"

#define STRATA_OFFICER_NS "strata-officer"

enum {
	STRATA_ROLE_OFFICER = 1,
	STRATA_ROLE_OPERATOR = 2,
	STRATA_ROLE_AUDITOR = 4
};

typedef struct strata_officer {
	char name[64];
	int role;
	strata_pubkey key;
	char fpr[64];		/* SHA256:... */
	char display[256];	/* "" if none */
	int64_t added;
	int64_t removed;	/* 0: current */
} strata_officer;

/* "officer", "operator", "auditor" (and "?" for anything else). */
const char *strata_role_name(int role);
/* One role's name to its value; STRATA_ERROR (message set) if none. */
int strata_role_parse(int *out, const char *text);
/* 0 if `name` can name an officer: 1 to 63 of [a-z0-9._-], a letter or digit first. */
int strata_officer_name_check(const char *name);

/* Every officer node.conf names, removed ones too, sorted by name; the caller frees *out. */
int strata_officers_list(strata_officer **out, size_t *count, strata_node *n);
/* How many are current (not removed); <0 on error. */
int strata_officers_current(strata_node *n);
/*
 * One officer by name (removed ones too); STRATA_ENOTFOUND with the
 * nearest names ("did you mean") if node.conf has none by that name.
 */
int strata_officer_get(strata_officer *out, strata_node *n, const char *name);
/*
 * Writes a new officer (o->name, role, key, display) to node.conf, added
 * now; refuses a name or a key already there, a key that is this node's
 * or a peer's, and a first officer who is not an operator.  Under the
 * write lock, node.conf journalled by the caller, who records the event.
 */
int strata_officer_add(strata_node *n, const strata_officer *o);
/*
 * Changes one's role (0: leave it) and display name (NULL: leave it, "":
 * remove it); refuses to take the role of the last current operator.  As
 * above.  A session or daemon that named them ends (strata_officers_gate).
 */
int strata_officer_set(strata_node *n, const char *name, int role, const char *display);
/* Marks one removed now; refuses the last current operator.  As above. */
int strata_officer_remove(strata_node *n, const char *name);

/*
 * Signs `data` as the actor: appends the armored SSHSIG (namespace
 * STRATA_OFFICER_NS) to `armored`; <0 with the message set if it cannot.
 */
typedef int (*strata_cosign_fn)(strata_buf *armored, const void *data, size_t len, void *payload);
/*
 * Names who acts from now on: the current officer `name`, who signs with
 * `sign`.  A probe is signed and checked against their pinned key first,
 * so a wrong key or passphrase is refused here, before anything changes.
 */
int strata_officers_act(strata_node *n, const char *name, strata_cosign_fn sign, void *payload);
/* The same check without naming them (a console's login): *out (may be NULL) gets their entry. */
int strata_officers_probe(strata_officer *out, strata_node *n, const char *name, strata_cosign_fn sign, void *payload);
/* The actor, or NULL. */
const strata_officer *strata_officers_actor(const strata_node *n);
/*
 * 0 if the change `what` may be made now: the node has no officer, or the
 * actor's role is one of `roles`; else STRATA_EDENIED saying who may.
 */
int strata_officers_permit(strata_node *n, int roles, const char *what);
/* The check strata_journal_lock makes (see above). */
int strata_officers_gate(strata_node *n);
/* Appends "Strata-Officer: NAME <FPR>\n" if someone acts (after the note, if any). */
int strata_officer_trailer(strata_buf *msg, strata_node *n);
/*
 * Trailers ("Key: value\n" lines) every event and officer-named commit
 * carries until cleared (NULL): whose proposal an approval completes.
 */
int strata_officers_note(strata_node *n, const char *trailers);
/*
 * Signs a commit's bytes as the actor: appends "Strata-Officer-Signature:
 * BASE64\n" to `line`; 0 and nothing appended if no one acts.
 */
int strata_officer_cosign(strata_buf *line, strata_node *n, const void *raw, size_t len);
/*
 * Checks commit `id`'s officer signature: 0 and `name` set if it has a
 * valid one by the officer it names, whose key was theirs when it was
 * made; 1 if it names no officer; STRATA_EVERIFY (message set) if it names
 * one and the signature is missing, bad, or not theirs.
 */
int strata_officer_check_commit(strata_node *n, const git_oid *id, char *name, size_t namesz);

#endif
