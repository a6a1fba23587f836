/*
 * uidlist.h - persistent UIDs for one Maildir folder.
 *
 * IMAP (RFC 9051 §2.3.1.1) needs every message to keep one UID for as long
 * as UIDVALIDITY stays the same, with UIDs strictly ascending in delivery
 * order; POP3's UIDL (RFC 1939 §7) needs an identifier that persists across
 * sessions.  Maildir itself stores neither, so each folder keeps a small
 * text file, "maillab-uidlist":
 *
 *     V2 <uidvalidity> <uidnext>
 *     <uid> <unique>
 *     <uid> <unique>
 *     ...
 *
 * where <unique> is the file name before ':' (the flags part changes, the
 * unique part never does) and the UIDs ascend.  The file is changed only
 * while holding an exclusive flock() on "maillab-uidlist.lock".  New
 * messages are appended as lines, so the header's uidnext is a floor: the
 * next UID is the larger of it and the last line's UID plus one.  Any
 * other change writes the list whole to a temporary file, fsync'ed and
 * renamed over the old one.  A last line without its newline is an append
 * a crash cut short, and is ignored.  The "V1" list of earlier versions
 * (the same lines, never appended to) is read, and rewritten as V2 at its
 * next change.  A missing or unreadable list starts a fresh UIDVALIDITY
 * (the current time), which tells IMAP clients to forget their cached
 * UIDs.
 */
#ifndef MAILLAB_UIDLIST_H
#define MAILLAB_UIDLIST_H

#include "maildir.h"

/**
 * Give every message in @p list a UID: known uniques keep theirs, new ones
 * get uidnext, uidnext++ (in order of mtime, then name).  Entries for
 * messages that are gone are dropped.  Sets list->uidvalidity/uidnext and
 * sorts list->msgs by UID.  @p dir is the folder's Maildir path.
 */
int uidlist_sync(const char *dir, struct maildir_list *list,
		 const char **error_r);

/** uidlist_add(): the folder has no UID list that can be trusted yet. */
#define UIDLIST_UNLISTED (-2)

/**
 * Number the messages of @p list (just appended, or found in new/) that
 * have no UID yet, and keep every other entry: unlike uidlist_sync(), the
 * folder is not read.  The new lines are appended and fdatasync'ed before
 * it returns.  Sets list->uidvalidity/uidnext, sorts list->msgs by UID.
 * Returns how many messages got a new UID, or -1 on error, or
 * UIDLIST_UNLISTED when the folder has no list yet (or only a damaged
 * one): nothing is written, and the caller must first number the whole
 * folder (maildir_scan()) so that its older messages come first.
 */
int uidlist_add(const char *dir, struct maildir_list *list,
		const char **error_r);

#endif
