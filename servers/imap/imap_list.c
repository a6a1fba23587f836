/*
 * imap_list.c - LIST, LSUB and STATUS: what mailboxes there are, and what
 * is in one without selecting it (RFC 9051 §6.3.9, §6.3.11; RFC 3501
 * §6.3.9 for LSUB; RFC 3348 for \HasChildren and \HasNoChildren).
 *
 * A LIST pattern is the reference name followed by the mailbox name, in
 * which '*' matches anything and '%' anything but the hierarchy delimiter
 * '/'.  Matching is done with a table (pattern position x name position),
 * so a pattern full of wildcards costs at most the product of the two
 * lengths, never an exponential search.
 */
#include "imap_internal.h"

#include "../core/folders.h"
#include "../core/recent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Longest reference + pattern we match. */
#define PATTERN_MAX (2 * IMAP_MAILBOX_MAX)

/* match - RFC 9051 §6.3.9 wildcards (INBOX is made canonical in the
 * pattern by list_args()). */
static bool match(const char *pattern, const char *name)
{
	size_t pl = strlen(pattern), nl = strlen(name);
	if (pl > PATTERN_MAX || nl > PATTERN_MAX)
		return false;
	/* ok[j]: the pattern so far matches the first j octets of name */
	bool ok[PATTERN_MAX + 2], next[PATTERN_MAX + 2];
	memset(ok, 0, sizeof(ok));
	ok[0] = true;
	for (size_t i = 0; i < pl; i++) {
		char p = pattern[i];
		memset(next, 0, sizeof(next));
		for (size_t j = 0; j <= nl; j++) {
			if (p == '*' || p == '%') {
				/* a wildcard takes zero or more octets */
				next[j] = ok[j] || (j > 0 && next[j - 1] &&
						    (p == '*' || name[j - 1] != '/'));
			} else if (j > 0 && ok[j - 1]) {
				next[j] = p == name[j - 1];
			}
		}
		memcpy(ok, next, sizeof(ok));
	}
	return ok[nl];
}

/* put_list - one "* LIST (attributes) "/" name" line. */
static void put_list(struct imap_session *s, const char *verb,
		     const char *attributes, const char *name)
{
	buf_printf(s->out, "* %s (%s) \"/\" ", verb, attributes);
	imap_put_astring(s, name);
	buf_puts(s->out, "\r\n");
}

/* list_args - reference and pattern: astrings, joined. */
static bool list_args(struct imap_session *s, const struct imap_cmd *c,
		      char *pattern, size_t size)
{
	if (c->argc != 2 || c->args[0].type == IMAP_ARG_LIST ||
	    c->args[1].type == IMAP_ARG_LIST) {
		imap_bad(s, "usage: %s reference pattern", c->info->name);
		return false;
	}
	if (c->args[0].len + c->args[1].len > PATTERN_MAX) {
		imap_bad(s, "pattern too long");
		return false;
	}
	snprintf(pattern, size, "%s%s", c->args[0].str, c->args[1].str);
	/* RFC 9051 §5.1: INBOX in any case, also as the first level */
	if (strncasecmp(pattern, "INBOX", 5) == 0 &&
	    (pattern[5] == '\0' || pattern[5] == '/'))
		memcpy(pattern, "INBOX", 5);
	return true;
}

enum imap_action imap_cmd_list(struct imap_session *s,
			       const struct imap_cmd *c)
{
	char pattern[PATTERN_MAX + 1];
	const char *error = "";
	struct folder_list l;
	if (!list_args(s, c, pattern, sizeof(pattern)))
		return IMAP_CONTINUE;
	/* RFC 9051 §6.3.9: an empty pattern asks for the delimiter */
	if (c->args[1].len == 0) {
		imap_untagged(s, "LIST (\\Noselect) \"/\" \"\"");
		return imap_ok(s, "LIST completed");
	}
	if (folders_list(s->root, &l, &error) < 0) {
		trace_event(s->trace, "error LIST: %s", error);
		return imap_no(s, "[UNAVAILABLE] cannot list mailboxes now");
	}
	for (size_t i = 0; i < l.count; i++)
		if (match(pattern, l.items[i].name))
			put_list(s, "LIST", l.items[i].selectable
				 ? (l.items[i].has_children ? "\\HasChildren"
							    : "\\HasNoChildren")
				 : (l.items[i].has_children
					    ? "\\Noselect \\HasChildren"
					    : "\\Noselect \\HasNoChildren"),
				 l.items[i].name);
	folders_list_free(&l);
	return imap_ok(s, "LIST completed");
}

/* listed - a name already written by LSUB. */
static bool listed(const struct folder_list *done, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(done->items[i].name, name) == 0)
			return true;
	return false;
}

enum imap_action imap_cmd_lsub(struct imap_session *s,
			       const struct imap_cmd *c)
{
	char pattern[PATTERN_MAX + 1], prefix[IMAP_MAILBOX_MAX + 1];
	const char *error = "";
	struct folder_list subs;
	if (!list_args(s, c, pattern, sizeof(pattern)))
		return IMAP_CONTINUE;
	if (folders_subscriptions(s->root, &subs, &error) < 0) {
		trace_event(s->trace, "error LSUB: %s", error);
		return imap_no(s, "[UNAVAILABLE] cannot read subscriptions now");
	}
	for (size_t i = 0; i < subs.count; i++) {
		const char *name = subs.items[i].name;
		if (match(pattern, name)) {
			put_list(s, "LSUB", "", name);
			continue;
		}
		/* RFC 3501 §6.3.9: when '%' stops short of a subscribed
		 * name, its unsubscribed parent is shown, \Noselect */
		snprintf(prefix, sizeof(prefix), "%s", name);
		for (char *p = strrchr(prefix, '/'); p != NULL;
		     p = strrchr(prefix, '/')) {
			*p = '\0';
			if (match(pattern, prefix) && !listed(&subs, subs.count, prefix))
				put_list(s, "LSUB", "\\Noselect", prefix);
		}
	}
	folders_list_free(&subs);
	return imap_ok(s, "LSUB completed");
}

/* ---- STATUS ----------------------------------------------------------- */

enum status_item { ST_MESSAGES, ST_RECENT, ST_UIDNEXT, ST_UIDVALIDITY,
		   ST_UNSEEN, ST_SIZE, ST_DELETED, ST_COUNT };

/* RFC 9051 §6.3.11 (SIZE and DELETED are IMAP4rev2's, RECENT rev1's). */
static const char *const status_names[ST_COUNT] = {
	"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "SIZE",
	"DELETED",
};

/* count_status - every item from one scan of the folder; @how_r says
 * how the scan listed it, for the trace. */
static int count_status(const char *path, unsigned long long v[ST_COUNT],
			struct maildir_how *how_r, const char **error_r)
{
	struct maildir_list list;
	uint32_t mark;
	if (maildir_scan(path, &list, error_r) < 0)
		return -1;
	*how_r = list.how;
	memset(v, 0, ST_COUNT * sizeof(*v));
	int r = recent_peek(path, list.uidvalidity, &mark, error_r);
	v[ST_MESSAGES] = list.count;
	v[ST_UIDNEXT] = list.uidnext;
	v[ST_UIDVALIDITY] = list.uidvalidity;
	for (size_t i = 0; i < list.count; i++) {
		unsigned flags;
		uint32_t kw;
		imap_flags_from_name(list.msgs[i].name, &flags, &kw);
		v[ST_RECENT] += list.msgs[i].uid > mark;
		v[ST_UNSEEN] += !(flags & IMAP_F_SEEN);
		v[ST_DELETED] += (flags & IMAP_F_DELETED) != 0;
		v[ST_SIZE] += (unsigned long long)list.msgs[i].wire_size;
	}
	maildir_list_free(&list);
	return r;
}

enum imap_action imap_cmd_status(struct imap_session *s,
				 const struct imap_cmd *c)
{
	char name[IMAP_MAILBOX_MAX + 8], *path;
	const char *error = "";
	int items[ST_COUNT];
	unsigned long long v[ST_COUNT];
	if (c->argc != 2 || c->args[1].type != IMAP_ARG_LIST ||
	    c->args[1].count == 0 || c->args[1].count > ST_COUNT)
		return imap_bad(s, "usage: STATUS mailbox (MESSAGES UIDNEXT "
				"UIDVALIDITY UNSEEN RECENT SIZE DELETED)");
	const struct imap_arg *list = c->args[1].list;
	for (size_t i = 0; i < c->args[1].count; i++) {
		items[i] = -1;
		for (int k = 0; k < ST_COUNT && items[i] < 0; k++)
			if (imap_arg_is(&list[i], status_names[k]))
				items[i] = k;
		if (items[i] < 0)
			return imap_bad(s, "unknown STATUS item");
	}
	if (imap_mailbox_arg(s, &c->args[0], name, sizeof(name), &path) < 0)
		return IMAP_CONTINUE;
	struct maildir_how how;
	int r = folders_exists(s->root, name)
		? count_status(path, v, &how, &error) : 1;
	free(path);
	if (r == 1)
		return imap_no(s, "[NONEXISTENT] no mailbox \"%s\"", name);
	if (r < 0) {
		trace_event(s->trace, "error STATUS %s: %s", name, error);
		return imap_no(s, "[UNAVAILABLE] cannot read \"%s\" now", name);
	}
	trace_event(s->trace, "STATUS %s: %s", name, maildir_how_text(&how));
	buf_puts(s->out, "* STATUS ");
	imap_put_astring(s, name);
	buf_puts(s->out, " (");
	for (size_t i = 0; i < c->args[1].count; i++)
		buf_printf(s->out, "%s%s %llu", i > 0 ? " " : "",
			   status_names[items[i]], v[items[i]]);
	buf_puts(s->out, ")\r\n");
	return imap_ok(s, "STATUS completed");
}
