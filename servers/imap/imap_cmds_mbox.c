/*
 * imap_cmds_mbox.c - working with mailboxes as a whole: SELECT, EXAMINE,
 * CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, NAMESPACE, ENABLE
 * (RFC 9051 §6.3; LIST, LSUB and STATUS are in imap_list.c).
 *
 * Mailboxes are Maildir++ folders of the user's Maildir (folders.h); the
 * names are checked by imap_mailbox_arg() before anything touches the
 * disk, so a name that would leave the Maildir gets NO and nothing else.
 * Response codes are RFC 5530's where one fits: [NONEXISTENT],
 * [ALREADYEXISTS], [CANNOT], [UNAVAILABLE].
 */
#include "imap_internal.h"

#include "../core/folders.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* open_mailbox - SELECT and EXAMINE (RFC 9051 §6.3.2, §6.3.3). */
static enum imap_action open_mailbox(struct imap_session *s,
				     const struct imap_cmd *c, bool readonly)
{
	const char *verb = readonly ? "EXAMINE" : "SELECT", *error = "";
	char name[IMAP_MAILBOX_MAX + 8], *path;
	if (c->argc != 1)
		return imap_bad(s, "usage: %s mailbox", verb);
	int arg = imap_mailbox_arg(s, &c->args[0], name, sizeof(name), &path);
	/* Selecting the mailbox that is already selected, with nothing
	 * changed on disk, keeps the view: the replies are the same as for
	 * a fresh open, without reading 10,000 file names again. */
	struct imap_mailbox *mb = NULL;
	if (arg == 0 && s->mbox != NULL && strcmp(s->mbox->name, name) == 0 &&
	    imap_mailbox_reuse(s->mbox, readonly)) {
		mb = s->mbox;
		s->mbox = NULL;
		trace_event(s->trace, "%s %s: unchanged on disk, view kept",
			    verb, name);
	}
	/* RFC 9051 §6.3.2: the selected mailbox is closed first, without
	 * expunging; if the new one cannot be opened, no mailbox is
	 * selected any more */
	imap_deselect(s, "a new SELECT or EXAMINE");
	if (arg < 0)
		return IMAP_CONTINUE;
	bool kept = mb != NULL;
	int r = kept ? 0
		: folders_exists(s->root, name)
		? imap_mailbox_open(name, path, readonly, &mb, &error) : 1;
	free(path);
	if (r == 1)
		return imap_no(s, "[NONEXISTENT] no mailbox \"%s\"", name);
	if (r < 0) {
		trace_event(s->trace, "error %s %s: %s", verb, name, error);
		return imap_no(s, "[UNAVAILABLE] cannot open \"%s\" now", name);
	}
	if (!kept)
		trace_event(s->trace, "%s %s: %s", verb, name,
			    maildir_how_text(&mb->how));
	if (mb->inotify_fd < 0)
		trace_event(s->trace, "%s %s: no inotify watch (fs.inotify "
			    "limits reached?): changes are found from the "
			    "folder's times", verb, name);
	s->mbox = mb;
	imap_mailbox_select_replies(mb, s->out);
	size_t unseen = imap_mailbox_first_unseen(mb);
	if (unseen > 0)
		imap_untagged(s, "OK [UNSEEN %zu] first unseen message", unseen);
	imap_untagged(s, "OK [UIDVALIDITY %u] UIDs valid", mb->uidvalidity);
	imap_untagged(s, "OK [UIDNEXT %u] predicted next UID", mb->uidnext);
	imap_enter_state(s, IMAP_SELECTED, "%s %s, %zu messages", verb, name,
			 mb->count);
	return imap_ok(s, "[%s] %s completed",
		       readonly ? "READ-ONLY" : "READ-WRITE", verb);
}

enum imap_action imap_cmd_select(struct imap_session *s,
				 const struct imap_cmd *c)
{
	return open_mailbox(s, c, false);
}

enum imap_action imap_cmd_examine(struct imap_session *s,
				  const struct imap_cmd *c)
{
	return open_mailbox(s, c, true);
}

/* is_selected - the session has @p name open. */
static bool is_selected(const struct imap_session *s, const char *name)
{
	return s->mbox != NULL && strcmp(s->mbox->name, name) == 0;
}

enum imap_action imap_cmd_create(struct imap_session *s,
				 const struct imap_cmd *c)
{
	char name[IMAP_MAILBOX_MAX + 8], *path;
	const char *error = "";
	if (c->argc != 1 || c->args[0].type == IMAP_ARG_LIST)
		return imap_bad(s, "usage: CREATE mailbox");
	/* RFC 9051 §6.3.4: a trailing delimiter only declares that names
	 * will be created below this one */
	struct imap_arg a = c->args[0];
	char trimmed[IMAP_MAILBOX_MAX + 1];
	if (a.len > 1 && a.len <= IMAP_MAILBOX_MAX && a.str[a.len - 1] == '/') {
		snprintf(trimmed, sizeof(trimmed), "%.*s", (int)a.len - 1, a.str);
		a.str = trimmed;
		a.len--;
	}
	if (imap_mailbox_arg(s, &a, name, sizeof(name), &path) < 0)
		return IMAP_CONTINUE;
	free(path);
	if (strcmp(name, "INBOX") == 0)
		return imap_no(s, "[ALREADYEXISTS] INBOX always exists");
	int r = folders_create(s->root, name, &error);
	if (r == FOLDERS_EXISTS)
		return imap_no(s, "[ALREADYEXISTS] \"%s\" already exists", name);
	if (r < 0) {
		trace_event(s->trace, "error CREATE %s: %s", name, error);
		return imap_no(s, "[CANNOT] cannot create \"%s\": %s", name,
			       error);
	}
	return imap_ok(s, "CREATE completed");
}

enum imap_action imap_cmd_delete(struct imap_session *s,
				 const struct imap_cmd *c)
{
	char name[IMAP_MAILBOX_MAX + 8], *path;
	const char *error = "";
	if (c->argc != 1)
		return imap_bad(s, "usage: DELETE mailbox");
	if (imap_mailbox_arg(s, &c->args[0], name, sizeof(name), &path) < 0)
		return IMAP_CONTINUE;
	free(path);
	if (strcmp(name, "INBOX") == 0)
		return imap_no(s, "[CANNOT] INBOX cannot be deleted (RFC 9051 "
			       "section 6.3.5)");
	/* deleting the open mailbox closes it first, as RFC 9051's [CLOSED]
	 * describes, rather than losing it under the session */
	if (is_selected(s, name))
		imap_deselect(s, "DELETE of the selected mailbox");
	int r = folders_delete(s->root, name, &error);
	if (r == FOLDERS_MISSING)
		return imap_no(s, "[NONEXISTENT] no mailbox \"%s\"", name);
	if (r < 0) {
		trace_event(s->trace, "error DELETE %s: %s", name, error);
		return imap_no(s, "[CANNOT] cannot delete \"%s\": %s", name,
			       error);
	}
	return imap_ok(s, "DELETE completed");
}

enum imap_action imap_cmd_rename(struct imap_session *s,
				 const struct imap_cmd *c)
{
	char from[IMAP_MAILBOX_MAX + 8], to[IMAP_MAILBOX_MAX + 8], *path;
	const char *error = "";
	if (c->argc != 2)
		return imap_bad(s, "usage: RENAME old-name new-name");
	if (imap_mailbox_arg(s, &c->args[0], from, sizeof(from), &path) < 0)
		return IMAP_CONTINUE;
	free(path);
	if (imap_mailbox_arg(s, &c->args[1], to, sizeof(to), &path) < 0)
		return IMAP_CONTINUE;
	free(path);
	if (strcmp(to, "INBOX") == 0)
		return imap_no(s, "[ALREADYEXISTS] INBOX always exists");
	/* INBOX stays selectable (it is only emptied); any other open
	 * mailbox is closed before it moves away */
	if (is_selected(s, from) && strcmp(from, "INBOX") != 0)
		imap_deselect(s, "RENAME of the selected mailbox");
	int r = folders_rename(s->root, from, to, &error);
	if (r == FOLDERS_MISSING)
		return imap_no(s, "[NONEXISTENT] no mailbox \"%s\"", from);
	if (r == FOLDERS_EXISTS)
		return imap_no(s, "[ALREADYEXISTS] \"%s\" already exists", to);
	if (r < 0) {
		trace_event(s->trace, "error RENAME %s: %s", from, error);
		return imap_no(s, "[CANNOT] cannot rename \"%s\": %s", from,
			       error);
	}
	return imap_ok(s, "RENAME completed");
}

/* subscribe - RFC 9051 §6.3.7, §6.3.8; the mailbox need not exist. */
static enum imap_action subscribe(struct imap_session *s,
				  const struct imap_cmd *c, bool on)
{
	char name[IMAP_MAILBOX_MAX + 8], *path;
	const char *error = "";
	if (c->argc != 1)
		return imap_bad(s, "usage: %s mailbox", c->info->name);
	if (imap_mailbox_arg(s, &c->args[0], name, sizeof(name), &path) < 0)
		return IMAP_CONTINUE;
	free(path);
	if (folders_subscribe(s->root, name, on, &error) < 0) {
		trace_event(s->trace, "error %s %s: %s", c->info->name, name,
			    error);
		return imap_no(s, "[UNAVAILABLE] cannot change subscriptions now");
	}
	return imap_ok(s, "%s completed", c->info->name);
}

enum imap_action imap_cmd_subscribe(struct imap_session *s,
				    const struct imap_cmd *c)
{
	return subscribe(s, c, true);
}

enum imap_action imap_cmd_unsubscribe(struct imap_session *s,
				      const struct imap_cmd *c)
{
	return subscribe(s, c, false);
}

enum imap_action imap_cmd_namespace(struct imap_session *s,
				    const struct imap_cmd *c)
{
	if (c->argc != 0)
		return imap_bad(s, "NAMESPACE takes no arguments");
	/* RFC 2342 §5: one personal namespace with no prefix and '/' as the
	 * delimiter; no other users' or shared mailboxes */
	imap_untagged(s, "NAMESPACE ((\"\" \"/\")) NIL NIL");
	return imap_ok(s, "NAMESPACE completed");
}

enum imap_action imap_cmd_enable(struct imap_session *s,
				 const struct imap_cmd *c)
{
	if (c->argc == 0)
		return imap_bad(s, "usage: ENABLE capability...");
	for (size_t i = 0; i < c->argc; i++)
		if (c->args[i].type != IMAP_ARG_ATOM)
			return imap_bad(s, "ENABLE takes capability names");
	/* RFC 5161 §3.1: names the server does not know or cannot enable
	 * are ignored; none of the extensions ENABLE switches on (IMAP4rev2,
	 * UTF8=ACCEPT, CONDSTORE, QRESYNC) is offered here */
	imap_untagged(s, "ENABLED");
	return imap_ok(s, "ENABLE completed");
}
