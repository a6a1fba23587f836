/*
 * imap_strings.c - quoted strings, literals and atoms (imap_strings.h).
 */
#include "imap_strings.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

/* Quoted strings longer than this go as literals: easier to read in the
 * trace, and what most servers do. */
#define QUOTED_MAX 256

/* quotable - RFC 9051 §4.3: QUOTED-CHAR is 7-bit TEXT-CHAR. */
static bool quotable(const char *str, size_t len)
{
	if (len > QUOTED_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)str[i];
		if (c == '\0' || c == '\r' || c == '\n' || c >= 0x80)
			return false;
	}
	return true;
}

void imap_string_put(struct buf *out, const char *str, size_t len)
{
	if (str == NULL) {
		buf_puts(out, "NIL");
		return;
	}
	if (!quotable(str, len)) {
		buf_printf(out, "{%zu}\r\n", len);
		buf_append(out, str, len);
		return;
	}
	buf_puts(out, "\"");
	for (size_t i = 0; i < len; i++) {
		if (str[i] == '"' || str[i] == '\\')
			buf_puts(out, "\\");
		buf_append(out, &str[i], 1);
	}
	buf_puts(out, "\"");
}

void imap_nstring_put(struct buf *out, const char *str)
{
	imap_string_put(out, str, str != NULL ? strlen(str) : 0);
}

void imap_astring_put(struct buf *out, const char *str)
{
	/* RFC 9051 §9: ASTRING-CHAR; "NIL" would read as nil, so quote it */
	bool atom = str[0] != '\0' && strcasecmp(str, "NIL") != 0;
	for (const unsigned char *p = (const unsigned char *)str; atom && *p; p++)
		atom = *p > ' ' && *p < 0x7f && strchr("(){%*\"\\", *p) == NULL;
	if (atom)
		buf_puts(out, str);
	else
		imap_nstring_put(out, str);
}
