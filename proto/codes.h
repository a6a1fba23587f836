/*
 * codes.h - the reply-meaning tables of SMTP and IMAP, and a lookup.
 *
 * Each table is expanded from a .def file that describes it once:
 *
 *   smtp_codes.def     RFC 5321 §4.2 reply codes (and the digit rules)
 *   smtp_enhanced.def  RFC 3463 enhanced status codes (+ RFC 4954, 6531)
 *   imap_codes.def     RFC 9051 §7 status responses, response codes
 *                      (RFC 5530) and data responses
 *
 * (POP3's response codes are in pop3_codes.def, with the POP3 tables.)
 * mailsh explains every reply from these rows; a server may cite them.
 */
#ifndef MAILLAB_PROTO_CODES_H
#define MAILLAB_PROTO_CODES_H

#include <stddef.h>

/** One row: a code, where it is defined, and what it means. */
struct code_info {
	const char *code; /**< "250", "5.7.1", "TRYCREATE" */
	const char *rfc; /**< the section that defines it */
	const char *meaning; /**< one line, in the words a learner needs */
};

/**@{*/
/** Each table ends with a row whose code is NULL. */
extern const struct code_info codes_smtp[];
extern const struct code_info codes_smtp_enhanced[];
extern const struct code_info codes_imap_status[];
extern const struct code_info codes_imap_resp[];
extern const struct code_info codes_imap_data[];
/**@}*/

/**
 * Find @p len bytes of @p code in @p table, case-insensitively (IMAP
 * atoms are case-insensitive, RFC 9051 §9); NULL if absent.
 */
const struct code_info *codes_find(const struct code_info *table,
				   const char *code, size_t len);

#endif
