/*
 * maildir.h - Maildir storage, with no knowledge of any protocol.
 *
 * A Maildir (https://cr.yp.to/proto/maildir.html) is a directory with three
 * subdirectories:
 *
 *   tmp/  a message being written; never read by anyone else
 *   new/  delivered, not yet seen by a mail reader
 *   cur/  seen by a reader; flags live in the name after ":2,"
 *
 * Delivery is the atomic sequence qmail defined: create tmp/<unique> with
 * O_EXCL, write, fsync, rename into new/, fsync new/ itself.  A crash at any
 * point leaves either no message or a whole one; a half-written message is
 * never in new/ or cur/.  Only after the fsync of new/ may a server answer
 * 250 (SMTP) or OK (IMAP APPEND).
 *
 * File names follow the convention Dovecot and mutt also use:
 *   <secs>.M<usecs>P<pid>Q<n>.<host>,S=<size>,W=<wire size>:2,<flags>
 * S= is the file size; W= the size with CRLF line ends (what POP3 and IMAP
 * report), so listing a mailbox never needs to read every message.  Mail is
 * stored with LF line ends, as Unix mail tools expect.
 *
 * Flags (the info after ":2,") are single letters kept in ASCII order:
 * D draft, F flagged, P passed (forwarded), R replied, S seen, T trashed;
 * after them the lower-case letters a-z are Dovecot's IMAP keywords
 * (keywords.h), which every flag change keeps.
 *
 * Folders are Maildir++: the folder "Sent" is the Maildir "<root>/.Sent",
 * "Archive/2026" is "<root>/.Archive.2026".  INBOX is the root itself.
 *
 * Every folder has persistent UIDs (see uidlist.h), assigned under a lock
 * when a scan finds messages it has not seen before.
 */
#ifndef MAILLAB_MAILDIR_H
#define MAILLAB_MAILDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/** Longest flags string after ":2," that we keep. */
#define MAILDIR_FLAGS_MAX 27

/** One message as found by a scan. */
struct maildir_msg {
	char *name;      /**< file name, in new/ or cur/, with any :2,flags */
	bool in_new;     /**< true if in new/, false if in cur/ */
	bool name_mapped; /**< @c name is not the message's own: it lies in
			       a mapped cache file (struct maildir_names),
			       or is the "" of a message that is gone;
			       read-only, never freed */
	uint32_t uid;    /**< persistent UID in this folder */
	off_t size;      /**< bytes in the file (LF line ends) */
	off_t wire_size; /**< bytes with CRLF line ends, as sent on the wire */
	time_t mtime;    /**< delivery time (file modification time) */
	/* The flags are not kept here: they are in the name, after ":2,"
	 * (maildir_msg_flags()), and neither is the unique part: it is the
	 * name up to ':' (maildir_unique_len()).  A session holds one of
	 * these for every message of its folder, so every byte counts ten
	 * thousand times. */
};

/**
 * The length of the unique part of a message file name: everything
 * before the ':' that starts the flags (the Maildir spec).  The unique
 * part names the message for good; a move from new/ to cur/ or a flag
 * change keeps it, so it is the key by which a message is found again.
 */
size_t maildir_unique_len(const char *name);

/**
 * Compare the unique parts of two names, as strcmp() compares strings:
 * a ':' ends a name as its NUL does.  Either may be a bare unique part
 * (as the UID list holds them).
 */
int maildir_unique_cmp(const char *a, const char *b);

/** Where a listing's figures came from (see maildir_cache.h). */
enum maildir_source {
	MAILDIR_FROM_DIRS,  /**< new/ and cur/ read, every file stat(2)ed */
	MAILDIR_FROM_OLD,   /**< new/ and cur/ read after a change; only the
				 files the cache did not know stat(2)ed */
	MAILDIR_FROM_CACHE, /**< the cache alone: nothing changed */
};

/** How a scan made its listing, for the trace: why a SELECT was slow. */
struct maildir_how {
	enum maildir_source source; /**< see above */
	size_t stats;               /**< files stat(2)ed */
};

/**
 * A folder's cache file (maildir_cache.h), mapped into memory: a listing
 * read from it points into it for its file names instead of copying them.
 * Its pages are the file's own, shared by every session that maps the
 * same cache, so a thousand sessions on one mailbox hold its names once.
 * Counted: freed with the last list or view that holds it.
 */
struct maildir_names;

/** One more holder of @p names (NULL: nothing). */
struct maildir_names *maildir_names_hold(struct maildir_names *names);
/** One holder fewer; the last unmaps the file (NULL: nothing). */
void maildir_names_release(struct maildir_names *names);

/** The messages of one folder, sorted by UID. */
struct maildir_list {
	struct maildir_msg *msgs; /**< the messages, sorted by UID */
	size_t count;         /**< entries in msgs */
	uint32_t uidvalidity; /**< changes only if UIDs are reassigned */
	uint32_t uidnext;     /**< the UID the next new message will get */
	struct maildir_how how; /**< set by maildir_scan() */
	struct maildir_names *names; /**< the mapped cache the names with
					  name_mapped lie in, or NULL */
};

/**
 * @p how in words for the trace, such as "listed from its cache
 * (unchanged)" or "listed again after a change: 1 file(s) looked at, the
 * rest as the cache knew them"; valid until the next call (one session
 * per process, as for maildir_sys_error()).
 */
const char *maildir_how_text(const struct maildir_how *how);

/** Create a Maildir (and its parents) with cur/ new/ tmp/ if missing. */
int maildir_create(const char *path, const char **error_r);

/**
 * Deliver a message: tmp/ -> write -> fsync -> rename into new/ -> fsync
 * new/ (each fsync a group flush, after maildir_set_flush()).  CRLF line
 * ends in @p data are stored as LF.  On success the new
 * file name (without directory) is returned in @p name_r (free it).
 */
int maildir_deliver(const char *path, const char *data, size_t len,
		    char **name_r, const char **error_r);

struct flush_group;

/**
 * From now on, this process (and the processes it forks) makes the
 * messages it stores durable through the group flush @p g (flush.h)
 * instead of an fsync of each file and of new/: the file is written, a
 * flush makes it durable, it is renamed, and a second flush makes the
 * rename durable.  A Maildir on another file system still gets its
 * fsyncs.  NULL: back to fsync.  A server calls it once, at start-up.
 */
void maildir_set_flush(struct flush_group *g);

/**
 * Like maildir_deliver(), but the message goes straight into cur/ with the
 * given @p flags (IMAP APPEND), and its UID is assigned before returning
 * (@p uid_r, may be NULL).  @p mtime, if not 0, sets the file time
 * (IMAP INTERNALDATE).
 */
int maildir_append(const char *path, const char *data, size_t len,
		   const char *flags, time_t mtime, uint32_t *uid_r,
		   const char **error_r);

/** maildir_append() with Dovecot keyword letters a-z (keywords.h) too,
 *  and the folder's UIDVALIDITY the UID belongs to (@p uidvalidity_r,
 *  may be NULL). */
int maildir_append_keywords(const char *path, const char *data, size_t len,
			    const char *flags, const char *keywords,
			    time_t mtime, uint32_t *uid_r,
			    uint32_t *uidvalidity_r, const char **error_r);

/** List new/ and cur/, assigning UIDs to unseen messages (under a lock). */
int maildir_scan(const char *path, struct maildir_list *list_r,
		 const char **error_r);
/**
 * Give UIDs to the messages waiting in new/ that have none yet (mail
 * delivered since anyone listed the folder), so that a message added
 * next comes after them.  Only new/ is listed and the UID list appended
 * to, so the cost does not grow with cur/.  @p numbered_r: how many got a
 * UID now.
 */
int maildir_number_new(const char *path, size_t *numbered_r,
		       const char **error_r);
/** Free what maildir_scan() returned. */
void maildir_list_free(struct maildir_list *list);

/** Give @p msg the malloc'ed file name @p name, freeing the old one if it
 *  was the message's own (not mapped). */
void maildir_msg_rename(struct maildir_msg *msg, char *name);
/** The message is gone for good: let its name go (the name is "" after). */
void maildir_msg_forget_name(struct maildir_msg *msg);

/**
 * Read a whole message into memory (malloc'ed, NUL-terminated, LF line
 * ends).  If another session has renamed the file since the scan (new/ to
 * cur/, or new flags), it is found again by its unique part.
 */
int maildir_read(const char *path, struct maildir_msg *msg, char **data_r,
		 size_t *len_r, const char **error_r);

/** Remove a message for good (unlink, then fsync the directory). */
int maildir_delete(const char *path, struct maildir_msg *msg,
		   const char **error_r);

/**
 * The flags of @p msg: the A-Z letters after ":2," in its name, sorted,
 * into @p out, which holds MAILDIR_FLAGS_MAX + 1 bytes.
 */
void maildir_msg_flags(const struct maildir_msg *msg, char *out);

/**
 * Replace a message's flags (sorted, unknown letters refused) and move it
 * from new/ to cur/ if needed.  @p msg is updated to the new name.
 */
int maildir_set_flags(const char *path, struct maildir_msg *msg,
		      const char *flags, const char **error_r);

/**
 * Like maildir_set_flags(), with the keyword letters too: @p keywords
 * holds lower-case letters a-z, Dovecot's keywords (see keywords.h),
 * which maildir_set_flags() keeps as they are.
 */
int maildir_set_flags_keywords(const char *path, struct maildir_msg *msg,
			       const char *flags, const char *keywords,
			       const char **error_r);

/** Path of a Maildir++ folder: "INBOX" -> @p root, "a/b" -> root/.a.b */
char *maildir_folder_path(const char *root, const char *folder);

/**
 * True if opening the folder cannot lead out of the Maildir at @p root:
 * the folder's directory, those of the folders above it, and its cur/,
 * new/ and tmp/ are each either missing or a real directory, never a
 * symbolic link (each is opened with O_NOFOLLOW).  maildir_folder_path()
 * already refused every name that could leave the root; this is the
 * second line, against a link planted in the Maildir itself.
 */
bool maildir_folder_safe(const char *root, const char *folder);

/** Remove tmp/ files older than 36 hours (the Maildir spec's rule). */
int maildir_clean_tmp(const char *path, time_t now, const char **error_r);

#endif
