/*
 * imap_mutf7.h - modified UTF-7, the encoding of mailbox names on the wire
 * (RFC 3501 §5.1.3; RFC 9051 §5.1.3 keeps it for clients that have not
 * enabled UTF-8).
 *
 * Printable US-ASCII stands for itself, except '&', which is written "&-".
 * Anything else is UTF-16, base64-encoded with ',' in place of '/', between
 * '&' and '-': "Entw&APw-rfe" is "Entwürfe".  There is exactly one way to
 * write each name, and a decoder must refuse the others (printable ASCII
 * inside "&...-", a '&' that is never closed, leftover bits that are not
 * zero, lone surrogates): otherwise two spellings would name one mailbox.
 *
 * imapd keeps names in this form on disk as well, like Dovecot, so a name
 * is only decoded to check it, and for people reading the trace.
 */
#ifndef MAILLAB_IMAP_MUTF7_H
#define MAILLAB_IMAP_MUTF7_H

#include <stddef.h>

/** Decode @p in to UTF-8 in @p out (@p size bytes); 0, or -1 if invalid
 * or too long. */
int imap_mutf7_decode(const char *in, char *out, size_t size);
/** Encode UTF-8 @p in to modified UTF-7; 0, or -1 if @p in is not UTF-8
 * or @p out is too small. */
int imap_mutf7_encode(const char *in, char *out, size_t size);

#endif
