/*
 * fdio.h - writing a whole buffer to a file descriptor.
 *
 * write(2) may write less than it was given (a signal, a full socket
 * buffer, a nearly full disk) and may be interrupted before writing
 * anything (EINTR).  Every caller that must not lose a byte - the Maildir
 * store, the SMTP queue, a plain connection - loops the same way, so the
 * loop lives here once.
 */
#ifndef MAILLAB_FDIO_H
#define MAILLAB_FDIO_H

#include <stddef.h>

/**
 * Write all @p n bytes of @p data to @p fd, retrying short writes and
 * EINTR.  Returns 0, or -1 with errno set (a write that returns 0 sets
 * EIO: the descriptor took nothing and would take nothing again).
 */
int fd_write_all(int fd, const void *data, size_t n);

#endif
