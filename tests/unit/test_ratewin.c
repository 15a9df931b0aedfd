/*
 * test_ratewin.c: shared per-key window counters of lib/storage/ratewin.c,
 * in one process and across forked processes sharing one mapping.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ratewin.h"
#include "unit.h"

static void *
test_ratewin_map(void)
{
	void *m = mmap(NULL, RATEWIN_SIZE, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return m == MAP_FAILED ? NULL : m;
}

static void
test_init_stamps_once_and_refuses_foreign_memory(void)
{
	void *m = test_ratewin_map();
	struct ratewin *a, *b;
	uint64_t junk[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	a = ratewin_init(m, RATEWIN_SIZE, 42);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_EQUAL(ratewin_hit(a, "s1", 2, 1000, 60000, NULL), 1);
	/* a second process with another seed uses the table as it is */
	b = ratewin_init(m, RATEWIN_SIZE, 7);
	CU_ASSERT_PTR_EQUAL(b, a);
	CU_ASSERT_EQUAL(ratewin_hit(b, "s1", 2, 1000, 60000, NULL), 2);
	CU_ASSERT_PTR_NULL(ratewin_init(m, RATEWIN_SIZE - 1, 1));
	CU_ASSERT_PTR_NULL(ratewin_init((char *)m + 4, RATEWIN_SIZE, 1));
	CU_ASSERT_PTR_NULL(ratewin_init(NULL, RATEWIN_SIZE, 1));
	munmap(m, RATEWIN_SIZE);
	/* memory that holds something else is not taken */
	m = test_ratewin_map();
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	memcpy(m, junk, sizeof(junk));
	CU_ASSERT_PTR_NULL(ratewin_init(m, RATEWIN_SIZE, 1));
	munmap(m, RATEWIN_SIZE);
}

static void
test_hits_count_per_key_and_window(void)
{
	void *m = test_ratewin_map();
	struct ratewin *t;
	int64_t ra = -1;
	uint32_t i;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	t = ratewin_init(m, RATEWIN_SIZE, 99);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (i = 1; i <= 50; i++)
		CU_ASSERT_EQUAL(ratewin_hit(t, "abc", 3, 120500, 60000, &ra),
		    i);
	CU_ASSERT_EQUAL(ra, 59500);
	/* another key, and a key that is a prefix, count apart */
	CU_ASSERT_EQUAL(ratewin_hit(t, "abd", 3, 120500, 60000, NULL), 1);
	CU_ASSERT_EQUAL(ratewin_hit(t, "ab", 2, 120500, 60000, NULL), 1);
	/* the last millisecond of the window still counts in it */
	CU_ASSERT_EQUAL(ratewin_hit(t, "abc", 3, 179999, 60000, &ra), 51);
	CU_ASSERT_EQUAL(ra, 1);
	/* the next window starts from 1 */
	CU_ASSERT_EQUAL(ratewin_hit(t, "abc", 3, 180000, 60000, &ra), 1);
	CU_ASSERT_EQUAL(ra, 60000);
	/* nonsense windows count nothing */
	CU_ASSERT_EQUAL(ratewin_hit(t, "abc", 3, 180000, 0, NULL),
	    RATEWIN_FULL);
	CU_ASSERT_EQUAL(ratewin_hit(t, "abc", 3, -1, 60000, NULL),
	    RATEWIN_FULL);
	munmap(m, RATEWIN_SIZE);
}

static void
test_many_keys_each_count_exactly(void)
{
	void *m = test_ratewin_map();
	struct ratewin *t;
	char key[32];
	int i, n, ok1 = 1, ok2 = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	t = ratewin_init(m, RATEWIN_SIZE, 5);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	/* a quarter of the table: every key finds its own slot */
	for (i = 0; i < RATEWIN_SLOTS / 4; i++) {
		n = snprintf(key, sizeof(key), "session-%d", i);
		if (ratewin_hit(t, key, (size_t)n, 1000, 60000, NULL) != 1)
			ok1 = 0;
	}
	for (i = 0; i < RATEWIN_SLOTS / 4; i++) {
		n = snprintf(key, sizeof(key), "session-%d", i);
		if (ratewin_hit(t, key, (size_t)n, 2000, 60000, NULL) != 2)
			ok2 = 0;
	}
	CU_ASSERT(ok1);
	CU_ASSERT(ok2);
	munmap(m, RATEWIN_SIZE);
}

static void
test_full_table_lets_pass_and_frees_next_window(void)
{
	void *m = test_ratewin_map();
	struct ratewin *t;
	char key[32];
	int i, n, full = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	t = ratewin_init(m, RATEWIN_SIZE, 11);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (i = 0; i < RATEWIN_SLOTS + 1000; i++) {
		n = snprintf(key, sizeof(key), "k%d", i);
		if (ratewin_hit(t, key, (size_t)n, 5000, 60000, NULL) ==
		    RATEWIN_FULL)
			full++;
	}
	CU_ASSERT(full >= 1000);
	/* in the next window the idle slots are taken over */
	CU_ASSERT_EQUAL(ratewin_hit(t, "new", 3, 65000, 60000, NULL), 1);
	CU_ASSERT_EQUAL(ratewin_hit(t, "k1", 2, 65000, 60000, NULL), 1);
	CU_ASSERT_EQUAL(ratewin_hit(t, "new", 3, 65001, 60000, NULL), 2);
	munmap(m, RATEWIN_SIZE);
}

/* 4 processes x 2000 hits on one key, all first seen at once: every hit is
 * counted once, in one slot. */
static void
test_processes_share_exact_counts(void)
{
	void *m = test_ratewin_map();
	struct ratewin *t;
	pid_t pid[4];
	int i, k, st, clean = 1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	t = ratewin_init(m, RATEWIN_SIZE, 3);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	for (i = 0; i < 4; i++) {
		if ((pid[i] = fork()) == 0) {
			for (k = 0; k < 2000; k++)
				if (ratewin_hit(t, "shared", 6, 7000, 60000,
				    NULL) == RATEWIN_FULL)
					_exit(1);
			_exit(0);
		}
		CU_ASSERT_FATAL(pid[i] > 0);
	}
	for (i = 0; i < 4; i++)
		if (waitpid(pid[i], &st, 0) != pid[i] || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			clean = 0;
	CU_ASSERT(clean);
	CU_ASSERT_EQUAL(ratewin_hit(t, "shared", 6, 7000, 60000, NULL), 8001);
	munmap(m, RATEWIN_SIZE);
}

int
test_ratewin_suite(void)
{
	CU_pSuite s = CU_add_suite("ratewin", NULL, NULL);

	if (s == NULL ||
	    CU_add_test(s, "init stamps once and refuses foreign memory",
	    test_init_stamps_once_and_refuses_foreign_memory) == NULL ||
	    CU_add_test(s, "hits count per key and window",
	    test_hits_count_per_key_and_window) == NULL ||
	    CU_add_test(s, "many keys each count exactly",
	    test_many_keys_each_count_exactly) == NULL ||
	    CU_add_test(s, "full table lets pass and frees next window",
	    test_full_table_lets_pass_and_frees_next_window) == NULL ||
	    CU_add_test(s, "processes share exact counts",
	    test_processes_share_exact_counts) == NULL)
		return -1;
	return 0;
}
