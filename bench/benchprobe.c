/*
 * benchprobe.c - main() of the bench's probes (see probe.h):
 *
 *   benchprobe maildir DIR WRITERS SECONDS [SIZE]
 *   benchprobe tcp SECONDS
 *   benchprobe tls CERT KEY CAFILE SECONDS PAIRS
 *   benchprobe startup PORT RUNS -- COMMAND [ARGS...]
 *   benchprobe exec RUNS INPUT -- COMMAND [ARGS...]
 *
 * "startup" starts COMMAND (a server, in the foreground), connects to
 * 127.0.0.1:PORT as soon as it can and takes the time until the first
 * line of the greeting has arrived: that is start-up to first accept, and
 * the first session served.  Then it stops the server with SIGTERM and
 * waits until every process it started is gone (the command runs in a
 * session of its own, so its children can be found and waited for), and
 * starts it again.  "exec" takes the time from fork to exit of a program
 * that reads INPUT on its standard input (mailsh in batch mode).  Both
 * print the median, the fastest and the slowest of RUNS runs.
 */
#include "probe.h"

#include "lg_limits.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* print_times - the summary line of @n timed runs (sorted here). */
static void print_times(const char *probe, double *ms, unsigned n,
			unsigned failed)
{
	qsort(ms, n, sizeof(*ms), by_value);
	double median = n == 0 ? 0 : n % 2 ? ms[n / 2]
				: (ms[n / 2 - 1] + ms[n / 2]) / 2;
	printf("{\"probe\": \"%s\", \"runs\": %u, \"failed\": %u, "
	       "\"median_ms\": %.3f, \"min_ms\": %.3f, \"max_ms\": %.3f}\n",
	       probe, n, failed, median, n ? ms[0] : 0, n ? ms[n - 1] : 0);
}

/* spawn - fork and exec @argv in a session of its own, with stdin from
 * @input (or /dev/null) and stdout to /dev/null; stderr stays ours. */
static pid_t spawn(char **argv, const char *input, bool quiet_stderr)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* If we are killed (make bench interrupted), the program we started
	 * is told to stop too: the signal survives exec. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	setsid();
	int in = open(input ? input : "/dev/null", O_RDONLY);
	int out = open("/dev/null", O_WRONLY);
	if (in < 0 || out < 0)
		_exit(127);
	dup2(in, 0);
	dup2(out, 1);
	if (quiet_stderr)
		dup2(out, 2);
	execvp(argv[0], argv);
	fprintf(stderr, "benchprobe: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* stop_group - SIGTERM to the group led by @pid; wait until it is gone
 * (SIGKILL after 10 s). */
static void stop_group(pid_t pid)
{
	kill(-pid, SIGTERM);
	waitpid(pid, NULL, 0);
	double limit = now_ms() + 10000;
	while (kill(-pid, 0) == 0) {
		if (now_ms() > limit) {
			kill(-pid, SIGKILL);
			limit += 10000;
		}
		sleep_us(1000);
	}
}

/* first_line - connect to 127.0.0.1:@port and read up to the first LF.
 * 0 once read; 1 while nothing listens yet; -1 on any other failure. */
static int first_line(unsigned short port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons(port) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		return e == ECONNREFUSED ? 1 : -1;
	}
	struct timeval tv = { PROBE_STARTUP_LIMIT_MS / 1000, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char ch = 0;
	while (ch != '\n' && read(fd, &ch, 1) == 1)
		;
	close(fd);
	return ch == '\n' ? 0 : -1;
}

/* one_startup - milliseconds from fork to the first greeting, or -1. */
static double one_startup(char **argv, unsigned short port)
{
	double t0 = now_ms();
	pid_t pid = spawn(argv, NULL, false);
	if (pid < 0)
		return -1;
	double took = -1;
	for (;;) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1; /* it exited before it listened */
		int r = first_line(port);
		if (r == 0)
			took = now_ms() - t0;
		if (r <= 0 || now_ms() - t0 > PROBE_STARTUP_LIMIT_MS)
			break;
		sleep_us(PROBE_POLL_US);
	}
	stop_group(pid);
	return took;
}

static int startup(unsigned short port, unsigned runs, char **argv)
{
	double ms[PROBE_RUNS_MAX];
	unsigned n = 0, failed = 0;
	for (unsigned i = 0; i < runs; i++) {
		double t = one_startup(argv, port);
		if (t < 0)
			failed++;
		else
			ms[n++] = t;
	}
	print_times("startup", ms, n, failed);
	return failed ? -1 : 0;
}

static int exec_runs(unsigned runs, const char *input, char **argv)
{
	double ms[PROBE_RUNS_MAX];
	unsigned n = 0, failed = 0;
	for (unsigned i = 0; i < runs; i++) {
		int status;
		double t0 = now_ms();
		pid_t pid = spawn(argv, input, true);
		if (pid < 0 || waitpid(pid, &status, 0) != pid ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			failed++;
			continue;
		}
		ms[n++] = now_ms() - t0;
	}
	print_times("exec", ms, n, failed);
	return failed ? -1 : 0;
}

static int usage(void)
{
	fputs("usage: benchprobe maildir DIR WRITERS SECONDS [SIZE]\n"
	      "       benchprobe tcp SECONDS\n"
	      "       benchprobe tls CERT KEY CAFILE SECONDS PAIRS\n"
	      "       benchprobe startup PORT RUNS -- COMMAND [ARGS...]\n"
	      "       benchprobe exec RUNS INPUT -- COMMAND [ARGS...]\n", stderr);
	return 2;
}

/* count - a whole number from 1 to @max, or 0. */
static unsigned long count(const char *s, unsigned long max)
{
	char *end;
	unsigned long n = strtoul(s, &end, 10);
	return s[0] >= '0' && s[0] <= '9' && *end == '\0' && n <= max ? n : 0;
}

/* timed - the two probes that run another program. */
static int timed(int argc, char **argv)
{
	bool is_startup = strcmp(argv[1], "startup") == 0;
	if (argc < 6 || strcmp(argv[4], "--") != 0)
		return usage();
	unsigned long runs = count(is_startup ? argv[3] : argv[2],
				   PROBE_RUNS_MAX);
	if (runs == 0)
		return usage();
	if (is_startup) {
		unsigned long port = count(argv[2], 65535);
		return port == 0 ? usage()
		       : startup((unsigned short)port, (unsigned)runs, argv + 5)
			 < 0 ? 1 : 0;
	}
	return exec_runs((unsigned)runs, argv[3], argv + 5) < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc < 3)
		return usage();
	const char *what = argv[1];
	if (strcmp(what, "startup") == 0 || strcmp(what, "exec") == 0)
		return timed(argc, argv);
	if (strcmp(what, "tcp") == 0 && argc == 3 && probe_seconds(argv[2]) > 0)
		return probe_tcp(probe_seconds(argv[2])) < 0;
	if (strcmp(what, "maildir") == 0 && (argc == 5 || argc == 6)) {
		unsigned long writers = count(argv[3], PROBE_WRITERS_MAX);
		unsigned long size = argc == 6 ? count(argv[5], LG_MESSAGE_MAX)
					       : 4096;
		double secs = probe_seconds(argv[4]);
		if (writers == 0 || size == 0 || secs < 0)
			return usage();
		return probe_maildir(argv[2], (unsigned)writers, secs, size) < 0;
	}
	if (strcmp(what, "tls") == 0 && argc == 7) {
		unsigned long pairs = count(argv[6], PROBE_TLS_PAIRS_MAX);
		double secs = probe_seconds(argv[5]);
		if (pairs == 0 || secs < 0)
			return usage();
		return probe_tls(argv[2], argv[3], argv[4], secs,
				 (unsigned)pairs) < 0;
	}
	return usage();
}
