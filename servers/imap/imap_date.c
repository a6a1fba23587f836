/*
 * imap_date.c - parsing and writing IMAP's dates (see imap_date.h).
 *
 * Day numbers come from the civil calendar by the usual formula (days
 * from 1970-01-01 of a proleptic Gregorian date), so no time zone of the
 * machine running the server ever enters into it.
 */
#include "imap_date.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* days_from_civil - days since 1970-01-01 of y-m-d (m 1..12). */
static long days_from_civil(long y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int month_number(const char *p)
{
	for (int i = 0; i < 12; i++)
		if (strncasecmp(p, months[i], 3) == 0)
			return i + 1;
	return 0;
}

static bool valid_day(long y, int m, int d)
{
	static const int len[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
				     30, 31 };
	if (m < 1 || m > 12 || d < 1 || d > len[m - 1] || y < 1900 || y > 9999)
		return false;
	return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

/* digits - exactly @p n decimal digits at *pp. */
static bool digits(const char **pp, int n, long *out)
{
	long v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*pp)[i]))
			return false;
		v = v * 10 + ((*pp)[i] - '0');
	}
	*pp += n;
	*out = v;
	return true;
}

/* day_month_year - "d-Mon-yyyy" or "dd-Mon-yyyy"; @p fixed wants the day
 * as two characters (a space or a digit first, as in date-day-fixed). */
static bool day_month_year(const char **pp, bool fixed, long *day_r)
{
	const char *p = *pp;
	long d, y;
	if (fixed && *p == ' ')
		p++;
	if (!digits(&p, isdigit((unsigned char)p[1]) ? 2 : 1, &d) || *p++ != '-')
		return false;
	int m = month_number(p);
	p += 3;
	if (m == 0 || *p++ != '-' || !digits(&p, 4, &y) || !valid_day(y, m, (int)d))
		return false;
	*day_r = days_from_civil(y, m, (int)d);
	*pp = p;
	return true;
}

int imap_date_parse(const char *text, long *day_r)
{
	return day_month_year(&text, false, day_r) && *text == '\0' ? 0 : -1;
}

int imap_date_time_parse(const char *text, time_t *t_r)
{
	long day, h, mi, sec, zh, zm;
	const char *p = text;
	if (!day_month_year(&p, true, &day) || *p++ != ' ' ||
	    !digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) ||
	    *p++ != ':' || !digits(&p, 2, &sec) || *p++ != ' ')
		return -1;
	char sign = *p++;
	if ((sign != '+' && sign != '-') || !digits(&p, 2, &zh) ||
	    !digits(&p, 2, &zm) || *p != '\0' || h > 23 || mi > 59 ||
	    sec > 60 || zm > 59)
		return -1;
	long zone = (zh * 60 + zm) * 60 * (sign == '-' ? -1 : 1);
	*t_r = (time_t)(day * 86400 + h * 3600 + mi * 60 + sec - zone);
	return 0;
}

void imap_date_time_put(time_t t, struct buf *out)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	buf_printf(out, "\"%02d-%s-%04d %02d:%02d:%02d +0000\"", tm.tm_mday,
		   months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		   tm.tm_sec);
}

long imap_date_day(time_t t)
{
	long d = (long)(t / 86400);
	return t < 0 && t % 86400 != 0 ? d - 1 : d;
}

int imap_date_rfc5322(const char *text, long *day_r)
{
	/* RFC 5322 §3.3: [day-of-week ","] day month year time zone; the
	 * day is in the date's own zone, which is what SENT* compares */
	const char *p = text;
	long d, y;
	while (*p == ' ' || *p == '\t')
		p++;
	if (isalpha((unsigned char)*p)) {
		const char *comma = strchr(p, ',');
		if (comma == NULL)
			return -1;
		p = comma + 1;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	char *end;
	d = strtol(p, &end, 10);
	if (end == p)
		return -1;
	p = end;
	while (*p == ' ' || *p == '\t')
		p++;
	int m = month_number(p);
	if (m == 0)
		return -1;
	p += 3;
	y = strtol(p, &end, 10);
	if (end == p)
		return -1;
	/* RFC 5322 §4.3: two-digit years are obsolete but still seen */
	if (end - p <= 2)
		y += y < 50 ? 2000 : 1900;
	else if (end - p == 3)
		y += 1900;
	if (!valid_day(y, m, (int)d))
		return -1;
	*day_r = days_from_civil(y, m, (int)d);
	return 0;
}
