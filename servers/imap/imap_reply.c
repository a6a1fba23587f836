/*
 * imap_reply.c - how imapd answers: tagged and untagged responses,
 * strings, the capability list, and output that must leave early.
 *
 * RFC 9051 §7: a command ends with exactly one tagged response, OK, NO or
 * BAD, with an optional [response code] (§7.1); before it come untagged
 * "*" responses with data, and among them the updates about the selected
 * mailbox that other sessions caused (§7.3.1 EXISTS, §7.5.1 EXPUNGE,
 * §7.5.2 FETCH), which imap_announce() writes just before the tagged
 * response, where RFC 9051 §7.5.1 allows them.
 *
 * The selected mailbox's view changes state here too, each change with
 * its trace line: imap_sync() brings it up to date ("sync"), imap_rest()
 * puts it to sleep when the client has been quiet for --sleep-after
 * seconds ("sleep"), and the next sync wakes it ("wake"; imap_wake()
 * makes sure that happens before any command looks at it).  A view that
 * cannot be brought up to date ends the session with BYE (§7.1.5).
 *
 * Strings (§4.3) are written by imap_strings.c.
 */
#include "imap_internal.h"

#include "imap_strings.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Output is handed to the glue once it passes this size. */
#define FLUSH_AT (64 * 1024)

static void vtagged(struct imap_session *s, const char *tag,
		    const char *status, const char *fmt, va_list ap)
{
	buf_printf(s->out, "%s %s ", tag, status);
	buf_vprintf(s->out, fmt, ap);
	buf_puts(s->out, "\r\n");
}

void imap_tagged_raw(struct imap_session *s, const char *tag,
		     const char *status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vtagged(s, tag, status, fmt, ap);
	va_end(ap);
}

/* expunge_allowed - RFC 9051 §7.5.1: no EXPUNGE while answering FETCH,
 * STORE or SEARCH; their UID forms are fine (§6.4.9). */
static bool expunge_allowed(const struct imap_session *s)
{
	if (s->cmd == NULL)
		return true;
	switch (s->cmd->id) {
	case IMAP_CMD_FETCH:
	case IMAP_CMD_STORE:
	case IMAP_CMD_SEARCH:
		return false;
	default:
		return true;
	}
}

int imap_sync(struct imap_session *s, const char **error_r)
{
	bool woke = imap_mailbox_asleep(s->mbox);
	int r = imap_mailbox_sync(s->mbox, error_r);
	if (r == 1)
		trace_event(s->trace, "%s %s: %s", woke ? "wake" : "sync",
			    s->mbox->name, maildir_how_text(&s->mbox->how));
	return r;
}

/* sync_or_end - imap_sync(); false if the session cannot go on. */
static bool sync_or_end(struct imap_session *s)
{
	const char *error;
	if (imap_sync(s, &error) >= 0)
		return true;
	if (!s->mbox->lost) {
		trace_event(s->trace, "error sync %s: %s", s->mbox->name, error);
		return true;
	}
	/* the client's numbers cannot be kept valid: end it
	 * (RFC 9051 §7.1.5 BYE) */
	trace_event(s->trace, "selected mailbox lost: %s", error);
	imap_untagged(s, "BYE the selected mailbox is gone (%s)", error);
	imap_enter_state(s, IMAP_LOGOUT, "selected mailbox lost");
	s->fatal = true;
	return false;
}

void imap_announce(struct imap_session *s, bool expunge_ok)
{
	if (s->mbox == NULL || s->state != IMAP_SELECTED)
		return;
	if (sync_or_end(s))
		imap_mailbox_announce(s->mbox, s->out, expunge_ok);
}

void imap_rest(struct imap_session *s)
{
	if (s->mbox == NULL || imap_mailbox_asleep(s->mbox))
		return;
	imap_mailbox_sleep(s->mbox);
	if (imap_mailbox_asleep(s->mbox))
		trace_event(s->trace, "sleep %s: %zu message(s), UIDs and flags "
			    "kept", s->mbox->name, s->mbox->count);
}

void imap_wake(struct imap_session *s)
{
	/* nothing is announced here: what changed while the view slept is
	 * reported where any change is */
	if (s->mbox != NULL && imap_mailbox_asleep(s->mbox))
		(void)sync_or_end(s);
}

static enum imap_action finish(struct imap_session *s, const char *status,
			       const char *fmt, va_list ap)
{
	imap_announce(s, expunge_allowed(s));
	vtagged(s, s->tag != NULL ? s->tag : "*", status, fmt, ap);
	return s->fatal ? IMAP_CLOSE : IMAP_CONTINUE;
}

enum imap_action imap_ok(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum imap_action act = finish(s, "OK", fmt, ap);
	va_end(ap);
	return act;
}

enum imap_action imap_no(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum imap_action act = finish(s, "NO", fmt, ap);
	va_end(ap);
	return act;
}

enum imap_action imap_bad(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	enum imap_action act = finish(s, "BAD", fmt, ap);
	va_end(ap);
	return act;
}

void imap_untagged(struct imap_session *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	buf_puts(s->out, "* ");
	buf_vprintf(s->out, fmt, ap);
	buf_puts(s->out, "\r\n");
	va_end(ap);
}

void imap_put_astring(struct imap_session *s, const char *str)
{
	imap_astring_put(s->out, str);
}

void imap_flush_some(struct imap_session *s)
{
	if (s->flush == NULL || s->flush_failed || s->out->len < FLUSH_AT)
		return;
	if (s->flush(s->flush_arg, s->out) < 0)
		s->flush_failed = true;
}

/* imap_capabilities - RFC 9051 §7.2.2: exactly what works on this
 * connection, now.  Before login: STARTTLS where the port offers it and
 * TLS is not up yet; the SASL mechanisms where a password may be sent, and
 * LOGINDISABLED where it may not (RFC 9051 §6.2.3).  CRAM-MD5 works but is
 * not listed: clients pick the strongest mechanism listed, and CRAM-MD5
 * cannot work for users whose password is stored as a hash. */
void imap_capabilities(const struct imap_session *s, struct buf *out)
{
	buf_puts(out, "IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS MOVE NAMESPACE "
		      "UNSELECT ENABLE CHILDREN");
	if (s->state != IMAP_NOT_AUTHENTICATED)
		return;
	if (s->cfg->starttls_offered && !s->tls_active)
		buf_puts(out, " STARTTLS");
	if (s->tls_active || s->cfg->cleartext_allowed)
		buf_puts(out, " AUTH=PLAIN AUTH=LOGIN");
	else
		buf_puts(out, " LOGINDISABLED");
}
