/*
 * trace.h - one line for every connection, state change and error.
 *
 * The trace is what an instructor projects next to the shell.  Every line
 * has the same shape (documented in docs/trace.md):
 *
 *     2026-11-23T10:15:02Z pop3 #12 AUTHORIZATION -> TRANSACTION (PASS ok, 2 messages)
 *     2026-11-23T10:15:02Z pop3 #12 tls TLSv1.3 TLS_AES_256_GCM_SHA384
 *     2026-11-23T10:15:09Z pop3 #12 error line too long (limit 255)
 *
 * that is: UTC time, protocol, '#' and the session id, then either
 * "OLD -> NEW (why)" for a state change or an event word and its details.
 * Each line is written with a single write() on a descriptor opened with
 * O_APPEND, so lines from many session processes never interleave.
 */
#ifndef MAILLAB_TRACE_H
#define MAILLAB_TRACE_H

/** Where one session (or the listener) writes its trace lines. */
struct trace {
	const char *proto;     /**< "pop3", "smtp", "imap" */
	unsigned long session; /**< session id; 0 for the listener itself */
	int fd;                /**< where lines go; -1 discards them */
};

/** Write one event line: "<time> <proto> #<id> <event text>". */
void trace_event(const struct trace *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** Write one state-change line: "<time> <proto> #<id> OLD -> NEW (why)". */
void trace_state(const struct trace *t, const char *from, const char *to,
		 const char *why_fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
