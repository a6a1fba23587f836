/*
 * maildir_cache.h - a listing of a folder saved by one scan for the next,
 * used only while the folder is known not to have changed.
 *
 * Listing a Maildir means reading two directories and looking at every
 * file (its size, its time): for 10,000 messages that is 10,000 stat(2)
 * calls on every SELECT and every POP3 login.  A folder that nobody
 * touches lists the same every time, and whether anybody touched it can
 * be told from three stat(2) calls: a message arrives, leaves or changes
 * its flags only by a rename in new/ or cur/, which changes that
 * directory's modification time, and the UID list is either replaced by
 * rename, which gives it a new inode, or appended to, which makes it
 * longer.  Dovecot's Maildir code makes the same bet on the same times.
 *
 * So after a full scan the listing is written to "maillab-cache" with the
 * times of new/ and cur/ and the identity of the UID list, and the next
 * scan uses it if all three are still the same.  One trap: file times
 * move in clock ticks, and a rename in the same tick as the scan leaves
 * the directory's time unchanged although the scan missed it.  A listing
 * is therefore saved only when both directories were last changed more
 * than a second before the scan began; any later change gives them a
 * time the cache does not know.
 *
 * After a change the listing is out of date, but not what it says of each
 * message: a Maildir file never changes its text, and a rename keeps its
 * size and time.  So the next scan reads both directories again (their
 * names only) and stat(2)s only the files the old listing does not know:
 * when mail arrives in a folder of 10,000 messages, one, not 10,000.
 *
 * The cache is not precious: it is written without fsync, any file that
 * does not parse (or names a file outside the folder) is ignored, and
 * deleting it only costs one full scan.
 */
#ifndef MAILLAB_MAILDIR_CACHE_H
#define MAILLAB_MAILDIR_CACHE_H

#include "maildir.h"

#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>

/** What says whether a folder changed: its two directories and its list. */
struct maildir_stamp {
	struct timespec new_mtime;     /**< when new/ last changed */
	struct timespec cur_mtime;     /**< when cur/ last changed */
	ino_t uidlist_ino;        /**< 0 if there is no UID list yet */
	struct timespec uidlist_mtime; /**< when the UID list last changed */
	off_t uidlist_size;       /**< its size: an append always changes it */
};

/** Read the stamp of the Maildir at @p path; -1 if a directory is missing. */
int maildir_stamp_read(const char *path, struct maildir_stamp *stamp);

/** The two stamps are the same: nothing changed between them. */
bool maildir_stamp_same(const struct maildir_stamp *a,
			const struct maildir_stamp *b);

/**
 * After a scan that began at @p scan_started and saw the folder at
 * @p before: true if a later stamp equal to @p after_r proves the folder
 * unchanged since the scan (nothing changed during it, and both
 * directories were last changed more than a second before it, so a
 * change in the same clock tick cannot hide).
 */
bool maildir_stamp_settled(const char *path, const struct maildir_stamp *before,
			   time_t scan_started, struct maildir_stamp *after_r);

/** What maildir_cache_load() found. */
enum maildir_cached {
	MAILDIR_CACHED_NONE,    /**< no cache, or one that does not parse */
	MAILDIR_CACHED_CURRENT, /**< the folder's listing: nothing changed */
	MAILDIR_CACHED_OLD,     /**< the listing of an earlier scan */
};

/**
 * The listing the cache holds, in @p list_r (sorted by UID):
 * MAILDIR_CACHED_CURRENT if the folder's stamp is still @p stamp, so the
 * listing is the folder's; MAILDIR_CACHED_OLD if the folder changed
 * since; MAILDIR_CACHED_NONE (and @p list_r empty) if there is none.
 * An old listing is not the folder's, but what it says of each message
 * still holds: a Maildir file never changes its text, and a rename (new
 * flags, new/ to cur/) keeps its size, its time and its unique part.
 */
enum maildir_cached maildir_cache_load(const char *path,
				       const struct maildir_stamp *stamp,
				       struct maildir_list *list_r);

/**
 * Save @p list, the result of a full scan that began at @p scan_started
 * and saw the folder at @p before, if it is safe to trust later: the
 * folder has not changed during the scan, and was last changed more than
 * a second before it.  Failures are ignored (there is no cache then).
 */
void maildir_cache_save(const char *path, const struct maildir_stamp *before,
			time_t scan_started, const struct maildir_list *list);

#endif
