/*
 * linebuf.h - line framing with a stated maximum, no I/O.
 *
 * Bytes read from a socket (plain or TLS) are written into the linebuf; the
 * caller then takes complete lines out of it.  A line ends at LF; a CR just
 * before the LF is removed too.  RFC 1939 §3, RFC 5321 §2.3.8 and RFC 9051
 * §2.2 all say lines end in CRLF; a bare LF is accepted for commands (many
 * hand-typed clients send it) but reported, so the trace can show it.
 *
 * A line longer than the maximum is never truncated silently: linebuf
 * reports LINEBUF_TOO_LONG once and then skips everything up to the next LF,
 * so the protocol stays in step (Postfix's smtpd_chat does the same).
 *
 * This is a pure module: it never calls read() or write(), so tests feed it
 * one byte at a time.
 */
#ifndef MAILLAB_LINEBUF_H
#define MAILLAB_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>

/** What linebuf_next() found. */
enum linebuf_result {
	LINEBUF_LINE,      /**< a complete line is returned */
	LINEBUF_NEED_MORE, /**< no complete line yet: read more bytes */
	LINEBUF_TOO_LONG,  /**< a line passed the maximum and is being skipped */
};

/** Flags describing how a returned line was terminated. */
#define LINEBUF_BARE_LF 0x1 /**< ended in LF without CR */
/**
 * The over-long line skipped just before this one ended in a bare LF.
 * SMTP needs it: only `<CRLF>.<CRLF>` ends a message (RFC 5321 §4.1.1.4),
 * so a "." line counts as the end only if the line before it, skipped or
 * not, ended in CRLF.
 */
#define LINEBUF_AFTER_LONG_BARE_LF 0x2

/** Line framing state: buffered bytes and the longest line accepted. */
struct linebuf {
	char *data;      /**< buffered bytes */
	size_t start;    /**< first unconsumed byte */
	size_t len;      /**< end of buffered bytes */
	size_t cap;      /**< allocated size */
	size_t max_line; /**< longest line accepted, including CRLF */
	bool skipping;   /**< discarding the rest of an over-long line */
	char skip_last;  /**< the last octet skipped so far */
	bool long_bare_lf; /**< the skipped line ended in a bare LF */
};

/** Set up framing for lines of at most @p max_line bytes including CRLF. */
int linebuf_init(struct linebuf *lb, size_t max_line);
/** Release the memory. */
void linebuf_free(struct linebuf *lb);
/** Change the maximum (e.g. for SASL or DATA lines); buffered bytes stay. */
int linebuf_set_max(struct linebuf *lb, size_t max_line);
/**
 * Space to read into: returns a pointer and sets @p room_r to how many bytes
 * may be written there; call linebuf_commit() with the number written.
 */
char *linebuf_space(struct linebuf *lb, size_t *room_r);
/** Record that @p n bytes were written into the space. */
void linebuf_commit(struct linebuf *lb, size_t n);
/** Append bytes (for tests and for callers that already hold the data). */
int linebuf_feed(struct linebuf *lb, const void *data, size_t n);
/**
 * Take the next line.  On LINEBUF_LINE, @p line_r points at the line
 * (CR LF removed, NUL-terminated, valid until the next call) and @p len_r
 * is its length (it may contain NUL bytes); @p flags_r gets LINEBUF_* flags.
 * On LINEBUF_TOO_LONG they give the first octets of the over-long line
 * (not NUL-terminated), so a reply can name the command's tag.
 */
enum linebuf_result linebuf_next(struct linebuf *lb, char **line_r,
				 size_t *len_r, unsigned *flags_r);
/**
 * Take up to @p want raw bytes (for IMAP literals); returns how many were
 * available and sets @p data_r to them.
 */
size_t linebuf_take(struct linebuf *lb, size_t want, const char **data_r);
/** Bytes buffered but not yet returned. */
size_t linebuf_pending(const struct linebuf *lb);
/** Throw away everything buffered (used after STARTTLS); returns the count. */
size_t linebuf_discard(struct linebuf *lb);

#endif
