/*
 * listener.c - bind, accept, fork one process per session, reap, shut down
 * (see listener.h for the model).
 *
 * The parent never talks a protocol.  It waits in ppoll() on its listening
 * sockets with SIGCHLD, SIGTERM and SIGINT blocked everywhere except inside
 * ppoll(), so a signal can only arrive while we wait: no race between
 * "check the flag" and "go to sleep".  After each wake-up it reaps finished
 * children and accepts what is pending.
 */
#include "listener.h"

#include "../../common/netio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_SOCKETS (SERVER_BINDS_MAX * SERVER_PORTS_MAX)

struct sock {
	int fd;
	const struct listen_port *port;
};

/* Everything the accept loop needs, passed around instead of globals. */
struct loop {
	const struct listener_config *cfg;
	struct sock socks[MAX_SOCKETS];
	int nsocks;
	pid_t *children;     /* sessions and refusals in progress */
	unsigned nchildren;
	unsigned max_children;
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
	} else {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(ci->peer, sizeof(ci->peer), "[%s]:%u", host,
			 ntohs(in6->sin6_port));
		const uint8_t *a = in6->sin6_addr.s6_addr;
		ci->peer_loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
				    (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) &&
				     a[12] == 127);
	}
}

/* run_child - the whole life of a session process.  Never returns. */
static void run_child(struct loop *lp, int fd, const struct sock *s,
		      const struct sockaddr_storage *ss, bool refuse)
{
	const struct listener_config *cfg = lp->cfg;
	sigset_t none;
	sigemptyset(&none);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int i = 0; i < lp->nsocks; i++)
		close(lp->socks[i].fd);
	free(lp->children);

	struct conn_info ci = {
		.trace = { cfg->proto, lp->next_id, cfg->trace_fd },
		.local_port = s->port->port,
		.mode = s->port->mode,
		.tls = cfg->tls,
	};
	describe_peer(ss, &ci);
	trace_event(&ci.trace, "connect from %s to port %u (%s)", ci.peer,
		    ci.local_port, listener_mode_name(ci.mode));

	struct netio *io = netio_new(fd, cfg->max_line,
				     refuse ? 5 : TLS_HANDSHAKE_TIMEOUT_S);
	if (io == NULL)
		_exit(1);
	if (ci.mode == LISTEN_TLS) {
		size_t dropped;
		const char *error;
		if (netio_tls_accept(io, cfg->tls, &dropped, &error) < 0) {
			trace_event(&ci.trace, "error TLS handshake: %s", error);
			netio_free(io);
			exit(0);
		}
		trace_event(&ci.trace, "tls %s %s", netio_tls_version(io),
			    netio_tls_cipher(io));
	}
	if (refuse) {
		trace_event(&ci.trace, "refused: too many sessions (limit %u)",
			    cfg->max_sessions);
		cfg->refuse(io, &ci, cfg->arg);
	} else {
		netio_set_timeout(io, cfg->timeout_s);
		cfg->serve(io, &ci, cfg->arg);
	}
	netio_free(io);
	trace_event(&ci.trace, "close");
	exit(0);
}

/* accept_one - accept a pending connection on @s and fork its process. */
static void accept_one(struct loop *lp, const struct sock *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = accept4(s->fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
	if (fd < 0)
		return; /* the client gave up already, or a transient error */
	if (lp->nchildren >= lp->max_children) {
		/* Even refusals are over their limit: just close. */
		close(fd);
		return;
	}
	bool refuse = lp->nchildren >= lp->cfg->max_sessions;
	lp->next_id++;
	pid_t pid = fork();
	if (pid == 0)
		run_child(lp, fd, s, &ss, refuse);
	close(fd);
	if (pid < 0) {
		trace_event(&lp->trace, "error fork: %s", strerror(errno));
		return;
	}
	lp->children[lp->nchildren++] = pid;
}

/* reap - collect finished children and forget them. */
static void reap(struct loop *lp)
{
	pid_t pid;
	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
		for (unsigned i = 0; i < lp->nchildren; i++) {
			if (lp->children[i] == pid) {
				lp->children[i] = lp->children[--lp->nchildren];
				break;
			}
		}
	}
}

/* shut_down - close the doors, stop the sessions, wait for all of them. */
static void shut_down(struct loop *lp)
{
	for (int i = 0; i < lp->nsocks; i++)
		close(lp->socks[i].fd);
	trace_event(&lp->trace, "shutdown: stopping %u session(s)",
		    lp->nchildren);
	for (unsigned i = 0; i < lp->nchildren; i++)
		kill(lp->children[i], SIGTERM);
	while (lp->nchildren > 0) {
		pid_t pid = waitpid(-1, NULL, 0);
		if (pid < 0 && errno != EINTR)
			break;
		for (unsigned i = 0; pid > 0 && i < lp->nchildren; i++)
			if (lp->children[i] == pid)
				lp->children[i] = lp->children[--lp->nchildren];
	}
	free(lp->children);
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
	};
	lp.children = calloc(lp.max_children, sizeof(pid_t));
	if (lp.children == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	if (open_all(&lp, error_r) < 0) {
		for (int i = 0; i < lp.nsocks; i++)
			close(lp.socks[i].fd);
		free(lp.children);
		return -1;
	}
	sigset_t waitmask;
	install_signals(&waitmask);
	struct pollfd pfd[MAX_SOCKETS];
	for (int i = 0; i < lp.nsocks; i++)
		pfd[i] = (struct pollfd){ .fd = lp.socks[i].fd, .events = POLLIN };
	while (!got_stop) {
		int n = ppoll(pfd, (nfds_t)lp.nsocks, NULL, &waitmask);
		if (got_child) {
			got_child = 0;
			reap(&lp);
		}
		for (int i = 0; n > 0 && i < lp.nsocks && !got_stop; i++)
			if (pfd[i].revents & POLLIN)
				accept_one(&lp, &lp.socks[i]);
	}
	shut_down(&lp);
	trace_event(&lp.trace, "stopped");
	return 0;
}
