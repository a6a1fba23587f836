/*
 * listener.c - bind, accept, fork a process per session (or hand the
 * session to a process that is free again), reap, shut down (see
 * listener.h for the model).
 *
 * The parent never talks a protocol.  It waits in ppoll() on its listening
 * sockets with SIGCHLD, SIGTERM and SIGINT blocked everywhere except inside
 * ppoll(), so a signal can only arrive while we wait: no race between
 * "check the flag" and "go to sleep".  After each wake-up it reaps finished
 * children and accepts what is pending.
 *
 * Who gets in.  A client is refused (with its protocol's "try later"
 * reply) when its address already holds --max-per-address sessions.  When
 * all --max-sessions are taken, the oldest session that has not logged in
 * yet is closed to make room (Dovecot's login processes do the same), so
 * a crowd of idle or half-open connections cannot lock the lab out; only
 * when every session is in use is the newcomer refused.  On plain ports
 * the listener writes the refusal itself; on TLS ports it needs a process
 * for the handshake, and those are capped too.  A started-as-root server
 * binds its ports, then becomes --user before it accepts anyone.
 *
 * Reuse (smtpd).  When max_reuse is above 1, a session process does not
 * exit after its session: it writes "slot N is free" into the listener's
 * done pipe and waits on its own socketpair.  The next client is handed to
 * such an idle process (handoff.h) instead of a new fork; a process exits
 * after max_reuse sessions, or when the listener closes its socketpair
 * because it was idle for reuse_idle_s.  The listener alone decides who
 * gets a client, so a process never exits while a client is on its way.
 */
#include "listener.h"

#include "../../common/netio.h"
#include "handoff.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKETS (SERVER_BINDS_MAX * SERVER_PORTS_MAX)

struct sock {
	int fd;
	const struct listen_port *port;
};

/* One child process: a session, or a refusal being sent over TLS.  Its
 * index in loop.children is its slot in the shared phase table. */
struct child {
	pid_t pid;                /* 0: the slot is free */
	unsigned char addr[16];
	bool refusal;
	bool idle;                /* reusable, between sessions */
	bool leaving;             /* sent SIGTERM to make room, or let go
				     when idle: no longer counted */
	unsigned long id;         /* session id: lower is older */
	int ctl;                  /* our end of its handoff socketpair, or -1 */
	time_t idle_since;        /* monotonic seconds, while idle */
};

/* What a reusable process writes into the done pipe when its session has
 * ended: one write of 8 octets, which a pipe never splits (pipe(7)).  The
 * pid tells a late note from a process already reaped. */
struct done_note {
	int slot;
	pid_t pid;
};

/* Everything the accept loop needs, passed around instead of globals. */
struct loop {
	const struct listener_config *cfg;
	struct sock socks[MAX_SOCKETS];
	int nsocks;
	struct child *children;  /* max_children slots */
	unsigned high;           /* slots from here on are free: every walk
				    over the table stops here */
	unsigned nchildren;      /* slots in use */
	unsigned sessions;       /* of them: sessions not leaving */
	unsigned refusals;       /* of them: refusals */
	unsigned idle;           /* of them: reusable processes between sessions */
	int done[2];             /* the done pipe, or -1: no reuse */
	unsigned max_children;
	struct listener_shared *shared;
	size_t shared_size;
	unsigned long next_id;
	struct trace trace;  /* the listener's own lines: session #0 */
};

/* Signal flags are the one place a global is unavoidable: a handler has no
 * other way to reach the loop. */
static volatile sig_atomic_t got_stop;
static volatile sig_atomic_t got_child;

static void on_stop(int sig)
{
	(void)sig;
	got_stop = 1;
}

static void on_child(int sig)
{
	(void)sig;
	got_child = 1;
}

const char *listener_mode_name(enum listen_mode mode)
{
	switch (mode) {
	case LISTEN_PLAIN:
		return "plain";
	case LISTEN_STARTTLS:
		return "starttls";
	case LISTEN_TLS:
		return "tls";
	}
	return "?";
}

int listener_parse_port(const char *spec, enum listen_mode fallback,
			struct listen_port *port_r)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(spec, &end, 10);
	if (end == spec || errno != 0 || n == 0 || n > 65535)
		return -1;
	port_r->port = (unsigned short)n;
	port_r->mode = fallback;
	if (*end == '\0')
		return 0;
	if (*end++ != ':')
		return -1;
	for (int m = LISTEN_PLAIN; m <= LISTEN_TLS; m++) {
		if (strcmp(end, listener_mode_name((enum listen_mode)m)) == 0) {
			port_r->mode = (enum listen_mode)m;
			return 0;
		}
	}
	return -1;
}

/* open_socket - bind one address and port; -1 with errno on failure. */
static int open_socket(const char *addr, unsigned short port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		len = sizeof(*in6);
	} else {
		errno = EINVAL;
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* keep "::" from also taking the IPv4 port: each family is explicit */
	if (ss.ss_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
				 sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    listen(fd, SOMAXCONN) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* open_all - bind every address on every port.  An IPv6 address on a
 * machine without IPv6 is skipped with a trace line; any other failure
 * stops the server, since a missing port would surprise the instructor. */
static int open_all(struct loop *lp, const char **error_r)
{
	static char err[256];
	const struct listener_config *cfg = lp->cfg;
	for (int p = 0; p < cfg->nports; p++) {
		for (int b = 0; b < cfg->nbinds; b++) {
			const char *addr = cfg->binds[b];
			int fd = open_socket(addr, cfg->ports[p].port);
			if (fd < 0 && (errno == EADDRNOTAVAIL ||
				       errno == EAFNOSUPPORT)) {
				trace_event(&lp->trace, "skip %s port %u: %s",
					    addr, cfg->ports[p].port,
					    strerror(errno));
				continue;
			}
			if (fd < 0) {
				snprintf(err, sizeof(err), "%s port %u: %s",
					 addr, cfg->ports[p].port,
					 strerror(errno));
				*error_r = err;
				return -1;
			}
			lp->socks[lp->nsocks].fd = fd;
			lp->socks[lp->nsocks++].port = &cfg->ports[p];
			trace_event(&lp->trace, "listening on %s port %u (%s)",
				    addr, cfg->ports[p].port,
				    listener_mode_name(cfg->ports[p].mode));
		}
	}
	if (lp->nsocks == 0) {
		*error_r = "no address could be bound";
		return -1;
	}
	return 0;
}

/* describe_peer - "127.0.0.1:5555" or "[::1]:5555", and whether it is
 * loopback (127.0.0.0/8, ::1, or ::ffff:127.x.y.z). */
static void describe_peer(const struct sockaddr_storage *ss,
			  struct conn_info *ci)
{
	char host[INET6_ADDRSTRLEN] = "?";
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in4 = (const void *)ss;
		inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
		snprintf(ci->peer, sizeof(ci->peer), "%s:%u", host,
			 ntohs(in4->sin_port));
		ci->peer_loopback = (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
		/* one form for both families: ::ffff:a.b.c.d (RFC 4291 §2.5.5.2) */
		memset(ci->addr, 0, 10);
		ci->addr[10] = ci->addr[11] = 0xff;
		memcpy(ci->addr + 12, &in4->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(ci->peer, sizeof(ci->peer), "[%s]:%u", host,
			 ntohs(in6->sin6_port));
		const uint8_t *a = in6->sin6_addr.s6_addr;
		memcpy(ci->addr, a, 16);
		ci->peer_loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
				    (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) &&
				     a[12] == 127);
	}
}

/* close_gently - closing a socket with unread input makes the kernel
 * answer with RST (RFC 1122 §4.2.2.13), and a client that gets the RST
 * may lose our last reply (a refusal, a 421) before it has read it.  So
 * when the client sent more than was read: end our direction (FIN after
 * the reply), then read and drop its input until it closes, for at most
 * LINGER_MS. */
#define LINGER_MS 1000
static void close_gently(struct netio *io)
{
	int fd = netio_fd(io);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 0) <= 0 || shutdown(fd, SHUT_WR) < 0)
		return;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	char sink[4096];
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long left = LINGER_MS - ((now.tv_sec - start.tv_sec) * 1000 +
					 (now.tv_nsec - start.tv_nsec) / 1000000);
		if (left <= 0 || poll(&p, 1, (int)left) <= 0 ||
		    read(fd, sink, sizeof(sink)) <= 0)
			return;
	}
}

/* children_new - the table of children: a mapping of its own rather than
 * heap, so that a session process can unmap it (children_free()) instead
 * of freeing it into its heap, where the session's own allocations would
 * make it copy the pages the listener wrote.  Anonymous pages are zero. */
static struct child *children_new(unsigned n)
{
	void *p = mmap(NULL, n * sizeof(struct child), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void children_free(struct loop *lp)
{
	if (lp->children != NULL)
		munmap(lp->children, lp->max_children * sizeof(*lp->children));
	lp->children = NULL;
}

/* child_setup - a new process lets go of what only the listener needs:
 * the signal handlers, the listening sockets, the other processes'
 * socketpairs and the reading end of the done pipe. */
static void child_setup(struct loop *lp)
{
	sigset_t none;
	sigemptyset(&none);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int i = 0; i < lp->nsocks; i++)
		close(lp->socks[i].fd);
	for (unsigned i = 0; i < lp->high; i++)
		if (lp->children[i].pid > 0 && lp->children[i].ctl >= 0)
			close(lp->children[i].ctl);
	if (lp->done[0] >= 0)
		close(lp->done[0]);
	children_free(lp);
}

/* tell_done - a reusable process is free again: one write of 8 octets.
 * If the listener cannot be told (it is gone), the process ends here. */
static void tell_done(const struct loop *lp, const struct done_note *note)
{
	if (write(lp->done[1], note, sizeof(*note)) != (ssize_t)sizeof(*note))
		exit(0);
}

/* serve_connection - one client, from its connect to the close of the
 * socket @fd.  @why is NULL for a session, or why the client is refused.
 * A reusable process passes @note, which goes into the done pipe after
 * the close and before its trace line: whoever reads "close" in the trace
 * knows that the listener can hand this process the next client. */
static void serve_connection(const struct loop *lp, int fd,
			     const struct conn_info *ci, const char *why,
			     const struct done_note *note)
{
	const struct listener_config *cfg = lp->cfg;
	trace_event(&ci->trace, "connect from %s to port %u (%s)", ci->peer,
		    ci->local_port, listener_mode_name(ci->mode));
	/* the handshake and the refusal each have a short, whole limit */
	struct netio *io = netio_new(fd, cfg->max_line,
				     why ? 5 : TLS_HANDSHAKE_TIMEOUT_S);
	if (io == NULL) {
		close(fd);
		if (note != NULL)
			tell_done(lp, note);
		return;
	}
	if (why == NULL && cfg->timeout_s < TLS_HANDSHAKE_TIMEOUT_S)
		netio_set_timeout(io, cfg->timeout_s);
	if (ci->mode == LISTEN_TLS) {
		size_t dropped;
		const char *error;
		if (netio_tls_accept(io, cfg->tls, &dropped, &error) < 0) {
			trace_event(&ci->trace, "error TLS handshake: %s", error);
			netio_free(io);
			if (note != NULL)
				tell_done(lp, note);
			return;
		}
		trace_event(&ci->trace, "tls %s %s", netio_tls_version(io),
			    netio_tls_cipher(io));
	}
	if (why != NULL) {
		trace_event(&ci->trace, "refused: %s", why);
		cfg->refuse(io, ci, cfg->arg);
	} else {
		netio_set_timeout(io, cfg->timeout_s);
		/* the time to log in counts from the connect */
		netio_set_deadline(io, ci->login_timeout_s);
		cfg->serve(io, ci, cfg->arg);
	}
	close_gently(io);
	netio_free(io);
	if (note != NULL)
		tell_done(lp, note);
	trace_event(&ci->trace, "close");
}

/* run_child - the whole life of a process with one connection.  Never
 * returns. */
static void run_child(struct loop *lp, int fd, const struct conn_info *ci,
		      const char *why)
{
	if (lp->done[1] >= 0)
		close(lp->done[1]);
	child_setup(lp);
	serve_connection(lp, fd, ci, why, NULL);
	exit(0);
}

/* wait_for_client - block until the listener hands over the next client
 * (handoff_recv()).  Between two sessions in quick succession the heap
 * keeps its pages (the next session gets its buffers without a page
 * fault each: see run_worker()); after a second without a client they
 * are given back to the kernel. */
static int wait_for_client(int ctl, int *fd_r, struct conn_info *ci)
{
	struct pollfd p = { .fd = ctl, .events = POLLIN };
	if (poll(&p, 1, 1000) == 0)
		malloc_trim(0);
	return handoff_recv(ctl, fd_r, ci, sizeof(*ci));
}

/* run_worker - the whole life of a reusable session process: a session,
 * then "free again" into the done pipe and a wait on @ctl for the next
 * one, up to max_reuse sessions.  Never returns. */
static void run_worker(struct loop *lp, int ctl, int fd,
		       const struct conn_info *first)
{
	struct conn_info ci = *first;
	child_setup(lp);
	/* Large buffers (a 1 MB message) come from the heap, not from
	 * mmap(), and freeing them keeps the pages: on a virtual machine
	 * faulting in a fresh megabyte costs more than receiving it. */
	mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	unsigned used = 1;
	for (;; used++) {
		if (used == lp->cfg->max_reuse) {
			serve_connection(lp, fd, &ci, NULL, NULL); /* the last */
			trace_event(&lp->trace, "process %ld served %u sessions "
				    "(--reuse): exits", (long)getpid(), used);
			break;
		}
		struct done_note note = { ci.slot, getpid() };
		serve_connection(lp, fd, &ci, NULL, &note);
		/* 0: the listener closed our socketpair, we are let go */
		if (wait_for_client(ctl, &fd, &ci) <= 0)
			break;
	}
	close(ctl);
	close(lp->done[1]);
	exit(0);
}

/* refuse_here - a refusal on a plain port, written by the listener
 * itself: one short reply into an empty socket buffer never blocks, and
 * no process is spent on a client that is turned away. */
static void refuse_here(struct loop *lp, int fd, const struct conn_info *ci,
			const char *why)
{
	const struct listener_config *cfg = lp->cfg;
	trace_event(&ci->trace, "connect from %s refused: %s", ci->peer, why);
	int flags = fcntl(fd, F_GETFL);
	if (flags >= 0)
		(void)fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	struct netio *io = netio_new(fd, cfg->max_line, 1);
	if (io == NULL) {
		close(fd);
		return;
	}
	cfg->refuse(io, ci, cfg->arg);
	netio_free(io);
}

/* from_address - sessions (not refusals, idle or leaving) of @addr. */
static unsigned from_address(const struct loop *lp, const unsigned char *addr)
{
	unsigned n = 0;
	for (unsigned i = 0; i < lp->high; i++) {
		const struct child *c = &lp->children[i];
		n += c->pid > 0 && !c->refusal && !c->idle && !c->leaving &&
		     memcmp(c->addr, addr, 16) == 0;
	}
	return n;
}

/* evict - make room: SIGTERM to the oldest session that has not logged
 * in.  False if every session has. */
static bool evict(struct loop *lp)
{
	struct child *oldest = NULL;
	for (unsigned i = 0; i < lp->high; i++) {
		struct child *c = &lp->children[i];
		if (c->pid > 0 && !c->refusal && !c->idle && !c->leaving &&
		    __atomic_load_n(&lp->shared->phase[i], __ATOMIC_RELAXED) ==
			    LISTENER_LOGIN &&
		    (oldest == NULL || c->id < oldest->id))
			oldest = c;
	}
	if (oldest == NULL)
		return false;
	trace_event(&lp->trace, "closing session #%lu (not logged in) to make "
		    "room", oldest->id);
	kill(oldest->pid, SIGTERM);
	oldest->leaving = true;
	lp->sessions--;
	return true;
}

/* admit - NULL if a new session from @addr may start, else why not. */
static const char *admit(struct loop *lp, const unsigned char *addr)
{
	const struct listener_config *cfg = lp->cfg;
	if (cfg->max_per_addr > 0 && from_address(lp, addr) >= cfg->max_per_addr)
		return "too many sessions from this address";
	if (lp->sessions < cfg->max_sessions || evict(lp))
		return NULL;
	return "too many sessions";
}

/* free_slot - the lowest free child slot, or -1.  Taking the lowest
 * keeps the used part of the table short.  With max-sessions 1000, a walk
 * over all 2,000 slots of 48 octets would read 24 pages for every client,
 * and on a fresh server fault in each of them first: about 1 ms of a
 * start-up on a virtual machine. */
static int free_slot(struct loop *lp)
{
	if (lp->nchildren >= lp->max_children)
		return -1;
	for (unsigned i = 0; i < lp->high; i++)
		if (lp->children[i].pid == 0)
			return (int)i;
	return (int)lp->high++;
}

/* now_s - monotonic seconds, for the idle times. */
static time_t now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* hand_to_idle - give a new session to the process that became idle
 * last (the one most likely still in the CPU caches); false if there is
 * none.  A process that died while idle refuses the handoff (EPIPE) and
 * is skipped; reap() frees its slot. */
static bool hand_to_idle(struct loop *lp, int fd, struct conn_info *ci)
{
	for (;;) {
		struct child *best = NULL;
		for (unsigned i = 0; i < lp->high; i++) {
			struct child *c = &lp->children[i];
			if (c->pid > 0 && c->idle &&
			    (best == NULL || c->idle_since > best->idle_since))
				best = c;
		}
		if (best == NULL)
			return false;
		best->idle = false;
		lp->idle--;
		ci->slot = (int)(best - lp->children);
		lp->shared->phase[ci->slot] = LISTENER_LOGIN;
		if (handoff_send(best->ctl, fd, ci, sizeof(*ci)) == 0) {
			best->id = ci->trace.session;
			memcpy(best->addr, ci->addr, 16);
			lp->sessions++;
			return true;
		}
		trace_event(&lp->trace, "error handing session #%lu to "
			    "process %ld: %s", ci->trace.session,
			    (long)best->pid, strerror(errno));
		best->leaving = true;
		close(best->ctl);
		best->ctl = -1;
	}
}

/* start_process - fork the process for a new connection: a reusable
 * session process (run_worker()) when reuse is on, else one that serves
 * this connection only. */
static pid_t start_process(struct loop *lp, int fd, const struct conn_info *ci,
			   const char *why, int *ctl_r)
{
	int pair[2] = { -1, -1 };
	*ctl_r = -1;
	if (why == NULL && lp->done[1] >= 0 &&
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
		trace_event(&lp->trace, "error socketpair: %s (session #%lu "
			    "is not reusable)", strerror(errno), ci->trace.session);
	pid_t pid = fork();
	if (pid == 0 && pair[1] >= 0) {
		close(pair[0]);
		run_worker(lp, pair[1], fd, ci);
	}
	if (pid == 0)
		run_child(lp, fd, ci, why);
	if (pair[1] >= 0)
		close(pair[1]);
	if (pid > 0)
		*ctl_r = pair[0];
	else if (pair[0] >= 0)
		close(pair[0]);
	return pid;
}

/* accept_one - accept a pending connection on @s; give it to an idle
 * process, or fork one. */
static void accept_one(struct loop *lp, const struct sock *s)
{
	const struct listener_config *cfg = lp->cfg;
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = accept4(s->fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	if (fd < 0)
		return; /* the client gave up already, or a transient error */
	struct conn_info ci = {
		.trace = { cfg->proto, ++lp->next_id, cfg->trace_fd },
		.local_port = s->port->port,
		.mode = s->port->mode,
		.tls = cfg->tls,
		.login_timeout_s = cfg->login_timeout_s,
		.data_timeout_s = cfg->data_timeout_s,
		.shared = lp->shared,
	};
	describe_peer(&ss, &ci);
	const char *why = admit(lp, ci.addr);
	if (why != NULL && ci.mode != LISTEN_TLS) {
		refuse_here(lp, fd, &ci, why);
		return;
	}
	if (why == NULL && hand_to_idle(lp, fd, &ci)) {
		close(fd);
		return;
	}
	int slot = free_slot(lp);
	if (slot < 0 || (why != NULL && lp->refusals >= cfg->max_sessions)) {
		/* even refusals are over their limit: just close */
		close(fd);
		return;
	}
	ci.slot = slot;
	lp->shared->phase[slot] = LISTENER_LOGIN;
	int ctl;
	pid_t pid = start_process(lp, fd, &ci, why, &ctl);
	close(fd);
	if (pid < 0) {
		trace_event(&lp->trace, "error fork: %s", strerror(errno));
		return;
	}
	struct child *c = &lp->children[slot];
	*c = (struct child){ .pid = pid, .refusal = why != NULL,
			     .id = lp->next_id, .ctl = ctl };
	memcpy(c->addr, ci.addr, 16);
	lp->nchildren++;
	if (why != NULL)
		lp->refusals++;
	else
		lp->sessions++;
}

/* forget - a child has ended: free its slot. */
static void forget(struct loop *lp, pid_t pid)
{
	for (unsigned i = 0; i < lp->high; i++) {
		struct child *c = &lp->children[i];
		if (c->pid != pid)
			continue;
		if (c->refusal)
			lp->refusals--;
		else if (c->idle)
			lp->idle--;
		else if (!c->leaving)
			lp->sessions--;
		if (c->ctl >= 0)
			close(c->ctl);
		*c = (struct child){ .pid = 0, .ctl = -1 };
		lp->nchildren--;
		while (lp->high > 0 && lp->children[lp->high - 1].pid == 0)
			lp->high--;
		return;
	}
}

/* reap - collect finished children and forget them. */
static void reap(struct loop *lp)
{
	pid_t pid;
	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		forget(lp, pid);
}

/* note_idle - read the done pipe: these sessions have ended, and their
 * processes wait for the next client. */
static void note_idle(struct loop *lp)
{
	struct done_note note;
	while (read(lp->done[0], &note, sizeof(note)) == (ssize_t)sizeof(note)) {
		if (note.slot < 0 || (unsigned)note.slot >= lp->max_children)
			continue;
		struct child *c = &lp->children[note.slot];
		if (c->pid != note.pid || c->refusal || c->idle || c->leaving)
			continue; /* reaped already, or being stopped */
		c->idle = true;
		c->idle_since = now_s();
		lp->sessions--;
		lp->idle++;
	}
}

/* let_go_idle - close the socketpair of each process idle for
 * reuse_idle_s: it reads end-of-file and exits, so a quiet server gives
 * its memory back. */
static void let_go_idle(struct loop *lp)
{
	time_t now = now_s();
	time_t limit = (time_t)lp->cfg->reuse_idle_s;
	for (unsigned i = 0; i < lp->high && lp->idle > 0; i++) {
		struct child *c = &lp->children[i];
		if (c->pid <= 0 || !c->idle || now - c->idle_since < limit)
			continue;
		trace_event(&lp->trace, "process %ld idle for %d s: let go",
			    (long)c->pid, (int)limit);
		close(c->ctl);
		c->ctl = -1;
		c->idle = false;
		c->leaving = true;
		lp->idle--;
	}
}

/* shut_down - close the doors, stop the sessions, wait for all of them. */
static void shut_down(struct loop *lp)
{
	for (int i = 0; i < lp->nsocks; i++)
		close(lp->socks[i].fd);
	trace_event(&lp->trace, "shutdown: stopping %u session(s)",
		    lp->sessions + lp->refusals);
	for (unsigned i = 0; i < lp->high; i++)
		if (lp->children[i].pid > 0)
			kill(lp->children[i].pid, SIGTERM);
	while (lp->nchildren > 0) {
		pid_t pid = waitpid(-1, NULL, 0);
		if (pid < 0 && errno != EINTR)
			break;
		if (pid > 0)
			forget(lp, pid);
	}
	children_free(lp);
	munmap(lp->shared, lp->shared_size);
	if (lp->done[0] >= 0) {
		close(lp->done[0]);
		close(lp->done[1]);
	}
}

int listener_drop_privileges(const char *user, const char **note_r,
			     const char **error_r)
{
	*note_r = NULL;
	if (geteuid() != 0)
		return 0;
	if (user == NULL) {
		*note_r = "running as root (give --user to drop privileges)";
		return 0;
	}
	struct passwd *pw = getpwnam(user);
	if (pw == NULL) {
		*error_r = "--user: no such user";
		return -1;
	}
	/* groups first, then the gid, the uid last: once the uid is not 0,
	 * nothing else may be changed any more */
	if (setgroups(1, &pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		*error_r = "cannot change to the --user";
		return -1;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		*error_r = "root could be taken back after --user";
		return -1;
	}
	return 0;
}

/* install_signals - handlers on, and the three signals blocked except
 * inside ppoll(); @old_r receives the mask ppoll() should use. */
static void install_signals(sigset_t *old_r)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, NULL);
	/* a client that vanishes must cost one failed write, not the process */
	signal(SIGPIPE, SIG_IGN);
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, old_r);
}

int listener_run(const struct listener_config *cfg, const char **error_r)
{
	struct loop lp = {
		.cfg = cfg,
		.trace = { cfg->proto, 0, cfg->trace_fd },
		/* room for the sessions plus as many refusals in flight */
		.max_children = cfg->max_sessions * 2,
		.done = { -1, -1 },
	};
	/* a slot's ctl is set whenever its pid is */
	lp.children = children_new(lp.max_children);
	lp.shared_size = sizeof(*lp.shared) + lp.max_children * sizeof(int);
	lp.shared = mmap(NULL, lp.shared_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (lp.children == NULL || lp.shared == MAP_FAILED) {
		*error_r = "out of memory";
		children_free(&lp);
		return -1;
	}
	const char *note = NULL;
	if (open_all(&lp, error_r) < 0 ||
	    listener_drop_privileges(cfg->user, &note, error_r) < 0) {
		for (int i = 0; i < lp.nsocks; i++)
			close(lp.socks[i].fd);
		children_free(&lp);
		munmap(lp.shared, lp.shared_size);
		return -1;
	}
	if (note != NULL)
		trace_event(&lp.trace, "note %s", note);
	else if (cfg->user != NULL && getuid() != 0)
		trace_event(&lp.trace, "running as %s (uid %u)", cfg->user,
			    (unsigned)getuid());
	/* reuse: the done pipe; the listener's end never blocks */
	if (cfg->max_reuse > 1 && pipe2(lp.done, O_CLOEXEC) == 0)
		(void)fcntl(lp.done[0], F_SETFL, O_NONBLOCK);
	else if (cfg->max_reuse > 1)
		trace_event(&lp.trace, "error pipe: %s (no process is reused)",
			    strerror(errno));
	sigset_t waitmask;
	install_signals(&waitmask);
	struct pollfd pfd[MAX_SOCKETS + 1];
	for (int i = 0; i < lp.nsocks; i++)
		pfd[i] = (struct pollfd){ .fd = lp.socks[i].fd, .events = POLLIN };
	/* the done pipe last: -1 (no reuse) is skipped by ppoll() */
	pfd[lp.nsocks] = (struct pollfd){ .fd = lp.done[0], .events = POLLIN };
	while (!got_stop) {
		/* with idle processes, wake up four times per idle time to
		 * let go of them */
		long tick_ms = (long)cfg->reuse_idle_s * 250;
		struct timespec tick = { tick_ms / 1000, tick_ms % 1000 * 1000000 };
		int n = ppoll(pfd, (nfds_t)lp.nsocks + 1, lp.idle ? &tick : NULL,
			      &waitmask);
		if (got_child) {
			got_child = 0;
			reap(&lp);
		}
		if (n > 0 && (pfd[lp.nsocks].revents & POLLIN))
			note_idle(&lp);
		for (int i = 0; n > 0 && i < lp.nsocks && !got_stop; i++)
			if (pfd[i].revents & POLLIN)
				accept_one(&lp, &lp.socks[i]);
		if (lp.idle > 0)
			let_go_idle(&lp);
	}
	shut_down(&lp);
	trace_event(&lp.trace, "stopped");
	return 0;
}
