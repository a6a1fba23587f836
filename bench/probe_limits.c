/*
 * probe_limits.c - what the machine can do at best, measured in the same
 * run as the servers (see probe.h).
 *
 * Durable delivery is the qmail sequence every Maildir writer follows
 * (maildir.h): create tmp/<name> with O_EXCL, write, fsync, rename into
 * new/, fsync new/.  Nothing else happens here: no protocol, no parsing,
 * no UID list, so a server that reaches 70 % of this number spends little
 * beside the disk.  Several writers may share the journal commit that
 * fsync waits for (ext4 and XFS group concurrent commits), which is why
 * the figure is taken with one writer and with many.
 *
 * Loopback TCP is one sender and one receiver moving 64 KiB writes; TLS
 * handshakes are full handshakes (no session resumption) between
 * common/tls clients and servers with the lab certificate, the same
 * calls the servers and the load generator make.
 */
#include "probe.h"

#include "../common/tls.h"
#include "lg_limits.h"
#include "lg_stats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

double probe_seconds(const char *s)
{
	char *end;
	double d = strtod(s, &end);
	return end != s && *end == '\0' && d >= 0.01 && d <= 3600 ? d : -1;
}

/* ---- durable Maildir deliveries ------------------------------------ */

struct writer {
	char dir[512];        /* this writer's Maildir */
	const char *data;
	size_t size;
	uint64_t deadline_us;
	unsigned id;
	struct lg_counts counts;
	int failed;           /* errno of the first failure, or 0 */
};

/* deliver_one - tmp, write, fsync, rename, fsync of new/. */
static int deliver_one(struct writer *w, int newfd, unsigned long n)
{
	char tmp[600], dest[600];
	snprintf(tmp, sizeof(tmp), "%s/tmp/%lu.W%uP%ld.probe", w->dir, n, w->id,
		 (long)getpid());
	snprintf(dest, sizeof(dest), "%s/new/%lu.W%uP%ld.probe", w->dir, n,
		 w->id, (long)getpid());
	int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	int r = write(fd, w->data, w->size) == (ssize_t)w->size &&
		fsync(fd) == 0 ? 0 : -1;
	if (close(fd) < 0 || r < 0 || rename(tmp, dest) < 0 || fsync(newfd) < 0)
		return -1;
	return 0;
}

static void *writer_thread(void *p)
{
	struct writer *w = p;
	char sub[600];
	const char *subs[] = { "", "/tmp", "/new", "/cur" };
	for (size_t i = 0; i < 4; i++) {
		snprintf(sub, sizeof(sub), "%s%s", w->dir, subs[i]);
		if (mkdir(sub, 0700) < 0 && errno != EEXIST) {
			w->failed = errno;
			return NULL;
		}
	}
	snprintf(sub, sizeof(sub), "%s/new", w->dir);
	int newfd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (newfd < 0) {
		w->failed = errno;
		return NULL;
	}
	for (unsigned long n = 0; now_us() < w->deadline_us; n++) {
		uint64_t t0 = now_us();
		if (deliver_one(w, newfd, n) < 0) {
			w->failed = errno;
			break;
		}
		lg_counts_op(&w->counts, t0, now_us());
	}
	close(newfd);
	return NULL;
}

int probe_maildir(const char *dir, unsigned writers, double seconds,
		  size_t size)
{
	struct writer *ws = calloc(writers, sizeof(*ws));
	pthread_t *tids = calloc(writers, sizeof(*tids));
	char *data = malloc(size);
	if (ws == NULL || tids == NULL || data == NULL) {
		free(ws);
		free(tids);
		free(data);
		return -1;
	}
	memset(data, 'x', size);
	uint64_t deadline = now_us() + (uint64_t)(seconds * 1e6);
	unsigned started = 0;
	for (; started < writers; started++) {
		struct writer *w = &ws[started];
		*w = (struct writer){ .data = data, .size = size, .id = started,
				      .deadline_us = deadline };
		snprintf(w->dir, sizeof(w->dir), "%s/w%u", dir, started);
		lg_counts_init(&w->counts);
		if (pthread_create(&tids[started], NULL, writer_thread, w) != 0)
			break;
	}
	struct lg_counts t;
	lg_counts_init(&t);
	int failed = started < writers ? EAGAIN : 0;
	for (unsigned i = 0; i < started; i++) {
		pthread_join(tids[i], NULL);
		lg_counts_merge(&t, &ws[i].counts);
		if (ws[i].failed != 0)
			failed = ws[i].failed;
	}
	printf("{\"probe\": \"maildir\", \"writers\": %u, \"size\": %zu, "
	       "\"deliveries\": %llu, \"per_s\": %.1f, \"p50_ms\": %.3f, "
	       "\"p99_ms\": %.3f, \"error\": \"%s\"}\n", writers, size,
	       (unsigned long long)t.ops, lg_counts_rate(&t),
	       (double)lg_hist_percentile(&t.lat, 50) / 1e3,
	       (double)lg_hist_percentile(&t.lat, 99) / 1e3,
	       failed ? strerror(failed) : "");
	free(ws);
	free(tids);
	free(data);
	return failed ? -1 : 0;
}

/* ---- loopback TCP ------------------------------------------------- */

/* listen_loopback - a listening socket on 127.0.0.1 and a free port. */
static int listen_loopback(unsigned short *port_r)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, len) < 0 ||
	    listen(fd, SOMAXCONN) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		close(fd);
		return -1;
	}
	*port_r = ntohs(sa.sin_port);
	return fd;
}

static int connect_loopback(unsigned short port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

struct sender {
	int fd;
	uint64_t deadline_us;
};

static void *send_thread(void *p)
{
	struct sender *s = p;
	static const char zero[PROBE_TCP_CHUNK];
	while (now_us() < s->deadline_us)
		if (write(s->fd, zero, sizeof(zero)) <= 0)
			break;
	shutdown(s->fd, SHUT_WR);
	return NULL;
}

int probe_tcp(double seconds)
{
	unsigned short port;
	int lfd = listen_loopback(&port);
	int out = lfd < 0 ? -1 : connect_loopback(port);
	int in = out < 0 ? -1 : accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (in < 0) {
		fprintf(stderr, "benchprobe: loopback: %s\n", strerror(errno));
		return -1;
	}
	close(lfd);
	struct sender s = { out, now_us() + (uint64_t)(seconds * 1e6) };
	pthread_t tid;
	uint64_t t0 = now_us(), total = 0;
	if (pthread_create(&tid, NULL, send_thread, &s) != 0)
		return -1;
	char *buf = malloc(PROBE_TCP_CHUNK);
	ssize_t n;
	while (buf != NULL && (n = read(in, buf, PROBE_TCP_CHUNK)) > 0)
		total += (uint64_t)n;
	double secs = (double)(now_us() - t0) / 1e6;
	pthread_join(tid, NULL);
	free(buf);
	close(in);
	close(out);
	printf("{\"probe\": \"tcp\", \"bytes\": %llu, \"seconds\": %.3f, "
	       "\"mb_per_s\": %.1f}\n", (unsigned long long)total, secs,
	       (double)total / 1e6 / secs);
	return 0;
}

/* ---- TLS handshakes ----------------------------------------------- */

struct tls_probe {
	int lfd;
	unsigned short port;
	struct tls_server *srv;
	struct tls_client *cli;
	uint64_t deadline_us;
	atomic_ulong done;
	atomic_ulong failed;
};

/* server_thread - accept and complete handshakes until the socket is shut. */
static void *server_thread(void *p)
{
	struct tls_probe *t = p;
	for (;;) {
		int fd = accept4(t->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return NULL;
		}
		const char *error;
		struct tls_conn *c = tls_accept(t->srv, fd, &error);
		tls_close(c);
		close(fd);
	}
}

/* client_thread - full handshakes, one after another, until the deadline. */
static void *client_thread(void *p)
{
	struct tls_probe *t = p;
	while (now_us() < t->deadline_us) {
		int fd = connect_loopback(t->port);
		const char *error;
		struct tls_conn *c = fd < 0 ? NULL
				     : tls_connect(t->cli, fd, "localhost", &error);
		if (c != NULL)
			atomic_fetch_add(&t->done, 1);
		else
			atomic_fetch_add(&t->failed, 1);
		tls_close(c);
		if (fd >= 0)
			close(fd);
	}
	return NULL;
}

/* tls_setup - the contexts and the listening socket. */
static int tls_setup(struct tls_probe *t, const char *cert, const char *key,
		     const char *cafile)
{
	const char *error;
	t->srv = tls_server_new(cert, key, &error);
	t->cli = t->srv ? tls_client_new(cafile, NULL, &error) : NULL;
	if (t->cli == NULL) {
		fprintf(stderr, "benchprobe: TLS: %s\n", error);
		return -1;
	}
	t->lfd = listen_loopback(&t->port);
	return t->lfd < 0 ? -1 : 0;
}

int probe_tls(const char *cert, const char *key, const char *cafile,
	      double seconds, unsigned pairs)
{
	struct tls_probe t = { .lfd = -1 };
	pthread_t srv[PROBE_TLS_PAIRS_MAX], cli[PROBE_TLS_PAIRS_MAX];
	unsigned ns = 0, nc = 0;
	int r = -1;
	if (tls_setup(&t, cert, key, cafile) == 0) {
		uint64_t t0 = now_us();
		t.deadline_us = t0 + (uint64_t)(seconds * 1e6);
		while (ns < pairs &&
		       pthread_create(&srv[ns], NULL, server_thread, &t) == 0)
			ns++;
		while (nc < pairs &&
		       pthread_create(&cli[nc], NULL, client_thread, &t) == 0)
			nc++;
		for (unsigned i = 0; i < nc; i++)
			pthread_join(cli[i], NULL);
		double secs = (double)(now_us() - t0) / 1e6;
		/* wakes the servers blocked in accept() */
		shutdown(t.lfd, SHUT_RDWR);
		for (unsigned i = 0; i < ns; i++)
			pthread_join(srv[i], NULL);
		unsigned long done = atomic_load(&t.done);
		printf("{\"probe\": \"tls\", \"pairs\": %u, \"handshakes\": %lu, "
		       "\"failed\": %lu, \"per_s\": %.1f}\n", nc, done,
		       atomic_load(&t.failed), (double)done / secs);
		r = nc == pairs && done > 0 ? 0 : -1;
	}
	if (t.lfd >= 0)
		close(t.lfd);
	tls_server_free(t.srv);
	tls_client_free(t.cli);
	return r;
}
