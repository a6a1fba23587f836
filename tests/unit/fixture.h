/*
 * fixture.h - helpers the unit tests share: throwaway directories and
 * files, and the flags of a Maildir message as a string.
 */
#ifndef MAILLAB_TEST_FIXTURE_H
#define MAILLAB_TEST_FIXTURE_H

#include <stddef.h>

struct maildir_msg;

/** Create a fresh directory under $TMPDIR (or /tmp); returns its path. */
char *fixture_tmpdir(void);
/** Remove a directory tree (the test's own temporary directory only). */
void fixture_rmtree(const char *path);
/** Write @p len bytes to @p path (created or truncated). */
void fixture_write_file(const char *path, const void *data, size_t len);
/** Read a whole file (malloc'ed, NUL-terminated); NULL if missing. */
char *fixture_read_file(const char *path, size_t *len_r);
/** The flags of @p m (maildir_msg_flags()), valid until the next call. */
const char *fixture_flags(const struct maildir_msg *m);

#endif
