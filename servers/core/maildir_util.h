/*
 * maildir_util.h - small helpers the Maildir files share (maildir.c,
 * maildir_msg.c, uidlist.c); not part of the store's interface.
 */
#ifndef MAILLAB_MAILDIR_UTIL_H
#define MAILLAB_MAILDIR_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/** Tries when another process got in the way: a unique name taken in
 * tmp/, or a message renamed again while we looked for it. */
#define MAILDIR_RETRIES 3
/** Bytes per write(2) or read(2) while converting or measuring. */
#define MAILDIR_IO_CHUNK 65536

/** "what: strerror(errno)", valid until the next call (one session per
 * process, so a static buffer is enough). */
const char *maildir_sys_error(const char *what);
/** printf into a PATH_MAX buffer; -1 and "path too long" if it does not fit. */
int maildir_make_path(char *out, const char **error_r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/** stat(2) of PATH/NAME; -1 with errno (ENAMETOOLONG if it does not fit). */
int maildir_stat_at(const char *path, const char *name, struct stat *st);
/** fsync a directory: a new or removed name is durable only then. */
int maildir_fsync_dir(const char *dir, const char **error_r);
/** fsync the subdirectory @p sub ("new", "cur") of the Maildir @p path. */
int maildir_fsync_sub(const char *path, const char *sub, const char **error_r);
/**
 * Replace the small file DIR/NAME with @p text: it is written to
 * DIR/NAME.maillab.tmp (and fsync'ed if @p durable), then renamed over the
 * old file, so a reader sees the old content or the new, never half of
 * either.  The caller holds whatever lock guards the file.
 */
int maildir_replace_file(const char *dir, const char *name, const char *text,
			 size_t len, bool durable, const char **error_r);
/** Flags as sorted, de-duplicated A-Z letters; @p strict refuses others. */
int maildir_flags_parse(const char *s, bool strict, char *out);
/** Keyword letters (a-z) sorted, de-duplicated; @p strict refuses others. */
int maildir_keywords_parse(const char *s, bool strict, char *out);
/** The flags of a file name (after ":2,"), sorted. */
void maildir_flags_from_name(const char *name, char *out);
/** Count LFs and CRLFs in a chunk; *prev carries the last byte over. */
void maildir_lf_count(const char *p, size_t n, char *prev, off_t *lf,
		      off_t *crlf);

struct maildir_list;
/** uidlist_add() for messages just put in place, and if the folder has
 * no UID list yet, a maildir_scan() of it all first; returns how many
 * messages got a UID now, or -1. */
int maildir_number_added(const char *path, struct maildir_list *list,
			 const char **error_r);

#endif
