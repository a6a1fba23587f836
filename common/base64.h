/*
 * base64.h - RFC 4648 §4 base64, as SASL uses it (RFC 4422, RFC 5034 §4,
 * RFC 4954 §4, RFC 9051 §6.2.2).
 *
 * Base64 is an encoding, not encryption: anyone who sees "AGFsaWNlAHNlY3JldA=="
 * on the wire can decode the password.  The shell shows exactly that.
 * Decoding is strict: characters outside the alphabet, bad padding or a
 * wrong length are errors, because a SASL exchange must reject them.
 */
#ifndef MAILLAB_BASE64_H
#define MAILLAB_BASE64_H

#include <stddef.h>

/** Bytes needed to encode @p len bytes, including the trailing NUL. */
size_t base64_encoded_size(size_t len);
/** Encode into @p out (base64_encoded_size(len) bytes); returns the length. */
size_t base64_encode(const void *data, size_t len, char *out);
/**
 * Decode @p in (length @p in_len) into @p out, which must hold at least
 * in_len / 4 * 3 + 1 bytes; the result is NUL-terminated for convenience.
 * Returns the decoded length, or -1 if the input is not valid base64.
 */
long base64_decode(const char *in, size_t in_len, unsigned char *out);

#endif
