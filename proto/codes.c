/*
 * codes.c - the reply-meaning tables expanded from their .def files, and
 * the one lookup over them (see codes.h).
 */
#include "codes.h"

#include <strings.h>

#define ROW(code, rfc, meaning) { code, rfc, meaning },
#define SKIP(code, rfc, meaning)

const struct code_info codes_smtp[] = {
#define SMTP_CODE ROW
#include "smtp_codes.def"
#undef SMTP_CODE
	{ NULL, NULL, NULL },
};

const struct code_info codes_smtp_enhanced[] = {
#define SMTP_ENHANCED ROW
#include "smtp_enhanced.def"
#undef SMTP_ENHANCED
	{ NULL, NULL, NULL },
};

/* imap_codes.def holds three kinds of rows; each table takes one. */
#define IMAP_STATUS ROW
#define IMAP_CODE SKIP
#define IMAP_DATA SKIP
const struct code_info codes_imap_status[] = {
#include "imap_codes.def"
	{ NULL, NULL, NULL },
};
#undef IMAP_STATUS
#undef IMAP_CODE
#define IMAP_STATUS SKIP
#define IMAP_CODE ROW
const struct code_info codes_imap_resp[] = {
#include "imap_codes.def"
	{ NULL, NULL, NULL },
};
#undef IMAP_CODE
#undef IMAP_DATA
#define IMAP_CODE SKIP
#define IMAP_DATA ROW
const struct code_info codes_imap_data[] = {
#include "imap_codes.def"
	{ NULL, NULL, NULL },
};
#undef IMAP_STATUS
#undef IMAP_CODE
#undef IMAP_DATA

const struct code_info *codes_find(const struct code_info *table,
				   const char *code, size_t len)
{
	for (const struct code_info *c = table; c->code; c++)
		if (strncasecmp(c->code, code, len) == 0 && c->code[len] == '\0')
			return c;
	return NULL;
}
