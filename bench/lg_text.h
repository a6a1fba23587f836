/*
 * lg_text.h - the message text the load generator sends (SMTP DATA, IMAP
 * APPEND).
 *
 * A message is its header, built per message so that every copy has its
 * own Message-ID (RFC 5322 §3.6.4), followed by a body built once per run
 * and shared by all clients.  The body is plain text in CRLF lines of at
 * most LG_TEXT_LINE octets (RFC 5322 §2.1.1), and no line starts with ".",
 * so the same octets are valid SMTP DATA without dot-stuffing
 * (RFC 5321 §4.5.2) and a valid IMAP literal.
 */
#ifndef MAILLAB_LG_TEXT_H
#define MAILLAB_LG_TEXT_H

#include <stddef.h>

/**
 * A body of exactly @p size octets (malloc'ed, NUL-terminated); NULL if
 * out of memory or @p size is 1 (no CRLF line has one octet).
 */
char *lg_text_body(size_t size);

/**
 * The header of message @p seq of client @p client into @p out (at most
 * @p size octets with the NUL), ending with the empty line; returns its
 * length, or 0 if it does not fit.
 */
size_t lg_text_header(char *out, size_t size, const char *rcpt,
		      unsigned client, unsigned long seq);

#endif
