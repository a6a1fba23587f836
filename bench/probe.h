/*
 * probe.h - the bench's measurements that are not a workload.
 *
 * make bench reports every server figure next to what the machine can
 * do at best in the same run, and how long each program takes to start:
 *
 *   probe_limits.c  the physical limits: durable Maildir deliveries per
 *                   second (write, fsync, rename, fsync of the directory)
 *                   with 1 and with N writers, loopback TCP throughput,
 *                   TLS handshakes per second with the lab certificate
 *   benchprobe.c    main(), and the clocks around other programs: time
 *                   from exec to the first greeting (start-up), time from
 *                   exec to exit (mailsh)
 *
 * Each probe prints one line of JSON.
 */
#ifndef MAILLAB_PROBE_H
#define MAILLAB_PROBE_H

#include <stddef.h>

/** Deliveries of @p size octets into @p dir by @p writers threads for
 * @p seconds; prints {"writers", "deliveries", "per_s", "p50_ms"...}. */
int probe_maildir(const char *dir, unsigned writers, double seconds,
		  size_t size);
/** One connection over 127.0.0.1 for @p seconds; prints MB/s. */
int probe_tcp(double seconds);
/** Full TLS handshakes over 127.0.0.1 by @p pairs client/server pairs. */
int probe_tls(const char *cert, const char *key, const char *cafile,
	      double seconds, unsigned pairs);

/** A number of seconds from 0.01 to 3600, or -1. */
double probe_seconds(const char *s);

#endif
