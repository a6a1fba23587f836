/*
 * imap_args.c - arguments many commands share: mailbox names and message
 * sets.
 *
 * Mailbox names (RFC 9051 §5.1): INBOX is case-insensitive; the hierarchy
 * delimiter is '/'; names travel in modified UTF-7 (RFC 3501 §5.1.3) and
 * are stored that way too.  Whether a name may become a directory at all
 * (no "..", no '/' at either end, no control characters, no '.', which
 * Maildir++ uses between levels) is decided by maildir_folder_path(), the
 * one place that turns names into paths.
 *
 * Message sets name messages by sequence number or, in UID commands, by
 * UID (RFC 9051 §6.4.9).  The client can only know the messages it has
 * been told about, so numbers are checked against the EXISTS it was sent.
 */
#include "imap_internal.h"

#include "imap_mutf7.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* canonical_name - INBOX in any case, also as the first level, is
 * "INBOX" (RFC 9051 §5.1). */
static void canonical_name(const char *in, char *out, size_t size)
{
	if (strncasecmp(in, "INBOX", 5) == 0 && (in[5] == '\0' || in[5] == '/'))
		snprintf(out, size, "INBOX%s", in + 5);
	else
		snprintf(out, size, "%s", in);
}

int imap_mailbox_arg(struct imap_session *s, const struct imap_arg *a,
		     char *name, size_t size, char **path_r)
{
	char utf8[IMAP_MAILBOX_MAX * 4];
	const char *text = imap_arg_text(a);
	*path_r = NULL;
	if (text == NULL || a->len == 0 || a->len > IMAP_MAILBOX_MAX) {
		imap_no(s, "[CANNOT] a mailbox name is a string of 1 to %d "
			"octets", IMAP_MAILBOX_MAX);
		return -1;
	}
	canonical_name(text, name, size);
	if (strpbrk(name, "%*") != NULL) {
		imap_no(s, "[CANNOT] '%%' and '*' are wildcards, not part of "
			"a mailbox name");
		return -1;
	}
	if (imap_mutf7_decode(name, utf8, sizeof(utf8)) < 0) {
		imap_no(s, "[CANNOT] mailbox name is not valid modified UTF-7 "
			"(RFC 3501 section 5.1.3)");
		return -1;
	}
	*path_r = maildir_folder_path(s->root, name);
	if (*path_r == NULL) {
		imap_no(s, "[CANNOT] invalid mailbox name: levels are separated "
			"by '/', none may be empty or contain '.' or control "
			"characters, and none starts with '~'");
		return -1;
	}
	/* the name is fine; the directory must be too: a symbolic link
	 * planted in the Maildir would lead this session out of it */
	if (!maildir_folder_safe(s->root, name)) {
		trace_event(s->trace, "error mailbox \"%s\" is a symbolic link "
			    "or not a directory", name);
		free(*path_r);
		*path_r = NULL;
		imap_no(s, "[NOPERM] this mailbox is not a plain Maildir folder "
			"(a symbolic link?); it cannot be used");
		return -1;
	}
	return 0;
}

int imap_message_set(struct imap_session *s, const struct imap_cmd *c,
		     const struct imap_arg *a, struct imap_seqset *set)
{
	const struct imap_mailbox *mb = s->mbox;
	const char *error = "";
	/* Changes are reported first.  EXPUNGE only for UID commands: a
	 * sequence set was written with the old numbers in mind. */
	imap_announce(s, c->uid);
	if (s->fatal)
		return -1; /* the mailbox is gone and BYE was sent */
	size_t known = mb->exists_sent;
	uint32_t star = !c->uid ? (uint32_t)known
			: known > 0 ? mb->msgs[known - 1].file.uid : 0;
	if (a->type != IMAP_ARG_ATOM ||
	    imap_seqset_parse(a->str, star, set, &error) < 0) {
		imap_bad(s, "%s", a->type != IMAP_ARG_ATOM
				? "a sequence set is an atom like 1:5,7" : error);
		return -1;
	}
	/* RFC 9051 §6.4.5: sequence numbers must name existing messages
	 * (UIDs that do not exist are simply skipped, §6.4.9) */
	if (!c->uid && (imap_seqset_max(set) > known || set->count == 0 ||
			set->ranges[0].lo == 0)) {
		imap_seqset_free(set);
		imap_bad(s, "no such message: the mailbox has %zu", known);
		return -1;
	}
	return 0;
}

bool imap_in_set(const struct imap_session *s, const struct imap_cmd *c,
		 const struct imap_seqset *set, size_t i)
{
	return imap_seqset_contains(set, c->uid ? s->mbox->msgs[i].file.uid
						 : (uint32_t)(i + 1));
}

/* uid_index - the first of the first @p known messages whose UID is at
 * least @p uid (the view is in UID order, RFC 9051 §2.3.1.1). */
static size_t uid_index(const struct imap_mailbox *mb, size_t known,
			uint32_t uid)
{
	size_t lo = 0, hi = known;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (mb->msgs[mid].file.uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void imap_set_window(const struct imap_session *s, const struct imap_cmd *c,
		     const struct imap_seqset *set, size_t *first_r,
		     size_t *end_r)
{
	size_t known = s->mbox->exists_sent;
	*first_r = *end_r = 0;
	if (set->count == 0)
		return;
	uint32_t lo = set->ranges[0].lo, hi = imap_seqset_max(set);
	if (c->uid) {
		*first_r = uid_index(s->mbox, known, lo);
		*end_r = hi == UINT32_MAX ? known : uid_index(s->mbox, known, hi + 1);
		return;
	}
	*first_r = lo > 0 ? lo - 1 : 0;
	*end_r = hi < known ? hi : known;
	if (*first_r > *end_r)
		*first_r = *end_r;
}

const char *imap_arg_text(const struct imap_arg *a)
{
	return a->type == IMAP_ARG_LIST ? NULL : a->str;
}

bool imap_arg_is(const struct imap_arg *a, const char *word)
{
	return a->type == IMAP_ARG_ATOM && strcasecmp(a->str, word) == 0;
}
