/*
 * fuzz_maildir_names.c - Maildir file names and flags, folder names and
 * user names: everything the store takes from a name.
 *
 * A Maildir is shared with other programs (Dovecot, mutt, a learner's own
 * script), so its file names are input like any other.  The input is cut
 * at '/' into names; each name becomes a message file in cur/ or new/
 * (https://cr.yp.to/proto/maildir.html), and the folder is scanned, so the
 * unique part, the ",S=" and ",W=" sizes and the ":2," flags of every name
 * are read, and UIDs are given out and written to the UID list.  Checked:
 *
 *   - every message found gets a UID, UIDs are unique and ascending, and a
 *     second scan gives every message the UID it had (RFC 9051 §2.3.1.1);
 *   - file sizes are what the files hold, whatever the name claims;
 *   - flags come back sorted, only the letters Maildir and Dovecot define;
 *   - after a flag change the message is still there, under its UID;
 *   - the same names as folder names (maildir_folder_path) either are
 *     refused or give a directory directly inside the Maildir, and as
 *     user names (users_name_valid) are accepted only in the safe form.
 */
#include "support.h"

#include "../proto/limits.h"
#include "../servers/core/maildir.h"
#include "../servers/core/maildir_util.h"
#include "../servers/core/users.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Set once by LLVMFuzzerInitialize(): a fuzz target has no context. */
static const char *dir;
static char root[512];

#define NAMES_MAX 8
static const char body[] = "Subject: x\n\nbody\n";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dir = fuzz_data_dir("");
	fuzz_path(dir, "Maildir", root, sizeof(root));
	return 0;
}

/* check_folder_path - refused, INBOX, or root + "/." + one component. */
static void check_folder_path(const char *name)
{
	char *path = maildir_folder_path(root, name);
	if (path == NULL || strcmp(path, root) == 0) {
		free(path);
		return;
	}
	size_t n = strlen(root);
	const char *rest = path + n + 2;
	if (strncmp(path, root, n) != 0 || strncmp(path + n, "/.", 2) != 0 ||
	    strchr(rest, '/') != NULL || *rest == '\0' || *rest == '.' ||
	    strlen(rest) >= NAME_MAX)
		fuzz_fail("folder \"%s\" maps to \"%s\"", name, path);
	for (const unsigned char *p = (const unsigned char *)rest; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			fuzz_fail("control character in folder path");
	free(path);
}

static void check_user_name(const char *name)
{
	if (!users_name_valid(name))
		return;
	if (name[0] == '.' || strlen(name) > USER_NAME_MAX ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") !=
		    strlen(name))
		fuzz_fail("user name \"%s\" accepted", name);
}

static void check_flags(const char *name)
{
	char flags[MAILDIR_FLAGS_MAX + 1], kw[MAILDIR_FLAGS_MAX + 1];
	maildir_flags_from_name(name, flags);
	maildir_flags_parse(name, false, flags);
	maildir_keywords_parse(name, false, kw);
	for (size_t i = 0; flags[i] != '\0'; i++)
		if (flags[i] < 'A' || flags[i] > 'Z' ||
		    (i > 0 && flags[i] <= flags[i - 1]))
			fuzz_fail("flags \"%s\" from \"%s\"", flags, name);
}

/* scan - the folder's messages, checked; returns how many. */
static size_t scan(struct maildir_list *list)
{
	const char *error;
	if (maildir_scan(root, list, &error) < 0)
		fuzz_fail("scan failed: %s", error);
	for (size_t i = 0; i < list->count; i++) {
		const struct maildir_msg *m = &list->msgs[i];
		if (m->uid == 0 || (i > 0 && m->uid <= list->msgs[i - 1].uid) ||
		    m->uid >= list->uidnext)
			fuzz_fail("UID %u out of order", m->uid);
		/* W= in a name is trusted when S= matches the file (a cache,
		 * as Dovecot keeps it); without one it is counted */
		if (m->size != (off_t)strlen(body) ||
		    (strstr(m->name, ",W=") == NULL &&
		     m->wire_size != (off_t)(strlen(body) + 3)))
			fuzz_fail("sizes of \"%s\" are %lld/%lld", m->name,
				  (long long)m->size, (long long)m->wire_size);
	}
	return list->count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *error;
	fuzz_rmtree(root);
	if (maildir_create(root, &error) < 0)
		fuzz_fail("maildir_create: %s", error);
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	size_t files = 0;
	char *save = NULL;
	for (char *name = strtok_r(text, "/", &save);
	     name != NULL && files < NAMES_MAX;
	     name = strtok_r(NULL, "/", &save)) {
		check_folder_path(name);
		check_user_name(name);
		check_flags(name);
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    strlen(name) > NAME_MAX - 8)
			continue;
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%s/%s", root,
			 files % 2 ? "new" : "cur", name);
		FILE *f = fopen(path, "wx");
		if (f == NULL)
			continue; /* the same unique name twice */
		fputs(body, f);
		fclose(f);
		files++;
	}
	free(text);

	struct maildir_list first, again;
	scan(&first);
	if (first.count > 0) {
		if (maildir_set_flags(root, &first.msgs[0], "FS", &error) < 0)
			fuzz_fail("set flags: %s", error);
	}
	scan(&again);
	if (again.count != first.count)
		fuzz_fail("%zu messages, then %zu", first.count, again.count);
	for (size_t i = 0; i < first.count; i++)
		if (first.msgs[i].uid != again.msgs[i].uid ||
		    maildir_unique_cmp(first.msgs[i].name, again.msgs[i].name) != 0)
			fuzz_fail("\"%s\" changed its UID", first.msgs[i].name);
	char flags[MAILDIR_FLAGS_MAX + 1] = "";
	if (first.count > 0)
		maildir_msg_flags(&again.msgs[0], flags);
	if (first.count > 0 && strcmp(flags, "FS") != 0)
		fuzz_fail("flags are \"%s\" after setting FS", flags);
	maildir_list_free(&first);
	maildir_list_free(&again);
	return 0;
}
