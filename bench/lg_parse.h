/*
 * lg_parse.h - reading the servers' replies, as pure functions of one line.
 *
 * The load generator checks every reply it gets, the way a careful
 * client does: a run that counted operations the server refused would
 * measure nothing.  These functions look at one line and say what it is;
 * the session code (lg_conn.c) reads the lines.
 *
 *   SMTP   "250-..." continues a reply, "250 ..." ends it
 *          (RFC 5321 §4.2.1); the code is three digits.
 *   POP3   "+OK" or "-ERR" (RFC 1939 §3); a multi-line body ends with
 *          ".", and a line starting with "." has one more in front.
 *   IMAP   "tag OK|NO|BAD", "* ..." untagged, "+ ..." continuation
 *          (RFC 9051 §2.2.2); a line ending in "{n}" (or "{n+}") is
 *          followed by n octets of literal (§4.3).
 */
#ifndef MAILLAB_LG_PARSE_H
#define MAILLAB_LG_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/**
 * One line of an SMTP reply: its code in @p code_r, and whether it is
 * the last line of the reply in @p last_r.  -1 if it is not a reply line.
 */
int lg_smtp_line(const char *line, size_t len, int *code_r, bool *last_r);

/**
 * True if @p line, a line of the reply to EHLO ("250-PIPELINING",
 * "250 SIZE 1000"), names the extension @p keyword (RFC 5321 §4.1.1.1:
 * the keyword, then a space and parameters or nothing; any case).
 */
bool lg_smtp_ehlo_has(const char *line, size_t len, const char *keyword);

/** A POP3 status line: 1 for +OK, 0 for -ERR, -1 for anything else. */
int lg_pop3_status(const char *line, size_t len);

/**
 * The numbers of a STAT reply "+OK nn mm" (RFC 1939 §5); -1 if the line
 * is not one.
 */
int lg_pop3_stat(const char *line, unsigned long *count_r,
		 unsigned long long *octets_r);

/**
 * The octets of a multi-line POP3 line once byte-stuffing is removed, or
 * -1 for the terminating "." line.
 */
long lg_pop3_data_len(const char *line, size_t len);

/** What kind of IMAP response line this is. */
enum lg_imap_kind {
	LG_IMAP_UNTAGGED,     /**< "* ..." */
	LG_IMAP_CONTINUATION, /**< "+ ..." */
	LG_IMAP_OK,           /**< "<tag> OK ..." */
	LG_IMAP_NO,           /**< "<tag> NO ..." */
	LG_IMAP_BAD,          /**< "<tag> BAD ..." */
	LG_IMAP_OTHER,        /**< another tag, or not a response */
};

/** Classify @p line as a response to the command tagged @p tag. */
enum lg_imap_kind lg_imap_kind(const char *line, size_t len, const char *tag);

/**
 * The literal announced at the end of @p line ("{123}" or "{123+}"), or
 * -1 if the line does not end in one.
 */
long lg_imap_literal(const char *line, size_t len);

/**
 * An untagged "* <n> <word> ..." line (EXISTS, FETCH, EXPUNGE): returns
 * n and points @p word_r at the word, or -1.
 */
long lg_imap_numbered(const char *line, size_t len, const char **word_r);

/** Numbers in an untagged "* SEARCH 1 2 3" line, or -1 if it is not one. */
long lg_imap_search_count(const char *line, size_t len);

#endif
