/*
 * officer_sign.h - an officer's signature through ssh-keygen, for those
 * beside the commands (the console's login): officer_sign.c.
 */
#ifndef STRATA_CLI_OFFICER_SIGN_H
#define STRATA_CLI_OFFICER_SIGN_H

#include "strata/node/officers.h"

/*
 * Readies the signer for `officer`: the key file (NULL: $STRATA_OFFICER_KEY,
 * else ssh-agent's key that is the pinned one) and its passphrase (from
 * `passphrase_file`, else $STRATA_PASSPHRASE, else asked once on the
 * terminal if the key needs one).  Then cli_officer_sign signs as them
 * (a strata_cosign_fn; its payload the officer's name).
 */
int cli_officer_use(strata_node *n, const char *officer, const char *keyfile, const char *passphrase_file);
int cli_officer_sign(strata_buf *armored, const void *data, size_t len, void *payload);

/*
 * The console's login: 0 if `keyfile` with `pass` signs as officer `name`
 * (current), their entry in *out; the passphrase is not kept.
 */
int cli_officer_probe(strata_officer *out, strata_node *n, const char *name, const char *keyfile, const char *pass);

/*
 * One line from the terminal without echo after `prompt`: 1 read, 0 no
 * terminal.  And ssh-keygen run with `input` on its stdin, no terminal,
 * stderr into `errfile` (NULL: dropped): its exit status, or -1.
 */
int cli_tty_secret(char *out, size_t outsz, const char *prompt);
int cli_ssh_keygen(char *const argv[], const char *input, const char *errfile);

#endif
