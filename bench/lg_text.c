/*
 * lg_text.c - generated message text (see lg_text.h).
 *
 * The body repeats an English sentence so that it compresses, searches
 * and wraps like mail, not like random bytes; its lines are cut at
 * LG_TEXT_LINE octets with the CRLF.  The only arithmetic to get right is
 * the end: a line needs at least its two octets of CRLF, so a remainder
 * of one octet is avoided by shortening the line before it.
 */
#include "lg_text.h"

#include "lg_limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char filler[] =
	"The quick brown fox jumps over the lazy dog while the students "
	"read their mail. ";

char *lg_text_body(size_t size)
{
	if (size == 1)
		return NULL;
	char *out = malloc(size + 1);
	if (out == NULL)
		return NULL;
	size_t pos = 0, f = 0;
	while (pos < size) {
		size_t line = size - pos < LG_TEXT_LINE ? size - pos : LG_TEXT_LINE;
		if (size - pos - line == 1)
			line--; /* leave two octets: the last line's CRLF */
		for (size_t i = 0; i + 2 < line; i++) {
			char ch = filler[f++ % (sizeof(filler) - 1)];
			/* RFC 5321 §4.5.2: no line may start with '.' unstuffed;
			 * a leading space would fold the line into the one
			 * before (RFC 5322 §2.2.3) */
			if (i == 0 && (ch == '.' || ch == ' '))
				ch = 'x';
			out[pos + i] = ch;
		}
		out[pos + line - 2] = '\r';
		out[pos + line - 1] = '\n';
		pos += line;
	}
	out[size] = '\0';
	return out;
}

size_t lg_text_header(char *out, size_t size, const char *rcpt,
		      unsigned client, unsigned long seq)
{
	/* RFC 5322 §3.6: From and Date are required; Message-ID makes each
	 * copy distinct, so a server that dropped or doubled one would show
	 * it in the count of stored messages. */
	int n = snprintf(out, size,
			 "From: Load Generator <loadgen@client.test>\r\n"
			 "To: <%s>\r\n"
			 "Subject: maillab bench message %lu of client %u\r\n"
			 "Date: Mon, 02 Nov 2026 09:00:00 +0000\r\n"
			 "Message-ID: <%u.%lu@loadgen.client.test>\r\n"
			 "\r\n",
			 rcpt, seq, client, client, seq);
	return n < 0 || (size_t)n >= size ? 0 : (size_t)n;
}
