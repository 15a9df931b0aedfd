/*
 * test_conf.c: config files are read through the table, every refusal
 * names file:line, the environment overrides, secrets only come from the
 * environment or their own file and are never printed.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "conf.h"
#include "limit.h"
#include "unit.h"

struct tcfg {
	int64_t			 port;
	int64_t			 body;
	int64_t			 ttl;
	bool			 debug;
	char			*region;
	struct conf_list	 clients;
	int			 level;
	char			*bucket;
	char			*secret;
};

static const char *const levels[] = { "debug", "info", "warn", "error",
	NULL };

static const struct conf_key tab[] = {
	{ "port", CONF_INT, 1, 65535, "8080", "TCONF_PORT", 0, NULL,
	    "TCP port to listen on", offsetof(struct tcfg, port) },
	{ "max_body", CONF_SIZE, LIMIT_BODY_MIN, LIMIT_BODY_MAX, "64k", NULL,
	    0, NULL, "largest JSON body", offsetof(struct tcfg, body) },
	{ "jwks_ttl", CONF_DURATION, 1000, 86400000, "1h", NULL, 0, NULL,
	    "JWKS cache lifetime", offsetof(struct tcfg, ttl) },
	{ "debug", CONF_BOOL, 0, 0, "no", NULL, 0, NULL, "extra checks",
	    offsetof(struct tcfg, debug) },
	{ "region", CONF_STRING, 1, 32, "us-east-1", "TCONF_REGION", 0, NULL,
	    "AWS region", offsetof(struct tcfg, region) },
	{ "client_ids", CONF_LIST, 0, 3, "", "TCONF_CLIENTS", 0, NULL,
	    "Cognito app client ids", offsetof(struct tcfg, clients) },
	{ "log_level", CONF_ENUM, 0, 0, "info", NULL, 0, levels, "log level",
	    offsetof(struct tcfg, level) },
	{ "bucket", CONF_STRING, 3, 63, NULL, NULL, CONF_REQUIRED, NULL,
	    "S3 bucket", offsetof(struct tcfg, bucket) },
	{ "secret_key", CONF_STRING, 1, 128, NULL, "TCONF_SECRET",
	    CONF_SECRET | CONF_REQUIRED, NULL, "S3 secret access key",
	    offsetof(struct tcfg, secret) },
	CONF_END
};

static struct tcfg cfg;
static char err[512];

static void
clear_env(void)
{
	unsetenv("TCONF_PORT");
	unsetenv("TCONF_REGION");
	unsetenv("TCONF_CLIENTS");
	unsetenv("TCONF_SECRET");
}

/* Parse `text` as file "t.conf"; the secret comes from the environment
 * unless the text or the caller says otherwise. */
static enum err
parse(const char *text)
{
	conf_free(tab, &cfg);
	memset(&cfg, 0, sizeof(cfg));
	err[0] = '\0';
	return conf_parse(tab, &cfg, "t.conf", text, strlen(text), 0, err,
	    sizeof(err));
}

static int
setup(void)
{
	clear_env();
	setenv("TCONF_SECRET", "s3cr3t-from-env", 1);
	return 0;
}

static int
teardown(void)
{
	conf_free(tab, &cfg);
	clear_env();
	return 0;
}

/* err must begin with "t.conf:<line>:" */
static int
names_line(unsigned int line)
{
	char want[32];

	snprintf(want, sizeof(want), "t.conf:%u:", line);
	return strncmp(err, want, strlen(want)) == 0;
}

static void
defaults_and_values_of_every_type(void)
{
	CU_ASSERT_EQUAL_FATAL(parse("bucket = audio\n"), ERR_OK);
	CU_ASSERT_EQUAL(cfg.port, 8080);
	CU_ASSERT_EQUAL(cfg.body, 64 * 1024);
	CU_ASSERT_EQUAL(cfg.ttl, 3600 * 1000);
	CU_ASSERT_FALSE(cfg.debug);
	CU_ASSERT_STRING_EQUAL(cfg.region, "us-east-1");
	CU_ASSERT_EQUAL(cfg.clients.n, 0);
	CU_ASSERT_EQUAL(cfg.level, 1);
	CU_ASSERT_STRING_EQUAL(cfg.bucket, "audio");

	CU_ASSERT_EQUAL_FATAL(parse(
	    "# a comment\n"
	    "\n"
	    "   # indented comment\n"
	    "port=9000\n"
	    "  max_body   =   1m  \r\n"
	    "jwks_ttl = 1500ms\n"
	    "debug = Yes\n"
	    "region = eu-west-1\n"
	    "client_ids = abc ,def,  ghi\n"
	    "log_level = warn\n"
	    "bucket = my-bucket"), ERR_OK);	/* no final newline */
	CU_ASSERT_EQUAL(cfg.port, 9000);
	CU_ASSERT_EQUAL(cfg.body, 1024 * 1024);
	CU_ASSERT_EQUAL(cfg.ttl, 1500);
	CU_ASSERT_TRUE(cfg.debug);
	CU_ASSERT_STRING_EQUAL(cfg.region, "eu-west-1");
	CU_ASSERT_EQUAL_FATAL(cfg.clients.n, 3);
	CU_ASSERT_STRING_EQUAL(cfg.clients.v[0], "abc");
	CU_ASSERT_STRING_EQUAL(cfg.clients.v[1], "def");
	CU_ASSERT_STRING_EQUAL(cfg.clients.v[2], "ghi");
	CU_ASSERT_EQUAL(cfg.level, 2);
	CU_ASSERT_STRING_EQUAL(cfg.bucket, "my-bucket");
}

static void
durations_and_sizes_take_units(void)
{
	CU_ASSERT_EQUAL(parse("bucket = b12\njwks_ttl = 90\n"), ERR_OK);
	CU_ASSERT_EQUAL(cfg.ttl, 90000);	/* bare number: seconds */
	CU_ASSERT_EQUAL(parse("bucket = b12\njwks_ttl = 2m\n"), ERR_OK);
	CU_ASSERT_EQUAL(cfg.ttl, 120000);
	CU_ASSERT_EQUAL(parse("bucket = b12\njwks_ttl = 1d\n"), ERR_OK);
	CU_ASSERT_EQUAL(cfg.ttl, 86400000);
	CU_ASSERT_EQUAL(parse("bucket = b12\njwks_ttl = 2d\n"), ERR_CONFIG);
	CU_ASSERT_EQUAL(parse("bucket = b12\njwks_ttl = 5 s\n"), ERR_CONFIG);
	CU_ASSERT_EQUAL(parse("bucket = b12\njwks_ttl = 5sec\n"), ERR_CONFIG);
	CU_ASSERT_EQUAL(parse("bucket = b12\nmax_body = 2048\n"), ERR_OK);
	CU_ASSERT_EQUAL(cfg.body, 2048);
	CU_ASSERT_EQUAL(parse("bucket = b12\nmax_body = 1G\n"), ERR_CONFIG);
	CU_ASSERT_EQUAL(parse("bucket = b12\nmax_body = 1kb\n"), ERR_CONFIG);
	/* multiplying must not overflow into range: (2^54 + 1) * 1024
	 * wraps to 1024 in 64 bits */
	CU_ASSERT_EQUAL(parse("bucket = b12\n"
	    "max_body = 18014398509481985k\n"), ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a size"));
	CU_ASSERT_EQUAL(parse("bucket = b12\n"
	    "jwks_ttl = 9223372036854775d\n"), ERR_CONFIG);
}

static void
unknown_key_names_file_and_line(void)
{
	CU_ASSERT_EQUAL(parse("bucket = b12\n\n# c\nprot = 80\n"), ERR_CONFIG);
	CU_ASSERT(names_line(4));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown key 'prot'"));
	/* a config left half-filled must not leak: everything was freed */
	CU_ASSERT_PTR_NULL(cfg.region);
	CU_ASSERT_PTR_NULL(cfg.bucket);
}

static void
duplicate_key_is_refused(void)
{
	CU_ASSERT_EQUAL(parse("bucket = b12\nport = 1\nport = 2\n"),
	    ERR_CONFIG);
	CU_ASSERT(names_line(3));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "duplicate key port"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "line 2"));
}

static void
bad_values_name_file_and_line(void)
{
	static const struct {
		const char	*text;
		const char	*needle;
	} bad[] = {
		{ "port = 80x\n", "not an integer" },
		{ "port = 0x50\n", "not an integer" },
		{ "port = \n", "not an integer" },
		{ "port = 1.5\n", "not an integer" },
		{ "port = 99999999999999999999\n", "not an integer" },
		{ "debug = maybe\n", "not yes or no" },
		{ "log_level = loud\n", "allowed values" },
		{ "log_level = INFO\n", "allowed values" },
		{ "region = \n", "length 0" },
		{ "client_ids = a,,b\n", "empty item" },
		{ "client_ids = a,\n", "empty item" },
		{ "client_ids = a,b,c,d\n", "items" },
		{ "port 80\n", "expected 'key = value'" },
		{ "Port = 80\n", "bad key" },
		{ "= 80\n", "bad key" },
		{ "port\t= 8\x01\n", "control character" },
	};
	char text[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "bucket = b12\n%s", bad[i].text);
		CU_ASSERT_EQUAL(parse(text), ERR_CONFIG);
		CU_ASSERT(names_line(2));
		if (strstr(err, bad[i].needle) == NULL)
			fprintf(stderr, "\n  %s -> %s\n", bad[i].text, err);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].needle));
	}
}

static void
out_of_range_numbers_are_refused(void)
{
	CU_ASSERT_EQUAL(parse("bucket = b12\nport = 0\n"), ERR_CONFIG);
	CU_ASSERT(names_line(2));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "out of range 1..65535"));
	CU_ASSERT_EQUAL(parse("bucket = b12\nport = 65536\n"), ERR_CONFIG);
	CU_ASSERT_EQUAL(parse("bucket = b12\nport = -1\n"), ERR_CONFIG);
	CU_ASSERT_EQUAL(parse("bucket = b12\nport = 65535\n"), ERR_OK);
	CU_ASSERT_EQUAL(parse("bucket = b12\nport = 1\n"), ERR_OK);
	CU_ASSERT_EQUAL(parse("bucket = b12\nmax_body = 1023\n"), ERR_CONFIG);
	CU_ASSERT_EQUAL(parse("bucket = b12\nregion = "
	    "abcdefghijabcdefghijabcdefghijabc\n"), ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "length 33"));
}

static void
nul_and_long_lines_are_refused(void)
{
	static const char nul[] = "bucket = b12\nregion = a\0b\n";
	char *big;
	size_t n = LIMIT_CONF_LINE + 16;

	CU_ASSERT_EQUAL(conf_parse(tab, &cfg, "t.conf", nul, sizeof(nul) - 1,
	    0, err, sizeof(err)), ERR_CONFIG);
	CU_ASSERT(names_line(2));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "NUL"));

	CU_ASSERT_FATAL((big = malloc(n + 1)) != NULL);
	memcpy(big, "region = ", 9);
	memset(big + 9, 'x', n - 9);
	big[n] = '\0';
	CU_ASSERT_EQUAL(parse(big), ERR_CONFIG);
	CU_ASSERT(names_line(1));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "longer than"));
	free(big);
}

static void
required_key_must_be_set(void)
{
	CU_ASSERT_EQUAL(parse("port = 1\n"), ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "required key bucket"));
	CU_ASSERT_EQUAL(strncmp(err, "t.conf:", 7), 0);
}

static void
environment_overrides_the_file(void)
{
	const char *noenv = "bucket = b12\nsecret_key_file = /nonexistent\n";

	setenv("TCONF_PORT", "7000", 1);
	setenv("TCONF_REGION", "ap-south-1", 1);
	setenv("TCONF_CLIENTS", "x, y", 1);
	CU_ASSERT_EQUAL(parse("bucket = b12\nport = 9000\nregion = a\n"),
	    ERR_OK);
	CU_ASSERT_EQUAL(cfg.port, 7000);
	CU_ASSERT_STRING_EQUAL(cfg.region, "ap-south-1");
	CU_ASSERT_EQUAL_FATAL(cfg.clients.n, 2);
	CU_ASSERT_STRING_EQUAL(cfg.clients.v[1], "y");

	/* an empty variable is ignored */
	setenv("TCONF_PORT", "", 1);
	CU_ASSERT_EQUAL(parse("bucket = b12\nport = 9000\n"), ERR_OK);
	CU_ASSERT_EQUAL(cfg.port, 9000);

	/* a bad environment value is checked like a file value and named */
	setenv("TCONF_PORT", "70000", 1);
	CU_ASSERT_EQUAL(parse("bucket = b12\n"), ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "environment TCONF_PORT"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "out of range"));

	/* CONF_NO_ENV ignores it */
	conf_free(tab, &cfg);
	CU_ASSERT_EQUAL(conf_parse(tab, &cfg, "t.conf", noenv, strlen(noenv),
	    CONF_NO_ENV | CONF_NO_FILES, err, sizeof(err)), ERR_OK);
	CU_ASSERT_EQUAL(cfg.port, 8080);
	clear_env();
	setenv("TCONF_SECRET", "s3cr3t-from-env", 1);
}

static void
secret_comes_from_env(void)
{
	CU_ASSERT_EQUAL_FATAL(parse("bucket = b12\n"), ERR_OK);
	CU_ASSERT_STRING_EQUAL(cfg.secret, "s3cr3t-from-env");
}

static void
secret_in_the_file_is_refused_and_not_echoed(void)
{
	CU_ASSERT_EQUAL(parse("bucket = b12\nsecret_key = hunter2hunter2\n"),
	    ERR_CONFIG);
	CU_ASSERT(names_line(2));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "secret"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "TCONF_SECRET"));
	CU_ASSERT_PTR_NULL(strstr(err, "hunter2"));
}

static void
secret_missing_is_an_error(void)
{
	unsetenv("TCONF_SECRET");
	CU_ASSERT_EQUAL(parse("bucket = b12\n"), ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "required secret secret_key"));
	setenv("TCONF_SECRET", "s3cr3t-from-env", 1);
}

static void
secret_comes_from_its_own_file(void)
{
	char path[] = "/tmp/test_conf_secretXXXXXX", text[256];
	int fd;

	unsetenv("TCONF_SECRET");
	CU_ASSERT_FATAL((fd = mkstemp(path)) != -1);
	CU_ASSERT_FATAL(write(fd, "from-file-value\n", 16) == 16);
	close(fd);
	snprintf(text, sizeof(text), "bucket = b12\nsecret_key_file = %s\n",
	    path);
	CU_ASSERT_EQUAL(parse(text), ERR_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg.secret);
	CU_ASSERT_STRING_EQUAL(cfg.secret, "from-file-value");

	/* the environment still wins over the file */
	setenv("TCONF_SECRET", "env-wins", 1);
	CU_ASSERT_EQUAL(parse(text), ERR_OK);
	CU_ASSERT_STRING_EQUAL(cfg.secret, "env-wins");
	unsetenv("TCONF_SECRET");

	/* a secret file with a NUL byte, or a bad value, is refused
	 * without echoing it */
	CU_ASSERT_FATAL((fd = open(path, O_WRONLY | O_TRUNC)) != -1);
	CU_ASSERT_FATAL(write(fd, "ab\0cd", 5) == 5);
	close(fd);
	CU_ASSERT_EQUAL(parse(text), ERR_CONFIG);
	CU_ASSERT(names_line(2));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "NUL"));
	unlink(path);

	CU_ASSERT_EQUAL(parse(text), ERR_CONFIG);	/* now missing */
	CU_ASSERT(names_line(2));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot open"));

	/* only secrets have a _file form */
	CU_ASSERT_EQUAL(parse("bucket = b12\nregion_file = /etc/hostname\n"),
	    ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown key 'region_file'"));
	setenv("TCONF_SECRET", "s3cr3t-from-env", 1);
}

static void
secret_bad_value_is_not_echoed(void)
{
	char long_secret[200];

	memset(long_secret, 'Q', sizeof(long_secret) - 1);
	long_secret[sizeof(long_secret) - 1] = '\0';
	setenv("TCONF_SECRET", long_secret, 1);
	CU_ASSERT_EQUAL(parse("bucket = b12\n"), ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "TCONF_SECRET"));
	CU_ASSERT_PTR_NULL(strstr(err, "QQQQ"));
	setenv("TCONF_SECRET", "s3cr3t-from-env", 1);
}

/* Read what a print function wrote. */
static char *
capture(void (*fn)(FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&buf, &len)) == NULL)
		return NULL;
	fn(fp);
	fclose(fp);
	return buf;
}

static void
print_example(FILE *fp)
{
	conf_print_example(tab, fp);
}

static void
print_effective(FILE *fp)
{
	conf_print(tab, &cfg, fp);
}

static void
example_config_documents_every_key(void)
{
	struct tcfg back;
	const struct conf_key *k;
	char *out, *p, *text;
	size_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(out = capture(print_example));
	for (k = tab; k->name != NULL; k++)
		CU_ASSERT_PTR_NOT_NULL(strstr(out, k->help));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "#port = 8080\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "integer, 1..65535"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "TCONF_PORT"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "one of: debug, info, warn, error"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "#secret_key_file = "));
	CU_ASSERT_PTR_NULL(strstr(out, "#secret_key = "));

	/* uncommenting the example gives a config that parses (with the
	 * required values filled in) */
	n = strlen(out);
	CU_ASSERT_FATAL((text = malloc(n + 64)) != NULL);
	memcpy(text, out, n + 1);
	for (p = text; (p = strstr(p, "\n#")) != NULL; p++)
		if (p[2] != ' ')
			p[1] = ' ';
	if (text[0] == '#' && text[1] != ' ')
		text[0] = ' ';
	p = strstr(text, " bucket = ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p[1] = '#';	/* re-comment the empty required bucket line */
	p = strstr(text, " secret_key_file = ");
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p[1] = '#';
	snprintf(text + strlen(text), 64, "\nbucket = b12\n");
	memset(&back, 0, sizeof(back));
	CU_ASSERT_EQUAL(conf_parse(tab, &back, "example", text, strlen(text),
	    0, err, sizeof(err)), ERR_OK);
	if (err[0] != '\0')
		fprintf(stderr, "\n  example: %s\n", err);
	CU_ASSERT_EQUAL(back.port, 8080);
	conf_free(tab, &back);
	free(text);
	free(out);
}

static void
effective_config_never_shows_the_secret(void)
{
	char *out;

	CU_ASSERT_EQUAL_FATAL(parse("bucket = b12\nclient_ids = a, b\n"
	    "jwks_ttl = 1500ms\n"), ERR_OK);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out = capture(print_effective));
	CU_ASSERT_PTR_NULL(strstr(out, "s3cr3t"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "# secret_key: (set)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "port = 8080\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "client_ids = a, b\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "jwks_ttl = 1500ms\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "log_level = info\n"));
	free(out);
}

static void
load_reads_a_file_and_names_it(void)
{
	char path[] = "/tmp/test_conf_fileXXXXXX";
	int fd;

	CU_ASSERT_FATAL((fd = mkstemp(path)) != -1);
	CU_ASSERT_FATAL(write(fd, "bucket = b12\nport = 5\nbogus = 1\n", 32) ==
	    32);
	close(fd);
	conf_free(tab, &cfg);
	CU_ASSERT_EQUAL(conf_load(tab, &cfg, path, 0, err, sizeof(err)),
	    ERR_CONFIG);
	CU_ASSERT_EQUAL(strncmp(err, path, strlen(path)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, ":3: unknown key 'bogus'"));
	CU_ASSERT_EQUAL(truncate(path, 22), 0);
	CU_ASSERT_EQUAL(conf_load(tab, &cfg, path, 0, err, sizeof(err)),
	    ERR_OK);
	CU_ASSERT_EQUAL(cfg.port, 5);
	conf_free(tab, &cfg);
	unlink(path);
	CU_ASSERT_EQUAL(conf_load(tab, &cfg, path, 0, err, sizeof(err)),
	    ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "cannot open"));
	CU_ASSERT_EQUAL(conf_load(tab, &cfg, "/tmp", 0, err, sizeof(err)),
	    ERR_CONFIG);
}

static void
check_mode_returns_exit_status(void)
{
	char path[] = "/tmp/test_conf_checkXXXXXX";
	int fd;

	CU_ASSERT_FATAL((fd = mkstemp(path)) != -1);
	CU_ASSERT_FATAL(write(fd, "bucket = b12\n", 13) == 13);
	close(fd);
	CU_ASSERT_EQUAL(conf_check("test", tab, &cfg, path), 0);
	CU_ASSERT_PTR_NULL(cfg.bucket);		/* freed */
	CU_ASSERT_FATAL((fd = open(path, O_WRONLY | O_APPEND)) != -1);
	CU_ASSERT_FATAL(write(fd, "port = x\n", 9) == 9);
	close(fd);
	CU_ASSERT_EQUAL(conf_check("test", tab, &cfg, path), 1);
	unlink(path);
}

/* A program's own check says "<file>: <key>: <why>" in one line, cut to
 * the buffer like the table's messages. */
static void
refusal_names_file_and_key(void)
{
	char msg[64], small[12];

	CU_ASSERT_EQUAL(conf_refuse(msg, sizeof(msg), "/etc/x.conf", "port",
	    "%d is taken", 80), ERR_CONFIG);
	CU_ASSERT_STRING_EQUAL(msg, "/etc/x.conf: port: 80 is taken");
	(void)conf_refuse(msg, sizeof(msg), NULL, "port", "no");
	CU_ASSERT_STRING_EQUAL(msg, "(defaults and environment): port: no");
	(void)conf_refuse(small, sizeof(small), "/etc/x.conf", "port", "x");
	CU_ASSERT_STRING_EQUAL(small, "/etc/x.conf");
	CU_ASSERT_EQUAL(strlen(small), sizeof(small) - 1);
}

/* Command-line numbers are read as CONF_INT values are, with a range. */
static void
number_is_decimal_in_range(void)
{
	int64_t n = -7;

	CU_ASSERT_EQUAL(conf_number("256", 0, 256, &n), 0);
	CU_ASSERT_EQUAL(n, 256);
	CU_ASSERT_EQUAL(conf_number("0", 0, 256, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	n = -7;
	CU_ASSERT_EQUAL(conf_number("257", 0, 256, &n), -1);
	CU_ASSERT_EQUAL(conf_number("-1", 0, 256, &n), -1);
	CU_ASSERT_EQUAL(conf_number("", 0, 256, &n), -1);
	CU_ASSERT_EQUAL(conf_number(" 5", 0, 256, &n), -1);
	CU_ASSERT_EQUAL(conf_number("5x", 0, 256, &n), -1);
	CU_ASSERT_EQUAL(conf_number("99999999999999999999", 0, INT64_MAX, &n),
	    -1);
	CU_ASSERT_EQUAL(conf_number(NULL, 0, 256, &n), -1);
	CU_ASSERT_EQUAL(n, -7);
}

static void
bad_table_is_refused(void)
{
	struct tcfg c2;
	static const struct conf_key badtab[] = {
		{ "secret", CONF_STRING, 0, 0, "default-secret", NULL,
		    CONF_SECRET, NULL, "x", offsetof(struct tcfg, secret) },
		CONF_END
	};
	static const struct conf_key baddef[] = {
		{ "port", CONF_INT, 1, 10, "11", NULL, 0, NULL, "x",
		    offsetof(struct tcfg, port) },
		CONF_END
	};

	memset(&c2, 0, sizeof(c2));
	CU_ASSERT_EQUAL(conf_parse(badtab, &c2, "t.conf", "", 0, CONF_NO_ENV,
	    err, sizeof(err)), ERR_CONFIG);
	CU_ASSERT_EQUAL(conf_parse(baddef, &c2, "t.conf", "", 0, CONF_NO_ENV,
	    err, sizeof(err)), ERR_CONFIG);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "default"));
}

int
test_conf_suite(void)
{
	CU_pSuite s = CU_add_suite("conf", setup, teardown);

	if (s == NULL ||
	    CU_add_test(s, "defaults and values of every type",
		defaults_and_values_of_every_type) == NULL ||
	    CU_add_test(s, "durations and sizes take units",
		durations_and_sizes_take_units) == NULL ||
	    CU_add_test(s, "unknown key names file:line",
		unknown_key_names_file_and_line) == NULL ||
	    CU_add_test(s, "duplicate key is refused",
		duplicate_key_is_refused) == NULL ||
	    CU_add_test(s, "bad values name file:line",
		bad_values_name_file_and_line) == NULL ||
	    CU_add_test(s, "out-of-range numbers are refused",
		out_of_range_numbers_are_refused) == NULL ||
	    CU_add_test(s, "NUL and long lines are refused",
		nul_and_long_lines_are_refused) == NULL ||
	    CU_add_test(s, "required key must be set",
		required_key_must_be_set) == NULL ||
	    CU_add_test(s, "environment overrides the file",
		environment_overrides_the_file) == NULL ||
	    CU_add_test(s, "secret comes from env",
		secret_comes_from_env) == NULL ||
	    CU_add_test(s, "secret in the file is refused, not echoed",
		secret_in_the_file_is_refused_and_not_echoed) == NULL ||
	    CU_add_test(s, "missing secret is an error",
		secret_missing_is_an_error) == NULL ||
	    CU_add_test(s, "secret comes from its own file",
		secret_comes_from_its_own_file) == NULL ||
	    CU_add_test(s, "bad secret value is not echoed",
		secret_bad_value_is_not_echoed) == NULL ||
	    CU_add_test(s, "example config documents every key",
		example_config_documents_every_key) == NULL ||
	    CU_add_test(s, "effective config never shows the secret",
		effective_config_never_shows_the_secret) == NULL ||
	    CU_add_test(s, "load reads a file and names it",
		load_reads_a_file_and_names_it) == NULL ||
	    CU_add_test(s, "check mode returns exit status",
		check_mode_returns_exit_status) == NULL ||
	    CU_add_test(s, "bad table is refused",
		bad_table_is_refused) == NULL ||
	    CU_add_test(s, "refusal names file and key",
		refusal_names_file_and_key) == NULL ||
	    CU_add_test(s, "number is decimal in range",
		number_is_decimal_in_range) == NULL)
		return -1;
	return 0;
}
