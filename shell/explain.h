/*
 * explain.h - what a server's reply means, in one line or in full.
 *
 * The meanings come from the tables in proto/ (codes.h: SMTP basic and
 * enhanced codes, IMAP status responses, response codes and data
 * responses; pop3.h: POP3 response codes), each with the RFC section that
 * defines it.  Pure functions: no I/O beyond the FILE* they are given.
 */
#ifndef MAILSH_EXPLAIN_H
#define MAILSH_EXPLAIN_H

#include "track.h"

#include <stddef.h>
#include <stdio.h>

/**
 * One line about one server line, given what kind of line the tracker
 * said it is; "" when there is nothing to explain (a data line).
 */
void explain_line(enum track_proto proto, enum track_line kind,
		  const char *line, char *out, size_t size);

/**
 * Everything known about @p code ("550", "5.7.8", "-ERR", "IN-USE",
 * "TRYCREATE", "BYE", "EXISTS", "+"), one fact per line with its RFC
 * section.  Returns the number of facts written; 0 if the code is unknown.
 */
int explain_full(const char *code, FILE *out);

#endif
