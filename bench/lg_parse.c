/*
 * lg_parse.c - reply lines, one at a time (see lg_parse.h).
 *
 * Every function here is strict about shape and lenient about text: the
 * code, the status word and the numbers must be where the RFC puts them;
 * whatever human-readable text follows is ignored, since servers word it
 * differently (Dovecot's "+OK Logged in." and ours say the same).
 */
#include "lg_parse.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int lg_smtp_line(const char *line, size_t len, int *code_r, bool *last_r)
{
	/* RFC 5321 §4.2: Reply-code [ SP / "-" ] textstring */
	if (len < 3)
		return -1;
	for (int i = 0; i < 3; i++)
		if (!isdigit((unsigned char)line[i]))
			return -1;
	if (line[0] < '2' || line[0] > '5')
		return -1;
	if (len > 3 && line[3] != ' ' && line[3] != '-')
		return -1;
	*code_r = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	*last_r = len == 3 || line[3] == ' ';
	return 0;
}

bool lg_smtp_ehlo_has(const char *line, size_t len, const char *keyword)
{
	size_t n = strlen(keyword);
	if (len < 4 + n || strncasecmp(line + 4, keyword, n) != 0)
		return false;
	return len == 4 + n || line[4 + n] == ' ';
}

int lg_pop3_status(const char *line, size_t len)
{
	/* RFC 1939 §3: "+OK" or "-ERR", then a space and text, or nothing */
	if (len >= 3 && memcmp(line, "+OK", 3) == 0 &&
	    (len == 3 || line[3] == ' '))
		return 1;
	if (len >= 4 && memcmp(line, "-ERR", 4) == 0 &&
	    (len == 4 || line[4] == ' '))
		return 0;
	return -1;
}

/* number - a run of digits at *@p; advances past it.  -1 if none. */
static int number(const char **p, unsigned long long *n_r)
{
	if (!isdigit((unsigned char)**p))
		return -1;
	char *end;
	*n_r = strtoull(*p, &end, 10);
	*p = end;
	return 0;
}

int lg_pop3_stat(const char *line, unsigned long *count_r,
		 unsigned long long *octets_r)
{
	/* RFC 1939 §5: exactly "+OK" SP count SP octets, then anything */
	unsigned long long count;
	if (strncmp(line, "+OK ", 4) != 0)
		return -1;
	const char *p = line + 4;
	if (number(&p, &count) < 0 || *p != ' ')
		return -1;
	p++;
	if (number(&p, octets_r) < 0 || (*p != '\0' && *p != ' '))
		return -1;
	*count_r = (unsigned long)count;
	return 0;
}

long lg_pop3_data_len(const char *line, size_t len)
{
	/* RFC 1939 §3: "." alone ends the body; a leading "." is stuffing */
	if (len == 1 && line[0] == '.')
		return -1;
	if (len > 0 && line[0] == '.')
		return (long)len - 1;
	return (long)len;
}

enum lg_imap_kind lg_imap_kind(const char *line, size_t len, const char *tag)
{
	if (len >= 2 && line[0] == '*' && line[1] == ' ')
		return LG_IMAP_UNTAGGED;
	if (len >= 1 && line[0] == '+' && (len == 1 || line[1] == ' '))
		return LG_IMAP_CONTINUATION;
	size_t tlen = strlen(tag);
	if (len <= tlen + 1 || memcmp(line, tag, tlen) != 0 || line[tlen] != ' ')
		return LG_IMAP_OTHER;
	const char *st = line + tlen + 1;
	size_t rest = len - tlen - 1;
	/* RFC 9051 §7.1: resp-cond-state = ("OK" / "NO" / "BAD") SP resp-text */
	static const struct { const char *word; enum lg_imap_kind kind; } w[] = {
		{ "OK", LG_IMAP_OK }, { "NO", LG_IMAP_NO }, { "BAD", LG_IMAP_BAD },
	};
	for (size_t i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		size_t wl = strlen(w[i].word);
		if (rest >= wl && strncasecmp(st, w[i].word, wl) == 0 &&
		    (rest == wl || st[wl] == ' '))
			return w[i].kind;
	}
	return LG_IMAP_OTHER;
}

long lg_imap_literal(const char *line, size_t len)
{
	/* RFC 9051 §4.3: literal = "{" number64 ["+"] "}" CRLF *CHAR8;
	 * the CRLF has already been taken off, so "}" ends the line. */
	if (len < 3 || line[len - 1] != '}')
		return -1;
	size_t end = len - 1;
	if (line[end - 1] == '+')
		end--;
	size_t start = end;
	while (start > 0 && isdigit((unsigned char)line[start - 1]))
		start--;
	if (start == end || start == 0 || line[start - 1] != '{' ||
	    end - start > 10)
		return -1;
	return strtol(line + start, NULL, 10);
}

long lg_imap_numbered(const char *line, size_t len, const char **word_r)
{
	/* RFC 9051 §7.3.1, §7.4, §7.5: "* " number SP keyword */
	if (len < 5 || line[0] != '*' || line[1] != ' ' ||
	    !isdigit((unsigned char)line[2]))
		return -1;
	char *end;
	long n = strtol(line + 2, &end, 10);
	if (*end != ' ' || !isalpha((unsigned char)end[1]))
		return -1;
	*word_r = end + 1;
	return n;
}

long lg_imap_search_count(const char *line, size_t len)
{
	/* RFC 9051 §7.3.5 (RFC 3501 §7.2.5): "* SEARCH" *(SP nz-number) */
	if (len < 8 || strncasecmp(line, "* SEARCH", 8) != 0 ||
	    (len > 8 && line[8] != ' '))
		return -1;
	long n = 0;
	for (const char *p = line + 8; *p != '\0';) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
		n++;
	}
	return n;
}
