/*
 * smtp_deliver.c - what happens to a message once it has been read: the
 * trace headers go on top, local recipients get it in their Maildir, and
 * the others get it through the relay queue.
 *
 * RFC 5321 §4.4 (trace information): every SMTP server that receives a
 * message adds a "Received:" line at the top, and the server that makes
 * the final delivery adds "Return-Path:" with the envelope sender.
 * RFC 3848 names the "with" protocol: SMTP (HELO), ESMTP (EHLO), plus "S"
 * when TLS was used and "A" after AUTH; RFC 6531 §4.3 uses UTF8SMTP...
 * for SMTPUTF8 transactions.
 *
 * RFC 6409 §8: a submission server may complete a message its user's
 * program left incomplete; we add "Date:" (§8.3) and "Message-ID:"
 * (§8.2) when they are missing, since RFC 5322 §3.6 requires a Date and
 * recommends a Message-ID.  An MX never changes a message beyond the
 * trace lines.
 *
 * Durability (RFC 5321 §6.1): this returns 0 only after every copy is on
 * disk and fsync'ed (maildir_deliver() and smtp_queue_add() both do the
 * tmp -> fsync -> rename -> fsync-directory sequence); only then does
 * smtp_data.c answer 250.
 */
#include "smtp_internal.h"

#include "../core/maildir.h"
#include "../core/users.h"
#include "smtp_deliver.h"
#include "smtp_queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Room for the headers we put on top of a message. */
#define TRACE_HEADERS_MAX 4096

void smtp_date(time_t t, char out[SMTP_DATE_MAX])
{
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(out, SMTP_DATE_MAX, "%a, %d %b %Y %H:%M:%S %z", &tm);
}

int smtp_deliver_mailbox(const char *data_dir, const char *user,
			 const char *msg, size_t len, const char **error_r)
{
	char *md = users_maildir(data_dir, user);
	char *name = NULL;
	int r = -1;
	if (md == NULL)
		*error_r = "out of memory";
	else if (maildir_create(md, error_r) == 0 &&
		 maildir_deliver(md, msg, len, &name, error_r) == 0)
		r = 0;
	free(name);
	free(md);
	return r;
}

/* has_header - is there a "@name:" field in the header section?
 * (RFC 5322 §2.2: field names are case-insensitive; the header ends at
 * the first empty line.) */
static bool has_header(const char *msg, size_t len, const char *name)
{
	size_t nlen = strlen(name);
	for (size_t pos = 0; pos < len;) {
		const char *line = msg + pos;
		const char *eol = memchr(line, '\n', len - pos);
		size_t llen = eol ? (size_t)(eol - line) : len - pos;
		if (llen == 0 || (llen == 1 && line[0] == '\r'))
			return false;
		if (llen > nlen && strncasecmp(line, name, nlen) == 0 &&
		    line[nlen] == ':')
			return true;
		pos += llen + 1;
	}
	return false;
}

/* protocol - the "with" keyword of the Received line (RFC 3848). */
static const char *protocol(const struct smtp_session *s)
{
	static const char *const names[2][2][2] = {
		/* [utf8][tls][auth] */
		{ { "ESMTP", "ESMTPA" }, { "ESMTPS", "ESMTPSA" } },
		{ { "UTF8SMTP", "UTF8SMTPA" }, { "UTF8SMTPS", "UTF8SMTPSA" } },
	};
	if (!s->esmtp)
		return "SMTP";
	return names[s->tx.smtputf8][s->tls_active][s->authenticated];
}

/* trace_headers - Received (and for submission Date, Message-ID) into
 * @b; @id names this transaction in our trace and in the header. */
static void trace_headers(struct smtp_session *s, struct buf *b,
			  const char *id)
{
	char date[SMTP_DATE_MAX];
	time_t now = time(NULL);
	smtp_date(now, date);
	/* RFC 5321 §4.4: "from" the EHLO name and the address we saw,
	 * "by" us, "with" the protocol, "id", and "for" when there is one
	 * recipient (naming several would disclose Bcc recipients). */
	buf_printf(b, "Received: from %s (%s)\r\n\tby %s (maillab) with %s id "
		   "%s", s->helo[0] ? s->helo : "unknown", s->cfg->peer,
		   s->cfg->hostname, protocol(s), id);
	if (s->tx.nrcpt == 1)
		buf_printf(b, "\r\n\tfor <%s>", s->tx.rcpts[0].addr);
	buf_printf(b, "; %s\r\n", date);
	if (s->cfg->role != SMTP_ROLE_SUBMISSION)
		return;
	const char *msg = s->tx.data.data ? s->tx.data.data : "";
	if (!has_header(msg, s->tx.data.len, "Date"))
		buf_printf(b, "Date: %s\r\n", date);
	if (!has_header(msg, s->tx.data.len, "Message-ID"))
		buf_printf(b, "Message-ID: <%s@%s>\r\n", id, s->cfg->hostname);
}

/* deliver_local - every local recipient once, with Return-Path on top. */
static int deliver_local(struct smtp_session *s, const struct buf *msg,
			 size_t *count_r, const char **error_r)
{
	*count_r = 0;
	for (size_t i = 0; i < s->tx.nrcpt; i++) {
		const char *user = s->tx.rcpts[i].user;
		bool dup = user[0] == '\0';
		for (size_t j = 0; j < i && !dup; j++)
			dup = strcmp(s->tx.rcpts[j].user, user) == 0;
		if (dup)
			continue; /* remote, or already delivered to this user */
		if (smtp_deliver_mailbox(s->cfg->data_dir, user, msg->data,
					 msg->len, error_r) < 0)
			return -1;
		trace_event(s->trace, "delivered to %s (Maildir)", user);
		(*count_r)++;
	}
	return 0;
}

/* enqueue - the remote recipients, one queue entry for all of them. */
static int enqueue(struct smtp_session *s, const char *msg, size_t len,
		   char *id_r, size_t *count_r, const char **error_r)
{
	struct smtp_envelope *env = calloc(1, sizeof(*env));
	if (env == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	snprintf(env->from, sizeof(env->from), "%s", s->tx.from);
	env->body_8bit = s->tx.body_8bit;
	env->smtputf8 = s->tx.smtputf8;
	for (size_t i = 0; i < s->tx.nrcpt; i++)
		if (s->tx.rcpts[i].user[0] == '\0')
			snprintf(env->rcpts[env->nrcpt++], SMTP_PATH_MAX + 1,
				 "%s", s->tx.rcpts[i].addr);
	*count_r = env->nrcpt;
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/queue", s->cfg->data_dir);
	int r = env->nrcpt == 0 ? 0
		: smtp_queue_add(dir, env, msg, len, error_r);
	if (r == 0 && env->nrcpt > 0) {
		snprintf(id_r, SMTP_QUEUE_ID_MAX, "%s", env->id);
		trace_event(s->trace, "queued %s for %zu remote recipient(s)",
			    env->id, env->nrcpt);
		if (s->cfg->queued != NULL)
			s->cfg->queued(s->cfg->queued_arg);
	}
	free(env);
	return r;
}

int smtp_deliver(struct smtp_session *s, char *summary, size_t size,
		 const char **error_r)
{
	char id[SMTP_QUEUE_ID_MAX];
	snprintf(id, sizeof(id), "%ld.%lu.%lu", (long)getpid(),
		 s->trace->session, s->counter + 1);
	struct buf msg;
	buf_init(&msg, s->tx.data.len + TRACE_HEADERS_MAX + SMTP_PATH_MAX);
	/* RFC 5321 §4.4: Return-Path only on final delivery; the queued copy
	 * starts after it */
	buf_printf(&msg, "Return-Path: <%s>\r\n", s->tx.from);
	size_t rp_len = msg.len;
	trace_headers(s, &msg, id);
	buf_append(&msg, s->tx.data.data ? s->tx.data.data : "", s->tx.data.len);
	size_t local = 0, remote = 0;
	char qid[SMTP_QUEUE_ID_MAX] = "";
	int r = -1;
	if (msg.overflow)
		*error_r = "message too large with its trace headers";
	else if (deliver_local(s, &msg, &local, error_r) == 0 &&
		 enqueue(s, msg.data + rp_len, msg.len - rp_len, qid, &remote,
			 error_r) == 0)
		r = 0;
	buf_free(&msg);
	if (r == 0 && remote > 0)
		snprintf(summary, size, "delivered to %zu mailbox(es), queued as "
			 "%s for %zu remote recipient(s)", local, qid, remote);
	else if (r == 0)
		snprintf(summary, size, "delivered to %zu mailbox(es) as %s",
			 local, id);
	return r;
}
