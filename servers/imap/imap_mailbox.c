/*
 * imap_mailbox.c - the selected mailbox: one session's view of a Maildir,
 * kept in step with the disk (see imap_mailbox.h for the model).
 *
 * RFC 9051 §2.3.1 (UIDs and sequence numbers), §7.3.1 EXISTS, §7.5.1
 * EXPUNGE, §7.5.2 FETCH; RFC 3501 §7.3.2 RECENT; RFC 9051 §7.2.6 FLAGS and
 * §7.1 PERMANENTFLAGS.
 *
 * A sync is a merge of two lists sorted by UID: the view and a fresh scan.
 * A UID in the view but not on disk was expunged by someone; a UID in both
 * may have new flags; UIDs above the view's last are new mail.  UIDs only
 * grow (uidlist.h), so nothing can appear in the middle.  A view that
 * slept (imap_mailbox_sleep(); imap_mailbox.h) wakes through the same
 * merge: wake() rebuilds its entries without their files, and the merge
 * finds each file again, or finds it gone.
 *
 * Two figures are kept beside the view so that a SELECT of a large, quiet
 * mailbox need not walk it: nrecent (RFC 3501 §7.3.2 RECENT) and
 * seen_below, the place before which every message has \Seen, where the
 * search for [UNSEEN n] (RFC 3501 §6.3.1) starts.  Both change only in
 * this file: merge() and imap_mailbox_set_flags() move seen_below back
 * when a message may have lost \Seen (may_be_unseen()), drop() moves it
 * down with the messages after an expunge, and
 * imap_mailbox_first_unseen() moves it forward past what it found.
 */
#include "imap_mailbox.h"

#include "../../common/prefault.h"
#include "../core/recent.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

/* What is watched: a message arriving, leaving, or renamed (flags), and
 * the folder itself going away (DELETE, RENAME by another session). */
#define WATCH_DIRS (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | \
		    IN_DELETE_SELF | IN_MOVE_SELF)
#define WATCH_SELF (IN_DELETE_SELF | IN_MOVE_SELF)

/* System flags and their Maildir letters, in the order IMAP lists them. */
static const struct {
	unsigned bit;
	char letter;
	const char *name;
} system_flags[] = {
	{ IMAP_F_ANSWERED, 'R', "\\Answered" },
	{ IMAP_F_FLAGGED, 'F', "\\Flagged" },
	{ IMAP_F_DELETED, 'T', "\\Deleted" },
	{ IMAP_F_SEEN, 'S', "\\Seen" },
	{ IMAP_F_DRAFT, 'D', "\\Draft" },
};
#define NSYSTEM (sizeof(system_flags) / sizeof(system_flags[0]))

/* ---- flags ------------------------------------------------------------ */

void imap_flags_from_name(const char *name, unsigned *flags_r,
			  uint32_t *keywords_r)
{
	const char *info = strchr(name, ':');
	*flags_r = 0;
	*keywords_r = 0;
	if (info == NULL || strncmp(info, ":2,", 3) != 0)
		return;
	/* Dovecot: anything after a ',' in the info is not flags */
	for (const char *p = info + 3; *p != '\0' && *p != ','; p++) {
		if (*p >= 'a' && *p <= 'z')
			*keywords_r |= 1u << (*p - 'a');
		for (size_t i = 0; i < NSYSTEM; i++)
			if (*p == system_flags[i].letter)
				*flags_r |= system_flags[i].bit;
	}
}

unsigned imap_flag_bit(const char *name)
{
	for (size_t i = 0; i < NSYSTEM; i++)
		if (strcasecmp(name, system_flags[i].name) == 0)
			return system_flags[i].bit;
	return 0;
}

void imap_flags_letters(unsigned flags, const char *old_upper, char *out)
{
	uint32_t set = 0;
	size_t n = 0;
	for (const char *p = old_upper; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			set |= 1u << (*p - 'A');
	for (size_t i = 0; i < NSYSTEM; i++) {
		uint32_t bit = 1u << (system_flags[i].letter - 'A');
		set = flags & system_flags[i].bit ? set | bit : set & ~bit;
	}
	for (int i = 0; i < 26; i++)
		if (set & (1u << i))
			out[n++] = (char)('A' + i);
	out[n] = '\0';
}

void imap_flags_put(const struct imap_mailbox *mb, unsigned flags,
		    uint32_t keywords, struct buf *out)
{
	const char *sep = "";
	for (size_t i = 0; i < NSYSTEM; i++) {
		if (flags & system_flags[i].bit) {
			buf_printf(out, "%s%s", sep, system_flags[i].name);
			sep = " ";
		}
	}
	if (flags & IMAP_F_RECENT) {
		buf_printf(out, "%s\\Recent", sep);
		sep = " ";
	}
	for (size_t i = 0; i < mb->kw.count; i++) {
		if ((keywords & (1u << i)) && mb->kw.names[i] != NULL) {
			buf_printf(out, "%s%s", sep, mb->kw.names[i]);
			sep = " ";
		}
	}
}

/* put_flag_lists - FLAGS and PERMANENTFLAGS (RFC 9051 §7.2.6, §7.1):
 * what exists, and what may be stored; "\*" while keyword letters are
 * left. */
static void put_flag_lists(struct imap_mailbox *mb, struct buf *out)
{
	buf_puts(out, "* FLAGS (");
	imap_flags_put(mb, IMAP_F_STORED, UINT32_MAX, out);
	buf_puts(out, ")\r\n* OK [PERMANENTFLAGS (");
	if (!mb->readonly) {
		imap_flags_put(mb, IMAP_F_STORED, UINT32_MAX, out);
		if (mb->kw.count < IMAP_KEYWORDS_MAX)
			buf_puts(out, " \\*");
	}
	buf_puts(out, ")] Flags permitted\r\n");
	mb->kw_sent = mb->kw.count;
}

/* ---- building the view ------------------------------------------------ */

/* take - move a scanned message into a view slot (the scan's copy loses
 * its name, so freeing the scan does not free it).  A mapped name stays
 * valid: the view holds the scan's mapped cache (hold_names()). */
static void take(struct imap_msg *m, struct maildir_msg *f)
{
	maildir_msg_rename(&m->file, NULL);
	m->file = *f;
	f->name = NULL;
	f->name_mapped = false;
}

/* hold_names - after merge() and append_new() every name the view still
 * needs came from @p list (a message that left has let its name go), so
 * the view holds @p list's mapped cache and lets the one before go. */
static void hold_names(struct imap_mailbox *mb, struct maildir_list *list)
{
	struct maildir_names *before = mb->names;
	mb->names = maildir_names_hold(list->names);
	maildir_names_release(before);
}

static void set_from_file(struct imap_msg *m)
{
	unsigned flags;
	uint32_t kw;
	imap_flags_from_name(m->file.name, &flags, &kw);
	if (flags != (m->flags & IMAP_F_STORED) || kw != m->keywords)
		m->flags_changed = true;
	m->flags = flags | (m->flags & IMAP_F_RECENT);
	m->keywords = kw;
}

/* claim_recent - \Recent for messages above the folder's mark; only a
 * read-write open moves the mark (recent.h). */
static int claim_recent(struct imap_mailbox *mb, size_t first,
			const char **error_r)
{
	uint32_t mark;
	if (first == mb->count)
		return 0;
	uint32_t last = mb->msgs[mb->count - 1].file.uid;
	int r = mb->readonly
		? recent_peek(mb->path, mb->uidvalidity, &mark, error_r)
		: recent_claim(mb->path, mb->uidvalidity, last, &mark, error_r);
	if (r < 0)
		return -1;
	for (size_t i = first; i < mb->count; i++) {
		struct imap_msg *m = &mb->msgs[i];
		if (m->file.uid > mark && !(m->flags & IMAP_F_RECENT)) {
			m->flags |= IMAP_F_RECENT;
			mb->nrecent++;
		}
	}
	return 0;
}

/* append_new - scanned messages above the view's last UID join the view. */
static int append_new(struct imap_mailbox *mb, struct maildir_list *list,
		      const char **error_r)
{
	uint32_t last = mb->count > 0 ? mb->msgs[mb->count - 1].file.uid : 0;
	size_t first = mb->count, news = 0;
	for (size_t j = 0; j < list->count; j++)
		news += list->msgs[j].uid > last;
	if (news == 0)
		return 0;
	struct imap_msg *p = reallocarray(mb->msgs, mb->count + news,
					  sizeof(*p));
	if (p == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	mb->msgs = p;
	prefault(&p[mb->count], news * sizeof(*p)); /* all written below */
	for (size_t j = 0; j < list->count; j++) {
		if (list->msgs[j].uid <= last)
			continue;
		struct imap_msg *m = &mb->msgs[mb->count++];
		*m = (struct imap_msg){ 0 };
		take(m, &list->msgs[j]);
		set_from_file(m);
		m->flags_changed = false; /* EXISTS covers it */
	}
	return claim_recent(mb, first, error_r);
}

/* may_be_unseen - message @p i may have lost \Seen: the search for the
 * first unseen message (imap_mailbox_first_unseen()) starts no later. */
static void may_be_unseen(struct imap_mailbox *mb, size_t i)
{
	if (i < mb->seen_below)
		mb->seen_below = i;
}

/* merge - the known messages against a fresh scan (both by UID). */
static void merge(struct imap_mailbox *mb, struct maildir_list *list)
{
	size_t j = 0;
	for (size_t i = 0; i < mb->count; i++) {
		struct imap_msg *m = &mb->msgs[i];
		while (j < list->count && list->msgs[j].uid < m->file.uid)
			j++;
		if (m->expunged)
			continue;
		if (j < list->count && list->msgs[j].uid == m->file.uid) {
			take(m, &list->msgs[j]);
			set_from_file(m);
			if (m->flags_changed)
				may_be_unseen(mb, i);
		} else {
			m->expunged = true;
			maildir_msg_forget_name(&m->file);
		}
		mb->unannounced |= m->flags_changed || m->expunged;
	}
}

/* watch - inotify on new/, cur/ and the folder; without it (the limit on
 * instances or watches reached) changed() asks the folder's stamp. */
static void watch(struct imap_mailbox *mb)
{
	static const char *const subs[] = { "new", "cur" };
	char dir[PATH_MAX];
	mb->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (mb->inotify_fd < 0)
		return;
	bool ok = inotify_add_watch(mb->inotify_fd, mb->path, WATCH_SELF) >= 0;
	for (size_t i = 0; ok && i < 2; i++)
		ok = snprintf(dir, sizeof(dir), "%s/%s", mb->path, subs[i]) <
			     (int)sizeof(dir) &&
		     inotify_add_watch(mb->inotify_fd, dir, WATCH_DIRS) >= 0;
	if (!ok) {
		close(mb->inotify_fd);
		mb->inotify_fd = -1;
	}
}

/* in_view - is @name the current file name of a message in the view? */
static bool in_view(const struct imap_mailbox *mb, const char *name)
{
	for (size_t i = 0; i < mb->count; i++)
		if (!mb->msgs[i].expunged && strcmp(mb->msgs[i].file.name, name) == 0)
			return true;
	return false;
}

/* explained - does the view already agree with this event?  A rename the
 * session made itself (STORE) shows up as a move away from a name the
 * view no longer has and a move to the name it now has; rescanning a
 * 10,000-message folder for that would cost more than the STORE.  Any
 * other event - mail arriving, a file deleted, a rename by another
 * session, a queue overflow - means the disk may differ from the view. */
static bool explained(const struct imap_mailbox *mb,
		      const struct inotify_event *ev)
{
	/* a sleeping view has no names to explain it with, and is listed
	 * again when it wakes anyway */
	if (ev->len == 0 || imap_mailbox_asleep(mb))
		return false;
	if (ev->mask == IN_MOVED_TO)
		return in_view(mb, ev->name);
	if (ev->mask == IN_MOVED_FROM)
		return !in_view(mb, ev->name);
	return false;
}

/* scan - maildir_scan(), noting what the folder looked like, so that
 * without inotify an unchanged folder can still be told by its times. */
static int scan(struct imap_mailbox *mb, struct maildir_list *list,
		const char **error_r)
{
	struct maildir_stamp before;
	time_t started = time(NULL);
	bool stamped = maildir_stamp_read(mb->path, &before) == 0;
	if (maildir_scan(mb->path, list, error_r) < 0)
		return -1;
	mb->how = list->how;
	mb->stamp_ok = stamped && maildir_stamp_settled(mb->path, &before,
							started, &mb->stamp);
	return 0;
}

/* stamp_changed - without inotify: true unless the folder's directories
 * and UID list look exactly as they did after the last scan. */
static bool stamp_changed(const struct imap_mailbox *mb)
{
	struct maildir_stamp now;
	return !mb->stamp_ok || maildir_stamp_read(mb->path, &now) < 0 ||
	       !maildir_stamp_same(&now, &mb->stamp);
}

/* changed - drain the inotify queue; true if the disk may differ from the
 * view. */
static bool changed(struct imap_mailbox *mb)
{
	char events[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool any = false;
	if (mb->inotify_fd < 0)
		return stamp_changed(mb);
	for (;;) {
		ssize_t n = read(mb->inotify_fd, events, sizeof(events));
		if (n <= 0)
			return any || (n < 0 && errno != EAGAIN);
		for (char *p = events; p < events + n;) {
			const struct inotify_event *ev = (const void *)p;
			if (ev->mask & (WATCH_SELF | IN_IGNORED))
				mb->lost = true;
			any = any || !explained(mb, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
}

int imap_mailbox_open(const char *name, const char *path, bool readonly,
		      struct imap_mailbox **mb_r, const char **error_r)
{
	struct imap_mailbox *mb = calloc(1, sizeof(*mb));
	struct maildir_list list;
	if (mb == NULL || (mb->name = strdup(name)) == NULL ||
	    (mb->path = strdup(path)) == NULL) {
		*error_r = "out of memory";
		imap_mailbox_close(mb);
		return -1;
	}
	mb->readonly = readonly;
	/* the Maildir spec: a reader removes tmp/ files 36 hours old, left
	 * by a delivery that died; not fatal, the mailbox opens anyway */
	const char *ignored;
	if (!readonly)
		(void)maildir_clean_tmp(path, time(NULL), &ignored);
	/* watch before the scan: a change during the scan is then seen by
	 * the next sync rather than lost */
	watch(mb);
	if (keywords_load(path, &mb->kw, error_r) < 0 ||
	    scan(mb, &list, error_r) < 0) {
		imap_mailbox_close(mb);
		return -1;
	}
	mb->uidvalidity = list.uidvalidity;
	mb->uidnext = list.uidnext;
	int r = append_new(mb, &list, error_r);
	hold_names(mb, &list);
	maildir_list_free(&list);
	if (r < 0) {
		imap_mailbox_close(mb);
		return -1;
	}
	mb->kw_sent = mb->kw.count;
	*mb_r = mb;
	return 0;
}

void imap_mailbox_close(struct imap_mailbox *mb)
{
	if (mb == NULL)
		return;
	for (size_t i = 0; !imap_mailbox_asleep(mb) && i < mb->count; i++)
		maildir_msg_rename(&mb->msgs[i].file, NULL);
	free(mb->sleepers);
	maildir_names_release(mb->names);
	if (mb->inotify_fd >= 0)
		close(mb->inotify_fd);
	keywords_free(&mb->kw);
	free(mb->msgs);
	free(mb->name);
	free(mb->path);
	free(mb);
}

bool imap_mailbox_reuse(struct imap_mailbox *mb, bool readonly)
{
	/* Only a read-write view that agrees with the disk (inotify is
	 * quiet) and with what the client was told is as good as a fresh
	 * open.  This session claimed \Recent for every message in it
	 * (claim_recent), so a fresh SELECT would show none: drop them.  An
	 * EXAMINE only peeks at the mark, which another session may have
	 * moved since, so it always opens anew. */
	if (readonly || mb->readonly || mb->lost || mb->unannounced ||
	    mb->count != mb->exists_sent || mb->kw.count > mb->kw_sent ||
	    changed(mb))
		return false;
	for (size_t i = 0; mb->nrecent > 0 && i < mb->count; i++)
		mb->msgs[i].flags &= ~IMAP_F_RECENT;
	mb->nrecent = 0;
	return true;
}

/* ---- sleeping --------------------------------------------------------- */

bool imap_mailbox_asleep(const struct imap_mailbox *mb)
{
	return mb->sleepers != NULL;
}

void imap_mailbox_sleep(struct imap_mailbox *mb)
{
	if (imap_mailbox_asleep(mb))
		return;
	/* one entry more: an empty mailbox's view sleeps too, and sleepers
	 * is never NULL while it does */
	struct imap_sleeper *z = calloc(mb->count + 1, sizeof(*z));
	if (z == NULL)
		return;
	for (size_t i = 0; i < mb->count; i++) {
		struct imap_msg *m = &mb->msgs[i];
		z[i] = (struct imap_sleeper){ m->file.uid, m->keywords, m->flags,
					      m->expunged, m->flags_changed };
		maildir_msg_rename(&m->file, NULL);
	}
	free(mb->msgs);
	mb->msgs = NULL;
	maildir_names_release(mb->names);
	mb->names = NULL;
	mb->sleepers = z;
}

/* wake - the view as it was before imap_mailbox_sleep(), every message
 * without its file (a name of "", as a ghost has), for merge() to find
 * again.  -1 (still asleep) if there is no memory for it. */
static int wake(struct imap_mailbox *mb, const char **error_r)
{
	/* one more, as in imap_mailbox_sleep(): never NULL when empty */
	struct imap_msg *msgs = calloc(mb->count + 1, sizeof(*msgs));
	if (msgs == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	for (size_t i = 0; i < mb->count; i++) {
		const struct imap_sleeper *z = &mb->sleepers[i];
		struct imap_msg *m = &msgs[i];
		maildir_msg_forget_name(&m->file);
		m->file.uid = z->uid;
		m->keywords = z->keywords;
		m->flags = z->flags;
		m->expunged = z->expunged;
		m->flags_changed = z->flags_changed;
	}
	free(mb->sleepers);
	mb->sleepers = NULL;
	mb->msgs = msgs;
	return 0;
}

/* rescan - list the folder for imap_mailbox_sync() (or for a sleeping
 * view, which then wakes).  0, or -1 with mb->lost set if the client's
 * numbers cannot be kept: the folder is gone, renumbered, or (for a
 * sleeping view) unreadable. */
static int rescan(struct imap_mailbox *mb, struct maildir_list *list,
		  const char **error_r)
{
	if (keywords_load(mb->path, &mb->kw, error_r) < 0 ||
	    scan(mb, list, error_r) < 0) {
		mb->lost = errno == ENOENT || imap_mailbox_asleep(mb);
		return -1;
	}
	if (list->uidvalidity != mb->uidvalidity) {
		/* RFC 9051 §2.3.1.1: the client's UIDs mean nothing now */
		maildir_list_free(list);
		mb->lost = true;
		*error_r = "UIDVALIDITY changed";
		return -1;
	}
	if (imap_mailbox_asleep(mb) && wake(mb, error_r) < 0) {
		maildir_list_free(list);
		mb->lost = true;
		return -1;
	}
	return 0;
}

int imap_mailbox_sync(struct imap_mailbox *mb, const char **error_r)
{
	struct maildir_list list;
	/* changed() also empties the inotify queue of a sleeping view */
	if (!changed(mb) && !mb->lost && !imap_mailbox_asleep(mb))
		return 0;
	if (mb->lost) {
		*error_r = "the mailbox was deleted or renamed";
		return -1;
	}
	if (rescan(mb, &list, error_r) < 0)
		return -1;
	merge(mb, &list);
	int r = append_new(mb, &list, error_r);
	hold_names(mb, &list);
	mb->uidnext = list.uidnext;
	maildir_list_free(&list);
	return r < 0 ? -1 : 1;
}


/* recent - messages with \Recent in this view. */
static size_t recent(const struct imap_mailbox *mb)
{
	return mb->nrecent;
}

/* drop - take message @p i out of the view. */
static void drop(struct imap_mailbox *mb, size_t i)
{
	/* the client counts the message out with its \Recent */
	if (i < mb->exists_sent && (mb->msgs[i].flags & IMAP_F_RECENT) &&
	    mb->recent_sent > 0)
		mb->recent_sent--;
	if (mb->msgs[i].flags & IMAP_F_RECENT)
		mb->nrecent--;
	maildir_msg_rename(&mb->msgs[i].file, NULL);
	if (i < mb->seen_below)
		mb->seen_below--;
	memmove(&mb->msgs[i], &mb->msgs[i + 1],
		(mb->count - i - 1) * sizeof(*mb->msgs));
	mb->count--;
	if (i < mb->exists_sent)
		mb->exists_sent--;
}

void imap_mailbox_announce(struct imap_mailbox *mb, struct buf *out,
			   bool expunge_ok)
{
	/* a quiet mailbox costs nothing per command, however large */
	if (!mb->unannounced && mb->count == mb->exists_sent &&
	    mb->kw.count <= mb->kw_sent)
		return;
	for (size_t i = 0; expunge_ok && i < mb->count;) {
		if (!mb->msgs[i].expunged) {
			i++;
			continue;
		}
		/* RFC 9051 §7.5.1: the numbers after it move down at once */
		if (i < mb->exists_sent)
			buf_printf(out, "* %zu EXPUNGE\r\n", i + 1);
		drop(mb, i);
	}
	if (mb->kw.count > mb->kw_sent)
		put_flag_lists(mb, out);
	size_t n_recent = recent(mb);
	if (mb->count > mb->exists_sent || n_recent != mb->recent_sent) {
		buf_printf(out, "* %zu EXISTS\r\n* %zu RECENT\r\n", mb->count,
			   n_recent);
		mb->exists_sent = mb->count;
		mb->recent_sent = n_recent;
	}
	mb->unannounced = false;
	for (size_t i = 0; i < mb->count; i++) {
		struct imap_msg *m = &mb->msgs[i];
		/* a ghost waits for a moment when EXPUNGE is allowed */
		mb->unannounced |= m->expunged;
		if (!m->flags_changed || m->expunged)
			continue;
		buf_printf(out, "* %zu FETCH (FLAGS (", i + 1);
		imap_flags_put(mb, m->flags, m->keywords, out);
		buf_puts(out, "))\r\n");
		m->flags_changed = false;
	}
}

/* ---- changes made by this session -------------------------------------- */

int imap_mailbox_set_flags(struct imap_mailbox *mb, size_t i, unsigned flags,
			   uint32_t keywords, const char **error_r)
{
	struct imap_msg *m = &mb->msgs[i];
	char upper[MAILDIR_FLAGS_MAX + 1], lower[IMAP_KEYWORDS_MAX + 1];
	size_t n = 0;
	if ((flags & IMAP_F_STORED) == (m->flags & IMAP_F_STORED) &&
	    keywords == m->keywords)
		return 0;
	maildir_msg_flags(&m->file, upper);
	imap_flags_letters(flags, upper, upper);
	for (size_t k = 0; k < IMAP_KEYWORDS_MAX; k++)
		if (keywords & (1u << k))
			lower[n++] = (char)('a' + k);
	lower[n] = '\0';
	if (maildir_set_flags_keywords(mb->path, &m->file, upper, lower,
				       error_r) < 0)
		return -1;
	m->flags = (flags & IMAP_F_STORED) | (m->flags & IMAP_F_RECENT);
	m->keywords = keywords;
	if (!(flags & IMAP_F_SEEN))
		may_be_unseen(mb, i);
	return 0;
}

size_t imap_mailbox_first_unseen(struct imap_mailbox *mb)
{
	size_t i = mb->seen_below;
	while (i < mb->count && (mb->msgs[i].flags & IMAP_F_SEEN))
		i++;
	mb->seen_below = i; /* all before it are \Seen */
	return i < mb->count ? i + 1 : 0;
}

int imap_mailbox_keyword(struct imap_mailbox *mb, const char *name,
			 bool create, const char **error_r)
{
	int k = keywords_find(&mb->kw, name);
	if (k >= 0 || !create) {
		if (k < 0)
			*error_r = "no such keyword";
		return k;
	}
	return keywords_add(mb->path, &mb->kw, name, error_r);
}

int imap_mailbox_expunge(struct imap_mailbox *mb, size_t i, struct buf *out,
			 const char **error_r)
{
	if (!mb->msgs[i].expunged &&
	    maildir_delete(mb->path, &mb->msgs[i].file, error_r) < 0)
		return -1;
	if (out != NULL && i < mb->exists_sent)
		buf_printf(out, "* %zu EXPUNGE\r\n", i + 1);
	drop(mb, i);
	return 0;
}

void imap_mailbox_select_replies(struct imap_mailbox *mb, struct buf *out)
{
	size_t n_recent = recent(mb);
	put_flag_lists(mb, out);
	buf_printf(out, "* %zu EXISTS\r\n* %zu RECENT\r\n", mb->count,
		   n_recent);
	mb->exists_sent = mb->count;
	mb->recent_sent = n_recent;
}
