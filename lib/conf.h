/*
 * conf.h: `key = value` config files read through a declarative table.
 *
 * Each program describes its config once, as an array of struct conf_key
 * ending with CONF_END, each row naming a member of the program's own
 * config struct by offset.  conf_parse() fills that struct from defaults,
 * then the file's text, then the environment; it refuses unknown keys,
 * duplicate keys, malformed values and numbers outside [min, max] with a
 * message naming `file:line` (or the environment variable).
 *
 * File syntax: one `key = value` per line; leading/trailing blanks around
 * key and value are dropped; lines whose first non-blank character is '#'
 * and blank lines are ignored.  There are no inline comments and no quoting:
 * the value is the rest of the line.  Lines are at most LIMIT_CONF_LINE
 * bytes; NUL and control characters (other than tab) are refused.
 *
 * Secrets (CONF_SECRET, string keys only) never come from the file itself:
 * only from their environment variable or from `<key>_file = /path`, a
 * separate file whose contents (one trailing newline dropped) are the value.
 * Secret values are never printed by anything in this module.
 *
 * Value types and the C type of the member each writes:
 *   CONF_INT       int64_t   decimal integer, within [min, max]
 *   CONF_SIZE      int64_t   bytes; optional suffix k, m, g (x1024, any
 *                            case); within [min, max] bytes
 *   CONF_DURATION  int64_t   milliseconds; integer with optional suffix
 *                            ms, s, m, h, d; a bare integer means SECONDS;
 *                            within [min, max] milliseconds
 *   CONF_BOOL      bool      yes/no, true/false, on/off, 1/0
 *   CONF_STRING    char *    malloc'd, NUL-terminated; length within
 *                            [min, max] bytes (max 0: LIMIT_CONF_LINE)
 *   CONF_LIST      struct conf_list  comma-separated items, each trimmed
 *                            and non-empty; count within [min, max]
 *                            (max 0: no bound but the line length)
 *   CONF_ENUM      int       index into `choices` (NULL-terminated)
 *
 * A program's main typically does:
 *
 *	static const struct conf_key tab[] = {
 *		{ "port", CONF_INT, 1, 65535, "8080", "AUDIO_API_PORT", 0,
 *		    NULL, "TCP port", offsetof(struct cfg, port) },
 *		...
 *		CONF_END
 *	};
 *	if (check_only)			// -n / --check-config
 *		return conf_check("audio-api", tab, &cfg, path);
 *	if (conf_load(tab, &cfg, path, 0, msg, sizeof(msg)) != ERR_OK)
 *		errx(1, "%s", msg);
 *	...
 *	conf_free(tab, &cfg);
 */
#ifndef CONF_H
#define CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

enum conf_type {
	CONF_INT = 1,
	CONF_SIZE,
	CONF_DURATION,
	CONF_BOOL,
	CONF_STRING,
	CONF_LIST,
	CONF_ENUM,
};

/* conf_key.flags */
#define CONF_SECRET	0x01	/* env or <key>_file only; never printed */
#define CONF_REQUIRED	0x02	/* must be set by file, env or default */

struct conf_list {
	size_t	  n;
	char	**v;		/* n malloc'd strings */
};

struct conf_key {
	const char		*name;	/* [a-z0-9_]+ */
	enum conf_type		 type;
	int64_t			 min;
	int64_t			 max;
	const char		*def;	/* default, written as in a file; NULL:
					   none (must be NULL for secrets) */
	const char		*env;	/* overriding env var, or NULL */
	unsigned int		 flags;	/* CONF_SECRET | CONF_REQUIRED */
	const char *const	*choices; /* CONF_ENUM only */
	const char		*help;	/* one line, for the example file */
	size_t			 offset; /* offsetof(struct yours, member) */
};

#define CONF_END	{ NULL, 0, 0, 0, NULL, NULL, 0, NULL, NULL, 0 }

/* conf_parse()/conf_load() flags */
#define CONF_NO_ENV	0x01	/* ignore the environment (tests, fuzzing) */
#define CONF_NO_FILES	0x02	/* check `<key>_file` lines but do not read
				   them (fuzzing); the secret stays unset */

/*
 * Fill `cfg` (the program's struct, all zero on entry, or left by
 * conf_free()) from the table's defaults, then the text buf[0..len) as if
 * read from a file called `name` (used only in messages), then the
 * environment, then check CONF_REQUIRED keys.  buf need not be
 * NUL-terminated.
 * Returns ERR_OK, or ERR_CONFIG with a one-line message naming `name:line`
 * (or the environment variable) in errbuf (always NUL-terminated when
 * errlen > 0), or ERR_NOMEM.  On error everything allocated is released
 * and `cfg` is as conf_free() leaves it.  Reading a `<key>_file` is the
 * only I/O (none with CONF_NO_FILES).
 */
enum err	conf_parse(const struct conf_key *tab, void *cfg,
		    const char *name, const char *buf, size_t len,
		    unsigned int flags, char *errbuf, size_t errlen);

/*
 * As conf_parse() on the contents of the file at `path`; a NULL path means
 * defaults and environment only.  A missing or unreadable file, or one over
 * CONF_FILE_MAX bytes, is ERR_CONFIG naming the path.
 */
#define CONF_FILE_MAX	(1024 * 1024)
enum err	conf_load(const struct conf_key *tab, void *cfg,
		    const char *path, unsigned int flags, char *errbuf,
		    size_t errlen);

/* Free every string and list `cfg` holds for `tab` and set those members
 * to NULL/empty.  Safe to call twice and on an all-zero struct. */
void		conf_free(const struct conf_key *tab, void *cfg);

/* Write the table as a commented example config: each key's help, type,
 * range, default and env var, then `#key = default`.  Secrets are shown
 * only as how to set them (`#key_file = ...`). */
void		conf_print_example(const struct conf_key *tab, FILE *fp);

/* Write the effective values of `cfg` as `key = value` lines; secrets are
 * written as `(set)` or `(unset)`, never their value. */
void		conf_print(const struct conf_key *tab, const void *cfg,
		    FILE *fp);

/*
 * The `-n`/`--check-config` mode of a program: load `path` (NULL: defaults
 * and environment only) into `cfg`, print "<prog>: <path>: config ok" to
 * stdout or "<prog>: <message>" to stderr, free `cfg` and return the exit
 * status (0 ok, 1 bad config).
 */
int		conf_check(const char *prog, const struct conf_key *tab,
		    void *cfg, const char *path);

/*
 * The message of a program's own config check (past the table), one line
 * like the table's: "<path>: <key>: <why>" into errbuf (path NULL: "(defaults
 * and environment)").  Returns ERR_CONFIG, for `return conf_refuse(...)`.
 * Never pass a secret's value in fmt's arguments.
 */
enum err	conf_refuse(char *errbuf, size_t errlen, const char *path,
		    const char *key, const char *fmt, ...)
		    __attribute__((format(printf, 5, 6)));

/* A number from the command line, read as a CONF_INT value is: decimal,
 * nothing after it, within [min, max].  0 with *out set, else -1. */
int		conf_number(const char *s, int64_t min, int64_t max,
		    int64_t *out);

/* Find a key by name in tab; NULL if absent. */
const struct conf_key *conf_find(const struct conf_key *tab,
		    const char *name, size_t namelen);

#endif /* CONF_H */
