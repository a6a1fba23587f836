/*
 * session.c - session glue shared by pop3d, smtpd and imapd (see
 * session.h).
 */
#include "session.h"

#include "../../common/netio.h"
#include "../../proto/limits.h"

#include <string.h>

#include <malloc.h>
#include <poll.h>
#include <time.h>

int session_send(struct netio *io, struct buf *out)
{
	int r = out->len > 0 ? netio_write(io, out->data, out->len) : 0;
	buf_reset(out);
	return r;
}

int session_reply(struct netio *io, struct buf *out, bool reading_on)
{
	if (reading_on && netio_line_buffered(io) &&
	    out->len < SESSION_HOLD_MAX)
		return 0;
	return session_send(io, out);
}

/* peer - this address's entry in the shared table: found, or claimed
 * (a free one near its hash, else the one idle longest).  Two sessions
 * racing for one address may end up with two entries; each then counts
 * half the failures, which errs on the side of the client. */
static struct listener_peer *peer(const struct conn_info *ci, long long now)
{
	struct listener_peer *table = ci->shared->peers, *stalest = NULL;
	unsigned h = 2166136261u; /* FNV-1a */
	for (int i = 0; i < 16; i++)
		h = (h ^ ci->addr[i]) * 16777619u;
	for (unsigned k = 0; k < 8; k++) {
		struct listener_peer *p = &table[(h + k) % LISTENER_PEERS];
		int unused = 0;
		if (__atomic_load_n(&p->used, __ATOMIC_ACQUIRE) &&
		    memcmp(p->addr, ci->addr, 16) == 0)
			return p;
		if (__atomic_compare_exchange_n(&p->used, &unused, 1, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			memcpy(p->addr, ci->addr, 16);
			__atomic_store_n(&p->failures, 0, __ATOMIC_RELEASE);
			return p;
		}
		if (stalest == NULL || p->last < stalest->last)
			stalest = p;
	}
	if (now - stalest->last < AUTH_FAIL_FORGET_S)
		return NULL; /* all busy: this address is not tracked */
	memcpy(stalest->addr, ci->addr, 16);
	__atomic_store_n(&stalest->failures, 0, __ATOMIC_RELEASE);
	return stalest;
}

static long long now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

void session_login_failed(const struct conn_info *ci, unsigned base_ms)
{
	unsigned failures = 1;
	long long now = now_s();
	struct listener_peer *p = ci->shared ? peer(ci, now) : NULL;
	if (p != NULL) {
		/* failures long ago are forgiven */
		if (now - p->last > AUTH_FAIL_FORGET_S)
			__atomic_store_n(&p->failures, 0, __ATOMIC_RELEASE);
		failures = __atomic_add_fetch(&p->failures, 1, __ATOMIC_ACQ_REL);
		p->last = now;
	}
	unsigned long long ms = base_ms;
	for (unsigned i = 1; i < failures && ms < AUTH_FAIL_DELAY_MAX_MS; i++)
		ms *= 2;
	session_delay_ms(ms < AUTH_FAIL_DELAY_MAX_MS ? (unsigned)ms
						     : AUTH_FAIL_DELAY_MAX_MS);
}

void session_set_phase(struct netio *io, const struct conn_info *ci,
		       enum listener_phase phase)
{
	if (ci->shared == NULL)
		return;
	int *slot = &ci->shared->phase[ci->slot];
	enum listener_phase old = __atomic_load_n(slot, __ATOMIC_RELAXED);
	if (phase == old)
		return;
	__atomic_store_n(slot, phase, __ATOMIC_RELAXED);
	if (old == LISTENER_LOGIN && phase != LISTENER_LOGIN) {
		struct listener_peer *p = peer(ci, now_s());
		if (p != NULL)
			__atomic_store_n(&p->failures, 0, __ATOMIC_RELEASE);
	}
	netio_set_deadline(io, phase == LISTENER_LOGIN ? ci->login_timeout_s
			       : phase == LISTENER_MESSAGE ? ci->data_timeout_s
			       : 0);
}

bool session_input_waiting(struct netio *io)
{
	struct pollfd p = { .fd = netio_fd(io), .events = POLLIN };
	return netio_buffered(io) > 0 || poll(&p, 1, 0) > 0;
}

void session_delay_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0)
		;
}

void session_trim(void)
{
	/* glibc keeps freed heap pages for reuse: a SELECT of a large
	 * mailbox would leave each idle session holding its high-water
	 * mark; malloc_trim() returns the free ones */
	malloc_trim(0);
}

void session_wait_idle(struct netio *io, unsigned quiet_after_ms,
		       void (*quiet)(void *arg), void *arg)
{
	if (netio_input_buffered(io))
		return;
	struct pollfd pfd = { .fd = netio_fd(io), .events = POLLIN };
	if (poll(&pfd, 1, SESSION_TRIM_AFTER_MS) != 0)
		return;
	session_trim();
	/* no hook, or the idle timeout comes first: the read that follows
	 * ends the session before anything would be let go */
	if (quiet == NULL || quiet_after_ms >= netio_timeout(io) * 1000u)
		return;
	int more_ms = quiet_after_ms > SESSION_TRIM_AFTER_MS
		      ? (int)(quiet_after_ms - SESSION_TRIM_AFTER_MS) : 0;
	if (poll(&pfd, 1, more_ms) != 0)
		return;
	quiet(arg);
	session_trim();
}

bool session_start_tls(struct netio *io, const struct conn_info *ci)
{
	size_t dropped;
	const char *error;
	if (netio_tls_accept(io, ci->tls, &dropped, &error) < 0) {
		trace_event(&ci->trace, "error TLS handshake: %s", error);
		return false;
	}
	if (dropped > 0)
		trace_event(&ci->trace, "discarded %zu octets pipelined "
			    "before the TLS handshake", dropped);
	trace_event(&ci->trace, "tls %s %s", netio_tls_version(io),
		    netio_tls_cipher(io));
	return true;
}
