/*
 * imap_decode.h - undoing the encodings of mail text, so that SEARCH finds
 * "café" in "=?utf-8?q?caf=C3=A9?=" and in a quoted-printable body.
 *
 * RFC 9051 §6.4.4: SEARCH compares strings in the charset the client
 * names; for a server that takes UTF-8 that means the text as a reader
 * sees it, after:
 *
 *   RFC 2047      encoded words in header fields: =?charset?Q?...?= and
 *                 =?charset?B?...?=, adjacent ones joined (§6.2)
 *   RFC 2045 §6   a body's Content-Transfer-Encoding: quoted-printable
 *                 and base64 (7bit, 8bit, binary need nothing)
 *   charsets      UTF-8 and US-ASCII as they are; ISO-8859-1 (and its
 *                 superset windows-1252, for the letters they share)
 *                 converted to UTF-8.  Other charsets are searched as
 *                 they come, which still finds ASCII words in them.
 *
 * Decoding is lenient, as mail readers are: what cannot be decoded is
 * kept as it was, never an error.
 */
#ifndef MAILLAB_IMAP_DECODE_H
#define MAILLAB_IMAP_DECODE_H

#include "../../common/buf.h"

#include <stddef.h>

/** A header field's value with its encoded words decoded, into @p out. */
void imap_decode_words(const char *in, size_t len, struct buf *out);
/**
 * A body decoded from @p cte ("quoted-printable", "base64", or anything
 * else for none) and converted from @p charset (may be NULL), into @p out.
 */
void imap_decode_body(const char *in, size_t len, const char *cte,
		      const char *charset, struct buf *out);

#endif
