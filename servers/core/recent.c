/*
 * recent.c - the \Recent mark of a folder (see recent.h).
 *
 * The file is replaced by rename(2) like the UID list, so a reader without
 * the lock sees one whole mark.  A mark for another UIDVALIDITY counts as
 * none: after the UIDs have been renumbered every message is new to every
 * client anyway.
 */
#include "recent.h"

#include "maildir_util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#define RECENT_FILE "maillab-recent"
#define RECENT_LOCK "maillab-recent.lock"

int recent_peek(const char *dir, uint32_t uidvalidity, uint32_t *mark_r,
		const char **error_r)
{
	char path[PATH_MAX];
	uint32_t v = 0, uid = 0;
	*mark_r = 0;
	if (maildir_make_path(path, error_r, "%s/" RECENT_FILE, dir) < 0)
		return -1;
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		*error_r = maildir_sys_error("open maillab-recent");
		return -1;
	}
	/* a damaged file is no mark: at worst a message is recent twice */
	if (fscanf(f, "%" SCNu32 " %" SCNu32, &v, &uid) == 2 &&
	    v == uidvalidity)
		*mark_r = uid;
	fclose(f);
	return 0;
}

static int save(const char *dir, uint32_t uidvalidity, uint32_t mark,
		const char **error_r)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%" PRIu32 " %" PRIu32 "\n",
			 uidvalidity, mark);
	/* No fsync: losing the mark in a crash only makes some messages
	 * recent once more, which is harmless. */
	return maildir_replace_file(dir, RECENT_FILE, text, (size_t)n, false,
				    error_r);
}

int recent_claim(const char *dir, uint32_t uidvalidity, uint32_t last_uid,
		 uint32_t *old_mark_r, const char **error_r)
{
	char lock_path[PATH_MAX];
	/* the common case, nothing new, needs no lock and no write */
	if (recent_peek(dir, uidvalidity, old_mark_r, error_r) < 0)
		return -1;
	if (*old_mark_r >= last_uid)
		return 0;
	if (maildir_make_path(lock_path, error_r, "%s/" RECENT_LOCK, dir) < 0)
		return -1;
	int fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		*error_r = maildir_sys_error("lock maillab-recent");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	int ret = recent_peek(dir, uidvalidity, old_mark_r, error_r);
	if (ret == 0 && *old_mark_r < last_uid)
		ret = save(dir, uidvalidity, last_uid, error_r);
	close(fd);
	return ret;
}
