/*
 * unit.c: the one CUnit runner.  Registers every suite, runs them all and
 * exits non-zero on any failure so that `make check` fails.
 *
 *   tests/unit/unit            run everything
 *   tests/unit/unit SUITE...   run only the named suites
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "unit.h"

static const struct {
	const char	*name;
	int		(*add)(void);
} unit_suites[] = {
	/* foundation */
	{ "err", test_err_suite },
	{ "buf", test_buf_suite },
	{ "utf8", test_utf8_suite },
	{ "jsonparse", test_jsonparse_suite },
	{ "clock", test_clock_suite },
	{ "uuid", test_uuid_suite },
	{ "curlsafe", test_curlsafe_suite },
	{ "xalloc", test_xalloc_suite },
	{ "log", test_log_suite },
	{ "conf", test_conf_suite },
	{ "jsonv", test_jsonv_suite },
	{ "s3key", test_s3key_suite },
	{ "ident", test_ident_suite },
	{ "sigv4", test_sigv4_suite },
	{ "s3loc", test_s3loc_suite },
	{ "jwks", test_jwks_suite },
	{ "cognito", test_cognito_suite },
	{ "b64url", test_b64url_suite },

	/* storage path */
	{ "route", test_route_suite },
	{ "codec", test_codec_suite },
	{ "s3meta", test_s3meta_suite },
	{ "s3sum", test_s3sum_suite },
	{ "kmskey", test_kmskey_suite },
	{ "journal", test_journal_suite },
	{ "journal_recordings", test_journal_recordings_suite },
	{ "journal_lifecycle", test_journal_lifecycle_suite },
	{ "orphan", test_orphan_suite },
	{ "journal_fence", test_journal_fence_suite },
	{ "journal_mpu", test_journal_mpu_suite },
	{ "cursor", test_cursor_suite },
	{ "s3xml", test_s3xml_suite },
	{ "s3mpu", test_s3mpu_suite },
	{ "manifest", test_manifest_suite },
	{ "manifest_fence", test_manifest_fence_suite },
	{ "tokcache", test_tokcache_suite },
	{ "eventbridge", test_eventbridge_suite },
	{ "awscred", test_awscred_suite },
	{ "backoff", test_backoff_suite },
	{ "ratewin", test_ratewin_suite },

	/* real-time path */
	{ "rivamsg", test_rivamsg_suite },
	{ "wsproto", test_wsproto_suite },
	{ "wshead", test_wshead_suite },
	{ "wavhead", test_wavhead_suite },
	{ "asrstream", test_asrstream_suite },
	{ "transcript", test_transcript_suite },
};

int
unit_is_hex(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

int
unit_is_uuid4(const char *u)
{
	return strlen(u) == 36 && unit_is_hex(u, 8) && u[8] == '-' &&
	    unit_is_hex(u + 9, 4) && u[13] == '-' && u[14] == '4' &&
	    unit_is_hex(u + 15, 3) && u[18] == '-' &&
	    strchr("89ab", u[19]) != NULL && unit_is_hex(u + 20, 3) &&
	    u[23] == '-' && unit_is_hex(u + 24, 12);
}

const char *
unit_srcdir(void)
{
	const char *s = getenv("srcdir");

	return s != NULL && *s != '\0' ? s : ".";
}

static int
unit_wanted(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return 1;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned int failed;
	size_t i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	for (i = 0; i < sizeof(unit_suites) / sizeof(unit_suites[0]); i++) {
		if (!unit_wanted(unit_suites[i].name, argc, argv))
			continue;
		if (unit_suites[i].add() != 0) {
			fprintf(stderr, "unit: cannot add suite %s: %s\n",
			    unit_suites[i].name, CU_get_error_msg());
			CU_cleanup_registry();
			return 2;
		}
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() +
	    CU_get_number_of_suites_failed() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed == 0 ? 0 : 1;
}
