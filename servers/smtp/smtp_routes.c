/*
 * smtp_routes.c - read DATA/routes (see smtp_routes.h for the format).
 *
 * The table is the lab's stand-in for DNS MX lookups (RFC 5321 §5.1): a
 * domain names its next hop directly.  A bad line is an error for every
 * lookup, not skipped: a typo in a route should be seen, not turn into
 * "no route" for one domain.
 */
#include "smtp_routes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* split_hostport - "host:port", "[v6]:port"; -1 if malformed. */
static int split_hostport(const char *hp, struct smtp_route *r)
{
	const char *colon;
	const char *host = hp;
	size_t hlen;
	if (hp[0] == '[') {
		const char *close = strchr(hp, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		host = hp + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(hp, ':');
		if (colon == NULL)
			return -1;
		hlen = (size_t)(colon - hp);
	}
	const char *port = colon + 1;
	size_t plen = strlen(port);
	if (hlen == 0 || hlen >= sizeof(r->host) || plen == 0 ||
	    plen >= sizeof(r->port) || strspn(port, "0123456789") != plen ||
	    atoi(port) < 1 || atoi(port) > 65535)
		return -1;
	memcpy(r->host, host, hlen);
	r->host[hlen] = '\0';
	memcpy(r->port, port, plen + 1);
	return 0;
}

int smtp_routes_parse_line(const char *line, char *domain,
			   struct smtp_route *route_r, const char **error_r)
{
	char copy[1024];
	snprintf(copy, sizeof(copy), "%s", line);
	copy[strcspn(copy, "#\r\n")] = '\0';
	char *save = NULL;
	char *dom = strtok_r(copy, " \t", &save);
	if (dom == NULL)
		return 0;
	char *hop = strtok_r(NULL, " \t", &save);
	if (hop == NULL || strtok_r(NULL, " \t", &save) != NULL) {
		*error_r = "a route is \"domain host:port\"";
		return -1;
	}
	if (strlen(dom) > SMTP_DOMAIN_MAX || split_hostport(hop, route_r) < 0) {
		*error_r = "bad domain or host:port in a route";
		return -1;
	}
	strcpy(domain, dom);
	return 1;
}

int smtp_routes_lookup(const char *routes_file, const char *domain,
		       struct smtp_route *route_r, const char **error_r)
{
	FILE *f = fopen(routes_file, "r");
	if (f == NULL) {
		if (errno == ENOENT)
			return 0; /* no table: nothing is routable */
		*error_r = strerror(errno);
		return -1;
	}
	char line[1024];
	char dom[SMTP_DOMAIN_MAX + 1];
	struct smtp_route r;
	int found = 0, lines = 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (++lines > SMTP_ROUTES_MAX) {
			*error_r = "too many lines in the route table";
			found = -1;
			break;
		}
		int k = smtp_routes_parse_line(line, dom, &r, error_r);
		if (k < 0) {
			found = -1;
			break;
		}
		if (k == 0)
			continue;
		if (strcasecmp(dom, domain) == 0) {
			*route_r = r; /* an exact match wins over "*" */
			found = 1;
		} else if (strcmp(dom, "*") == 0 && found == 0) {
			*route_r = r;
			found = 2;
		}
	}
	fclose(f);
	return found < 0 ? -1 : found > 0;
}
