/*
 * prefault.c - the pages of a fresh array in one call (see prefault.h).
 */
#include "prefault.h"

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

/* Linux 5.14's value, for C libraries whose headers predate it. */
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

void prefault(void *start, size_t len)
{
	/* madvise() takes whole pages: the range is rounded inward, so
	 * that it never reaches memory outside the array */
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t first = ((uintptr_t)start + page - 1) & ~(page - 1);
	uintptr_t end = ((uintptr_t)start + len) & ~(page - 1);
	if (end > first)
		(void)madvise((void *)first, end - first, MADV_POPULATE_WRITE);
}
