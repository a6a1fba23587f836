/*
 * flush.c - group flush (see flush.h for the idea).
 *
 * The shared page holds a lock, held by the process that is flushing, and
 * counters of flushes started and finished.  A session that needs a
 * flush:
 *
 *   1. reads `started` and `done` (its writes are finished by then);
 *   2. becomes the leader if nobody is (it gets the lock without
 *      waiting): it counts one more flush started, runs it, stores its
 *      number in `done`, lets go of the lock and wakes those waiting
 *      for it;
 *   3. or sleeps until the flush it needs has finished, and goes back
 *      to 2 - until `done` has reached a flush started after step 1.
 *
 * Who is woken when a flush ends.  Everybody who asked while flush n was
 * running needs flush n+1, and would be woken twice if every end woke
 * everyone: once when n ends (only to find that n does not count and go
 * back to sleep) and once when n+1 does.  Each sleeper therefore says
 * which flush it needs (FUTEX_WAIT_BITSET, bit n mod 32), and the end of
 * flush n wakes all the sleepers that needed n (or an earlier one, lost
 * with a leader that died) and just one of those that need n+1, to run
 * it.  Context switches are the dearest thing a busy server does; this
 * saves one sleep and wake-up per wait.  The futex word is `ends`, which
 * each end changes before it wakes anyone, so a process that was about
 * to sleep when a flush ended does not sleep through the wake-up meant
 * for it.
 *
 * Whoever flushes runs syncfs(2), then fsync(2) on the directory the group
 * was made for.  syncfs() writes every dirty file, directory and inode of
 * the file system and waits for them, but on ext4 without a journal the
 * last metadata writes it waits for come after the disk cache was flushed;
 * the fsync ends with one more cache flush, after all of them (on a
 * journalling file system it costs little more than that flush).
 *
 * A leader that dies while flushing (kill -9, or SIGTERM to a session
 * that is being closed) must not keep the lock for ever.  The lock is a
 * robust, process-shared mutex (pthread_mutexattr_setrobust(3)): when its
 * owner dies, the kernel lets go of it, and the next process to take it
 * is told so (EOWNERDEAD) and carries on as the leader.  A waiter does
 * not sleep longer than WAIT_MS at a time, so it is the one to notice.
 * The dead leader's flush number was counted as started and never
 * finishes, which is harmless: the next leader's number is higher and
 * ends the wait of everybody who needed the lost one.  (A pid in the page
 * would not do: once the dead leader's pid is given to another process,
 * nobody could tell.)
 *
 * A failed flush (an I/O error: syncfs() reports the file system's write
 * errors since the directory was opened, once) is remembered by its
 * number, and fails every caller whose wait it ended or that was waiting
 * while it ran, so none of them answers that a message is safe.
 */
#include "flush.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* How long a waiter sleeps before it tries the lock again (its holder
 * may have died). */
#define WAIT_MS 100

struct flush_group {
	struct flush_shared *s;
	int fd;            /* the directory: syncfs() and fsync() go here */
	dev_t dev;         /* its file system */
};

/* after - is flush number @a later than @b (with wrap-around)? */
static bool after(unsigned a, unsigned b)
{
	return (int)(a - b) > 0;
}

static unsigned load(const unsigned *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store(unsigned *p, unsigned v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

struct flush_group *flush_group_new(const char *dir, const char **error_r)
{
	struct flush_group *g = calloc(1, sizeof(*g));
	if (g == NULL) {
		*error_r = "out of memory";
		return NULL;
	}
	struct stat st;
	g->fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (g->fd < 0 || fstat(g->fd, &st) < 0) {
		*error_r = "cannot open the data directory";
		goto fail;
	}
	g->dev = st.st_dev;
	g->s = mmap(NULL, sizeof(*g->s), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (g->s == MAP_FAILED) {
		g->s = NULL;
		*error_r = "out of memory (shared page)";
		goto fail;
	}
	/* the counters start as zeros: nothing started, nothing done */
	pthread_mutexattr_t attr;
	bool made = pthread_mutexattr_init(&attr) == 0 &&
		    pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED) == 0 &&
		    pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST) == 0 &&
		    pthread_mutex_init(&g->s->lock, &attr) == 0;
	pthread_mutexattr_destroy(&attr);
	if (made)
		return g;
	*error_r = "cannot make the shared lock";
fail:
	flush_group_free(g);
	return NULL;
}

void flush_group_free(struct flush_group *g)
{
	if (g == NULL)
		return;
	if (g->s != NULL)
		munmap(g->s, sizeof(*g->s));
	if (g->fd >= 0)
		close(g->fd);
	free(g);
}

bool flush_group_covers(const struct flush_group *g, int fd)
{
	struct stat st;
	return g != NULL && fstat(fd, &st) == 0 && st.st_dev == g->dev;
}

unsigned flush_group_count(const struct flush_group *g)
{
	return load(&g->s->done);
}

struct flush_shared *flush_group_shared(struct flush_group *g)
{
	return g->s;
}

/* take_lead - the lock, if nobody holds it; also if its holder died. */
static bool take_lead(struct flush_shared *s)
{
	int r = pthread_mutex_trylock(&s->lock);
	if (r == EOWNERDEAD) /* the leader died flushing: we take over */
		r = pthread_mutex_consistent(&s->lock);
	return r == 0;
}

/* bit - the futex bit of those waiting for flush @n */
static unsigned bit(unsigned n)
{
	return 1u << (n % 32);
}

/* wake - wake at most @count of the sleepers whose bit is in @bits */
static void wake(struct flush_shared *s, unsigned bits, int count)
{
	syscall(SYS_futex, &s->ends, FUTEX_WAKE_BITSET, count, NULL, NULL,
		bits);
}

/* lead - run flush number started+1, let go of the lock, wake those who
 * needed it and one of those who need the next. */
static void lead(struct flush_group *g)
{
	struct flush_shared *s = g->s;
	unsigned mine = __atomic_add_fetch(&s->started, 1, __ATOMIC_ACQ_REL);
	if (mine == 0) /* 0 means "none" in `failed`: skip it */
		mine = __atomic_add_fetch(&s->started, 1, __ATOMIC_ACQ_REL);
	if (syncfs(g->fd) < 0 || fsync(g->fd) < 0) {
		s->failed_errno = errno;
		store(&s->failed, mine);
	}
	store(&s->done, mine);
	pthread_mutex_unlock(&s->lock);
	__atomic_add_fetch(&s->ends, 1, __ATOMIC_ACQ_REL);
	wake(s, ~bit(mine + 1), INT_MAX);  /* all whose flush is done */
	wake(s, bit(mine + 1), 1);         /* one to run the next */
}

/* wait_for - sleep until flush @need may have finished: its end, the
 * end before it (to lead it), or WAIT_MS (the leader may have died: the
 * caller tries the lock again).  Not at all if `ends` is no longer
 * @seen, that is if a flush ended since the caller looked. */
static void wait_for(struct flush_shared *s, unsigned need, unsigned seen)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);   /* the timeout is absolute */
	t.tv_nsec += WAIT_MS * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	syscall(SYS_futex, &s->ends, FUTEX_WAIT_BITSET, seen, &t, NULL,
		bit(need));
}

int flush_group_wait(struct flush_group *g, bool *led_r)
{
	struct flush_shared *s = g->s;
	unsigned need = load(&s->started) + 1;  /* starts after our writes */
	unsigned asked = load(&s->done);         /* finished before we asked */
	bool led = false;
	for (;;) {
		unsigned seen = load(&s->ends);
		if (!after(need, load(&s->done)))
			break;
		if (take_lead(s)) {
			lead(g);
			led = true;
		} else {
			wait_for(s, need, seen);
		}
	}
	if (led_r != NULL)
		*led_r = led;
	/* a flush that finished after we asked failed: it may have been
	 * the one that wrote (or lost) our data */
	unsigned failed = load(&s->failed);
	if (failed != 0 && after(failed, asked)) {
		errno = s->failed_errno != 0 ? s->failed_errno : EIO;
		return -1;
	}
	return 0;
}
