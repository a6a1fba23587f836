/*
 * check_imap.h - what the IMAP core's unit tests share: a throwaway data
 * directory with users and mail, and a "chat" that feeds the core client
 * lines and returns the server's whole answer as one string.
 *
 * Included by the check_imap*.c files only; everything here is static.
 */
#ifndef MAILLAB_CHECK_IMAP_H
#define MAILLAB_CHECK_IMAP_H

#include "../../proto/limits.h"
#include "../../servers/core/maildir.h"
#include "../../servers/core/users.h"
#include "../../servers/imap/imap_core.h"
#include "fixture.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *imap_data;
static char imap_users[4096];
static struct imap_config imap_cfg;
static const struct trace imap_quiet = { "imap", 1, -1 };

/* imap_deliver - a message into @user's folder ("INBOX" or "a/b"). */
__attribute__((unused))
static void imap_deliver(const char *user, const char *folder, const char *msg)
{
	char *root = users_maildir(imap_data, user);
	char *path = maildir_folder_path(root, folder);
	const char *error;
	char *name;
	ck_assert_ptr_nonnull(path);
	ck_assert_int_eq(maildir_create(path, &error), 0);
	ck_assert_int_eq(maildir_deliver(path, msg, strlen(msg), &name, &error), 0);
	free(name);
	free(path);
	free(root);
}

/* imap_append_at - a message with flags and an INTERNALDATE, as APPEND
 * would store it; returns its UID. */
__attribute__((unused))
static uint32_t imap_append_at(const char *user, const char *folder,
			       const char *msg, const char *flags, time_t when)
{
	char *root = users_maildir(imap_data, user);
	char *path = maildir_folder_path(root, folder);
	const char *error;
	uint32_t uid = 0;
	ck_assert_ptr_nonnull(path);
	ck_assert_int_eq(maildir_create(path, &error), 0);
	ck_assert_int_eq(maildir_append(path, msg, strlen(msg), flags, when,
					&uid, &error), 0);
	free(path);
	free(root);
	return uid;
}

/* imap_setup - users mrc/secret (RFC 3501 §8's), alice/wonderland (hashed)
 * and bob/builder; no mail yet. */
__attribute__((unused))
static void imap_setup(void)
{
	const char *error;
	imap_data = fixture_tmpdir();
	snprintf(imap_users, sizeof(imap_users), "%s/users", imap_data);
	const char *users = "mrc:{PLAIN}secret\nbob:{PLAIN}builder\n";
	fixture_write_file(imap_users, users, strlen(users));
	ck_assert_int_eq(users_set(imap_users, "alice", "wonderland", NULL,
				   &error), 0);
	imap_cfg = (struct imap_config){
		.hostname = "test.example", .data_dir = imap_data,
		.users_file = imap_users, .starttls_offered = true,
		.cleartext_allowed = true,
	};
}

__attribute__((unused))
static void imap_teardown(void)
{
	fixture_rmtree(imap_data);
	free(imap_data);
}

/* A session and its output, so each test reads like the dialogue. */
struct chat {
	struct imap_session *s;
	struct buf out;
	enum imap_action act;
	bool slow;
};

__attribute__((unused))
static void chat_open(struct chat *c, bool tls)
{
	c->s = imap_session_new(&imap_cfg, &imap_quiet, tls);
	ck_assert_ptr_nonnull(c->s);
	buf_init(&c->out, 8u << 20);
	imap_greeting(c->s, &c->out);
}

__attribute__((unused))
static void chat_close(struct chat *c)
{
	imap_session_free(c->s);
	buf_free(&c->out);
}

/* chat_raw - feed octets exactly as given; the whole answer comes back. */
__attribute__((unused))
static const char *chat_raw(struct chat *c, const char *data, size_t len)
{
	buf_reset(&c->out);
	c->act = imap_feed(c->s, data, len, &c->out, &c->slow);
	return c->out.data != NULL ? c->out.data : "";
}

/* say - one client line; CRLF is added. */
__attribute__((unused))
static const char *say(struct chat *c, const char *line)
{
	char buf[IMAP_LINE_MAX + 3];
	int n = snprintf(buf, sizeof(buf), "%s\r\n", line);
	return chat_raw(c, buf, (size_t)n);
}

/* expect - the exact answer. */
__attribute__((unused))
static void expect(struct chat *c, const char *line, const char *reply)
{
	ck_assert_str_eq(say(c, line), reply);
}

/* expect_has - the answer holds @want somewhere. */
__attribute__((unused))
static void expect_has(struct chat *c, const char *line, const char *want)
{
	const char *r = say(c, line);
	ck_assert_msg(strstr(r, want) != NULL,
		      "C: %s\nS: %s\nwanted \"%s\" in the answer", line, r, want);
}

/* expect_end - the answer's last line starts with @want. */
__attribute__((unused))
static void expect_end(struct chat *c, const char *line, const char *want)
{
	const char *r = say(c, line);
	size_t n = strlen(r);
	const char *last = r;
	for (size_t i = 0; n >= 2 && i + 2 < n; i++)
		if (r[i] == '\n')
			last = r + i + 1;
	ck_assert_msg(strncmp(last, want, strlen(want)) == 0,
		      "C: %s\nS: %s\nwanted the last line to start \"%s\"",
		      line, r, want);
}

/* chat_login - LOGIN and, if @mailbox, SELECT it. */
__attribute__((unused))
static void chat_login(struct chat *c, const char *user, const char *pass,
		       const char *mailbox)
{
	char line[256];
	snprintf(line, sizeof(line), "l1 LOGIN %s %s", user, pass);
	expect_end(c, line, "l1 OK");
	if (mailbox != NULL) {
		snprintf(line, sizeof(line), "s1 SELECT %s", mailbox);
		expect_end(c, line, "s1 OK [READ-WRITE]");
	}
}

#endif
