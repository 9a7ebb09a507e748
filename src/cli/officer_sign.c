/*
 * officer_sign.c - an officer signs what they do, with their own key,
 * through stock ssh-keygen (`-Y sign`): so a key with a passphrase, a key
 * held by ssh-agent and a hardware token behind the agent all work, and
 * the private key never passes through strata.
 *
 * The key: --officer-key FILE or $STRATA_OFFICER_KEY (a private key, or
 * the public key of one ssh-agent holds); else, with $SSH_AUTH_SOCK set,
 * the agent's key that is the one pinned for the officer.  A passphrase:
 * $STRATA_PASSPHRASE or --passphrase-file, else asked once on the
 * terminal, kept in memory for the command and wiped.
 */
#include "officer_sign.h"
#include "strata/base/i18n.h"
#include "strata/base/buf.h"
#include "strata/base/enc.h"
#include "strata/base/fs.h"
#include "strata/node/officers.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

extern char **environ;

typedef struct {
	char key[4096];		/* the file ssh-keygen is given */
	char pub[4096];		/* a public key file we wrote (the agent's case), removed at the end */
	char pass[1024];
	int have_pass;
} signer;

static signer the_signer;

static void signer_wipe(void)
{
	if (the_signer.pub[0])
		unlink(the_signer.pub);
	OPENSSL_cleanse(&the_signer, sizeof(the_signer));
}

/* 1 if the OpenSSH private key in `path` is encrypted, 0 if not, -1 if it is not one (a public key) */
static int key_encrypted(const char *path)
{
	strata_buf text = STRATA_BUF_INIT, raw = STRATA_BUF_INIT;
	const char *b, *e;
	int rc = -1;

	if (strata_fs_read(&text, path, 1 << 20) < 0)
		return -2;
	if ((b = strstr(text.ptr, "-----BEGIN OPENSSH PRIVATE KEY-----")) != NULL &&
	    (e = strstr(text.ptr, "-----END OPENSSH PRIVATE KEY-----")) != NULL && e > b) {
		b += strlen("-----BEGIN OPENSSH PRIVATE KEY-----");
		strata_buf body = STRATA_BUF_INIT;
		for (; b < e; b++)
			if (*b != '\n' && *b != '\r')
				strata_buf_putc(&body, *b);
		/* "openssh-key-v1\0", then the cipher's name as an SSH string */
		if (body.ptr && strata_enc_unbase64(&raw, body.ptr, body.len) == 0 && raw.len > 19 &&
		    !memcmp(raw.ptr, "openssh-key-v1", 15))
			rc = !(raw.len >= 23 && !memcmp(raw.ptr + 15, "\0\0\0\4none", 8));
		strata_buf_dispose(&body);
	}
	OPENSSL_cleanse(text.ptr, text.len);
	strata_buf_dispose(&text);
	strata_buf_dispose(&raw);
	strata_error_clear();
	return rc;
}

static int read_passphrase_file(char *out, size_t outsz, const char *path)
{
	strata_buf text = STRATA_BUF_INIT;
	size_t len;

	if (strata_fs_read(&text, path, 4096) < 0)
		return strata_error_set("--passphrase-file '%s': %s", path, strata_error_last());
	len = strcspn(text.ptr ? text.ptr : "", "\r\n");
	if (len >= outsz)
		len = outsz - 1;
	memcpy(out, text.ptr ? text.ptr : "", len);
	out[len] = '\0';
	OPENSSL_cleanse(text.ptr, text.len);
	strata_buf_dispose(&text);
	return 0;
}

/*
 * One line from the terminal, without echo, after `prompt`: 1 if read, 0
 * if there is no terminal (the caller says where else it may come from).
 */
int cli_tty_secret(char *out, size_t outsz, const char *prompt)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return 0;
	if (write(fd, prompt, strlen(prompt)) < 0 || tcgetattr(fd, &old) < 0) {
		close(fd);
		return strata_error_sys("cannot ask for the passphrase");
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fd, TCSAFLUSH, &quiet);
	got = read(fd, out, outsz - 1);
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) {
		/* the prompt's line end only */
	}
	close(fd);
	if (got < 0)
		return strata_error_sys("cannot read the passphrase");
	out[got] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	return 1;
}

/* asks once on the terminal */
static int ask_passphrase(char *out, size_t outsz, const char *officer)
{
	char prompt[160];
	int rc;

	snprintf(prompt, sizeof(prompt), _("Passphrase for officer %s's key: "), officer);
	if ((rc = cli_tty_secret(out, outsz, prompt)) < 0)
		return rc;
	if (rc == 0)
		return strata_error_set("officer '%s': the key needs its passphrase: set $STRATA_PASSPHRASE or give "
					"--passphrase-file FILE",
					officer);
	return 0;
}

/*
 * Runs ssh-keygen with `argv`, `input` on its stdin (then closed), its
 * stderr into `errfile` (NULL: dropped), in a session of its own so it has
 * no terminal to prompt on.  Its exit status, or -1 if it could not run.
 */
int cli_ssh_keygen(char *const argv[], const char *input, const char *errfile)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int in[2] = { -1, -1 }, status = 0, rc;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return strata_error_sys("cannot run ssh-keygen");
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, errfile ? errfile : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
	rc = posix_spawnp(&pid, "ssh-keygen", &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(in[0]);
	if (rc == 0 && input) {
		size_t len = strlen(input);
		if (write(in[1], input, len) != (ssize_t)len) {
			/* ssh-keygen did not read it: its exit says why */
		}
	}
	close(in[1]);
	if (rc != 0) {
		errno = rc;
		return strata_error_sys("cannot run ssh-keygen (the openssh-client package)");
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 255;
}

/* runs ssh-keygen -Y sign on `path`, the passphrase on its stdin; its last error line into `err` */
static int run_ssh_keygen(const char *path, char *err, size_t errsz)
{
	char errfile[4300], input[1030], *argv[] = { "ssh-keygen", "-q", "-Y", "sign", "-n", STRATA_OFFICER_NS, "-f",
						    the_signer.key, (char *)path, NULL };
	strata_buf text = STRATA_BUF_INIT;
	int rc;

	snprintf(errfile, sizeof(errfile), "%s.err", path);
	snprintf(input, sizeof(input), "%s\n", the_signer.pass);
	rc = cli_ssh_keygen(argv, the_signer.have_pass ? input : NULL, errfile);
	OPENSSL_cleanse(input, sizeof(input));
	if (rc < 0)
		return rc;
	err[0] = '\0';
	if (strata_fs_read(&text, errfile, 1 << 16) == 0 && text.ptr) {
		/* its last line that says something */
		char *line = NULL, *save = NULL;
		for (char *t = strtok_r(text.ptr, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
			/* its prompt has no line end: what follows it is the message */
			while (!strncmp(t, "Enter passphrase", 16) && strstr(t, ": "))
				t = strstr(t, ": ") + 2;
			if (*t)
				line = t;
		}
		if (line)
			snprintf(err, errsz, "%s", line);
	}
	strata_error_clear();
	strata_buf_dispose(&text);
	unlink(errfile);
	return rc == 0 ? 0 : STRATA_ERROR;
}

static int sign_cb(strata_buf *armored, const void *data, size_t len, void *payload)
{
	const char *officer = payload;
	const char *tmp = getenv("TMPDIR");
	char dir[4096], file[4200], sig[4200], err[512];
	int error;

	snprintf(dir, sizeof(dir), "%s/strata-sign-XXXXXX", tmp && *tmp == '/' ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return strata_error_sys("cannot make a directory to sign in");
	snprintf(file, sizeof(file), "%s/data", dir);
	snprintf(sig, sizeof(sig), "%s/data.sig", dir);
	if ((error = strata_fs_write_atomic(file, data, len, 0600)) == 0) {
		if (run_ssh_keygen(file, err, sizeof(err)) < 0)
			error = strata_error_set("officer '%s' could not sign with %s: %s", officer, the_signer.key,
						 err[0] ? err : _("ssh-keygen failed"));
		else
			error = strata_fs_read(armored, sig, 1 << 16);
	}
	unlink(sig);
	unlink(file);
	rmdir(dir);
	return error;
}

/* the officer's key file, or the agent's public key written to a file */
static int find_key(strata_node *n, const char *officer, const char *keyfile)
{
	const char *key = keyfile ? keyfile : getenv("STRATA_OFFICER_KEY");
	strata_officer o;
	strata_buf line = STRATA_BUF_INIT;
	int error, enc;

	if (key && *key) {
		snprintf(the_signer.key, sizeof(the_signer.key), "%s", key);
		if ((enc = key_encrypted(key)) == -2)
			return strata_error_set("officer '%s': cannot read the key file '%s'", officer, key);
		if (enc == -1 && !getenv("SSH_AUTH_SOCK"))
			return strata_error_set("officer '%s': '%s' is not an OpenSSH private key, and no ssh-agent holds "
						"one ($SSH_AUTH_SOCK is not set)",
						officer, key);
		if (enc == 1 && !the_signer.have_pass) {
			if ((error = ask_passphrase(the_signer.pass, sizeof(the_signer.pass), officer)) < 0)
				return error;
			the_signer.have_pass = 1;
		}
		return 0;
	}
	if (!getenv("SSH_AUTH_SOCK"))
		return strata_error_set("officer '%s': no key to sign with: give --officer-key FILE (or "
					"$STRATA_OFFICER_KEY), or load the key into ssh-agent",
					officer);
	/* the agent signs with the key whose public half ssh-keygen is given: the pinned one */
	if ((error = strata_officer_get(&o, n, officer)) < 0 ||
	    (error = strata_sign_pubkey_format(&line, &o.key)) < 0 || (error = strata_buf_putc(&line, '\n')) < 0)
		goto done;
	{
		const char *tmp = getenv("TMPDIR");
		int fd;
		snprintf(the_signer.pub, sizeof(the_signer.pub), "%s/strata-officer-XXXXXX.pub",
			 tmp && *tmp == '/' ? tmp : "/tmp");
		if ((fd = mkstemps(the_signer.pub, 4)) < 0 || write(fd, line.ptr, line.len) != (ssize_t)line.len) {
			error = strata_error_sys("cannot write the officer's public key for ssh-agent");
			if (fd >= 0)
				close(fd);
			goto done;
		}
		close(fd);
		snprintf(the_signer.key, sizeof(the_signer.key), "%s", the_signer.pub);
	}
done:
	strata_buf_dispose(&line);
	return error;
}

int cli_officer_use(strata_node *n, const char *officer, const char *keyfile, const char *passphrase_file)
{
	const char *pass = getenv("STRATA_PASSPHRASE");
	int error;

	atexit(signer_wipe);
	if (passphrase_file) {
		if ((error = read_passphrase_file(the_signer.pass, sizeof(the_signer.pass), passphrase_file)) < 0)
			return error;
		the_signer.have_pass = 1;
	} else if (pass) {
		snprintf(the_signer.pass, sizeof(the_signer.pass), "%s", pass);
		the_signer.have_pass = 1;
	}
	return find_key(n, officer, keyfile);
}

int cli_officer_sign(strata_buf *armored, const void *data, size_t len, void *payload)
{
	return sign_cb(armored, data, len, payload);
}

int cli_officer_probe(strata_officer *out, strata_node *n, const char *name, const char *keyfile, const char *pass)
{
	int error;

	memset(&the_signer, 0, sizeof(the_signer));
	snprintf(the_signer.key, sizeof(the_signer.key), "%s", keyfile);
	snprintf(the_signer.pass, sizeof(the_signer.pass), "%s", pass);
	the_signer.have_pass = 1;
	if (access(keyfile, R_OK) < 0)
		error = strata_error_set("officer '%s' has no key at this node for the console (%s)", name, keyfile);
	else
		error = strata_officers_probe(out, n, name, sign_cb, (void *)name);
	OPENSSL_cleanse(&the_signer, sizeof(the_signer));
	return error;
}
