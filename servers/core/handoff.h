/*
 * handoff.h - pass an accepted connection to a process that is waiting
 * for one.
 *
 * A listener that reuses its session processes (smtpd; see listener.h)
 * keeps one Unix socketpair per process.  When a session has ended, the
 * process waits on its end for the next client; the listener sends it the
 * connected socket itself, as SCM_RIGHTS ancillary data (unix(7)), with a
 * description of the connection as the message.  The kernel installs a
 * copy of the descriptor in the receiving process, as if it had accepted
 * the connection itself.
 */
#ifndef MAILLAB_HANDOFF_H
#define MAILLAB_HANDOFF_H

#include <stddef.h>

/**
 * Send @p fd and @p len octets of @p info over the socket @p ctl.
 * 0 on success; -1 with errno (EPIPE: the process is gone).
 */
int handoff_send(int ctl, int fd, const void *info, size_t len);

/**
 * Wait for handoff_send() on the other end of @p ctl.  1 with the new
 * descriptor in @p fd_r and exactly @p len octets in @p info; 0 when the
 * other end was closed (the listener wants this process to exit); -1 with
 * errno on errors, including a message of the wrong size.
 */
int handoff_recv(int ctl, int *fd_r, void *info, size_t len);

#endif
