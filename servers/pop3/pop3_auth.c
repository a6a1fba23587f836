/*
 * pop3_auth.c - the AUTHORIZATION state: STLS, USER/PASS, APOP, AUTH.
 *
 * RFC 1939 §4 and §7, RFC 2595 §4 (STLS), RFC 5034 (AUTH), RFC 3206 §5
 * ([AUTH] and [SYS/...] codes), RFC 2449 §8.1.1 ([IN-USE]).
 *
 * Three ways in, one way through: every successful login ends in
 * login_ok(), which opens and locks the maildrop and enters TRANSACTION.
 * Every failed one ends in login_failed(), which marks the reply as slow
 * (the glue delays it, to make password guessing expensive) and closes the
 * session after POP3_AUTH_FAILURES_MAX attempts.
 *
 * Cleartext policy: USER/PASS and AUTH PLAIN/LOGIN put the password on the
 * wire as text (base64 is not encryption).  Where the server's policy says
 * no (by default: from anywhere but loopback, before TLS), they are refused
 * with a reply that says to use STLS or the POP3S port; APOP and CRAM-MD5
 * never send the password itself and are always allowed.
 */
#include "pop3_internal.h"

#include "../../common/digest.h"
#include "../core/users.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

bool pop3_stls_available(const struct pop3_session *s)
{
	return s->cfg->stls_offered && !s->tls_active;
}

bool pop3_cleartext_ok(const struct pop3_session *s)
{
	return s->tls_active || s->cfg->cleartext_allowed;
}

/* refuse_cleartext - the policy reply.  It is not a failed login (the
 * client only asked too early), so it is neither delayed nor counted. */
static enum pop3_action refuse_cleartext(struct pop3_session *s)
{
	trace_event(s->trace, "refused cleartext password on an unencrypted "
		    "connection");
	if (pop3_stls_available(s))
		pop3_err(s, "[AUTH] cleartext passwords are refused on an "
			 "unencrypted connection: use STLS first");
	else
		pop3_err(s, "[AUTH] cleartext passwords are refused on an "
			 "unencrypted connection: use the POP3S port");
	return POP3_CONTINUE;
}

static enum pop3_action login_failed(struct pop3_session *s, const char *how,
				     const char *why)
{
	s->user_given = false;
	s->slow = true;
	s->auth_failures++;
	trace_event(s->trace, "auth %s failed for \"%s\": %s", how, s->user,
		    why);
	if (s->auth_failures >= POP3_AUTH_FAILURES_MAX) {
		pop3_err(s, "[AUTH] too many failed logins, closing");
		return POP3_CLOSE;
	}
	pop3_err(s, "[AUTH] invalid user name or password");
	return POP3_CONTINUE;
}

/* lock_maildrop - RFC 1939 §4: the server acquires an exclusive lock on
 * the maildrop.  flock() on a file inside it: released by the kernel when
 * the session process ends, however it ends. */
static int lock_maildrop(struct pop3_session *s)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/maillab-pop3.lock", s->maildir);
	s->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lock_fd < 0)
		return -1;
	if (flock(s->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		close(s->lock_fd);
		s->lock_fd = -1;
		return -2;
	}
	return 0;
}

/* open_maildrop - create it if the user has none yet, lock it, snapshot
 * its messages (RFC 1939 §5: numbers are fixed for the session). */
static int open_maildrop(struct pop3_session *s, const char **error_r)
{
	s->maildir = users_maildir(s->cfg->data_dir, s->user);
	if (s->maildir == NULL || maildir_create(s->maildir, error_r) < 0)
		return -1;
	int r = lock_maildrop(s);
	if (r == -2) {
		*error_r = "in use";
		return -2;
	}
	if (r < 0) {
		*error_r = strerror(errno);
		return -1;
	}
	/* the Maildir spec: a reader removes tmp/ files 36 hours old, left
	 * by a delivery that died; not fatal if it cannot */
	const char *ignored;
	(void)maildir_clean_tmp(s->maildir, time(NULL), &ignored);
	if (maildir_scan(s->maildir, &s->list, error_r) < 0)
		return -1;
	s->deleted = calloc(s->list.count + 1, sizeof(bool));
	s->retrieved = calloc(s->list.count + 1, sizeof(bool));
	if (s->deleted == NULL || s->retrieved == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	return 0;
}

/* release_maildrop - undo a half-finished open_maildrop(). */
static void release_maildrop(struct pop3_session *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd);
	s->lock_fd = -1;
	maildir_list_free(&s->list);
	free(s->deleted);
	free(s->retrieved);
	free(s->maildir);
	s->deleted = s->retrieved = NULL;
	s->maildir = NULL;
}

static enum pop3_action login_ok(struct pop3_session *s, const char *how)
{
	const char *error = "";
	int r = open_maildrop(s, &error);
	if (r < 0) {
		release_maildrop(s);
		s->user_given = false;
		trace_event(s->trace, "error maildrop of \"%s\": %s", s->user,
			    error);
		if (r == -2)
			pop3_err(s, "[IN-USE] maildrop already locked by "
				 "another session");
		else
			pop3_err(s, "[SYS/TEMP] cannot open maildrop: %s", error);
		return POP3_CONTINUE;
	}
	size_t n;
	unsigned long long octets;
	trace_event(s->trace, "maildrop of \"%s\": %s", s->user,
		    maildir_how_text(&s->list.how));
	pop3_maildrop_totals(s, &n, &octets);
	pop3_enter_state(s, POP3_TRANSACTION, "%s ok for %s, %zu messages",
			 how, s->user, n);
	pop3_ok(s, "%s's maildrop has %zu messages (%llu octets)", s->user, n,
		octets);
	return POP3_CONTINUE;
}

enum pop3_action pop3_cmd_stls(struct pop3_session *s,
			       const struct pop3_args *a)
{
	(void)a;
	if (s->tls_active) {
		pop3_err(s, "TLS is already active");
		return POP3_CONTINUE;
	}
	if (!s->cfg->stls_offered) {
		pop3_err(s, "STLS is not available on this port");
		return POP3_CONTINUE;
	}
	pop3_ok(s, "begin TLS negotiation");
	return POP3_STARTTLS;
}

enum pop3_action pop3_cmd_user(struct pop3_session *s,
			       const struct pop3_args *a)
{
	if (!pop3_cleartext_ok(s))
		return refuse_cleartext(s);
	const char *name = a->argv[1];
	if (strlen(name) > USER_NAME_MAX) {
		pop3_err(s, "user name too long");
		return POP3_CONTINUE;
	}
	/* The same +OK for known and unknown names: a POP3 server should
	 * not tell a stranger which mailboxes exist (RFC 1939 §13). */
	snprintf(s->user, sizeof(s->user), "%s", name);
	s->user_given = true;
	pop3_ok(s, "send PASS");
	return POP3_CONTINUE;
}

enum pop3_action pop3_cmd_pass(struct pop3_session *s,
			       const struct pop3_args *a)
{
	if (!s->user_given) {
		pop3_err(s, "give USER first");
		return POP3_CONTINUE;
	}
	if (!pop3_cleartext_ok(s))
		return refuse_cleartext(s);
	s->user_given = false;
	const char *error = "wrong password";
	if (!users_name_valid(s->user))
		return login_failed(s, "PASS", "no such user");
	switch (users_verify(s->cfg->users_file, s->user, a->rest, &error)) {
	case USERS_OK:
		return login_ok(s, "PASS");
	case USERS_BAD:
		return login_failed(s, "PASS", error);
	case USERS_ERROR:
		break;
	}
	trace_event(s->trace, "error users file: %s", error);
	pop3_err(s, "[SYS/TEMP] cannot check passwords now");
	return POP3_CONTINUE;
}

enum pop3_action pop3_cmd_apop(struct pop3_session *s,
			       const struct pop3_args *a)
{
	snprintf(s->user, sizeof(s->user), "%s", a->argv[1]);
	char *secret = NULL;
	const char *error = "no plaintext-equivalent secret";
	if (!users_name_valid(s->user) ||
	    users_plain_secret(s->cfg->users_file, s->user, &secret, &error) !=
		    USERS_OK)
		return login_failed(s, "APOP", error);
	/* RFC 1939 §7: digest = MD5(timestamp || secret), in hex. */
	char joined[sizeof(s->timestamp) + USER_PASSWORD_MAX + 1];
	char want[DIGEST_MD5_HEX_SIZE];
	int n = snprintf(joined, sizeof(joined), "%s%s", s->timestamp, secret);
	digest_md5_hex(joined, (size_t)n, want);
	explicit_bzero(joined, sizeof(joined));
	explicit_bzero(secret, strlen(secret));
	free(secret);
	if (!digest_equal(want, a->argv[2]))
		return login_failed(s, "APOP", "digest does not match");
	return login_ok(s, "APOP");
}

/* list_mechanisms - RFC 5034 does not define AUTH without arguments; the
 * common practice (RFC 1734's servers, Dovecot) is to list the mechanisms
 * as a multi-line reply, which helps a learner at the prompt. */
static enum pop3_action list_mechanisms(struct pop3_session *s)
{
	pop3_ok(s, "SASL mechanisms follow");
	for (int m = 0; m < SASL_MECH_COUNT; m++) {
		if (m != SASL_CRAM_MD5 && !pop3_cleartext_ok(s))
			continue;
		const char *name = sasl_mech_name((enum sasl_mech)m);
		pop3_data_line(s, name, strlen(name));
	}
	pop3_data_end(s);
	return POP3_CONTINUE;
}

/* sasl_outcome - turn a SASL status into the next POP3 reply. */
static enum pop3_action sasl_outcome(struct pop3_session *s,
				     enum sasl_status st, const char *chal,
				     const char *error)
{
	const char *how = sasl_mech_name(s->sasl.mech);
	if (st == SASL_CONTINUE) {
		s->sasl_active = true;
		/* RFC 5034 §4: "+" SP base64-challenge */
		buf_printf(s->out, "+ %s\r\n", chal);
		return POP3_CONTINUE;
	}
	s->sasl_active = false;
	if (st == SASL_CANCEL) {
		sasl_clear(&s->sasl);
		pop3_err(s, "AUTH cancelled by the client");
		return POP3_CONTINUE;
	}
	if (st == SASL_FAIL) {
		sasl_clear(&s->sasl);
		return login_failed(s, how, error);
	}
	snprintf(s->user, sizeof(s->user), "%s", s->sasl.user);
	enum users_result r = sasl_verify(&s->sasl, s->cfg->users_file, &error);
	sasl_clear(&s->sasl);
	if (r == USERS_OK)
		return login_ok(s, how);
	if (r == USERS_BAD)
		return login_failed(s, how, error);
	trace_event(s->trace, "error users file: %s", error);
	pop3_err(s, "[SYS/TEMP] cannot check passwords now");
	return POP3_CONTINUE;
}

enum pop3_action pop3_cmd_auth(struct pop3_session *s,
			       const struct pop3_args *a)
{
	if (a->argc < 2)
		return list_mechanisms(s);
	char mech_name[32];
	const char *initial = NULL;
	snprintf(mech_name, sizeof(mech_name), "%.*s",
		 (int)strcspn(a->rest, " "), a->rest);
	const char *sp = strchr(a->rest, ' ');
	if (sp != NULL)
		initial = sp + strspn(sp, " ");
	enum sasl_mech mech;
	if (sasl_mech_from_name(mech_name, &mech) < 0) {
		pop3_err(s, "unknown SASL mechanism \"%s\" (try AUTH for a "
			 "list)", mech_name);
		return POP3_CONTINUE;
	}
	if (mech != SASL_CRAM_MD5 && !pop3_cleartext_ok(s))
		return refuse_cleartext(s);
	char chal[SASL_CHALLENGE_MAX];
	const char *error = "";
	enum sasl_status st = sasl_start(&s->sasl, mech, initial, s->timestamp,
					 chal, &error);
	return sasl_outcome(s, st, chal, error);
}

enum pop3_action pop3_sasl_line(struct pop3_session *s, const char *line)
{
	char chal[SASL_CHALLENGE_MAX];
	const char *error = "";
	enum sasl_status st = sasl_step(&s->sasl, line, chal, &error);
	return sasl_outcome(s, st, chal, error);
}
