/*
 * trace.c - formats and writes trace lines (see trace.h for the format).
 */
#include "trace.h"

#include "../proto/limits.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

/* emit - build "<time> <proto> #<id> " + body + "\n" and write it at once.
 * Control characters in the body are replaced so a client cannot forge
 * trace lines by sending CR or LF inside a command. */
static void emit(const struct trace *t, const char *body)
{
	if (t == NULL || t->fd < 0)
		return;
	char line[TRACE_LINE_MAX];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	int n = (int)strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	n += snprintf(line + n, sizeof(line) - (size_t)n, "%s #%lu ",
		      t->proto, t->session);
	for (const char *p = body; *p && n < (int)sizeof(line) - 2; p++) {
		unsigned char c = (unsigned char)*p;
		line[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	line[n++] = '\n';
	/* A failed trace write must not end a mail session: ignore it. */
	(void)!write(t->fd, line, (size_t)n);
}

void trace_event(const struct trace *t, const char *fmt, ...)
{
	char body[TRACE_LINE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	emit(t, body);
}

void trace_state(const struct trace *t, const char *from, const char *to,
		 const char *why_fmt, ...)
{
	char why[TRACE_LINE_MAX / 2];
	va_list ap;
	va_start(ap, why_fmt);
	vsnprintf(why, sizeof(why), why_fmt, ap);
	va_end(ap);
	char body[TRACE_LINE_MAX];
	snprintf(body, sizeof(body), "%s -> %s (%s)", from, to, why);
	emit(t, body);
}
