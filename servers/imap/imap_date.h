/*
 * imap_date.h - the three kinds of dates IMAP deals in.
 *
 *   date-time  "17-Jul-1996 02:44:25 -0700": INTERNALDATE, sent by FETCH
 *              and given to APPEND (RFC 9051 §9)
 *   date       "1-Feb-1994": SEARCH BEFORE, ON, SINCE and the SENT* keys,
 *              which compare calendar days, "disregarding time and
 *              timezone" (RFC 9051 §6.4.4)
 *   RFC 5322   "Mon, 02 Nov 2026 09:00:00 +0000": a message's Date: field,
 *              which SENTBEFORE/SENTON/SENTSINCE read (RFC 5322 §3.3)
 *
 * Days are counted from 1970-01-01, so comparing dates is comparing
 * numbers.  INTERNALDATE is the file's modification time (the Maildir
 * convention Dovecot uses too), shown in UTC.
 */
#ifndef MAILLAB_IMAP_DATE_H
#define MAILLAB_IMAP_DATE_H

#include "../../common/buf.h"

#include <time.h>

/** Parse a date-time (without the quotes); 0, or -1 if malformed. */
int imap_date_time_parse(const char *text, time_t *t_r);
/** Append "\"dd-Mon-yyyy hh:mm:ss +0000\"" for @p t. */
void imap_date_time_put(time_t t, struct buf *out);
/** Parse a SEARCH date into a day number; 0, or -1 if malformed. */
int imap_date_parse(const char *text, long *day_r);
/** The UTC day of @p t. */
long imap_date_day(time_t t);
/** The day of an RFC 5322 date, in its own time zone; -1 if unreadable. */
int imap_date_rfc5322(const char *text, long *day_r);

#endif
