/*
 * sasl.c - the server side of SASL PLAIN, LOGIN and CRAM-MD5.
 *
 * An exchange is a short dialogue of base64 lines (RFC 4422 §3):
 *
 *   PLAIN (RFC 4616 §2)       C: [initial] authzid NUL authcid NUL passwd
 *   LOGIN (draft-murchison)   S: "Username:"  C: user
 *                             S: "Password:"  C: password
 *   CRAM-MD5 (RFC 2195 §2)    S: <nonce>      C: user SP hex(HMAC-MD5)
 *
 * The protocol core puts each challenge behind its own prefix ("+ " in
 * POP3 and IMAP, "334 " in SMTP) and hands every client line to
 * sasl_step().  Two rules are common to all mechanisms:
 *
 *   - "*" cancels the exchange at any step (RFC 4422 §3.5; POP3 RFC 5034
 *     §4, SMTP RFC 4954 §4, IMAP RFC 9051 §6.2.2);
 *   - an initial response of "=" is an empty response, as opposed to no
 *     initial response at all (RFC 4422 §4, RFC 5034 §4).
 *
 * Each mechanism is one row in the table below: its name, how many client
 * messages complete it, and its start and step functions.  Nothing here
 * reads the users file until sasl_verify(); decoding and checking the shape
 * of the messages is all a step does.  Buffers holding passwords are wiped
 * with explicit_bzero() before they go out of scope.
 */
#include "sasl.h"

#include "../../common/base64.h"
#include "../../common/digest.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Largest decoded client message: PLAIN's authzid NUL authcid NUL passwd. */
#define SASL_DECODED_MAX (2 * USER_NAME_MAX + USER_PASSWORD_MAX + 2)

typedef enum sasl_status sasl_start_fn(struct sasl *s, const char *initial,
				       const char *nonce, char *out,
				       const char **error_r);
typedef enum sasl_status sasl_step_fn(struct sasl *s, const unsigned char *msg,
				      size_t len, char *out,
				      const char **error_r);

/* ---- shared helpers ---------------------------------------------------- */

/* challenge - base64 of @text into @out (SASL_CHALLENGE_MAX bytes). */
static enum sasl_status challenge(const char *text, char *out,
				  const char **error_r)
{
	size_t len = strlen(text);
	if (base64_encoded_size(len) > SASL_CHALLENGE_MAX) {
		*error_r = "challenge too long";
		return SASL_FAIL;
	}
	base64_encode(text, len, out);
	return SASL_CONTINUE;
}

/* decode - a client line into @msg (SASL_DECODED_MAX + 1 bytes).  The length
 * is checked before decoding, so an oversized line cannot overflow @msg. */
static int decode(const char *line, unsigned char *msg, size_t *len_r,
		  const char **error_r)
{
	size_t in_len = strlen(line);
	if (in_len / 4 * 3 > SASL_DECODED_MAX) {
		*error_r = "response too long";
		return -1;
	}
	long n = base64_decode(line, in_len, msg);
	if (n < 0) {
		*error_r = "invalid base64";
		return -1;
	}
	*len_r = (size_t)n;
	return 0;
}

/* copy_field - a NUL-free field of 1..@max bytes into @dst (max + 1). */
static int copy_field(char *dst, size_t max, const unsigned char *src,
		      size_t len, const char *what, const char **error_r)
{
	if (len == 0 || len > max || memchr(src, '\0', len) != NULL) {
		*error_r = what;
		return -1;
	}
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

/* ---- PLAIN (RFC 4616) --------------------------------------------------- */

/* plain_step - "authzid NUL authcid NUL passwd", RFC 4616 §2.  We log in as
 * the authentication identity only: an authzid naming someone else would be
 * proxy authorization, which we do not offer, so it fails (RFC 4616 §2:
 * the server "MUST" verify the client may act as the authzid). */
static enum sasl_status plain_step(struct sasl *s, const unsigned char *msg,
				   size_t len, char *out, const char **error_r)
{
	(void)out;
	const unsigned char *nul1 = memchr(msg, '\0', len);
	const unsigned char *nul2 = nul1 == NULL ? NULL :
		memchr(nul1 + 1, '\0', len - (size_t)(nul1 + 1 - msg));
	if (nul2 == NULL) {
		*error_r = "PLAIN message must be "
			   "authzid NUL authcid NUL password";
		return SASL_FAIL;
	}
	size_t zlen = (size_t)(nul1 - msg);
	const unsigned char *cid = nul1 + 1, *pw = nul2 + 1;
	size_t clen = (size_t)(nul2 - cid), plen = len - (size_t)(pw - msg);
	if (copy_field(s->user, USER_NAME_MAX, cid, clen,
		       "user name empty or too long", error_r) < 0 ||
	    copy_field(s->password, USER_PASSWORD_MAX, pw, plen,
		       "password empty, too long or containing NUL",
		       error_r) < 0)
		return SASL_FAIL;
	if (zlen != 0 && (zlen != clen || memcmp(msg, cid, clen) != 0)) {
		*error_r = "authorization identity must be empty or the user "
			   "itself (no proxy authorization)";
		return SASL_FAIL;
	}
	return SASL_DONE;
}

/* plain_start - PLAIN sends no challenge: without an initial response the
 * server answers an empty one ("+ " / "334 ") and waits (RFC 4616 §2). */
static enum sasl_status plain_start(struct sasl *s, const char *initial,
				    const char *nonce, char *out,
				    const char **error_r)
{
	(void)s;
	(void)initial;
	(void)nonce;
	(void)error_r;
	out[0] = '\0';
	return SASL_CONTINUE;
}

/* ---- LOGIN (draft-murchison-sasl-login-00) ------------------------------ */

static enum sasl_status login_start(struct sasl *s, const char *initial,
				    const char *nonce, char *out,
				    const char **error_r)
{
	(void)s;
	(void)initial;
	(void)nonce;
	return challenge("Username:", out, error_r);
}

/* login_step - the user name first, then the password; an initial
 * response, if the client sent one, was the user name. */
static enum sasl_status login_step(struct sasl *s, const unsigned char *msg,
				   size_t len, char *out, const char **error_r)
{
	if (s->step == 0) {
		if (copy_field(s->user, USER_NAME_MAX, msg, len,
			       "user name empty, too long or containing NUL",
			       error_r) < 0)
			return SASL_FAIL;
		return challenge("Password:", out, error_r);
	}
	if (copy_field(s->password, USER_PASSWORD_MAX, msg, len,
		       "password empty, too long or containing NUL",
		       error_r) < 0)
		return SASL_FAIL;
	return SASL_DONE;
}

/* ---- CRAM-MD5 (RFC 2195) ------------------------------------------------- */

/* cram_start - the challenge is the server's unique nonce, conventionally
 * "<pid.clock@hostname>" (RFC 2195 §2); it is kept for sasl_verify(). */
static enum sasl_status cram_start(struct sasl *s, const char *initial,
				   const char *nonce, char *out,
				   const char **error_r)
{
	(void)initial;
	if (nonce == NULL || nonce[0] == '\0' ||
	    strlen(nonce) >= sizeof(s->challenge)) {
		*error_r = "CRAM-MD5 needs a nonce";
		return SASL_FAIL;
	}
	strcpy(s->challenge, nonce);
	return challenge(nonce, out, error_r);
}

/* cram_step - "user SP digest", the digest 32 hex digits (RFC 2195 §2).
 * Upper-case hex is accepted and folded, so it compares with ours. */
static enum sasl_status cram_step(struct sasl *s, const unsigned char *msg,
				  size_t len, char *out, const char **error_r)
{
	(void)out;
	const char *fail = "CRAM-MD5 answer must be user SP 32 hex digits";
	if (len < 34 || msg[len - 33] != ' ') {
		*error_r = fail;
		return SASL_FAIL;
	}
	const unsigned char *hex = msg + len - 32;
	for (size_t i = 0; i < 32; i++) {
		if (!isxdigit(hex[i])) {
			*error_r = fail;
			return SASL_FAIL;
		}
		s->digest[i] = (char)tolower(hex[i]);
	}
	s->digest[32] = '\0';
	return copy_field(s->user, USER_NAME_MAX, msg, len - 33,
			  "user name empty, too long or containing NUL",
			  error_r) < 0 ? SASL_FAIL : SASL_DONE;
}

/* ---- the mechanism table ------------------------------------------------- */

static const struct {
	const char *name;
	int messages;          /* client messages that complete the exchange */
	bool initial_allowed;  /* may the client send an initial response? */
	sasl_start_fn *start;
	sasl_step_fn *step;
} mechs[SASL_MECH_COUNT] = {
	[SASL_PLAIN]    = { "PLAIN",    1, true,  plain_start, plain_step },
	[SASL_LOGIN]    = { "LOGIN",    2, true,  login_start, login_step },
	/* The server speaks first in CRAM-MD5, so there is nothing an initial
	 * response could answer (RFC 4422 §4). */
	[SASL_CRAM_MD5] = { "CRAM-MD5", 1, false, cram_start,  cram_step },
};

int sasl_mech_from_name(const char *name, enum sasl_mech *mech_r)
{
	for (int m = 0; m < SASL_MECH_COUNT; m++) {
		if (strcasecmp(name, mechs[m].name) == 0) {
			*mech_r = (enum sasl_mech)m;
			return 0;
		}
	}
	return -1;
}

const char *sasl_mech_name(enum sasl_mech mech)
{
	return (unsigned)mech < SASL_MECH_COUNT ? mechs[mech].name : "?";
}

/* end - a failed or cancelled exchange is over: forget what it collected
 * and mark it (step -1) so neither sasl_step() nor sasl_verify() accepts it,
 * even if a protocol core forgets to check the status. */
static enum sasl_status end(struct sasl *s, enum sasl_status st)
{
	explicit_bzero(s->user, sizeof(s->user));
	explicit_bzero(s->password, sizeof(s->password));
	explicit_bzero(s->digest, sizeof(s->digest));
	s->step = -1;
	return st;
}

/* receive - decode one client message and give it to the mechanism.
 * "*" is checked before base64, since it is not base64. */
static enum sasl_status receive(struct sasl *s, const char *line, bool initial,
				char *out, const char **error_r)
{
	out[0] = '\0';
	if (strcmp(line, "*") == 0) {
		*error_r = "cancelled by the client";
		return end(s, SASL_CANCEL);
	}
	if (s->step < 0 || s->step >= mechs[s->mech].messages) {
		*error_r = "exchange already ended";
		return end(s, SASL_FAIL);
	}
	unsigned char msg[SASL_DECODED_MAX + 1];
	size_t len = 0;
	enum sasl_status st = SASL_FAIL;
	/* "=" is the empty initial response (RFC 4422 §4); in a continuation
	 * an empty response is simply an empty line. */
	if ((initial && strcmp(line, "=") == 0) ||
	    decode(line, msg, &len, error_r) == 0)
		st = mechs[s->mech].step(s, msg, len, out, error_r);
	explicit_bzero(msg, sizeof(msg));
	if (st == SASL_FAIL)
		return end(s, st);
	s->step++;
	return st;
}

enum sasl_status sasl_start(struct sasl *s, enum sasl_mech mech,
			    const char *initial, const char *nonce,
			    char out[SASL_CHALLENGE_MAX], const char **error_r)
{
	memset(s, 0, sizeof(*s));
	out[0] = '\0';
	if ((unsigned)mech >= SASL_MECH_COUNT) {
		*error_r = "unknown mechanism";
		return SASL_FAIL;
	}
	s->mech = mech;
	if (initial == NULL)
		return mechs[mech].start(s, initial, nonce, out, error_r);
	if (!mechs[mech].initial_allowed && strcmp(initial, "*") != 0) {
		*error_r = "this mechanism takes no initial response";
		return SASL_FAIL;
	}
	return receive(s, initial, true, out, error_r);
}

enum sasl_status sasl_step(struct sasl *s, const char *line,
			   char out[SASL_CHALLENGE_MAX], const char **error_r)
{
	return receive(s, line, false, out, error_r);
}

/* cram_verify - HMAC-MD5(secret, challenge) in hex, compared in constant
 * time with the client's digest (RFC 2195 §2).  Needs the plaintext secret,
 * so a user stored as a hash cannot use CRAM-MD5. */
static enum users_result cram_verify(const struct sasl *s,
				     const char *users_file,
				     const char **error_r)
{
	char *secret;
	enum users_result r = users_plain_secret(users_file, s->user, &secret,
						 error_r);
	if (r != USERS_OK)
		return r;
	char expected[DIGEST_MD5_HEX_SIZE];
	digest_hmac_md5_hex(secret, strlen(secret), s->challenge,
			    strlen(s->challenge), expected);
	explicit_bzero(secret, strlen(secret));
	free(secret);
	if (!digest_equal(expected, s->digest)) {
		*error_r = "unknown user or wrong password";
		r = USERS_BAD;
	}
	explicit_bzero(expected, sizeof(expected));
	return r;
}

enum users_result sasl_verify(const struct sasl *s, const char *users_file,
			      const char **error_r)
{
	if ((unsigned)s->mech >= SASL_MECH_COUNT ||
	    s->step != mechs[s->mech].messages) {
		*error_r = "SASL exchange not complete";
		return USERS_BAD;
	}
	if (s->mech == SASL_CRAM_MD5)
		return cram_verify(s, users_file, error_r);
	return users_verify(users_file, s->user, s->password, error_r);
}

void sasl_clear(struct sasl *s)
{
	explicit_bzero(s, sizeof(*s));
}
