/*
 * imap_copy.c - COPY, MOVE and their UID forms (RFC 9051 §6.4.7, §6.4.8;
 * RFC 6851 MOVE; RFC 4315 §3 COPYUID).
 *
 * A copy is a new message in the target folder with the same text, flags
 * and INTERNALDATE (RFC 9051 §6.4.7 says they SHOULD be kept); keywords
 * keep their names, which may have other letters in the target's
 * dovecot-keywords.  The answer names the new UIDs:
 *
 *   [COPYUID <target UIDVALIDITY> <source UIDs> <new UIDs>]
 *
 * with the two sets in corresponding order.  COPY is all or nothing
 * ("the server MUST restore the destination mailbox to its state before
 * the COPY attempt"), so if one message fails the copies made so far are
 * removed again.  MOVE is a COPY followed by an expunge of the originals,
 * reported with untagged EXPUNGE responses (RFC 6851 §3.3).
 *
 * Each copy is stored as APPEND stores a message (imap_append.c), and its
 * UID and the target's UIDVALIDITY come back from the UID list, so a COPY
 * does not list the target folder unless mail waits in its new/.
 */
#include "imap_internal.h"

#include "../core/folders.h"

#include <stdlib.h>
#include <string.h>

struct copy_job {
	const char *path;        /* the target Maildir */
	struct keywords kw;      /* the target's keyword letters */
	uint32_t *src, *dst;     /* UIDs, in order */
	size_t *index;           /* view index of each source */
	size_t count;
	uint32_t uidvalidity;    /* the target's, as the last copy saw it */
};

/* target_letters - the message's keywords as the target's letters. */
static int target_letters(struct copy_job *job, const struct imap_mailbox *mb,
			  uint32_t keywords, char *out, const char **error_r)
{
	size_t n = 0;
	for (size_t k = 0; k < mb->kw.count; k++) {
		if (!(keywords & (1u << k)) || mb->kw.names[k] == NULL)
			continue;
		int t = keywords_add(job->path, &job->kw, mb->kw.names[k], error_r);
		if (t < 0)
			return -1;
		out[n++] = (char)('a' + t);
	}
	out[n] = '\0';
	return 0;
}

/* copy_one - one message into the target; its new UID goes to the job. */
static int copy_one(struct imap_session *s, struct copy_job *job, size_t i,
		    const char **error_r)
{
	struct imap_msg *m = &s->mbox->msgs[i];
	char upper[MAILDIR_FLAGS_MAX + 1], lower[IMAP_KEYWORDS_MAX + 1], *data;
	size_t len;
	uint32_t uid;
	if (m->expunged) {
		*error_r = "message no longer exists";
		return -1;
	}
	maildir_msg_flags(&m->file, upper);
	imap_flags_letters(m->flags, upper, upper);
	if (target_letters(job, s->mbox, m->keywords, lower, error_r) < 0 ||
	    maildir_read(s->mbox->path, &m->file, &data, &len, error_r) < 0)
		return -1;
	int r = maildir_append_keywords(job->path, data, len, upper, lower,
					m->file.mtime, &uid, &job->uidvalidity,
					error_r);
	free(data);
	if (r < 0)
		return -1;
	job->src[job->count] = m->file.uid;
	job->dst[job->count] = uid;
	job->index[job->count++] = i;
	return 0;
}

/* undo - remove the copies made so far (COPY is all or nothing). */
static void undo(struct imap_session *s, struct copy_job *job)
{
	struct maildir_list list;
	const char *error = "";
	if (maildir_scan(job->path, &list, &error) < 0) {
		trace_event(s->trace, "error undoing a failed COPY: %s", error);
		return;
	}
	for (size_t i = 0; i < list.count; i++)
		for (size_t k = 0; k < job->count; k++)
			if (list.msgs[i].uid == job->dst[k])
				(void)maildir_delete(job->path, &list.msgs[i],
						     &error);
	maildir_list_free(&list);
}

/* run_copy - every message of the set, in order, into the folder @p name;
 * 0 or -1 (undone). */
static int run_copy(struct imap_session *s, const struct imap_cmd *c,
		    const struct imap_seqset *set, const char *name,
		    struct copy_job *job, const char **error_r)
{
	size_t n = s->mbox->exists_sent;
	job->src = calloc(n + 1, sizeof(*job->src));
	job->dst = calloc(n + 1, sizeof(*job->dst));
	job->index = calloc(n + 1, sizeof(*job->index));
	if (job->src == NULL || job->dst == NULL || job->index == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	if (keywords_load(job->path, &job->kw, error_r) < 0 ||
	    imap_number_delivered(s, name, job->path, error_r) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (imap_in_set(s, c, set, i) && copy_one(s, job, i, error_r) < 0) {
			undo(s, job);
			return -1;
		}
	}
	return 0;
}

static void job_free(struct copy_job *job)
{
	keywords_free(&job->kw);
	free(job->src);
	free(job->dst);
	free(job->index);
}

/* copyuid - "COPYUID v src dst" into @p out. */
static void copyuid(const struct copy_job *job, struct buf *out)
{
	buf_printf(out, "COPYUID %u ", job->uidvalidity);
	imap_seqset_format(job->src, job->count, out);
	buf_puts(out, " ");
	imap_seqset_format(job->dst, job->count, out);
}

/* move_away - MOVE's expunge of the originals, last first so that the
 * indexes of the others stay right. */
static void move_away(struct imap_session *s, const struct copy_job *job)
{
	const char *error = "";
	for (size_t k = job->count; k-- > 0;)
		if (imap_mailbox_expunge(s->mbox, job->index[k], s->out,
					 &error) < 0)
			trace_event(s->trace, "error MOVE expunge UID %u: %s",
				    job->src[k], error);
}

/* answer - the OK of a COPY or MOVE that worked, with COPYUID; MOVE
 * then expunges the originals. */
static enum imap_action answer(struct imap_session *s, const struct imap_cmd *c,
			       const struct copy_job *job, bool move)
{
	struct buf code;
	enum imap_action act;
	/* two UID sets: at most IMAP_SEQSET_RANGES_MAX ranges of two
	 * 10-digit numbers each, and a little more */
	buf_init(&code, 64 * (size_t)IMAP_SEQSET_RANGES_MAX + 64);
	if (job->count > 0)
		copyuid(job, &code);
	if (move && job->count > 0) {
		/* RFC 6851 §4.3: COPYUID in an untagged OK, before the
		 * EXPUNGEs */
		imap_untagged(s, "OK [%s] moved", code.data);
		move_away(s, job);
		act = imap_ok(s, "%s completed", c->info->name);
	} else if (job->count > 0) {
		act = imap_ok(s, "[%s] %s completed", code.data, c->info->name);
	} else {
		/* RFC 4315 §3: no COPYUID when nothing was copied */
		act = imap_ok(s, "%s completed", c->info->name);
	}
	buf_free(&code);
	return act;
}

static enum imap_action copy_or_move(struct imap_session *s,
				     const struct imap_cmd *c, bool move)
{
	char name[IMAP_MAILBOX_MAX + 8], *path;
	const char *error = "";
	struct imap_seqset set;
	if (c->argc != 2)
		return imap_bad(s, "usage: %s set mailbox", c->info->name);
	if (move && s->mbox->readonly)
		return imap_no(s, "[READ-ONLY] the mailbox was opened with "
			       "EXAMINE");
	if (imap_mailbox_arg(s, &c->args[1], name, sizeof(name), &path) < 0)
		return IMAP_CONTINUE;
	/* RFC 9051 §6.4.7: a missing target gets [TRYCREATE], so a client
	 * knows to CREATE it and try again */
	if (!folders_exists(s->root, name)) {
		free(path);
		return imap_no(s, "[TRYCREATE] no mailbox \"%s\"", name);
	}
	if (imap_message_set(s, c, &c->args[0], &set) < 0) {
		free(path);
		return IMAP_CONTINUE;
	}
	struct copy_job job = { .path = path };
	int r = run_copy(s, c, &set, name, &job, &error);
	imap_seqset_free(&set);
	enum imap_action act;
	if (r == 0) {
		act = answer(s, c, &job, move);
	} else {
		trace_event(s->trace, "error %s to %s: %s", c->info->name, name,
			    error);
		act = imap_no(s, "%s%s failed, nothing was copied: %s",
			      strcmp(error, "message no longer exists") == 0
				      ? "[EXPUNGEISSUED] " : "[CANNOT] ",
			      c->info->name, error);
	}
	job_free(&job);
	free(path);
	return act;
}

enum imap_action imap_cmd_copy(struct imap_session *s,
			       const struct imap_cmd *c)
{
	return copy_or_move(s, c, false);
}

enum imap_action imap_cmd_move(struct imap_session *s,
			       const struct imap_cmd *c)
{
	return copy_or_move(s, c, true);
}
