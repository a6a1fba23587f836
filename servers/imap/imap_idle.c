/*
 * imap_idle.c - IDLE (RFC 2177; RFC 9051 §6.3.13): the client stops
 * polling and the server reports changes as they happen.
 *
 *   C: a1 IDLE
 *   S: + idling
 *   S: * 4 EXISTS            (whenever mail arrives)
 *   C: DONE
 *   S: a1 OK IDLE terminated
 *
 * The core only keeps the state; the waiting is the glue's: it sleeps in
 * poll() on the client's socket and on the selected mailbox's inotify
 * descriptor (imap_idle_fd()), so an idle session costs no CPU at all, and
 * calls imap_idle_wake() when the mailbox changed.  During IDLE a command
 * is in progress, so EXPUNGE may be sent (RFC 9051 §7.5.1).
 */
#include "imap_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum imap_action imap_cmd_idle(struct imap_session *s,
			       const struct imap_cmd *c)
{
	if (c->argc != 0)
		return imap_bad(s, "IDLE takes no arguments");
	free(s->idle_tag);
	s->idle_tag = strdup(c->tag);
	if (s->idle_tag == NULL)
		return imap_no(s, "[SERVERBUG] out of memory");
	s->idling = true;
	buf_puts(s->out, "+ idling\r\n");
	/* what happened before the IDLE is reported at once */
	imap_announce(s, true);
	trace_event(s->trace, "idle %s", s->mbox != NULL ? s->mbox->name
							 : "(no mailbox)");
	return s->fatal ? IMAP_CLOSE : IMAP_IDLE;
}

enum imap_action imap_idle_line(struct imap_session *s, const char *line)
{
	s->idling = false;
	s->tag = s->idle_tag;
	enum imap_action act;
	/* RFC 2177 §3: the client ends IDLE with "DONE", nothing else */
	if (strcasecmp(line, "DONE") == 0)
		act = imap_ok(s, "IDLE terminated");
	else
		act = imap_bad(s, "expected DONE to end IDLE");
	s->tag = NULL;
	return act;
}

int imap_idle_fd(const struct imap_session *s)
{
	return s->idling && s->mbox != NULL ? s->mbox->inotify_fd : -1;
}

void imap_idle_wake(struct imap_session *s, struct buf *out)
{
	s->out = out;
	imap_announce(s, true);
}
