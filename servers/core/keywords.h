/*
 * keywords.h - IMAP keywords of one Maildir folder, stored as Dovecot
 * stores them.
 *
 * IMAP lets a client put its own flags on messages (RFC 9051 §2.3.2:
 * keywords such as $Forwarded, $Junk, or Thunderbird's $label1).  Maildir
 * has room for flags only as letters in the file name after ":2,", and its
 * standard letters are upper case.  Dovecot uses the lower-case letters
 * a-z for keywords and keeps the meaning of each letter in a file
 * "dovecot-keywords" in the folder:
 *
 *     0 $Forwarded
 *     1 $Junk
 *
 * where 0 is the letter 'a', 1 is 'b', and so on.  maillab reads and
 * writes the same file, so keywords set by Dovecot show up here and the
 * other way round, and the Maildir stays one that Dovecot and mutt read.
 * The consequence is Dovecot's limit: 26 keywords per folder
 * (IMAP_KEYWORDS_MAX).
 *
 * The file is only ever replaced whole (written to a temporary file and
 * renamed), under an exclusive flock() on "maillab-keywords.lock", so a
 * reader never sees half of it and two sessions adding keywords at once
 * cannot give one letter two meanings.
 */
#ifndef MAILLAB_KEYWORDS_H
#define MAILLAB_KEYWORDS_H

#include "../../proto/limits.h"

#include <stddef.h>

/** The letters of one folder: names[i] is the keyword of letter 'a' + i. */
struct keywords {
	char *names[IMAP_KEYWORDS_MAX]; /**< keyword names, NULL where a letter is free */
	size_t count; /**< letters 0..count-1 may be in use (gaps are NULL) */
};

/** Read the folder's dovecot-keywords (none is an empty table). */
int keywords_load(const char *dir, struct keywords *kw, const char **error_r);
/** Forget the table. */
void keywords_free(struct keywords *kw);
/** The letter index of @p name (case-insensitive, RFC 9051 §2.3.2), or -1. */
int keywords_find(const struct keywords *kw, const char *name);
/**
 * The index of @p name, giving it the next free letter if it has none
 * (the table is reloaded under the lock first, so letters another session
 * added meanwhile are kept).  Returns the index, or -1 with @p error_r
 * ("too many keywords" once all 26 letters are taken).
 */
int keywords_add(const char *dir, struct keywords *kw, const char *name,
		 const char **error_r);

#endif
