/*
 * smtp_auth.c - STARTTLS (RFC 3207) and AUTH (RFC 4954): the gate of the
 * submission role.
 *
 * STARTTLS: "220 2.0.0 Ready to start TLS", then the glue runs the
 * handshake after throwing away anything the client pipelined behind the
 * command (RFC 3207 §4.2, CVE-2011-0411), and the session starts again in
 * INIT: the client must EHLO again and anything it said before (its EHLO
 * name, a login) is forgotten (smtp_enter_state()).
 *
 * AUTH runs a SASL exchange from servers/core/sasl.c; SMTP's framing is
 * "334 base64-challenge" from the server and one base64 line back
 * (RFC 4954 §4).  Policy:
 *
 *   - AUTH exists only on submission ports.  An MX (port 25) accepts mail
 *     for its own domains from anyone and relays for no one, so a login
 *     there would mean nothing; it is neither listed nor accepted.
 *   - PLAIN and LOGIN put the password on the wire.  Where the cleartext
 *     policy says no (--cleartext, as in pop3d), they are not listed
 *     before TLS and are refused with "538 5.7.11 Encryption required"
 *     (RFC 4954 §6); MAIL then gets "530 5.7.0 Authentication required".
 *   - CRAM-MD5 is accepted (it never sends the password), but not listed
 *     in EHLO unless --advertise-cram-md5 is given: clients pick the
 *     strongest mechanism listed (curl does), and CRAM-MD5 cannot work for
 *     users stored as a hash, so listing it would lock those users out.
 *     pop3d makes the same choice.  (swaks only uses what is listed, so the
 *     CRAM-MD5 lab runs smtpd with the flag.)
 *   - A failed login is answered slowly and counted; after
 *     SMTP_AUTH_FAILURES_MAX the session ends with 421 4.7.0.
 */
#include "smtp_internal.h"

#include "../core/users.h"

#include <stdio.h>
#include <string.h>

/* cleartext_ok - may a password cross this connection now? */
static bool cleartext_ok(const struct smtp_session *s)
{
	return s->tls_active || s->cfg->cleartext_allowed;
}

const char *smtp_auth_mechanisms(const struct smtp_session *s)
{
	if (s->cfg->role != SMTP_ROLE_SUBMISSION || s->authenticated)
		return "";
	if (cleartext_ok(s))
		return s->cfg->advertise_cram ? "PLAIN LOGIN CRAM-MD5"
					      : "PLAIN LOGIN";
	return s->cfg->advertise_cram ? "CRAM-MD5" : "";
}

enum smtp_action smtp_cmd_starttls(struct smtp_session *s, const char *arg)
{
	if (arg[0] != '\0') {
		/* RFC 3207 §4: "501 Syntax error (no parameters allowed)" */
		smtp_reply(s, 501, "5.5.4", "Syntax: STARTTLS (no parameters)");
		return SMTP_CONTINUE;
	}
	if (s->tls_active) {
		smtp_reply(s, 503, "5.5.1", "TLS is already active");
		return SMTP_CONTINUE;
	}
	if (!s->cfg->starttls_offered) {
		smtp_reply(s, 502, "5.5.1", "STARTTLS is not offered on this "
			   "port");
		return SMTP_CONTINUE;
	}
	smtp_reply(s, 220, "2.0.0", "Ready to start TLS");
	return SMTP_STARTTLS;
}

void smtp_sasl_abort(struct smtp_session *s)
{
	s->sasl_active = false;
	sasl_clear(&s->sasl);
}

/* login_failed - RFC 4954 §6: "535 5.7.8 Authentication credentials
 * invalid"; slow, counted, and fatal after too many. */
static enum smtp_action login_failed(struct smtp_session *s, const char *how,
				     const char *why)
{
	s->slow = true;
	s->auth_failures++;
	trace_event(s->trace, "auth %s failed for \"%s\": %s", how,
		    s->sasl.user, why);
	if (s->auth_failures >= SMTP_AUTH_FAILURES_MAX) {
		smtp_reply(s, 421, "4.7.0", "%s too many failed logins, closing",
			   s->cfg->hostname);
		smtp_enter_state(s, SMTP_CLOSED, "too many failed logins");
		return SMTP_CLOSE;
	}
	smtp_reply(s, 535, "5.7.8", "Authentication credentials invalid");
	return SMTP_CONTINUE;
}

/* verify - the exchange is complete: check it against the users file. */
static enum smtp_action verify(struct smtp_session *s)
{
	const char *how = sasl_mech_name(s->sasl.mech);
	const char *error = "wrong password";
	enum users_result r = users_name_valid(s->sasl.user)
		? sasl_verify(&s->sasl, s->cfg->users_file, &error)
		: USERS_BAD;
	if (r == USERS_BAD) {
		enum smtp_action act = login_failed(s, how, error);
		sasl_clear(&s->sasl);
		return act;
	}
	if (r == USERS_ERROR) {
		sasl_clear(&s->sasl);
		trace_event(s->trace, "error users file: %s", error);
		/* RFC 4954 §6: "454 4.7.0 Temporary authentication failure" */
		smtp_reply(s, 454, "4.7.0", "Temporary authentication failure");
		return SMTP_CONTINUE;
	}
	snprintf(s->user, sizeof(s->user), "%s", s->sasl.user);
	sasl_clear(&s->sasl);
	s->authenticated = true;
	trace_event(s->trace, "auth %s ok for %s", how, s->user);
	smtp_reply(s, 235, "2.7.0", "Authentication successful");
	return SMTP_CONTINUE;
}

/* outcome - turn a SASL status into the next SMTP reply. */
static enum smtp_action outcome(struct smtp_session *s, enum sasl_status st,
				const char *chal, const char *error)
{
	if (st == SASL_CONTINUE) {
		s->sasl_active = true;
		/* RFC 4954 §4: "334" SP base64 challenge (may be empty) */
		buf_printf(s->out, "334 %s\r\n", chal);
		s->reply_code = 334;
		return SMTP_CONTINUE;
	}
	s->sasl_active = false;
	if (st == SASL_CANCEL) {
		sasl_clear(&s->sasl);
		/* RFC 4954 §4: a "*" line cancels; the server answers 501 */
		smtp_reply(s, 501, "5.0.0", "AUTH cancelled by the client");
		return SMTP_CONTINUE;
	}
	if (st == SASL_FAIL)
		return login_failed(s, sasl_mech_name(s->sasl.mech), error);
	return verify(s);
}

/* auth_refused - the checks before an exchange starts; true if replied. */
static bool auth_refused(struct smtp_session *s, enum sasl_mech mech)
{
	if (s->cfg->role != SMTP_ROLE_SUBMISSION) {
		smtp_reply(s, 502, "5.5.1", "AUTH is not offered on an MX port: "
			   "use the submission port");
		return true;
	}
	if (!s->esmtp) {
		smtp_reply(s, 503, "5.5.1", "AUTH needs EHLO first");
		return true;
	}
	if (s->authenticated) {
		/* RFC 4954 §4: no second AUTH after a successful one */
		smtp_reply(s, 503, "5.5.1", "Already authenticated");
		return true;
	}
	if (mech != SASL_CRAM_MD5 && !cleartext_ok(s)) {
		trace_event(s->trace, "refused cleartext password on an "
			    "unencrypted connection");
		smtp_reply(s, 538, "5.7.11", "Encryption required for requested "
			   "authentication mechanism: %s", s->cfg->starttls_offered
			   ? "STARTTLS first" : "use the submissions port");
		return true;
	}
	return false;
}

enum smtp_action smtp_cmd_auth(struct smtp_session *s, const char *arg)
{
	char name[32];
	size_t n = strcspn(arg, " ");
	if (n == 0 || n >= sizeof(name)) {
		smtp_reply(s, 501, "5.5.4", "Syntax: AUTH mechanism "
			   "[initial-response]");
		return SMTP_CONTINUE;
	}
	snprintf(name, sizeof(name), "%.*s", (int)n, arg);
	const char *initial = arg[n] == ' ' ? arg + n + 1 : NULL;
	enum sasl_mech mech;
	if (sasl_mech_from_name(name, &mech) < 0) {
		/* RFC 4954 §4: 504 for a mechanism we do not support */
		smtp_reply(s, 504, "5.5.4", "Unrecognized authentication type");
		return SMTP_CONTINUE;
	}
	if (auth_refused(s, mech))
		return SMTP_CONTINUE;
	char chal[SASL_CHALLENGE_MAX];
	const char *error = "";
	enum sasl_status st = sasl_start(&s->sasl, mech, initial, s->nonce,
					 chal, &error);
	return outcome(s, st, chal, error);
}

enum smtp_action smtp_sasl_line(struct smtp_session *s, const char *line)
{
	char chal[SASL_CHALLENGE_MAX];
	const char *error = "";
	enum sasl_status st = sasl_step(&s->sasl, line, chal, &error);
	return outcome(s, st, chal, error);
}
