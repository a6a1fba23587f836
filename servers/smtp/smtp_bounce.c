/*
 * smtp_bounce.c - tell the sender that mail could not be delivered: a
 * delivery status notification (DSN, RFC 3464).
 *
 * RFC 5321 §4.5.5 and §6.1: when a server that accepted a message cannot
 * deliver it, it sends a notification to the envelope sender, with the
 * null reverse-path "MAIL FROM:<>" so that a failing notification never
 * causes another one.  RFC 3464 §2 gives the format: a multipart/report
 * (RFC 6522) with three parts:
 *
 *   1. text for a person: what failed and what the next hop said;
 *   2. message/delivery-status: per message "Reporting-MTA" and
 *      "Arrival-Date", then per recipient "Final-Recipient", "Action:
 *      failed", "Status" (an RFC 3463 code) and "Diagnostic-Code";
 *   3. text/rfc822-headers: the header of the returned message.
 *
 * A sender in one of our domains gets the bounce straight into its
 * Maildir (the usual case: only our users relay); any other sender gets
 * it through the queue, from <>.
 */
#include "smtp_runner.h"

#include "smtp_deliver.h"
#include "../core/users.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Room for the parts we write around the returned header. */
#define BOUNCE_TEXT_MAX (64 * 1024)

/* status_code - the RFC 3463 code for a recipient: the one in the reply
 * ("550 5.1.1 ..."), else the class of the reply code; a recipient that
 * only ever failed temporarily expired (4.4.7, RFC 3463 §3.5). */
static void status_code(const struct smtp_relay_status *st, char *out,
			size_t size)
{
	const char *t = st->reply;
	if (st->code < 500) {
		snprintf(out, size, "4.4.7");
		return;
	}
	if (strlen(t) > 6 && t[3] == ' ' && isdigit((unsigned char)t[4]) &&
	    t[5] == '.') {
		size_t n = strspn(t + 4, "0123456789.");
		snprintf(out, size, "%.*s", (int)n, t + 4);
		return;
	}
	snprintf(out, size, "%d.0.0", st->code / 100);
}

/* header_part - the returned message's header, up to the empty line. */
static void header_part(struct buf *out, const char *data, size_t len)
{
	for (size_t pos = 0; pos < len;) {
		const char *eol = memchr(data + pos, '\n', len - pos);
		size_t llen = eol ? (size_t)(eol - data - pos) + 1 : len - pos;
		if (llen <= 2 && (data[pos] == '\r' || data[pos] == '\n'))
			break;
		buf_append(out, data + pos, llen);
		pos += llen;
	}
}

int smtp_bounce_format(const char *hostname, const struct smtp_envelope *env,
		       const char *data, size_t len,
		       const struct smtp_failure *failures, size_t n,
		       time_t now, struct buf *out)
{
	char date[SMTP_DATE_MAX], arrival[SMTP_DATE_MAX], code[16];
	const char *b = "maillab-dsn-boundary";
	smtp_date(now, date);
	smtp_date(env->created, arrival);
	buf_printf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n"
		   "To: <%s>\r\nSubject: Undelivered Mail Returned to Sender\r\n"
		   "Date: %s\r\nMessage-ID: <%s.bounce@%s>\r\n"
		   "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
		   "Content-Type: multipart/report; "
		   "report-type=delivery-status;\r\n\tboundary=\"%s\"\r\n\r\n"
		   "This is a delivery status notification (RFC 3464).\r\n\r\n",
		   hostname, env->from, date, env->id, hostname, b);
	buf_printf(out, "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n"
		   "\r\nThis is the mail system at %s.\r\n\r\nYour message could "
		   "not be delivered to these recipients:\r\n\r\n", b, hostname);
	for (size_t i = 0; i < n; i++)
		buf_printf(out, "<%s>: %s%s\r\n", failures[i].rcpt,
			   failures[i].status->code < 500 ? "gave up after "
			   "repeated temporary failures; last: " : "",
			   failures[i].status->reply);
	buf_printf(out, "\r\n--%s\r\nContent-Type: message/delivery-status\r\n"
		   "\r\nReporting-MTA: dns; %s\r\nArrival-Date: %s\r\n",
		   b, hostname, arrival);
	for (size_t i = 0; i < n; i++) {
		status_code(failures[i].status, code, sizeof(code));
		buf_printf(out, "\r\nFinal-Recipient: rfc822; %s\r\nAction: "
			   "failed\r\nStatus: %s\r\nDiagnostic-Code: smtp; %s\r\n",
			   failures[i].rcpt, code, failures[i].status->reply);
	}
	buf_printf(out, "\r\n--%s\r\nContent-Type: text/rfc822-headers\r\n\r\n",
		   b);
	header_part(out, data, len);
	buf_printf(out, "\r\n--%s--\r\n", b);
	return out->overflow ? -1 : 0;
}

/* local_sender - the user a sender in our domains is, or -1. */
static int local_sender(const struct smtp_runner_config *cfg,
			const char *from, char *user, size_t size)
{
	const char *at = strrchr(from, '@');
	if (at == NULL)
		return -1;
	bool ours = false;
	for (int i = 0; i < cfg->ndomains; i++)
		ours |= strcasecmp(cfg->domains[i], at + 1) == 0;
	snprintf(user, size, "%.*s", (int)(at - from), from);
	for (char *c = user; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return ours && users_name_valid(user) &&
	       users_exists(cfg->users_file, user) ? 0 : -1;
}

/* send_remote - a sender elsewhere: queue the bounce from <>. */
static int send_remote(const struct smtp_runner_config *cfg,
		       const struct smtp_envelope *env, const struct buf *msg,
		       const char **error_r)
{
	struct smtp_envelope *b = calloc(1, sizeof(*b));
	if (b == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	snprintf(b->rcpts[0], sizeof(b->rcpts[0]), "%s", env->from);
	b->nrcpt = 1;
	int r = smtp_queue_add(cfg->queue_dir, b, msg->data, msg->len, error_r);
	free(b);
	if (r == 0)
		raise(SIGUSR1); /* our own wake-up: try it on the next pass */
	return r;
}

void smtp_bounce(const struct smtp_runner_config *cfg,
		 const struct smtp_envelope *env, const char *data, size_t len,
		 const struct smtp_failure *failures, size_t n)
{
	if (env->from[0] == '\0') {
		trace_event(&cfg->trace, "bounce %s: not sent (the null sender "
			    "gets no bounce, RFC 5321 section 4.5.5)", env->id);
		return;
	}
	struct buf msg;
	buf_init(&msg, BOUNCE_TEXT_MAX + len);
	buf_puts(&msg, "Return-Path: <>\r\n");
	size_t rp_len = msg.len;
	const char *error = "message too large";
	char user[USER_NAME_MAX + 1];
	int r = -1;
	if (smtp_bounce_format(cfg->hostname, env, data, len, failures, n,
			       time(NULL), &msg) == 0) {
		if (local_sender(cfg, env->from, user, sizeof(user)) == 0)
			r = smtp_deliver_mailbox(cfg->data_dir, user, msg.data,
						 msg.len, &error);
		else {
			struct buf rest = msg;
			rest.data += rp_len;
			rest.len -= rp_len;
			r = send_remote(cfg, env, &rest, &error);
		}
	}
	trace_event(&cfg->trace, "bounce %s to <%s> for %zu recipient(s): %s",
		    env->id, env->from, n, r == 0 ? "sent" : error);
	buf_free(&msg);
}
