/*
 * folders.h - the folders of one user's Maildir++, and which of them the
 * user subscribed to.
 *
 * Maildir++ (Courier's layout, also Dovecot's default) keeps every folder
 * as a Maildir directly inside the user's Maildir, named by a '.' and the
 * folder's path with '.' between the levels:
 *
 *     Maildir/             INBOX
 *     Maildir/.Sent/       Sent
 *     Maildir/.Archive.2026/  Archive/2026
 *
 * maildir_folder_path() (maildir.h) maps names to directories and refuses
 * every name that could leave the Maildir ('..', '/' at either end, empty
 * levels, control characters) and names holding '.', Maildir++'s own
 * separator.  This module lists, creates, deletes and renames those
 * directories; it knows nothing about IMAP beyond the folder names,
 * which are stored exactly as IMAP sends them (modified UTF-7), as Dovecot
 * does.
 *
 * Subscriptions (IMAP SUBSCRIBE) are a list of names in
 * "maillab-subscriptions" in the Maildir, one per line, replaced whole by
 * rename(2) under an flock() on "maillab-subscriptions.lock".
 */
#ifndef MAILLAB_FOLDERS_H
#define MAILLAB_FOLDERS_H

#include <stdbool.h>
#include <stddef.h>

/** Results besides 0 (done) and -1 (error, with a reason). */
#define FOLDERS_EXISTS  (-2) /**< the (target) folder already exists */
#define FOLDERS_MISSING (-3) /**< the folder does not exist */

/** One mailbox as LIST shows it. */
struct folder_info {
	char *name;        /**< "INBOX", "Archive/2026" */
	bool selectable;   /**< false: only implied by a child (no Maildir) */
	bool has_children; /**< a folder below it exists (\\HasChildren) */
};

/** The folders of one user. */
struct folder_list {
	struct folder_info *items; /**< sorted; INBOX first */
	size_t count; /**< entries in items */
};

/**@{*/
/**
 * Every folder of the Maildir at @p root, INBOX included.  A folder whose
 * parent has no Maildir of its own ("a/b" without "a") brings its parent
 * into the list as not selectable, so the hierarchy has no holes.
 */
int folders_list(const char *root, struct folder_list *list,
		 const char **error_r);
void folders_list_free(struct folder_list *list);
/**@}*/
/** True if @p name is an existing folder (INBOX always is). */
bool folders_exists(const char *root, const char *name);

/** Create a folder and the parents it needs; FOLDERS_EXISTS if it is
 * there already. */
int folders_create(const char *root, const char *name, const char **error_r);
/**
 * Delete a folder with its messages; its children stay (RFC 9051 §6.3.5).
 * The directory is first renamed out of the folder namespace, so another
 * session sees it vanish at once, never half deleted.
 */
int folders_delete(const char *root, const char *name, const char **error_r);
/**
 * Rename a folder and its children.  Renaming INBOX moves its messages
 * into the new folder and leaves INBOX empty (RFC 9051 §6.3.6).
 */
int folders_rename(const char *root, const char *from, const char *to,
		   const char **error_r);

/** The subscribed names, in the order they were subscribed. */
int folders_subscriptions(const char *root, struct folder_list *list,
			  const char **error_r);
/** Add (@p on) or remove a name from the subscriptions. */
int folders_subscribe(const char *root, const char *name, bool on,
		      const char **error_r);

#endif
