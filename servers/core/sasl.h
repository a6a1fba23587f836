/*
 * sasl.h - the server side of the SASL mechanisms maillab offers.
 *
 * SASL (RFC 4422) is the framework POP3 AUTH (RFC 5034), SMTP AUTH
 * (RFC 4954) and IMAP AUTHENTICATE (RFC 9051 §6.2.2) share: the server
 * sends base64 challenges, the client answers with base64 lines.  Only the
 * framing differs between protocols ("+ " in POP3 and IMAP, "334 " in SMTP),
 * so this module does the mechanisms and the protocol cores do the framing.
 *
 *   PLAIN    (RFC 4616)  one message: authzid NUL authcid NUL password
 *   LOGIN    (draft-murchison-sasl-login) "Username:" then "Password:"
 *   CRAM-MD5 (RFC 2195)  challenge <...>; answer "user HMAC-MD5(secret, ch)"
 *
 * A client answers "*" to cancel (RFC 4422 §3.5).  Nothing here touches a
 * socket; sasl_verify() checks the result against the users file.
 */
#ifndef MAILLAB_SASL_H
#define MAILLAB_SASL_H

#include "../../proto/limits.h"
#include "users.h"

#include <stddef.h>

/** The SASL mechanisms offered. */
enum sasl_mech {
	SASL_PLAIN,
	SASL_LOGIN,
	SASL_CRAM_MD5,
	SASL_MECH_COUNT,
};

/** Where an exchange stands after a client line. */
enum sasl_status {
	SASL_CONTINUE, /**< send the challenge in @c out and read a line */
	SASL_DONE,     /**< credentials complete: call sasl_verify() */
	SASL_FAIL,     /**< malformed exchange; @c error_r says why */
	SASL_CANCEL,   /**< the client sent "*" */
};

/** Largest base64 challenge we send, including the NUL. */
#define SASL_CHALLENGE_MAX 256

/** One SASL exchange in progress. */
struct sasl {
	enum sasl_mech mech;                    /**< the mechanism being run */
	int step;                               /**< messages received so far */
	char challenge[SASL_CHALLENGE_MAX];     /**< CRAM-MD5 challenge text */
	char user[USER_NAME_MAX + 1];           /**< authentication identity */
	char password[USER_PASSWORD_MAX + 1];   /**< PLAIN and LOGIN */
	char digest[33];                        /**< CRAM-MD5 hex answer */
};

/** Mechanism by (case-insensitive) name; -1 if we do not offer it. */
int sasl_mech_from_name(const char *name, enum sasl_mech *mech_r);
/** Canonical upper-case name: "PLAIN", "LOGIN", "CRAM-MD5". */
const char *sasl_mech_name(enum sasl_mech mech);

/**
 * Begin an exchange.  @p initial is the initial response (RFC 4422 §4,
 * "=" meaning empty) or NULL if the client sent none.  @p nonce is a unique
 * string for the CRAM-MD5 challenge, e.g. "<1234.1700000000@host>".
 * On SASL_CONTINUE, @p out holds the base64 challenge to send.
 */
enum sasl_status sasl_start(struct sasl *s, enum sasl_mech mech,
			    const char *initial, const char *nonce,
			    char out[SASL_CHALLENGE_MAX], const char **error_r);
/** Feed one client line (base64 or "*"). */
enum sasl_status sasl_step(struct sasl *s, const char *line,
			   char out[SASL_CHALLENGE_MAX], const char **error_r);
/** Check the completed exchange against the users file. */
enum users_result sasl_verify(const struct sasl *s, const char *users_file,
			      const char **error_r);
/** Wipe secrets from memory. */
void sasl_clear(struct sasl *s);

#endif
