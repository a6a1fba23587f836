/*
 * session.c - session glue shared by pop3d, smtpd and imapd (see
 * session.h).
 */
#include "session.h"

#include "../../common/netio.h"

#include <time.h>

int session_send(struct netio *io, struct buf *out)
{
	int r = out->len > 0 ? netio_write(io, out->data, out->len) : 0;
	buf_reset(out);
	return r;
}

void session_delay_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0)
		;
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
