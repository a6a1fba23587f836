/*
 * support.h - what the fuzz targets share.
 *
 * Each fuzz/fuzz_NAME.c is a libFuzzer target: LLVMFuzzerTestOneInput()
 * takes one input, any bytes at all, and hands it to one parser or one
 * protocol core exactly as the session glue would, with AddressSanitizer
 * and UndefinedBehaviorSanitizer watching.  A target also checks what the
 * code promises (a round trip, where a message ends, a path that stays
 * inside its directory) and calls fuzz_fail() when a promise is broken,
 * so a wrong answer is found like a crash is.
 *
 * Cores that store mail need a data directory; fuzz_data_dir() makes one
 * per process, on tmpfs when the machine has /dev/shm (an fsync there
 * costs nothing, so delivery does not slow the fuzzer down), and removes
 * it at exit.
 */
#ifndef MAILLAB_FUZZ_SUPPORT_H
#define MAILLAB_FUZZ_SUPPORT_H

#include "../common/linebuf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** The libFuzzer entry points every target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/**
 * A fresh data directory with a users file holding @p users (the
 * passwd-file text, "name:{PLAIN}secret" lines); removed at exit.
 */
const char *fuzz_data_dir(const char *users);
/** "@p dir/@p name" in a static buffer (one per call site is enough). */
const char *fuzz_path(const char *dir, const char *name, char *out,
		      size_t size);
/** Remove the directory @p path below the data directory, and all in it. */
void fuzz_rmtree(const char *path);
/** Write @p len bytes to @p path. */
void fuzz_write_file(const char *path, const void *data, size_t len);
/** Read a whole file (malloc'ed, NUL-terminated); NULL if it is missing. */
char *fuzz_read_file(const char *path, size_t *len_r);
/** Deliver @p text as a message into the Maildir @p maildir. */
void fuzz_deliver(const char *maildir, const char *text);
/** Messages in new/ and cur/ of @p maildir. */
size_t fuzz_count_messages(const char *maildir);

/** A promise was broken: print why and abort, so libFuzzer keeps the input. */
void fuzz_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/**
 * The framing the session glue does with netio: bytes go into a linebuf
 * as a read() would put them there, and come out as lines.
 */
struct fuzz_lines {
	struct linebuf lb;
	const uint8_t *data;  /**< input not yet in the linebuf */
	size_t left;
};

/** Start framing @p size bytes with lines of at most @p max_line. */
void fuzz_lines_init(struct fuzz_lines *fl, const uint8_t *data, size_t size,
		     size_t max_line);
void fuzz_lines_free(struct fuzz_lines *fl);
/**
 * The next line: LINEBUF_LINE (with @p line_r, @p len_r, @p flags_r),
 * LINEBUF_TOO_LONG, or LINEBUF_NEED_MORE once the input is used up.
 */
enum linebuf_result fuzz_lines_next(struct fuzz_lines *fl, char **line_r,
				    size_t *len_r, unsigned *flags_r);
/** Raw bytes (a BDAT chunk, a literal): up to @p want, buffered first. */
size_t fuzz_lines_take(struct fuzz_lines *fl, size_t want,
		       const char **data_r);

#endif
