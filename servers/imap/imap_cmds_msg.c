/*
 * imap_cmds_msg.c - the SELECTED state's commands that change messages or
 * leave the mailbox: CHECK, CLOSE, UNSELECT, EXPUNGE, UID EXPUNGE, STORE
 * and UID STORE (RFC 9051 §6.4; RFC 3501 §6.4.1 CHECK; RFC 4315 §2.1 UID
 * EXPUNGE).  COPY and MOVE are in imap_copy.c.
 *
 * A mailbox opened with EXAMINE is read-only: STORE and EXPUNGE answer
 * NO [READ-ONLY], and CLOSE expunges nothing (RFC 9051 §6.4.1).
 */
#include "imap_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum imap_action imap_cmd_check(struct imap_session *s,
				const struct imap_cmd *c)
{
	if (c->argc != 0)
		return imap_bad(s, "CHECK takes no arguments");
	/* RFC 3501 §6.4.1: a checkpoint; every change is already on disk */
	return imap_ok(s, "CHECK completed");
}

/* expunge_deleted - remove the \Deleted messages (of @p set, if given),
 * with "* n EXPUNGE" for each into @p out (NULL: silently).  The view is
 * synced first, so a \Deleted another session set counts too. */
static int expunge_deleted(struct imap_session *s, const struct imap_cmd *c,
			   const struct imap_seqset *set, struct buf *out)
{
	struct imap_mailbox *mb = s->mbox;
	const char *error = "";
	int failed = 0;
	if (imap_sync(s, &error) < 0 && mb->lost)
		return -1;
	for (size_t i = 0; i < mb->count;) {
		const struct imap_msg *m = &mb->msgs[i];
		if (!(m->flags & IMAP_F_DELETED) || m->expunged ||
		    (set != NULL && !imap_in_set(s, c, set, i))) {
			i++;
			continue;
		}
		if (imap_mailbox_expunge(mb, i, out, &error) < 0) {
			trace_event(s->trace, "error expunge UID %u: %s",
				    m->file.uid, error);
			failed = -1;
			i++;
		}
	}
	return failed;
}

enum imap_action imap_cmd_close(struct imap_session *s,
				const struct imap_cmd *c)
{
	if (c->argc != 0)
		return imap_bad(s, "CLOSE takes no arguments");
	/* RFC 9051 §6.4.1: expunge without EXPUNGE responses, then leave */
	if (!s->mbox->readonly)
		(void)expunge_deleted(s, c, NULL, NULL);
	imap_deselect(s, "CLOSE");
	return imap_ok(s, "CLOSE completed");
}

enum imap_action imap_cmd_unselect(struct imap_session *s,
				   const struct imap_cmd *c)
{
	if (c->argc != 0)
		return imap_bad(s, "UNSELECT takes no arguments");
	/* RFC 3691 §2, RFC 9051 §6.4.2: like CLOSE, but nothing expunged */
	imap_deselect(s, "UNSELECT");
	return imap_ok(s, "UNSELECT completed");
}

enum imap_action imap_cmd_expunge(struct imap_session *s,
				  const struct imap_cmd *c)
{
	if (c->argc != 0)
		return imap_bad(s, "EXPUNGE takes no arguments");
	if (s->mbox->readonly)
		return imap_no(s, "[READ-ONLY] the mailbox was opened with "
			       "EXAMINE");
	if (expunge_deleted(s, c, NULL, s->out) < 0)
		return imap_no(s, "[UNAVAILABLE] some messages could not be "
			       "expunged");
	return imap_ok(s, "EXPUNGE completed");
}

enum imap_action imap_cmd_uid_expunge(struct imap_session *s,
				      const struct imap_cmd *c)
{
	struct imap_seqset set;
	if (c->argc != 1)
		return imap_bad(s, "usage: UID EXPUNGE uid-set");
	if (s->mbox->readonly)
		return imap_no(s, "[READ-ONLY] the mailbox was opened with "
			       "EXAMINE");
	if (imap_message_set(s, c, &c->args[0], &set) < 0)
		return IMAP_CONTINUE;
	/* RFC 4315 §2.1: only the \Deleted messages among these UIDs */
	int r = expunge_deleted(s, c, &set, s->out);
	imap_seqset_free(&set);
	if (r < 0)
		return imap_no(s, "[UNAVAILABLE] some messages could not be "
			       "expunged");
	return imap_ok(s, "UID EXPUNGE completed");
}

/* ---- STORE ------------------------------------------------------------ */

enum store_mode { STORE_SET, STORE_ADD, STORE_REMOVE };

struct store_req {
	enum store_mode mode;
	bool silent;
	unsigned flags;
	uint32_t keywords;
};

/* store_item - "[+|-]FLAGS[.SILENT]" (RFC 9051 §6.4.6). */
static bool store_item(const struct imap_arg *a, struct store_req *req)
{
	const char *p = imap_arg_text(a);
	if (a->type != IMAP_ARG_ATOM)
		return false;
	req->mode = *p == '+' ? STORE_ADD : *p == '-' ? STORE_REMOVE : STORE_SET;
	p += req->mode != STORE_SET;
	if (strncasecmp(p, "FLAGS", 5) != 0)
		return false;
	req->silent = strcasecmp(p + 5, ".SILENT") == 0;
	return p[5] == '\0' || req->silent;
}

/* store_flag - one flag of the list: a system flag, or a keyword (which
 * gets a letter in this mailbox unless it is only being removed).
 * Returns NULL, or the reason it is refused. */
static const char *store_flag(struct imap_session *s, const char *name,
			      struct store_req *req)
{
	const char *error = "";
	unsigned bit = imap_flag_bit(name);
	if (bit != 0) {
		req->flags |= bit;
		return NULL;
	}
	/* RFC 9051 §2.3.2: \Recent is the server's, and other \ names are
	 * reserved for future system flags */
	if (name[0] == '\\')
		return strcasecmp(name, "\\Recent") == 0
			? "\\Recent cannot be stored" : "unknown system flag";
	int k = imap_mailbox_keyword(s->mbox, name, req->mode != STORE_REMOVE,
				     &error);
	if (k >= 0)
		req->keywords |= 1u << k;
	else if (req->mode != STORE_REMOVE)
		return error;
	return NULL;
}

/* store_flags - the flag list: "(a b)", or the flags as separate atoms. */
static const char *store_flags(struct imap_session *s, const struct imap_cmd *c,
			       struct store_req *req)
{
	const struct imap_arg *a = &c->args[2];
	size_t n = c->argc - 2;
	if (n == 1 && a->type == IMAP_ARG_LIST) {
		n = a->count;
		a = a->list;
	}
	for (size_t i = 0; i < n; i++) {
		if (a[i].type != IMAP_ARG_ATOM)
			return "flags are atoms such as \\Seen or $Forwarded";
		const char *why = store_flag(s, a[i].str, req);
		if (why != NULL)
			return why;
	}
	return NULL;
}

/* store_one - apply the request to message @p i; false if it is gone. */
static bool store_one(struct imap_session *s, const struct imap_cmd *c,
		      const struct store_req *req, size_t i)
{
	struct imap_mailbox *mb = s->mbox;
	struct imap_msg *m = &mb->msgs[i];
	unsigned flags = m->flags & IMAP_F_STORED;
	uint32_t kw = m->keywords;
	const char *error = "";
	if (m->expunged)
		return false;
	if (req->mode == STORE_SET) {
		flags = req->flags;
		kw = req->keywords;
	} else if (req->mode == STORE_ADD) {
		flags |= req->flags;
		kw |= req->keywords;
	} else {
		flags &= ~req->flags;
		kw &= ~req->keywords;
	}
	if (imap_mailbox_set_flags(mb, i, flags, kw, &error) < 0) {
		trace_event(s->trace, "error STORE UID %u: %s", m->file.uid,
			    error);
		return false;
	}
	if (!req->silent) {
		buf_printf(s->out, "* %zu FETCH (FLAGS (", i + 1);
		imap_flags_put(mb, m->flags, m->keywords, s->out);
		/* RFC 9051 §6.4.9: UID commands' FETCH responses carry UID */
		if (c->uid)
			buf_printf(s->out, ") UID %u)\r\n", m->file.uid);
		else
			buf_puts(s->out, "))\r\n");
	}
	return true;
}

enum imap_action imap_cmd_store(struct imap_session *s,
				const struct imap_cmd *c)
{
	struct store_req req = { 0 };
	struct imap_seqset set;
	if (c->argc < 3 || !store_item(&c->args[1], &req))
		return imap_bad(s, "usage: STORE set [+|-]FLAGS[.SILENT] "
				"(flags)");
	if (s->mbox->readonly)
		return imap_no(s, "[READ-ONLY] the mailbox was opened with "
			       "EXAMINE");
	if (imap_message_set(s, c, &c->args[0], &set) < 0)
		return IMAP_CONTINUE;
	const char *why = store_flags(s, c, &req);
	if (why != NULL) {
		imap_seqset_free(&set);
		return imap_bad(s, "%s", why);
	}
	bool gone = false;
	size_t first, end;
	imap_set_window(s, c, &set, &first, &end);
	for (size_t i = first; i < end; i++) {
		if (imap_in_set(s, c, &set, i) && !store_one(s, c, &req, i))
			gone = true;
		imap_flush_some(s);
	}
	imap_seqset_free(&set);
	/* RFC 5530 §3: EXPUNGEISSUED, another session removed some */
	if (gone)
		return imap_no(s, "[EXPUNGEISSUED] some of the messages no "
			       "longer exist");
	return imap_ok(s, "%s completed", c->info->name);
}
