/*
 * imap_mailbox.h - the selected mailbox as one session sees it.
 *
 * Several sessions may have one Maildir open at once, and mail may be
 * delivered at any moment.  Each session keeps its own view: the messages
 * in the order of their UIDs, so that message n (its sequence number,
 * RFC 9051 §2.3.1.2) is the view's n-th.  The view changes only when the
 * session tells its client, because the client's numbers must stay valid
 * until then:
 *
 *   - a message that is gone from the disk stays in the view as a "ghost"
 *     until an EXPUNGE response is allowed (RFC 9051 §7.5.1: not while a
 *     FETCH, STORE or SEARCH is answered, and never between commands);
 *   - new messages are added at the end and announced with EXISTS;
 *   - flags another session changed are announced with FETCH (FLAGS ...).
 *
 * imap_mailbox_sync() brings the view up to date with the disk and notes
 * what to tell; imap_mailbox_announce() writes those untagged responses.
 * Whether the disk changed at all is known from inotify on new/ and cur/,
 * so a quiet mailbox costs nothing per command, and IDLE can sleep on the
 * same descriptor.  Where inotify is not available (each user may have
 * only fs.inotify.max_user_instances of them, 128 by default), the times
 * of new/ and cur/ tell the same thing for three stat(2) calls
 * (maildir_cache.h).
 *
 * A view sleeps while its session is idle (imap_mailbox_sleep(), after
 * --sleep-after seconds without a command, 10 by default): of
 * each message it keeps only what the client was told - UID, flags,
 * keywords, whether it is a ghost - 12 bytes instead of a struct
 * imap_msg, and it lets go of the mapped cache.  The next sync wakes it:
 * the folder is listed again (from its cache, if nothing changed) and
 * merged with what was kept, exactly as a sync after a change, so a
 * message that left or changed its flags while the view slept is
 * announced like any other change.  An idle session on a 1,000-message
 * INBOX holds about 57 KiB less this way (docs/bench.md, change 26).
 * Dovecot's imap-hibernate, off by default, parks idle IDLE sessions
 * for the same reason.
 *
 * Flags: the system flags are Maildir's letters (RFC 9051 §2.3.2 to
 * Maildir, as Dovecot maps them): \Seen S, \Answered R, \Flagged F,
 * \Deleted T, \Draft D; keywords are Dovecot's letters a-z (keywords.h).
 * \Recent is the session's own (recent.h).
 */
#ifndef MAILLAB_IMAP_MAILBOX_H
#define MAILLAB_IMAP_MAILBOX_H

#include "../../common/buf.h"
#include "../core/keywords.h"
#include "../core/maildir.h"
#include "../core/maildir_cache.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**@{*/
/** System flags as bits. */
#define IMAP_F_SEEN     0x01u
#define IMAP_F_ANSWERED 0x02u
#define IMAP_F_FLAGGED  0x04u
#define IMAP_F_DELETED  0x08u
#define IMAP_F_DRAFT    0x10u
/**@}*/
#define IMAP_F_RECENT   0x20u /**< session only: never stored */
#define IMAP_F_STORED   0x1fu /**< the flags kept in the file name */

/** One message of the selected mailbox. */
struct imap_msg {
	struct maildir_msg file;  /**< name, UID, sizes, INTERNALDATE */
	uint32_t keywords;        /**< bit i: keyword i of the mailbox */
	uint8_t flags;            /**< IMAP_F_* (six bits) */
	bool expunged;            /**< gone from disk, EXPUNGE not yet sent */
	bool flags_changed;       /**< FETCH (FLAGS) not yet sent */
	/* 48 bytes on a 64-bit machine: a session holds one per message,
	 * so the small members share the last eight bytes */
};

/** What a sleeping view keeps of one message: what its client knows. */
struct imap_sleeper {
	uint32_t uid;             /**< the message's UID */
	uint32_t keywords;        /**< as the client knows them */
	uint8_t flags;            /**< IMAP_F_*, \\Recent included */
	bool expunged;            /**< a ghost: EXPUNGE not yet sent */
	bool flags_changed;       /**< FETCH (FLAGS) not yet sent */
};

/** The selected mailbox, as this session sees it. */
struct imap_mailbox {
	char *name;               /**< as on the wire */
	char *path;               /**< the Maildir */
	bool readonly;            /**< EXAMINE */
	uint32_t uidvalidity;     /**< UIDVALIDITY (RFC 9051 §2.3.1.1) */
	uint32_t uidnext;         /**< the UID the next message will get */
	struct imap_msg *msgs;    /**< message n is msgs[n - 1] */
	struct maildir_names *names; /**< the mapped cache that the names
					  of msgs lie in (the last scan's) */
	size_t count;             /**< entries in msgs */
	size_t exists_sent;       /**< the message count the client knows */
	size_t recent_sent;       /**< the RECENT count the client knows */
	size_t seen_below;        /**< messages before msgs[seen_below] all
				       have \\Seen: where the search for the
				       first unseen one starts (a SELECT of a
				       large mailbox read all need not walk it) */
	size_t nrecent;           /**< messages flagged Recent in msgs (kept
				       counted: a SELECT of a large, quiet
				       mailbox need not count them) */
	struct keywords kw;       /**< the mailbox's keyword names */
	size_t kw_sent;           /**< keyword letters the client knows */
	int inotify_fd;           /**< -1: unavailable, ask the stamp */
	struct maildir_stamp stamp; /**< the folder as the last scan saw it */
	struct maildir_how how;   /**< how the last scan listed it (trace) */
	bool stamp_ok;            /**< the stamp proves "unchanged" when it
				       is seen again */
	bool lost;                /**< deleted, or UIDVALIDITY changed */
	bool unannounced;         /**< some message has flags_changed or
				       expunged set */
	struct imap_sleeper *sleepers; /**< non-NULL while the view sleeps
					    (msgs is NULL, names released):
					    sleepers[n - 1] is message n */
};

/**@{*/
/** Open the Maildir at @p path and build the first view. */
int imap_mailbox_open(const char *name, const char *path, bool readonly,
		      struct imap_mailbox **mb_r, const char **error_r);
void imap_mailbox_close(struct imap_mailbox *mb);
/** SELECT of the mailbox already selected: true (and the view made what
 *  a fresh open would build) if nothing changed on disk since the view
 *  was last brought up to date; false if the caller must open it anew. */
bool imap_mailbox_reuse(struct imap_mailbox *mb, bool readonly);
/**@}*/

/**
 * Compare the view with the disk if anything changed there: 1 if the
 * folder was listed again (mb->how says how), 0 if nothing had changed.
 * Sets mb->lost (and returns -1) if the mailbox is gone or was
 * renumbered.
 */
int imap_mailbox_sync(struct imap_mailbox *mb, const char **error_r);
/**
 * Put the view to sleep while the session is idle: keep only what the
 * client was told of each message and let go of the rest.  Only
 * imap_mailbox_sync() and imap_mailbox_close() may be called on a
 * sleeping view; the sync wakes it (listing the folder again, and
 * returning 1), and if that fails the view stays asleep, mb->lost is set
 * and -1 returned: without the files the client's numbers cannot be
 * served.  Nothing happens if allocating the small copy fails.
 */
void imap_mailbox_sleep(struct imap_mailbox *mb);
/** True while the view sleeps. */
bool imap_mailbox_asleep(const struct imap_mailbox *mb);
/**
 * Write the untagged responses for what changed: EXPUNGE (only if
 * @p expunge_ok; ghosts stay otherwise), EXISTS, RECENT, FLAGS, FETCH.
 */
void imap_mailbox_announce(struct imap_mailbox *mb, struct buf *out,
			   bool expunge_ok);
/** SELECT's untagged replies: FLAGS, PERMANENTFLAGS, EXISTS, RECENT. */
void imap_mailbox_select_replies(struct imap_mailbox *mb, struct buf *out);

/**
 * Store new flags and keywords of message @p i (rename in the Maildir).
 * The view is updated; nothing is announced (STORE answers itself).
 */
int imap_mailbox_set_flags(struct imap_mailbox *mb, size_t i, unsigned flags,
			   uint32_t keywords, const char **error_r);
/** The sequence number of the first message without \\Seen, 0 if none
 *  (RFC 3501 §6.3.1 [UNSEEN n]). */
size_t imap_mailbox_first_unseen(struct imap_mailbox *mb);
/** Keyword index of @p name, adding it to the mailbox if @p create. */
int imap_mailbox_keyword(struct imap_mailbox *mb, const char *name,
			 bool create, const char **error_r);
/**
 * Remove message @p i from the disk and the view, writing "* n EXPUNGE"
 * to @p out (EXPUNGE, CLOSE's silent expunge passes NULL).
 */
int imap_mailbox_expunge(struct imap_mailbox *mb, size_t i, struct buf *out,
			 const char **error_r);

/** "\Seen \Answered" for @p flags plus keyword names, no parentheses. */
void imap_flags_put(const struct imap_mailbox *mb, unsigned flags,
		    uint32_t keywords, struct buf *out);
/** Flags from the letters of a Maildir file name (after ":2,"). */
void imap_flags_from_name(const char *name, unsigned *flags_r,
			  uint32_t *keywords_r);
/** The bit of a stored system flag ("\\Seen", any case), or 0. */
unsigned imap_flag_bit(const char *name);
/** Maildir letters for @p flags, keeping the letters of @p old_upper we
 * do not map (P); @p out may be @p old_upper itself. */
void imap_flags_letters(unsigned flags, const char *old_upper, char *out);

#endif
