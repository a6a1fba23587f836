/*
 * imap_decode.c - encoded words, transfer encodings and the common
 * single-byte charset, for SEARCH (see imap_decode.h).
 */
#include "imap_decode.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	     : c >= 'A' && c <= 'F' ? c - 'A' + 10
	     : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int b64(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26
	     : c >= '0' && c <= '9' ? c - '0' + 52 : c == '+' ? 62
	     : c == '/' ? 63 : -1;
}

/* latin1 - is this a charset whose octets are Unicode's first 256? */
static bool latin1(const char *charset)
{
	return charset != NULL && (strcasecmp(charset, "iso-8859-1") == 0 ||
				   strcasecmp(charset, "latin1") == 0 ||
				   strcasecmp(charset, "windows-1252") == 0);
}

/* put_charset - octets as UTF-8: converted from Latin-1, else as is. */
static void put_charset(const char *s, size_t n, const char *charset,
			struct buf *out)
{
	if (!latin1(charset)) {
		buf_append(out, s, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x80) {
			buf_append(out, &s[i], 1);
		} else {
			char two[2] = { (char)(0xc0 | c >> 6), (char)(0x80 | (c & 0x3f)) };
			buf_append(out, two, 2);
		}
	}
}

/* qp - RFC 2045 §6.7 quoted-printable; in an encoded word (RFC 2047
 * §4.2) '_' is a space too. */
static void qp(const char *s, size_t n, bool word, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '=' && i + 2 < n && hex(s[i + 1]) >= 0 &&
		    hex(s[i + 2]) >= 0) {
			char v = (char)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
			buf_append(out, &v, 1);
			i += 2;
		} else if (c == '=' && !word) {
			/* a soft line break: "=" at the end of a line */
			while (i + 1 < n && (s[i + 1] == ' ' || s[i + 1] == '\t'))
				i++;
			if (i + 1 < n && s[i + 1] == '\r')
				i++;
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
		} else {
			buf_append(out, word && c == '_' ? " " : &s[i], 1);
		}
	}
}

/* base64 - RFC 2045 §6.8: other characters (line breaks) are ignored,
 * and decoding ends at '='. */
static void base64(const char *s, size_t n, struct buf *out)
{
	unsigned bits = 0;
	int nbits = 0;
	for (size_t i = 0; i < n && s[i] != '='; i++) {
		int v = b64(s[i]);
		if (v < 0)
			continue;
		bits = (bits << 6 | (unsigned)v) & 0xffffff;
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			char c = (char)((bits >> nbits) & 0xff);
			buf_append(out, &c, 1);
		}
	}
}

void imap_decode_body(const char *in, size_t len, const char *cte,
		      const char *charset, struct buf *out)
{
	struct buf raw;
	buf_init(&raw, len + 1);
	if (cte != NULL && strcasecmp(cte, "quoted-printable") == 0)
		qp(in, len, false, &raw);
	else if (cte != NULL && strcasecmp(cte, "base64") == 0)
		base64(in, len, &raw);
	else
		buf_append(&raw, in, len);
	put_charset(raw.data != NULL ? raw.data : "", raw.len, charset, out);
	buf_free(&raw);
}

/* word - one "=?charset?Q|B?text?=" at @p s (length of the rest @p n);
 * returns its length, or 0 if it is not one. */
static size_t word(const char *s, size_t n, struct buf *out)
{
	char charset[64];
	if (n < 8 || s[0] != '=' || s[1] != '?')
		return 0;
	const char *q1 = memchr(s + 2, '?', n - 2);
	if (q1 == NULL || q1 + 3 >= s + n || q1[2] != '?' ||
	    (size_t)(q1 - s - 2) >= sizeof(charset))
		return 0;
	const char *text = q1 + 3, *end = text;
	while (end + 1 < s + n && !(end[0] == '?' && end[1] == '='))
		end++;
	if (end + 1 >= s + n)
		return 0;
	memcpy(charset, s + 2, (size_t)(q1 - s - 2));
	charset[q1 - s - 2] = '\0';
	/* RFC 2231 §5: "charset*language" */
	charset[strcspn(charset, "*")] = '\0';
	char enc = (char)toupper((unsigned char)q1[1]);
	if (enc != 'Q' && enc != 'B')
		return 0;
	struct buf raw;
	buf_init(&raw, (size_t)(end - text) + 1);
	if (enc == 'Q')
		qp(text, (size_t)(end - text), true, &raw);
	else
		base64(text, (size_t)(end - text), &raw);
	put_charset(raw.data != NULL ? raw.data : "", raw.len, charset, out);
	buf_free(&raw);
	return (size_t)(end + 2 - s);
}

void imap_decode_words(const char *in, size_t len, struct buf *out)
{
	bool after_word = false;
	for (size_t i = 0; i < len;) {
		size_t w = word(in + i, len - i, out);
		if (w > 0) {
			i += w;
			after_word = true;
			continue;
		}
		/* RFC 2047 §6.2: white space between two encoded words is
		 * dropped; elsewhere it stays */
		size_t ws = i;
		while (ws < len && (in[ws] == ' ' || in[ws] == '\t'))
			ws++;
		if (after_word && ws > i && ws < len && in[ws] == '=' &&
		    ws + 1 < len && in[ws + 1] == '?') {
			struct buf probe;
			buf_init(&probe, len);
			bool next_is_word = word(in + ws, len - ws, &probe) > 0;
			buf_free(&probe);
			if (next_is_word) {
				i = ws;
				continue;
			}
		}
		buf_append(out, &in[i], 1);
		after_word = false;
		i++;
	}
}
