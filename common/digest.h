/*
 * digest.h - the two hashes the challenge-response logins use.
 *
 * APOP (RFC 1939 §7): the client sends MD5(timestamp || secret) in hex,
 * where the timestamp is the <...> string from the server's greeting.
 * CRAM-MD5 (RFC 2195 §2): the client sends "user " followed by
 * HMAC-MD5(secret, challenge) in hex.  Both require the server to know the
 * plaintext secret, which is why users who want them are stored {PLAIN}.
 * MD5 is long broken as a hash; these mechanisms are taught, not recommended.
 */
#ifndef MAILLAB_DIGEST_H
#define MAILLAB_DIGEST_H

#include <stddef.h>

/** Size of a hex MD5 digest including the NUL. */
#define DIGEST_MD5_HEX_SIZE 33

/** MD5 of @p data as 32 lower-case hex digits. */
void digest_md5_hex(const void *data, size_t len,
		    char out[DIGEST_MD5_HEX_SIZE]);
/** HMAC-MD5 (RFC 2104) of @p data under @p key as 32 hex digits. */
void digest_hmac_md5_hex(const void *key, size_t key_len, const void *data,
			 size_t len, char out[DIGEST_MD5_HEX_SIZE]);
/** Compare two strings in time independent of where they differ; 1 if equal. */
int digest_equal(const char *a, const char *b);

#endif
