/*
 * smtp_deliver.h - the pieces of delivery that the session and the queue
 * runner (for bounces) share.
 */
#ifndef MAILLAB_SMTP_DELIVER_H
#define MAILLAB_SMTP_DELIVER_H

#include <stddef.h>
#include <time.h>

/** Longest date text from smtp_date(), with its NUL. */
#define SMTP_DATE_MAX 48

/** An RFC 5322 §3.3 date: "Mon, 02 Nov 2026 09:00:00 +0000". */
void smtp_date(time_t t, char out[SMTP_DATE_MAX]);

/**
 * Deliver @p msg (CRLF line ends; stored as LF) into the INBOX of local
 * user @p user under @p data_dir, durably (maildir_deliver()).
 */
int smtp_deliver_mailbox(const char *data_dir, const char *user,
			 const char *msg, size_t len, const char **error_r);

#endif
