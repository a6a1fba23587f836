/*
 * uidlist.h - persistent UIDs for one Maildir folder.
 *
 * IMAP (RFC 9051 §2.3.1.1) needs every message to keep one UID for as long
 * as UIDVALIDITY stays the same, with UIDs strictly ascending in delivery
 * order; POP3's UIDL (RFC 1939 §7) needs an identifier that persists across
 * sessions.  Maildir itself stores neither, so each folder keeps a small
 * text file, "maillab-uidlist":
 *
 *     V1 <uidvalidity> <uidnext>
 *     <uid> <unique>
 *     <uid> <unique>
 *     ...
 *
 * where <unique> is the file name before ':' (the flags part changes, the
 * unique part never does).  The file is changed only while holding an
 * exclusive flock() on "maillab-uidlist.lock", written to a temporary file,
 * fsync'ed and renamed over the old one, so readers see the old list or the
 * new, never half of one.  A missing or unreadable list starts a fresh
 * UIDVALIDITY (the current time), which tells IMAP clients to forget
 * their cached UIDs.
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

#endif
