/*
 * imap_strings.h - IMAP strings into a buffer (RFC 9051 §4.3), for the
 * code that builds FETCH data without a session: ENVELOPE and
 * BODYSTRUCTURE (imap_bodystruct.c), and the session's own replies.
 *
 *   quoted   "text" with '"' and '\' escaped; only 7-bit text without CR,
 *            LF or NUL may be quoted
 *   literal  {n} CRLF and n octets: anything else
 *   NIL      no string at all (nstring)
 */
#ifndef MAILLAB_IMAP_STRINGS_H
#define MAILLAB_IMAP_STRINGS_H

#include "../../common/buf.h"

#include <stddef.h>

/** A string, quoted when possible, else a literal; NIL if @p str is NULL. */
void imap_string_put(struct buf *out, const char *str, size_t len);
/** The same for a NUL-terminated string or NULL. */
void imap_nstring_put(struct buf *out, const char *str);
/** An astring: a bare atom when the grammar allows one. */
void imap_astring_put(struct buf *out, const char *str);

#endif
