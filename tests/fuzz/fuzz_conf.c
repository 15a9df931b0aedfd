/*
 * fuzz_conf.c: libFuzzer target for lib/conf.c.
 *
 * Parses the input as a config file against a table holding every value
 * type (and a secret), without the environment and without reading
 * `<key>_file` paths, then prints the result.  Invariants: an error always
 * leaves a message naming the source, success leaves values in range.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fuzz_cfg {
	int64_t			 port;
	int64_t			 body;
	int64_t			 ttl;
	bool			 flag;
	char			*name;
	struct conf_list	 list;
	int			 level;
	char			*secret;
};

static const char *const fuzz_levels[] = { "debug", "info", "warn", NULL };

static const struct conf_key fuzz_tab[] = {
	{ "port", CONF_INT, 1, 65535, "8080", NULL, 0, NULL, "port",
	    offsetof(struct fuzz_cfg, port) },
	{ "body", CONF_SIZE, 1024, 1048576, "64k", NULL, 0, NULL, "body",
	    offsetof(struct fuzz_cfg, body) },
	{ "ttl", CONF_DURATION, 0, 86400000, "10m", NULL, 0, NULL, "ttl",
	    offsetof(struct fuzz_cfg, ttl) },
	{ "flag", CONF_BOOL, 0, 0, "no", NULL, 0, NULL, "flag",
	    offsetof(struct fuzz_cfg, flag) },
	{ "name", CONF_STRING, 0, 32, "x", NULL, 0, NULL, "name",
	    offsetof(struct fuzz_cfg, name) },
	{ "list", CONF_LIST, 0, 4, "a, b", NULL, 0, NULL, "list",
	    offsetof(struct fuzz_cfg, list) },
	{ "level", CONF_ENUM, 0, 0, "info", NULL, 0, fuzz_levels, "level",
	    offsetof(struct fuzz_cfg, level) },
	{ "secret", CONF_STRING, 0, 0, NULL, NULL, CONF_SECRET, NULL, "s",
	    offsetof(struct fuzz_cfg, secret) },
	CONF_END
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	struct fuzz_cfg cfg;
	char err[256];
	enum err rc;

	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		abort();
	memset(&cfg, 0, sizeof(cfg));
	err[0] = '\0';
	rc = conf_parse(fuzz_tab, &cfg, "fuzz.conf", (const char *)data, size,
	    CONF_NO_ENV | CONF_NO_FILES, err, sizeof(err));
	if (rc != ERR_OK) {
		if (err[0] == '\0' || cfg.name != NULL || cfg.list.v != NULL)
			abort();
		return 0;
	}
	if (cfg.port < 1 || cfg.port > 65535 || cfg.body < 1024 ||
	    cfg.body > 1048576 || cfg.ttl < 0 || cfg.ttl > 86400000 ||
	    cfg.list.n > 4 || cfg.level < 0 || cfg.level > 2 ||
	    cfg.secret != NULL)
		abort();
	conf_print(fuzz_tab, &cfg, devnull);
	conf_free(fuzz_tab, &cfg);
	conf_free(fuzz_tab, &cfg);
	return 0;
}
