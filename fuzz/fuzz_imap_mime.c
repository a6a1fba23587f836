/*
 * fuzz_imap_mime.c - the MIME parser and what FETCH builds from it:
 * BODYSTRUCTURE, BODY, ENVELOPE and header fields.
 *
 * A message is whatever a sender put into it (RFC 5322, RFC 2045/2046),
 * and IMAP lets any client ask the server to take it apart (RFC 9051
 * §6.4.5).  The input is parsed as a message, and for every part found:
 *
 *   - its header and body lie inside the message, and its children and
 *     the message inside a message/rfc822 are parts that exist;
 *   - BODYSTRUCTURE (both forms) and, for messages, ENVELOPE are written,
 *     and what is written must be one well-formed IMAP value (quoting,
 *     literals, parentheses), so a header value that could break out of
 *     its string in a FETCH response is found here;
 *   - the first part numbers the input names are looked up, as BODY[1.2]
 *     would.
 */
#include "support.h"

#include "../common/buf.h"
#include "../proto/limits.h"
#include "../servers/imap/imap_mime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* well_formed - @value must be one IMAP value of a response (RFC 9051
 * §9): quoted strings hold no CR, LF or NUL and escape only '"' and '\\',
 * literals "{n}" CRLF are followed by n octets, parentheses balance, and
 * nothing stands outside them.  (Response grammar, not command grammar:
 * an address list is "(" 1*address ")" with no space between.) */
static void well_formed(const char *what, const struct buf *value)
{
	const char *v = value->data;
	size_t n = value->len, i = 0;
	int depth = 0;
	bool one_value = v[0] == '(' || n == 0;
	while (i < n) {
		char c = v[i++];
		if (c == '"') {
			while (i < n && v[i] != '"') {
				if (v[i] == '\\' && (i + 1 == n || (v[i + 1] != '"' &&
							       v[i + 1] != '\\')))
					fuzz_fail("%s: a bad escape: %s", what, v);
				if (v[i] == '\r' || v[i] == '\n' || v[i] == '\0')
					fuzz_fail("%s: CR, LF or NUL in a quoted "
						  "string: %s", what, v);
				i += v[i] == '\\' ? 2 : 1;
			}
			if (i++ >= n)
				fuzz_fail("%s: a quoted string is not closed: %s",
					  what, v);
		} else if (c == '{') {
			char *end;
			unsigned long long len = strtoull(v + i, &end, 10);
			size_t at = (size_t)(end - v);
			if (end == v + i || at + 3 > n || strncmp(end, "}\r\n", 3) ||
			    len > n - at - 3)
				fuzz_fail("%s: a bad literal: %s", what, v);
			i = at + 3 + (size_t)len;
		} else if (c == '(') {
			depth++;
		} else if (c == ')') {
			if (--depth < 0)
				fuzz_fail("%s: ')' without '(': %s", what, v);
			if (depth == 0 && i != n)
				fuzz_fail("%s: more than one value: %s", what, v);
		} else if (c == '\r' || c == '\n' || c == '\0') {
			fuzz_fail("%s: CR, LF or NUL outside a literal: %s", what,
				  v);
		}
	}
	if (depth != 0 || !one_value)
		fuzz_fail("%s: parentheses do not balance: %s", what, v);
}

static void check_part(const struct imap_mime *m, size_t i)
{
	const struct imap_part *p = &m->parts[i];
	if (p->hdr_off > m->len || p->hdr_len > m->len - p->hdr_off ||
	    p->body_off > m->len || p->body_len > m->len - p->body_off)
		fuzz_fail("part %zu lies outside the message", i);
	if ((p->first_child >= 0 && (size_t)p->first_child >= m->count) ||
	    (p->next >= 0 && (size_t)p->next >= m->count) ||
	    (p->message >= 0 && (size_t)p->message >= m->count))
		fuzz_fail("part %zu points to a part that does not exist", i);
	struct buf out;
	buf_init(&out, 16 * 1024 * 1024);
	for (int extended = 0; extended < 2; extended++) {
		buf_reset(&out);
		imap_bodystructure_put(m, (int)i, extended, &out);
		well_formed("BODYSTRUCTURE", &out);
	}
	if (i == 0 || p->message >= 0) {
		buf_reset(&out);
		imap_envelope_put(m, p->message >= 0 ? p->message : 0, &out);
		well_formed("ENVELOPE", &out);
	}
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct imap_mime m;
	if (imap_mime_parse((const char *)data, size, &m) < 0)
		return 0;
	if (m.count == 0 || m.count > IMAP_MIME_PARTS_MAX + 1)
		fuzz_fail("%zu parts", m.count);
	for (size_t i = 0; i < m.count; i++)
		check_part(&m, i);
	/* part numbers from the first octets, as in BODY[n.n.n] */
	unsigned nums[4];
	size_t n = size < 4 ? size : 4;
	for (size_t i = 0; i < n; i++)
		nums[i] = data[i] % 8;
	int as_message;
	int idx = imap_mime_find(&m, nums, n, &as_message);
	if (idx >= (int)m.count)
		fuzz_fail("find returned part %d of %zu", idx, m.count);
	struct buf field;
	buf_init(&field, size + 1);
	imap_mime_field(m.data + m.parts[0].hdr_off, m.parts[0].hdr_len,
			"Subject", &field);
	buf_free(&field);
	imap_mime_free(&m);
	return 0;
}
