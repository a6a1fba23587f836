/*
 * imap_cmds_auth.c - the NOT AUTHENTICATED state: STARTTLS, LOGIN,
 * AUTHENTICATE (RFC 9051 §6.2; SASL-IR, RFC 4959).
 *
 * Two ways in, one way through: a successful LOGIN or AUTHENTICATE ends
 * in imap_login_ok() (imap_core.c), a failed one in login_failed(), which
 * marks the reply slow (the glue delays it, so guessing passwords is
 * slow) and ends the session after IMAP_AUTH_FAILURES_MAX attempts.
 *
 * Cleartext policy: LOGIN and AUTHENTICATE PLAIN/LOGIN put the password
 * on the wire (base64 is not encryption).  Where the server's policy says
 * no (by default: from anywhere but loopback, before TLS), the greeting
 * shows LOGINDISABLED and these are refused with NO [PRIVACYREQUIRED]
 * (RFC 9051 §6.2.3, RFC 5530 §3).  CRAM-MD5 never sends the password and
 * is always allowed.
 */
#include "imap_internal.h"

#include "../core/users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static bool cleartext_ok(const struct imap_session *s)
{
	return s->tls_active || s->cfg->cleartext_allowed;
}

static enum imap_action refuse_cleartext(struct imap_session *s)
{
	trace_event(s->trace, "refused cleartext password on an unencrypted "
		    "connection");
	if (s->cfg->starttls_offered)
		return imap_no(s, "[PRIVACYREQUIRED] passwords are refused on "
			       "an unencrypted connection: use STARTTLS first");
	return imap_no(s, "[PRIVACYREQUIRED] passwords are refused on an "
		       "unencrypted connection: use the IMAPS port");
}

static enum imap_action login_failed(struct imap_session *s, const char *how,
				     const char *why)
{
	s->slow = true;
	s->auth_failures++;
	trace_event(s->trace, "auth %s failed for \"%s\": %s", how, s->user,
		    why);
	s->user[0] = '\0';
	if (s->auth_failures >= IMAP_AUTH_FAILURES_MAX) {
		imap_untagged(s, "BYE too many failed logins");
		imap_enter_state(s, IMAP_LOGOUT, "%u failed logins",
				 s->auth_failures);
		imap_no(s, "[AUTHENTICATIONFAILED] invalid user name or "
			"password");
		return IMAP_CLOSE;
	}
	/* RFC 5530 §3: the same answer for an unknown user and a wrong
	 * password, so a stranger cannot learn which names exist */
	return imap_no(s, "[AUTHENTICATIONFAILED] invalid user name or "
		       "password");
}

/* verify_result - the end of LOGIN and of AUTHENTICATE. */
static enum imap_action verify_result(struct imap_session *s, const char *how,
				      enum users_result r, const char *error)
{
	if (r == USERS_OK)
		return imap_login_ok(s, how);
	if (r == USERS_BAD)
		return login_failed(s, how, error);
	trace_event(s->trace, "error users file: %s", error);
	s->user[0] = '\0';
	return imap_no(s, "[UNAVAILABLE] cannot check passwords now");
}

enum imap_action imap_cmd_starttls(struct imap_session *s,
				   const struct imap_cmd *c)
{
	if (c->argc != 0)
		return imap_bad(s, "STARTTLS takes no arguments");
	if (s->tls_active)
		return imap_bad(s, "TLS is already active");
	if (!s->cfg->starttls_offered)
		return imap_bad(s, "STARTTLS is not available on this port");
	imap_ok(s, "Begin TLS negotiation now");
	return IMAP_STARTTLS;
}

enum imap_action imap_cmd_login(struct imap_session *s,
				const struct imap_cmd *c)
{
	if (c->argc != 2 || c->args[0].type == IMAP_ARG_LIST ||
	    c->args[1].type == IMAP_ARG_LIST)
		return imap_bad(s, "usage: LOGIN user password");
	/* RFC 9051 §6.2.3: with LOGINDISABLED, LOGIN answers NO */
	if (!cleartext_ok(s))
		return refuse_cleartext(s);
	const char *user = c->args[0].str, *password = c->args[1].str;
	snprintf(s->user, sizeof(s->user), "%s", user);
	if (strlen(user) > USER_NAME_MAX || !users_name_valid(user))
		return login_failed(s, "LOGIN", "no such user");
	if (strlen(password) > USER_PASSWORD_MAX)
		return login_failed(s, "LOGIN", "password too long");
	const char *error = "wrong password";
	enum users_result r = users_verify(s->cfg->users_file, s->user,
					   password, &error);
	return verify_result(s, "LOGIN", r, error);
}

/* sasl_outcome - a SASL status becomes the next IMAP reply. */
static enum imap_action sasl_outcome(struct imap_session *s,
				     enum sasl_status st, const char *chal,
				     const char *error)
{
	const char *how = sasl_mech_name(s->sasl.mech);
	if (st == SASL_CONTINUE) {
		/* RFC 9051 §7.6: "+" SP base64 challenge */
		s->sasl_active = true;
		buf_printf(s->out, "+ %s\r\n", chal);
		return IMAP_CONTINUE;
	}
	s->sasl_active = false;
	if (st == SASL_CANCEL) {
		/* RFC 9051 §6.2.2: a "*" line cancels; the answer is BAD */
		sasl_clear(&s->sasl);
		return imap_bad(s, "AUTHENTICATE cancelled by the client");
	}
	if (st == SASL_FAIL) {
		sasl_clear(&s->sasl);
		return login_failed(s, how, error);
	}
	snprintf(s->user, sizeof(s->user), "%s", s->sasl.user);
	enum users_result r = sasl_verify(&s->sasl, s->cfg->users_file, &error);
	sasl_clear(&s->sasl);
	return verify_result(s, how, r, error);
}

/* begin_sasl - start the exchange; its later lines come without a tag
 * of their own, so the AUTHENTICATE tag is kept for the final answer. */
static enum imap_action begin_sasl(struct imap_session *s,
				   const struct imap_cmd *c, enum sasl_mech mech,
				   const char *initial)
{
	char chal[SASL_CHALLENGE_MAX], nonce[128];
	const char *error = "";
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	/* RFC 2195 §2: a unique challenge for CRAM-MD5 */
	snprintf(nonce, sizeof(nonce), "<%ld.%ld.%ld@%.64s>", (long)getpid(),
		 (long)now.tv_sec, now.tv_nsec, s->cfg->hostname);
	free(s->sasl_tag);
	s->sasl_tag = strdup(c->tag);
	if (s->sasl_tag == NULL)
		return imap_no(s, "[SERVERBUG] out of memory");
	enum sasl_status st = sasl_start(&s->sasl, mech, initial, nonce, chal,
					 &error);
	return sasl_outcome(s, st, chal, error);
}

enum imap_action imap_cmd_authenticate(struct imap_session *s,
				       const struct imap_cmd *c)
{
	if (c->argc < 1 || c->argc > 2 || c->args[0].type != IMAP_ARG_ATOM ||
	    (c->argc == 2 && c->args[1].type == IMAP_ARG_LIST))
		return imap_bad(s, "usage: AUTHENTICATE mechanism "
				"[initial-response]");
	enum sasl_mech mech;
	if (sasl_mech_from_name(c->args[0].str, &mech) < 0)
		return imap_no(s, "unsupported authentication mechanism "
			       "(PLAIN and LOGIN are offered)");
	if (mech != SASL_CRAM_MD5 && !cleartext_ok(s))
		return refuse_cleartext(s);
	/* RFC 4959 §3 (SASL-IR): the initial response may come along, "="
	 * standing for an empty one */
	return begin_sasl(s, c, mech, c->argc == 2 ? c->args[1].str : NULL);
}

enum imap_action imap_sasl_line(struct imap_session *s, const char *line)
{
	char chal[SASL_CHALLENGE_MAX];
	const char *error = "";
	s->tag = s->sasl_tag;
	enum sasl_status st = sasl_step(&s->sasl, line, chal, &error);
	enum imap_action act = sasl_outcome(s, st, chal, error);
	s->tag = NULL;
	return act;
}
