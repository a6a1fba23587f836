/*
 * buf.h - a growable byte buffer with a maximum stated at creation.
 *
 * Every reply a server builds goes into a buf.  The maximum is mandatory
 * (curl's dynbuf idea): when an append would pass it, the append fails and
 * the buffer is marked as overflowed, so the caller turns that into a
 * protocol error instead of growing without bound.  The contents are always
 * NUL-terminated for convenience, but may also contain NUL bytes.
 */
#ifndef MAILLAB_BUF_H
#define MAILLAB_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/** A byte buffer that never grows past the maximum given to buf_init(). */
struct buf {
	char *data;     /**< bytes, always followed by a NUL */
	size_t len;     /**< bytes used, not counting the NUL */
	size_t cap;     /**< bytes allocated */
	size_t max;     /**< the most @c len may ever be */
	bool overflow;  /**< set when an append was refused */
};

/** Start an empty buffer that will never hold more than @p max bytes. */
void buf_init(struct buf *b, size_t max);
/** Release the memory; the buffer may be initialised again. */
void buf_free(struct buf *b);
/** Forget the contents (keeps the memory and the maximum). */
void buf_reset(struct buf *b);
/** Append bytes; returns 0, or -1 (and sets overflow) past the maximum. */
int buf_append(struct buf *b, const void *data, size_t len);
/** Append a NUL-terminated string. */
int buf_puts(struct buf *b, const char *s);
/** Append printf-style text. */
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Append printf-style text from a va_list. */
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

#endif
