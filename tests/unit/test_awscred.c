/*
 * test_awscred.c: credential checks, the shared credentials file parser,
 * the ECS/IMDS document, container URL rules and expiry (lib/storage/awscred.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "awscred.h"
#include "unit.h"

#define AKID	"AKIDEXAMPLE12345"
#define SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static void
test_set_checks_values(void)
{
	struct awscred c;

	CU_ASSERT_EQUAL(awscred_set(&c, AKID, SECRET, NULL, 0,
	    AWSCRED_SOURCE_ENV), ERR_OK);
	CU_ASSERT_STRING_EQUAL(c.access_key_id, AKID);
	CU_ASSERT_STRING_EQUAL(c.secret_access_key, SECRET);
	CU_ASSERT_STRING_EQUAL(c.session_token, "");
	CU_ASSERT_EQUAL(c.source, AWSCRED_SOURCE_ENV);
	CU_ASSERT_STRING_EQUAL(awscred_key_hint(&c), "2345");

	CU_ASSERT_EQUAL(awscred_set(&c, NULL, "", NULL, 0,
	    AWSCRED_SOURCE_ENV), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(awscred_set(&c, AKID, NULL, NULL, 0,
	    AWSCRED_SOURCE_ENV), ERR_FIELD);
	CU_ASSERT_EQUAL(c.source, AWSCRED_SOURCE_NONE);
	CU_ASSERT_EQUAL(awscred_set(&c, "AKID/EVIL", SECRET, NULL, 0,
	    AWSCRED_SOURCE_ENV), ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_set(&c, AKID, "sec ret", NULL, 0,
	    AWSCRED_SOURCE_ENV), ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_set(&c, AKID, SECRET, "tok\r\nX-Evil: 1", 0,
	    AWSCRED_SOURCE_ENV), ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_set(&c, "S3RVER", "S3RVER", "", 0,
	    AWSCRED_SOURCE_ENV), ERR_OK);
	CU_ASSERT_STRING_EQUAL(awscred_key_hint(&c), "");
	awscred_clear(&c);
	CU_ASSERT_STRING_EQUAL(c.secret_access_key, "");
	awscred_clear(NULL);
}

static void
test_set_refuses_overlong_values(void)
{
	struct awscred c;
	char *tok = malloc(LIMIT_AWS_TOKEN_BYTES + 2);

	CU_ASSERT_PTR_NOT_NULL_FATAL(tok);
	memset(tok, 'A', LIMIT_AWS_TOKEN_BYTES + 1);
	tok[LIMIT_AWS_TOKEN_BYTES + 1] = '\0';
	CU_ASSERT_EQUAL(awscred_set(&c, AKID, SECRET, tok, 0,
	    AWSCRED_SOURCE_ENV), ERR_FIELD);
	tok[LIMIT_AWS_TOKEN_BYTES] = '\0';
	CU_ASSERT_EQUAL(awscred_set(&c, AKID, SECRET, tok, 0,
	    AWSCRED_SOURCE_ENV), ERR_OK);
	CU_ASSERT_EQUAL(strlen(c.session_token), LIMIT_AWS_TOKEN_BYTES);
	free(tok);
}

static const char ini_file[] =
    "# shared credentials\n"
    "[default]\n"
    "aws_access_key_id = AKIDDEFAULT00001\n"
    "aws_secret_access_key=default/secret+1\n"
    "\n"
    "; another profile\r\n"
    "[ work ]\r\n"
    "  AWS_Access_Key_Id   =   AKIDWORK00000001   # inline comment\r\n"
    "aws_secret_access_key = work/secret\r\n"
    "aws_session_token = FQoGZXIvYXdzE//token==\r\n"
    "region = eu-west-1\r\n"
    "[partial]\n"
    "aws_access_key_id = AKIDPARTIAL00001\n"
    "[default]\n"
    "aws_secret_access_key = default/secret+2\n";

static void
test_ini_picks_profile(void)
{
	struct awscred c;
	size_t line = 99;

	CU_ASSERT_EQUAL(awscred_parse_ini(ini_file, sizeof(ini_file) - 1,
	    NULL, &c, &line), ERR_OK);
	CU_ASSERT_EQUAL(line, 0);
	CU_ASSERT_STRING_EQUAL(c.access_key_id, "AKIDDEFAULT00001");
	/* a repeated section merges; the later value wins */
	CU_ASSERT_STRING_EQUAL(c.secret_access_key, "default/secret+2");
	CU_ASSERT_STRING_EQUAL(c.session_token, "");
	CU_ASSERT_EQUAL(c.source, AWSCRED_SOURCE_FILE);
	CU_ASSERT_EQUAL(c.expiration, 0);

	CU_ASSERT_EQUAL(awscred_parse_ini(ini_file, sizeof(ini_file) - 1,
	    "work", &c, NULL), ERR_OK);
	CU_ASSERT_STRING_EQUAL(c.access_key_id, "AKIDWORK00000001");
	CU_ASSERT_STRING_EQUAL(c.secret_access_key, "work/secret");
	CU_ASSERT_STRING_EQUAL(c.session_token, "FQoGZXIvYXdzE//token==");

	CU_ASSERT_EQUAL(awscred_parse_ini(ini_file, sizeof(ini_file) - 1,
	    "partial", &c, NULL), ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_parse_ini(ini_file, sizeof(ini_file) - 1,
	    "missing", &c, NULL), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(awscred_parse_ini(ini_file, sizeof(ini_file) - 1,
	    "wor", &c, NULL), ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(c.source, AWSCRED_SOURCE_NONE);
}

static void
test_ini_refuses_bad_lines_with_line_number(void)
{
	struct awscred c;
	size_t line = 0;
	const char *nosec = "aws_access_key_id = X\n";
	const char *noeq = "[default]\n\naws_access_key_id AKID\n";
	const char *badsec = "[default\n";
	const char nul[] = "[default]\naws_access_key_id = A\0B\n";

	CU_ASSERT_EQUAL(awscred_parse_ini(nosec, strlen(nosec), NULL, &c,
	    &line), ERR_CONFIG);
	CU_ASSERT_EQUAL(line, 1);
	CU_ASSERT_EQUAL(awscred_parse_ini(noeq, strlen(noeq), NULL, &c,
	    &line), ERR_CONFIG);
	CU_ASSERT_EQUAL(line, 3);
	CU_ASSERT_EQUAL(awscred_parse_ini(badsec, strlen(badsec), NULL, &c,
	    &line), ERR_CONFIG);
	CU_ASSERT_EQUAL(line, 1);
	CU_ASSERT_EQUAL(awscred_parse_ini(nul, sizeof(nul) - 1, NULL, &c,
	    &line), ERR_CONFIG);
	CU_ASSERT_EQUAL(line, 2);
	CU_ASSERT_EQUAL(awscred_parse_ini("", 0, NULL, &c, &line),
	    ERR_NOT_FOUND);
}

static void
test_ini_refuses_overlong(void)
{
	struct awscred c;
	size_t n = LIMIT_CONF_LINE + 64, line = 0;
	char *buf = malloc(n + 32);

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	memcpy(buf, "[default]\nx=", 12);
	memset(buf + 12, 'a', n);
	CU_ASSERT_EQUAL(awscred_parse_ini(buf, n + 12, NULL, &c, &line),
	    ERR_TOO_LARGE);
	CU_ASSERT_EQUAL(line, 2);
	CU_ASSERT_EQUAL(awscred_parse_ini(buf, LIMIT_AWS_CRED_FILE_BYTES + 1,
	    NULL, &c, &line), ERR_TOO_LARGE);
	/* a value longer than a secret may be is refused, not cut */
	memcpy(buf, "[default]\naws_access_key_id=AKID\n"
	    "aws_secret_access_key=", 55);
	memset(buf + 55, 'b', 200);
	CU_ASSERT_EQUAL(awscred_parse_ini(buf, 255, NULL, &c, &line),
	    ERR_FIELD);
	free(buf);
}

static void
test_time_parses_iso8601(void)
{
	int64_t t = 0;

	CU_ASSERT_EQUAL(awscred_parse_time("1970-01-01T00:00:00Z", &t),
	    ERR_OK);
	CU_ASSERT_EQUAL(t, 0);
	CU_ASSERT_EQUAL(awscred_parse_time("2025-11-25T17:40:00Z", &t),
	    ERR_OK);
	CU_ASSERT_EQUAL(t, 1764092400);
	CU_ASSERT_EQUAL(awscred_parse_time("2025-11-25T17:40:00.999Z", &t),
	    ERR_OK);
	CU_ASSERT_EQUAL(t, 1764092400);
	CU_ASSERT_EQUAL(awscred_parse_time("2025-11-25T19:40:00+02:00", &t),
	    ERR_OK);
	CU_ASSERT_EQUAL(t, 1764092400);
	CU_ASSERT_EQUAL(awscred_parse_time("2024-02-29T00:00:00Z", &t),
	    ERR_OK);
	CU_ASSERT_EQUAL(t, 1709164800);
	CU_ASSERT_EQUAL(awscred_parse_time("2023-02-29T00:00:00Z", &t),
	    ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_parse_time("2025-11-25 17:40:00Z", &t),
	    ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_parse_time("2025-11-25T17:40:00", &t),
	    ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_parse_time("2025-13-25T17:40:00Z", &t),
	    ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_parse_time("2025-11-25T17:40:00Zjunk", &t),
	    ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_parse_time(NULL, &t), ERR_FIELD);
}

static void
test_json_reads_ecs_and_imds_documents(void)
{
	const char *ecs = "{\"RoleArn\":\"arn:aws:iam::1:role/x\","
	    "\"AccessKeyId\":\"ASIAECS000000001\",\"SecretAccessKey\":"
	    "\"ecs/secret\",\"Token\":\"ecs-token\",\"Expiration\":"
	    "\"2025-11-25T17:40:00Z\"}";
	const char *imds = "{\"Code\":\"Success\",\"LastUpdated\":"
	    "\"2025-11-25T11:40:00Z\",\"Type\":\"AWS-HMAC\",\"AccessKeyId\":"
	    "\"ASIAIMDS00000001\",\"SecretAccessKey\":\"imds/secret\","
	    "\"Token\":\"imds-token\",\"Expiration\":\"2025-11-25T18:40:00Z\"}";
	const char *fail = "{\"Code\":\"Failure\",\"AccessKeyId\":\"A\"}";
	const char *noexp = "{\"AccessKeyId\":\"ASIAFULL00000001\","
	    "\"SecretAccessKey\":\"s\"}";
	const char *badexp = "{\"AccessKeyId\":\"ASIAFULL00000001\","
	    "\"SecretAccessKey\":\"s\",\"Expiration\":\"tomorrow\"}";
	const char *nosecret = "{\"AccessKeyId\":\"ASIAFULL00000001\"}";
	struct awscred c;

	CU_ASSERT_EQUAL_FATAL(awscred_parse_json(ecs, strlen(ecs),
	    AWSCRED_SOURCE_CONTAINER, &c), ERR_OK);
	CU_ASSERT_STRING_EQUAL(c.access_key_id, "ASIAECS000000001");
	CU_ASSERT_STRING_EQUAL(c.secret_access_key, "ecs/secret");
	CU_ASSERT_STRING_EQUAL(c.session_token, "ecs-token");
	CU_ASSERT_EQUAL(c.expiration, 1764092400);
	CU_ASSERT_EQUAL(c.source, AWSCRED_SOURCE_CONTAINER);

	CU_ASSERT_EQUAL_FATAL(awscred_parse_json(imds, strlen(imds),
	    AWSCRED_SOURCE_IMDS, &c), ERR_OK);
	CU_ASSERT_STRING_EQUAL(c.session_token, "imds-token");
	CU_ASSERT_EQUAL(c.expiration, 1764092400 + 3600);

	CU_ASSERT_EQUAL(awscred_parse_json(fail, strlen(fail),
	    AWSCRED_SOURCE_IMDS, &c), ERR_UPSTREAM);
	CU_ASSERT_EQUAL(awscred_parse_json(noexp, strlen(noexp),
	    AWSCRED_SOURCE_CONTAINER, &c), ERR_OK);
	CU_ASSERT_EQUAL(c.expiration, 0);
	CU_ASSERT_EQUAL(awscred_parse_json(badexp, strlen(badexp),
	    AWSCRED_SOURCE_CONTAINER, &c), ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_parse_json(nosecret, strlen(nosecret),
	    AWSCRED_SOURCE_CONTAINER, &c), ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_parse_json("{}", 2,
	    AWSCRED_SOURCE_CONTAINER, &c), ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_parse_json("[1]", 3,
	    AWSCRED_SOURCE_CONTAINER, &c), ERR_JSON);
	CU_ASSERT_EQUAL(awscred_parse_json("{\"AccessKeyId\":", 15,
	    AWSCRED_SOURCE_CONTAINER, &c), ERR_JSON);
	CU_ASSERT_EQUAL(awscred_parse_json("", 0,
	    AWSCRED_SOURCE_CONTAINER, &c), ERR_JSON);
	/* through the strict entry point: a second key could smuggle in
	 * credentials a first-wins reader would not see */
	CU_ASSERT_EQUAL(awscred_parse_json("{\"Code\":\"Success\","
	    "\"Code\":\"Failed\"}", 34, AWSCRED_SOURCE_CONTAINER, &c),
	    ERR_JSON);
	CU_ASSERT_EQUAL(c.source, AWSCRED_SOURCE_NONE);
}

static void
test_container_url_rules(void)
{
	char url[256];

	CU_ASSERT_EQUAL(awscred_container_url("/v2/credentials/abc", NULL,
	    url, sizeof(url)), ERR_OK);
	CU_ASSERT_STRING_EQUAL(url,
	    "http://169.254.170.2/v2/credentials/abc");
	/* relative wins over full */
	CU_ASSERT_EQUAL(awscred_container_url("/x",
	    "http://127.0.0.1:1/y", url, sizeof(url)), ERR_OK);
	CU_ASSERT_STRING_EQUAL(url, "http://169.254.170.2/x");
	CU_ASSERT_EQUAL(awscred_container_url("x", NULL, url, sizeof(url)),
	    ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_container_url("/a b", NULL, url,
	    sizeof(url)), ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_container_url(NULL, "", url, sizeof(url)),
	    ERR_NOT_FOUND);

	CU_ASSERT_EQUAL(awscred_container_url(NULL,
	    "http://127.0.0.1:18390/creds", url, sizeof(url)), ERR_OK);
	CU_ASSERT_STRING_EQUAL(url, "http://127.0.0.1:18390/creds");
	CU_ASSERT_EQUAL(awscred_container_url(NULL,
	    "http://127.1.2.3/creds", url, sizeof(url)), ERR_OK);
	CU_ASSERT_EQUAL(awscred_container_url(NULL,
	    "http://localhost:80/creds", url, sizeof(url)), ERR_OK);
	CU_ASSERT_EQUAL(awscred_container_url(NULL,
	    "http://[::1]:80/creds", url, sizeof(url)), ERR_OK);
	CU_ASSERT_EQUAL(awscred_container_url(NULL,
	    "http://169.254.170.23/v1/credentials", url, sizeof(url)),
	    ERR_OK);
	CU_ASSERT_EQUAL(awscred_container_url(NULL,
	    "https://creds.example.com/x", url, sizeof(url)), ERR_OK);

	CU_ASSERT_EQUAL(awscred_container_url(NULL,
	    "http://10.0.0.1/creds", url, sizeof(url)), ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_container_url(NULL,
	    "http://127.0.0.1.evil.com/creds", url, sizeof(url)), ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_container_url(NULL,
	    "http://127.0.0.1@evil.com/creds", url, sizeof(url)), ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_container_url(NULL,
	    "http://localhostx/creds", url, sizeof(url)), ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_container_url(NULL,
	    "ftp://127.0.0.1/creds", url, sizeof(url)), ERR_FIELD);
	CU_ASSERT_EQUAL(awscred_container_url(NULL,
	    "http://127.0.0.1/creds", url, 10), ERR_TOO_LARGE);
}

static void
test_auth_token_check(void)
{
	CU_ASSERT_EQUAL(awscred_auth_token_ok("Basic abc==", 11), 0);
	CU_ASSERT_EQUAL(awscred_auth_token_ok("abc\r\nX: y", 9), -1);
	CU_ASSERT_EQUAL(awscred_auth_token_ok("", 0), -1);
}

static void
test_expiry_margin_and_presign_cap(void)
{
	struct awscred c;
	int64_t now = 1764092400;

	CU_ASSERT_EQUAL(awscred_lifetime(NULL, now), 0);
	awscred_clear(&c);
	CU_ASSERT_EQUAL(awscred_stale(&c, now, 300), 1);

	CU_ASSERT_EQUAL_FATAL(awscred_set(&c, AKID, SECRET, NULL, 0,
	    AWSCRED_SOURCE_FILE), ERR_OK);
	CU_ASSERT_EQUAL(awscred_lifetime(&c, now), INT64_MAX);
	CU_ASSERT_EQUAL(awscred_stale(&c, now, 300), 0);
	CU_ASSERT_EQUAL(awscred_cap_expires(&c, now, 604800), 604800);

	CU_ASSERT_EQUAL_FATAL(awscred_set(&c, AKID, SECRET, "t", now + 900,
	    AWSCRED_SOURCE_IMDS), ERR_OK);
	CU_ASSERT_EQUAL(awscred_lifetime(&c, now), 900);
	CU_ASSERT_EQUAL(awscred_stale(&c, now, 300), 0);
	CU_ASSERT_EQUAL(awscred_stale(&c, now + 600, 300), 1);
	CU_ASSERT_EQUAL(awscred_cap_expires(&c, now, 300), 300);
	CU_ASSERT_EQUAL(awscred_cap_expires(&c, now + 700, 300), 200);
	CU_ASSERT_EQUAL(awscred_cap_expires(&c, now + 900, 300), 0);
	CU_ASSERT_EQUAL(awscred_cap_expires(&c, now + 5000, 300), 0);
	CU_ASSERT_EQUAL(awscred_lifetime(&c, now + 5000), 0);
	CU_ASSERT_STRING_EQUAL(awscred_source_name(c.source), "imds");
}

int
test_awscred_suite(void)
{
	CU_pSuite s = CU_add_suite("awscred", NULL, NULL);

	if (s == NULL ||
	    CU_add_test(s, "set checks values", test_set_checks_values) ==
	    NULL ||
	    CU_add_test(s, "set refuses overlong values",
	    test_set_refuses_overlong_values) == NULL ||
	    CU_add_test(s, "ini picks profile", test_ini_picks_profile) ==
	    NULL ||
	    CU_add_test(s, "ini refuses bad lines with line number",
	    test_ini_refuses_bad_lines_with_line_number) == NULL ||
	    CU_add_test(s, "ini refuses overlong", test_ini_refuses_overlong)
	    == NULL ||
	    CU_add_test(s, "time parses ISO 8601", test_time_parses_iso8601)
	    == NULL ||
	    CU_add_test(s, "json reads ECS and IMDS documents",
	    test_json_reads_ecs_and_imds_documents) == NULL ||
	    CU_add_test(s, "container URL rules", test_container_url_rules)
	    == NULL ||
	    CU_add_test(s, "auth token check", test_auth_token_check) == NULL ||
	    CU_add_test(s, "expiry margin and presign cap",
	    test_expiry_margin_and_presign_cap) == NULL)
		return -1;
	return 0;
}
