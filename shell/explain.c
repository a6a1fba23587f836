/*
 * explain.c - turning a server line into one line a learner can read,
 * and :explain's full text (see explain.h).
 *
 * What is explained, and from which table:
 *   POP3  +OK / -ERR (RFC 1939 §3), the [CODE] after them (RFC 2449 §8,
 *         pop3_codes.def), "+ " SASL challenges (RFC 5034 §4)
 *   SMTP  the three-digit code (RFC 5321 §4.2, smtp_codes.def), falling
 *         back to what its first and second digits say; the enhanced
 *         code after it (RFC 3463, smtp_enhanced.def); 334 challenges
 *   IMAP  tagged and untagged OK/NO/BAD/BYE/PREAUTH (RFC 9051 §7.1), the
 *         [CODE] after them (RFC 9051 §7.1, RFC 5530), data responses
 *         such as EXISTS or FETCH (RFC 9051 §7.2-7.5), "+" (§7.6)
 * A SASL challenge is also decoded, to show that base64 hides nothing.
 */
#include "explain.h"

#include "../common/base64.h"
#include "../proto/codes.h"
#include "../proto/pop3.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* POP3's two status indicators are not in a table of their own: they are
 * the whole of RFC 1939 §3's reply grammar. */
static const struct code_info pop3_status[] = {
	{ "+OK", "RFC 1939 §3", "Success: the command was done" },
	{ "-ERR", "RFC 1939 §3", "Failure: the command was not done; the text says why" },
	{ "+", "RFC 5034 §4", "SASL challenge: the text is base64; answer with one base64 line (or * to cancel)" },
	{ NULL, NULL, NULL },
};

/* add - append "; fmt" (or fmt at the start) to the explanation. */
static void add(char *out, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void add(char *out, size_t size, const char *fmt, ...)
{
	size_t used = strlen(out);
	if (used + 3 >= size)
		return;
	if (used > 0) {
		strcpy(out + used, "; ");
		used += 2;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out + used, size - used, fmt, ap);
	va_end(ap);
}

static void add_row(char *out, size_t size, const char *label,
		    const struct code_info *c)
{
	if (c != NULL)
		add(out, size, "%s: %s (%s)", label, c->meaning, c->rfc);
}

/* add_decoded - show what a base64 challenge says, if it is text. */
static void add_decoded(char *out, size_t size, const char *b64)
{
	size_t len = strlen(b64);
	unsigned char text[256];
	if (len == 0 || len / 4 * 3 >= sizeof(text))
		return;
	long n = base64_decode(b64, len, text);
	if (n < 0)
		return; /* "+ OK" before a literal: plain text, not a challenge */
	/* shown with NUL and other controls visible (aiosmtpd, for one,
	 * asks "User Name\0") */
	char shown[4 * sizeof(text)];
	size_t o = 0;
	for (long i = 0; i < n; i++)
		o += (size_t)snprintf(shown + o, sizeof(shown) - o,
				      text[i] == '\0' ? "\\0" :
				      isprint(text[i]) ? "%c" : "\\x%02x", text[i]);
	add(out, size, "base64 for \"%s\" - an encoding, not encryption", shown);
}

/* bracket_code - the word inside "[CODE ...]" at the start of @p text. */
static size_t bracket_code(const char *text, const char **code_r)
{
	if (text[0] != '[')
		return 0;
	size_t n = strcspn(text + 1, " ]");
	*code_r = text + 1;
	return n;
}

static void explain_pop3(enum track_line kind, const char *line, char *out,
			 size_t size)
{
	const char *code;
	if (kind == TRACK_LINE_CONT) {
		add_row(out, size, "+", &pop3_status[2]);
		add_decoded(out, size, line[1] ? line + 2 : "");
		return;
	}
	bool ok = strncmp(line, "+OK", 3) == 0;
	add_row(out, size, ok ? "+OK" : "-ERR", &pop3_status[ok ? 0 : 1]);
	const char *text = line + (ok ? 3 : 4);
	while (*text == ' ')
		text++;
	size_t n = bracket_code(text, &code);
	if (n > 0) {
		char label[40];
		const struct pop3_code_info *c = pop3_code_find(code, n);
		snprintf(label, sizeof(label), "[%.*s]", (int)n, code);
		if (c != NULL)
			add(out, size, "%s: %s (%s)", label, c->meaning, c->rfc);
	}
}

/* smtp_basic - the code's own row, or what its digits say (§4.2.1). */
static void smtp_basic(const char *code, char *out, size_t size)
{
	const struct code_info *c = codes_find(codes_smtp, code, 3);
	char first[4] = { code[0], 'y', 'z', '\0' };
	char second[4] = { 'x', code[1], 'z', '\0' };
	if (c != NULL) {
		add(out, size, "%.3s: %s (%s)", code, c->meaning, c->rfc);
		return;
	}
	c = codes_find(codes_smtp, first, 3);
	const struct code_info *d = codes_find(codes_smtp, second, 3);
	if (c != NULL)
		add(out, size, "%.3s: %s", code, c->meaning);
	if (d != NULL)
		add(out, size, "%s (%s)", d->meaning, d->rfc);
}

/* smtp_enhanced - "5.1.1": the detail's row, or class and subject. */
static bool smtp_enhanced(const char *code, size_t len, char *out, size_t size)
{
	unsigned cls, subject, detail;
	int used = 0;
	if (sscanf(code, "%u.%u.%u%n", &cls, &subject, &detail, &used) != 3 ||
	    (size_t)used != len || (cls != 2 && cls != 4 && cls != 5))
		return false;
	char key[24];
	snprintf(key, sizeof(key), "X.%u.%u", subject, detail);
	const struct code_info *c = codes_find(codes_smtp_enhanced, key,
					       strlen(key));
	if (c == NULL) {
		snprintf(key, sizeof(key), "X.%u", subject);
		c = codes_find(codes_smtp_enhanced, key, strlen(key));
	}
	if (c != NULL)
		add(out, size, "%.*s: %s (%s)", (int)len, code, c->meaning,
		    c->rfc);
	return true;
}

static void explain_smtp(enum track_line kind, const char *line, char *out,
			 size_t size)
{
	if (strlen(line) < 3 || (kind != TRACK_LINE_STATUS &&
				 kind != TRACK_LINE_CONT))
		return;
	smtp_basic(line, out, size);
	const char *text = line[3] ? line + 4 : "";
	if (strncmp(line, "334", 3) == 0) {
		add_decoded(out, size, text);
		return;
	}
	size_t n = strcspn(text, " ");
	if (n > 0)
		smtp_enhanced(text, n, out, size);
}

/* imap_status_line - "OK [CODE] text" and the like, tagged or not. */
static void imap_status_line(const char *word, size_t len, const char *text,
			     bool is_tagged, char *out, size_t size)
{
	const struct code_info *c = codes_find(codes_imap_status, word, len);
	add(out, size, "%s %.*s: %s (%s)", is_tagged ? "tagged" : "untagged",
	    (int)len, word, c->meaning, c->rfc);
	while (*text == ' ')
		text++;
	const char *code;
	size_t n = bracket_code(text, &code);
	const struct code_info *r = n ? codes_find(codes_imap_resp, code, n) : NULL;
	if (r != NULL)
		add(out, size, "[%.*s]: %s (%s)", (int)n, code, r->meaning, r->rfc);
}

static void explain_imap(enum track_line kind, const char *line, char *out,
			 size_t size)
{
	if (kind == TRACK_LINE_CONT) {
		add_row(out, size, "+", codes_find(codes_imap_data, "+", 1));
		add_decoded(out, size, line[1] ? line + 2 : "");
		return;
	}
	if (kind != TRACK_LINE_STATUS && kind != TRACK_LINE_UNTAGGED)
		return;
	const char *p = strchr(line, ' ');
	if (p == NULL)
		return;
	p++;
	/* "* 3 EXISTS": the data name follows the number */
	if (kind == TRACK_LINE_UNTAGGED && isdigit((unsigned char)*p))
		p += strcspn(p, " ") + (p[strcspn(p, " ")] == ' ');
	size_t len = strcspn(p, " ");
	if (codes_find(codes_imap_status, p, len) != NULL) {
		imap_status_line(p, len, p + len, kind == TRACK_LINE_STATUS, out,
				 size);
		return;
	}
	const struct code_info *d = codes_find(codes_imap_data, p, len);
	if (d != NULL)
		add(out, size, "%.*s: %s (%s)", (int)len, p, d->meaning, d->rfc);
}

void explain_line(enum track_proto proto, enum track_line kind,
		  const char *line, char *out, size_t size)
{
	out[0] = '\0';
	switch (proto) {
	case TRACK_POP3:
		if (kind == TRACK_LINE_STATUS || kind == TRACK_LINE_CONT)
			explain_pop3(kind, line, out, size);
		break;
	case TRACK_SMTP:
		explain_smtp(kind, line, out, size);
		break;
	case TRACK_IMAP:
		explain_imap(kind, line, out, size);
		break;
	}
}

/* ---- :explain ------------------------------------------------------- */

static int fact(FILE *out, const char *what, const struct code_info *c)
{
	if (c == NULL)
		return 0;
	fprintf(out, "%-14s %s\n%-14s %s\n", what, c->meaning, "", c->rfc);
	return 1;
}

/* full_smtp - "550": its row, its first and its second digit. */
static int full_smtp(const char *code, FILE *out)
{
	char first[4] = { code[0], 'y', 'z', '\0' };
	char second[4] = { 'x', code[1], 'z', '\0' };
	char label[16];
	snprintf(label, sizeof(label), "SMTP %.3s", code);
	int n = fact(out, label, codes_find(codes_smtp, code, 3));
	snprintf(label, sizeof(label), "first digit %c", code[0]);
	n += fact(out, label, codes_find(codes_smtp, first, 3));
	snprintf(label, sizeof(label), "second digit %c", code[1]);
	n += fact(out, label, codes_find(codes_smtp, second, 3));
	return n;
}

/* full_enhanced - "5.7.8": class, subject, detail. */
static int full_enhanced(const char *code, FILE *out)
{
	unsigned cls, subject, detail;
	int used = 0;
	if (sscanf(code, "%u.%u.%u%n", &cls, &subject, &detail, &used) != 3 ||
	    code[used] != '\0')
		return 0;
	char key[24], label[32];
	snprintf(key, sizeof(key), "%u", cls);
	snprintf(label, sizeof(label), "class %u", cls);
	int n = fact(out, label, codes_find(codes_smtp_enhanced, key, strlen(key)));
	snprintf(key, sizeof(key), "X.%u", subject);
	snprintf(label, sizeof(label), "subject %s", key);
	n += fact(out, label, codes_find(codes_smtp_enhanced, key, strlen(key)));
	snprintf(key, sizeof(key), "X.%u.%u", subject, detail);
	snprintf(label, sizeof(label), "detail %s", key);
	n += fact(out, label, codes_find(codes_smtp_enhanced, key, strlen(key)));
	return n;
}

/* full_word - a status, response code or data name, in every table that
 * has it (BYE is an IMAP status; AUTH a POP3 code). */
static int full_word(const char *word, FILE *out)
{
	size_t len = strlen(word);
	int n = fact(out, "POP3", codes_find(pop3_status, word, len));
	const struct pop3_code_info *p = pop3_code_find(word, len);
	if (p != NULL) {
		const struct code_info row = { p->code, p->rfc, p->meaning };
		n += fact(out, "POP3 code", &row);
	}
	n += fact(out, "IMAP status", codes_find(codes_imap_status, word, len));
	n += fact(out, "IMAP code", codes_find(codes_imap_resp, word, len));
	n += fact(out, "IMAP data", codes_find(codes_imap_data, word, len));
	return n;
}

int explain_full(const char *code, FILE *out)
{
	char word[64];
	size_t len = strlen(code);
	if (len >= 2 && code[0] == '[' && code[len - 1] == ']') {
		code++;
		len -= 2;
	}
	snprintf(word, sizeof(word), "%.*s", (int)len, code);
	if (len == 3 && isdigit((unsigned char)word[0]) &&
	    isdigit((unsigned char)word[1]) && isdigit((unsigned char)word[2]))
		return full_smtp(word, out);
	if (strchr(word, '.') != NULL)
		return full_enhanced(word, out);
	return full_word(word, out);
}
