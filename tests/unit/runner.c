/*
 * runner.c - the one runner for every Check (libcheck) unit suite.
 *
 * Each tests/unit/check_NAME.c defines `Suite *NAME_suite(void)`; the
 * Makefile lists them in build/unit_suites.h, which is expanded twice here:
 * once to declare the functions, once to add the suites to the runner.
 * The last line of output, "unit: N passed, N failed", is read by
 * tests/run.sh; the exit status is non-zero if anything failed.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#define UNIT_SUITE(name) Suite *name##_suite(void);
#include "unit_suites.h"
#undef UNIT_SUITE

int main(void)
{
	SRunner *sr = srunner_create(NULL);
#define UNIT_SUITE(name) srunner_add_suite(sr, name##_suite());
#include "unit_suites.h"
#undef UNIT_SUITE
	srunner_run_all(sr, CK_NORMAL);
	int run = srunner_ntests_run(sr);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	printf("unit: %d passed, %d failed\n", run - failed, failed);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
