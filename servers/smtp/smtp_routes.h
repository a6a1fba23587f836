/*
 * smtp_routes.h - the route table: which host takes mail for a domain.
 *
 * Real MTAs find the next hop in DNS (MX records, RFC 5321 §5.1).  A lab
 * on loopback has no DNS for made-up domains, so smtpd reads a static
 * table instead, like Postfix's transport(5) map, from DATA/routes:
 *
 *     # domain            next hop
 *     example.org         127.0.0.1:20025
 *     other.test          [::1]:20025
 *     *                   127.0.0.1:30025     (every other domain)
 *
 * One route per line: a domain (matched case-insensitively), white space,
 * host:port.  '#' starts a comment.  The file is read at every lookup, so
 * an edit takes effect at once, without a restart.
 */
#ifndef MAILLAB_SMTP_ROUTES_H
#define MAILLAB_SMTP_ROUTES_H

#include "../../proto/limits.h"

/** The next hop for a domain. */
struct smtp_route {
	char host[SMTP_DOMAIN_MAX + 1]; /**< name or address, no brackets */
	char port[8];                    /**< decimal */
};

/**
 * Parse one line of the table.  Returns 1 and fills @p domain (of
 * SMTP_DOMAIN_MAX + 1 bytes) and @p route_r for a route, 0 for a blank or
 * comment line, -1 (with @p error_r) for a malformed one.
 */
int smtp_routes_parse_line(const char *line, char *domain,
			   struct smtp_route *route_r, const char **error_r);

/**
 * Find the route for @p domain in @p routes_file: an exact match first,
 * then "*".  Returns 1 if found, 0 if not (or if the file does not exist),
 * -1 with @p error_r if the file cannot be read or has a bad line.
 */
int smtp_routes_lookup(const char *routes_file, const char *domain,
		       struct smtp_route *route_r, const char **error_r);

#endif
