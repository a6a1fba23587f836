/*
 * flush.h - group flush: the deliveries of many sessions made durable by
 * one syncfs(2) instead of an fsync(2) each.
 *
 * A Maildir delivery makes two things durable before the server may say
 * "250", with which it takes responsibility for the message and must not
 * lose it, not even when the machine crashes (RFC 5321 §4.1.1.4, §6.1):
 * the message file (before it is renamed into new/, so that a
 * half-written message can never appear there) and the rename itself.
 * Done one file at a time that is two fsyncs a message, and each fsync
 * waits for its own write to the disk and its own cache flush.  When many
 * sessions deliver at once, one syncfs() of the whole file system covers
 * all the files written and renamed before it started: the first session
 * that needs a flush runs it, the others that need one wait for it, and
 * those that arrive while it runs wait for the next one.  This is the
 * "group commit" of databases, across the processes of one server.
 *
 * The state lives in a MAP_SHARED page made before the first fork, so
 * every session process of the server sees it.  Counting flushes is what
 * makes it correct: a session notes how many flushes have *started*
 * before it asks, and returns only when a flush that started later has
 * *finished*.  A flush that was already running when it asked may have
 * begun before its file was written, so it does not count.
 *
 * syncfs() flushes everything dirty on the file system, the server's own
 * and anyone else's: on a machine that writes a lot of other data, one
 * fsync a file may well be faster.  smtpd --flush file chooses that.
 */
#ifndef MAILLAB_FLUSH_H
#define MAILLAB_FLUSH_H

#include <pthread.h>
#include <stdbool.h>

/** A group flush of one file system, shared by the processes of a server. */
struct flush_group;

/**
 * The shared page: what every process of the server sees.  Flush numbers
 * count up from 1 and may wrap, so they are compared by their difference.
 */
struct flush_shared {
	pthread_mutex_t lock; /**< held by the process flushing (robust) */
	unsigned started;  /**< number of the last flush started */
	unsigned done;     /**< number of the last flush finished */
	unsigned ends;     /**< changed at every end of a flush (futex word) */
	unsigned failed;   /**< number of the last flush that failed, 0: none */
	int failed_errno;  /**< and why */
};

/**
 * Make the group for the file system that holds @p dir.  Call it before
 * the server forks its sessions.  NULL with @p error_r set if the shared
 * page or the directory cannot be had.
 */
struct flush_group *flush_group_new(const char *dir, const char **error_r);

/** Let go of @p g (NULL is fine). */
void flush_group_free(struct flush_group *g);

/**
 * Whether a flush of @p g makes the file open as @p fd durable: false if
 * it lives on another file system (or cannot be asked), and the caller
 * must fsync it itself.
 */
bool flush_group_covers(const struct flush_group *g, int fd);

/**
 * Return once everything this process wrote, created or renamed on the
 * file system of @p g before the call is on disk.  0 on success; -1 with
 * errno if the flush that covered it failed (the caller must not answer
 * that the message is safe).  With @p led_r, whether this call ran the
 * flush itself.
 */
int flush_group_wait(struct flush_group *g, bool *led_r);

/** How many flushes have finished, for the trace and the tests. */
unsigned flush_group_count(const struct flush_group *g);

/** The shared page of @p g, for the tests. */
struct flush_shared *flush_group_shared(struct flush_group *g);

#endif
