/*
 * check_prefault.c - prefault(): the whole pages of a range become
 * resident at once (mincore(2) tells), the partial pages at its ends are
 * left alone, and what the memory held is kept.
 */
#include "../../common/prefault.h"

#include <check.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGES 8

static size_t page;

/* resident - which of the PAGES pages at @p base are in memory. */
static void resident(unsigned char *base, unsigned char *in)
{
	ck_assert_int_eq(mincore(base, PAGES * page, in), 0);
	for (size_t i = 0; i < PAGES; i++)
		in[i] &= 1;
}

static unsigned char *fresh_pages(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned char *base = mmap(NULL, PAGES * page, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(base, MAP_FAILED);
	unsigned char in[PAGES];
	resident(base, in);
	for (size_t i = 0; i < PAGES; i++)
		ck_assert_msg(!in[i], "page %zu of a fresh mapping is resident", i);
	return base;
}

/* From the middle of page 1 to the middle of page 6: pages 2-5 are
 * whole, and only they are made resident. */
START_TEST(whole_pages_become_resident)
{
	unsigned char *base = fresh_pages(), in[PAGES];
	prefault(base + page + page / 2, 5 * page);
	resident(base, in);
	for (size_t i = 0; i < PAGES; i++)
		ck_assert_msg(in[i] == (i >= 2 && i <= 5), "page %zu: %s", i,
			      in[i] ? "resident" : "not resident");
	munmap(base, PAGES * page);
}
END_TEST

START_TEST(contents_are_kept)
{
	unsigned char *base = fresh_pages();
	memset(base + 3 * page, 'x', page);
	prefault(base, PAGES * page);
	for (size_t i = 0; i < page; i++)
		ck_assert_int_eq(base[3 * page + i], 'x');
	ck_assert_int_eq(base[0], 0);
	munmap(base, PAGES * page);
}
END_TEST

/* Less than a page, and nothing at all: no call, no harm. */
START_TEST(short_ranges_do_nothing)
{
	unsigned char *base = fresh_pages(), in[PAGES];
	prefault(base + 1, page - 2);
	prefault(NULL, 0);
	resident(base, in);
	ck_assert(!in[0]);
	munmap(base, PAGES * page);
}
END_TEST

Suite *prefault_suite(void)
{
	Suite *s = suite_create("prefault");
	TCase *core = tcase_create("Core");
	tcase_add_test(core, whole_pages_become_resident);
	tcase_add_test(core, contents_are_kept);
	tcase_add_test(core, short_ranges_do_nothing);
	suite_add_tcase(s, core);
	return s;
}
