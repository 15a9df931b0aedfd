/*
 * unit.h: the suites of the one CUnit runner (tests/unit/unit.c).
 *
 * Each tests/test_<module>.c mirrors lib/<module>.c and exports one
 * function that adds its suite to the registry; unit.c calls them all.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stddef.h>

#include <CUnit/CUnit.h>

/* Where test data lives; set from $srcdir so VPATH builds work. */
const char	*unit_srcdir(void);
/* 1 if s[0..n) is lower-case hex. */
int		 unit_is_hex(const char *s, size_t n);
/* 1 if u is a lower-case 8-4-4-4-12 UUID, version 4, variant 10xx. */
int		 unit_is_uuid4(const char *u);

/* foundation */
int	test_err_suite(void);
int	test_buf_suite(void);
int	test_utf8_suite(void);
int	test_jsonparse_suite(void);
int	test_clock_suite(void);
int	test_uuid_suite(void);
int	test_curlsafe_suite(void);
int	test_xalloc_suite(void);
int	test_log_suite(void);
int	test_conf_suite(void);
int	test_jsonv_suite(void);
int	test_s3key_suite(void);
int	test_ident_suite(void);
int	test_sigv4_suite(void);
int	test_s3loc_suite(void);
int	test_jwks_suite(void);
int	test_cognito_suite(void);
int	test_b64url_suite(void);

/* storage path */
int	test_route_suite(void);
int	test_codec_suite(void);
int	test_s3meta_suite(void);
int	test_s3sum_suite(void);
int	test_kmskey_suite(void);
int	test_journal_suite(void);
int	test_journal_recordings_suite(void);
int	test_journal_lifecycle_suite(void);
int	test_orphan_suite(void);
int	test_cursor_suite(void);
int	test_s3xml_suite(void);
int	test_s3mpu_suite(void);
int	test_manifest_suite(void);
int	test_manifest_fence_suite(void);
int	test_journal_fence_suite(void);
int	test_journal_mpu_suite(void);
int	test_tokcache_suite(void);
int	test_eventbridge_suite(void);
int	test_awscred_suite(void);
int	test_backoff_suite(void);
int	test_ratewin_suite(void);

/* real-time path */
int	test_rivamsg_suite(void);
int	test_wsproto_suite(void);
int	test_wshead_suite(void);
int	test_wavhead_suite(void);
int	test_asrstream_suite(void);
int	test_transcript_suite(void);

#endif /* UNIT_H */
