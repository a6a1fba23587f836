/*
 * imap_append.c - APPEND: a client stores a whole message (RFC 9051
 * §6.3.12; APPENDUID from RFC 4315 §3).
 *
 *   C: A003 APPEND saved-messages (\Seen) "17-Jul-1996 02:44:25 -0700" {310}
 *   S: + Ready for literal data
 *   C: Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)
 *   C: ...
 *   S: A003 OK [APPENDUID 38505 3955] APPEND completed
 *
 * The message arrives as a literal; the parser has already refused one
 * larger than IMAP_LITERAL_MAX before it was read.  It is stored with
 * maildir_append_keywords(): tmp/, fsync, rename into cur/ with its flags,
 * and only then the OK (maildir.h).  The date, if given, becomes the
 * INTERNALDATE (the file's time).  A missing target gets [TRYCREATE]
 * (RFC 9051 §6.3.12) so that the client knows to CREATE it first.
 *
 * The new message's UID comes from the UID list (uidlist_add()), so an
 * APPEND costs about the same in a folder of ten messages or of a hundred
 * thousand.  First, new/ is listed (cur/ is not): mail waiting there may
 * have been delivered since anyone last looked, and any that has no UID
 * yet is numbered before the appended message, which then comes last, as
 * the newest (RFC 9051 §2.3.1.1: UIDs ascend in the order messages are
 * added).
 */
#include "imap_internal.h"

#include "../core/folders.h"
#include "imap_date.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* What APPEND's optional arguments give. */
struct append_req {
	unsigned flags;
	char lower[IMAP_KEYWORDS_MAX + 1]; /* keyword letters in the target */
	time_t date;                       /* 0: now */
};

/* append_flags - RFC 9051 §6.3.12: the flag list may not hold \Recent. */
static const char *append_flags(const struct imap_arg *list, size_t n,
				const char *path, struct append_req *req,
				struct keywords *kw)
{
	const char *error = "";
	uint32_t set = 0;
	for (size_t i = 0; i < n; i++) {
		if (list[i].type != IMAP_ARG_ATOM)
			return "flags are atoms such as \\Seen";
		unsigned bit = imap_flag_bit(list[i].str);
		if (bit != 0) {
			req->flags |= bit;
			continue;
		}
		if (list[i].str[0] == '\\')
			return "\\Recent and unknown system flags cannot be set";
		int idx = keywords_add(path, kw, list[i].str, &error);
		if (idx < 0)
			return error;
		set |= 1u << idx;
	}
	size_t o = 0;
	for (int i = 0; i < IMAP_KEYWORDS_MAX; i++)
		if (set & (1u << i))
			req->lower[o++] = (char)('a' + i);
	req->lower[o] = '\0';
	return NULL;
}

/* append_options - "[(flags)] [date-time]" between name and message. */
static const char *append_options(const struct imap_cmd *c, const char *path,
				  struct append_req *req, struct keywords *kw)
{
	size_t i = 1, last = c->argc - 1;
	if (i < last && c->args[i].type == IMAP_ARG_LIST) {
		const char *why = append_flags(c->args[i].list, c->args[i].count,
					       path, req, kw);
		if (why != NULL)
			return why;
		i++;
	}
	if (i < last) {
		if (c->args[i].type != IMAP_ARG_STRING ||
		    imap_date_time_parse(c->args[i].str, &req->date) < 0)
			return "the date is \"dd-Mon-yyyy hh:mm:ss +zzzz\"";
		i++;
	}
	return i == last ? NULL : "usage: APPEND mailbox [(flags)] "
				  "[date-time] {size}";
}

int imap_number_delivered(struct imap_session *s, const char *name,
			  const char *path, const char **error_r)
{
	size_t numbered;
	if (maildir_number_new(path, &numbered, error_r) < 0)
		return -1;
	if (numbered > 0)
		trace_event(s->trace, "note %s: %zu message(s) delivered to "
			    "new/ numbered first", name, numbered);
	return 0;
}

enum imap_action imap_cmd_append(struct imap_session *s,
				 const struct imap_cmd *c)
{
	char name[IMAP_MAILBOX_MAX + 8], upper[MAILDIR_FLAGS_MAX + 1], *path;
	const char *error = "";
	struct append_req req = { 0 };
	struct keywords kw = { 0 };
	if (c->argc < 2 || c->argc > 4 ||
	    c->args[c->argc - 1].type != IMAP_ARG_STRING)
		return imap_bad(s, "usage: APPEND mailbox [(flags)] [date-time] "
				"{size}");
	if (imap_mailbox_arg(s, &c->args[0], name, sizeof(name), &path) < 0)
		return IMAP_CONTINUE;
	const struct imap_arg *msg = &c->args[c->argc - 1];
	enum imap_action act;
	const char *why = NULL;
	if (!folders_exists(s->root, name))
		act = imap_no(s, "[TRYCREATE] no mailbox \"%s\"", name);
	else if (keywords_load(path, &kw, &error) < 0 ||
		 (why = append_options(c, path, &req, &kw)) != NULL)
		act = why != NULL ? imap_bad(s, "%s", why)
				  : imap_no(s, "[UNAVAILABLE] %s", error);
	else if (msg->len == 0)
		act = imap_no(s, "an empty message cannot be stored");
	else {
		uint32_t uid, validity;
		imap_flags_letters(req.flags, "", upper);
		if (imap_number_delivered(s, name, path, &error) < 0 ||
		    maildir_append_keywords(path, msg->str, msg->len, upper,
					    req.lower, req.date, &uid, &validity,
					    &error) < 0) {
			trace_event(s->trace, "error APPEND %s: %s", name, error);
			act = imap_no(s, "[CANNOT] cannot store the message: %s",
				      error);
		} else {
			trace_event(s->trace, "append %s UID %u, %zu octets",
				    name, uid, msg->len);
			act = imap_ok(s, "[APPENDUID %u %u] APPEND completed",
				      validity, uid);
		}
	}
	keywords_free(&kw);
	free(path);
	return act;
}
