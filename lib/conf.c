/*
 * conf.c: read `key = value` config files through a declarative table.
 *
 * A program's config is a plain struct plus a table of struct conf_key
 * (conf.h) saying, for each member, its name, type, range, default,
 * overriding environment variable and help.  conf_parse() applies, in
 * order, the defaults, the file's lines and the environment, each through
 * the same value parser, so a default or an environment value is checked
 * exactly like a line of the file.  Every refusal is ERR_CONFIG with a
 * one-line message in the caller's buffer naming where the value came from
 * (`file:line`, `environment VAR`, `default`).  Secret values never appear
 * in a message or in anything printed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "conf.h"
#include "limit.h"

#define CONF_FILE_SUFFIX	"_file"

struct conf_ctx {
	const struct conf_key	*tab;
	void			*cfg;
	const char		*name;
	unsigned int		 flags;
	char			*errbuf;
	size_t			 errlen;
	size_t			 nkeys;
	unsigned int		*line;	/* file line that set the key, or 0 */
	unsigned int		*fline;	/* file line of its <key>_file */
	unsigned char		*set;	/* set by default, file or env */
};

static void conf_err(struct conf_ctx *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
conf_err(struct conf_ctx *c, const char *fmt, ...)
{
	va_list ap;

	if (c->errbuf == NULL || c->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(c->errbuf, c->errlen, fmt, ap);
	va_end(ap);
}

/* A value for a message: printable ASCII, at most 64 bytes, quoted. */
static const char *
conf_show(char *buf, size_t sz, const char *v, size_t len)
{
	size_t i, o = 0;

	if (sz < 8) {
		if (sz > 0)
			buf[0] = '\0';
		return buf;
	}
	buf[o++] = '\'';
	for (i = 0; i < len && i < 64 && o + 5 < sz; i++)
		buf[o++] = ((unsigned char)v[i] >= 0x20 &&
		    (unsigned char)v[i] < 0x7f) ? v[i] : '?';
	if (i < len)
		buf[o++] = '.', buf[o++] = '.', buf[o++] = '.';
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

static void *
conf_slot(const struct conf_ctx *c, const struct conf_key *k)
{
	return (char *)c->cfg + k->offset;
}

const struct conf_key *
conf_find(const struct conf_key *tab, const char *name, size_t namelen)
{
	const struct conf_key *k;

	for (k = tab; k->name != NULL; k++)
		if (strlen(k->name) == namelen &&
		    memcmp(k->name, name, namelen) == 0)
			return k;
	return NULL;
}

static void
conf_list_clear(struct conf_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
conf_string_clear(char **s, int secret)
{
	if (*s != NULL && secret)
		explicit_bzero(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

void
conf_free(const struct conf_key *tab, void *cfg)
{
	const struct conf_key *k;

	if (tab == NULL || cfg == NULL)
		return;
	for (k = tab; k->name != NULL; k++) {
		if (k->type == CONF_STRING)
			conf_string_clear((char **)((char *)cfg + k->offset),
			    (k->flags & CONF_SECRET) != 0);
		else if (k->type == CONF_LIST)
			conf_list_clear((struct conf_list *)
			    ((char *)cfg + k->offset));
	}
}

/* strtoll with end and range checks; a unit suffix may follow the digits
 * when `suffix` is not NULL, and is returned there. */
static int
conf_int(const char *v, int64_t *out, const char **suffix)
{
	char *end;
	long long n;

	if (*v == '\0' || !(*v == '-' || *v == '+' || (*v >= '0' &&
	    *v <= '9')))
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v)
		return -1;
	if (suffix != NULL)
		*suffix = end;
	else if (*end != '\0')
		return -1;
	*out = n;
	return 0;
}

static int
conf_mul(int64_t n, int64_t m, int64_t *out)
{
	if (n > INT64_MAX / m || n < INT64_MIN / m)
		return -1;
	*out = n * m;
	return 0;
}

static int
conf_size(const char *v, int64_t *out)
{
	const char *s;
	int64_t n, m;

	if (conf_int(v, &n, &s) == -1)
		return -1;
	if (*s == '\0')
		m = 1;
	else if (strcasecmp(s, "k") == 0)
		m = 1024;
	else if (strcasecmp(s, "m") == 0)
		m = 1024 * 1024;
	else if (strcasecmp(s, "g") == 0)
		m = 1024 * 1024 * 1024;
	else
		return -1;
	return conf_mul(n, m, out);
}

static int
conf_duration(const char *v, int64_t *out)
{
	const char *s;
	int64_t n, m;

	if (conf_int(v, &n, &s) == -1)
		return -1;
	if (*s == '\0' || strcmp(s, "s") == 0)
		m = 1000;
	else if (strcmp(s, "ms") == 0)
		m = 1;
	else if (strcmp(s, "m") == 0)
		m = 60 * 1000;
	else if (strcmp(s, "h") == 0)
		m = 3600 * 1000;
	else if (strcmp(s, "d") == 0)
		m = 86400 * 1000;
	else
		return -1;
	return conf_mul(n, m, out);
}

static int
conf_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };
	size_t i;

	for (i = 0; yes[i] != NULL; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static const char *
conf_trim(const char *s, size_t *len)
{
	while (*len > 0 && (*s == ' ' || *s == '\t'))
		s++, (*len)--;
	while (*len > 0 && (s[*len - 1] == ' ' || s[*len - 1] == '\t'))
		(*len)--;
	return s;
}

static enum err
conf_list(struct conf_ctx *c, const struct conf_key *k, const char *where,
    const char *v, size_t len, struct conf_list *out)
{
	struct conf_list l = { 0, NULL };
	const char *item, *comma;
	size_t ilen, cap = 0, rest = len;
	char **nv;
	enum err rc = ERR_CONFIG;

	while (len > 0 && rest > 0) {
		comma = memchr(v, ',', rest);
		ilen = comma == NULL ? rest : (size_t)(comma - v);
		item = conf_trim(v, &ilen);
		if (ilen == 0) {
			conf_err(c, "%s: %s: empty item in list", where,
			    k->name);
			goto out;
		}
		if (l.n == cap) {
			cap = cap == 0 ? 4 : cap * 2;
			if ((nv = reallocarray(l.v, cap, sizeof(*nv))) ==
			    NULL) {
				rc = ERR_NOMEM;
				goto out;
			}
			l.v = nv;
		}
		if ((l.v[l.n] = strndup(item, ilen)) == NULL) {
			rc = ERR_NOMEM;
			goto out;
		}
		l.n++;
		if (comma == NULL)
			break;
		rest -= (size_t)(comma - v) + 1;
		v = comma + 1;
		if (rest == 0) {
			conf_err(c, "%s: %s: empty item in list", where,
			    k->name);
			goto out;
		}
	}
	if ((int64_t)l.n < k->min || (k->max != 0 && (int64_t)l.n > k->max)) {
		conf_err(c, "%s: %s: needs %" PRId64 " to %" PRId64 " items, "
		    "not %zu", where, k->name, k->min, k->max, l.n);
		goto out;
	}
	*out = l;
	l.v = NULL;
	l.n = 0;
	rc = ERR_OK;
out:
	if (rc == ERR_NOMEM)
		conf_err(c, "%s: %s: out of memory", where, k->name);
	conf_list_clear(&l);
	return rc;
}

/*
 * Parse v[0..len) for key k and store it, replacing any earlier value.
 * `where` names the source for messages.  v has no NUL or control bytes
 * other than tab (checked by the callers).
 */
static enum err
conf_set(struct conf_ctx *c, const struct conf_key *k, const char *where,
    const char *v, size_t len)
{
	char tmp[LIMIT_CONF_LINE + 1], show[80];
	struct conf_list l;
	int64_t n = 0, maxlen;
	const char *kind = NULL;
	char *s;
	bool b;
	int i;
	enum err rc;

	if (len > LIMIT_CONF_LINE) {
		conf_err(c, "%s: %s: value longer than %d bytes", where,
		    k->name, LIMIT_CONF_LINE);
		return ERR_CONFIG;
	}
	memcpy(tmp, v, len);
	tmp[len] = '\0';
	if (k->flags & CONF_SECRET)
		snprintf(show, sizeof(show), "(secret value)");
	else
		conf_show(show, sizeof(show), v, len);

	switch (k->type) {
	case CONF_INT:
	case CONF_SIZE:
	case CONF_DURATION:
		if (k->type == CONF_INT && conf_int(tmp, &n, NULL) == -1)
			kind = "an integer";
		else if (k->type == CONF_SIZE && conf_size(tmp, &n) == -1)
			kind = "a size (integer with optional k, m or g)";
		else if (k->type == CONF_DURATION &&
		    conf_duration(tmp, &n) == -1)
			kind = "a duration (integer with optional ms, s, m, "
			    "h or d)";
		if (kind != NULL) {
			conf_err(c, "%s: %s: %s is not %s", where, k->name,
			    show, kind);
			return ERR_CONFIG;
		}
		if (n < k->min || n > k->max) {
			conf_err(c, "%s: %s: %s is out of range %" PRId64
			    "..%" PRId64 "%s", where, k->name, show, k->min,
			    k->max, k->type == CONF_SIZE ? " bytes" :
			    k->type == CONF_DURATION ? " ms" : "");
			return ERR_CONFIG;
		}
		*(int64_t *)conf_slot(c, k) = n;
		break;
	case CONF_BOOL:
		if (conf_bool(tmp, &b) == -1) {
			conf_err(c, "%s: %s: %s is not yes or no", where,
			    k->name, show);
			return ERR_CONFIG;
		}
		*(bool *)conf_slot(c, k) = b;
		break;
	case CONF_ENUM:
		for (i = 0; k->choices != NULL && k->choices[i] != NULL; i++)
			if (strcmp(k->choices[i], tmp) == 0)
				break;
		if (k->choices == NULL || k->choices[i] == NULL) {
			conf_err(c, "%s: %s: %s is not one of the allowed "
			    "values", where, k->name, show);
			return ERR_CONFIG;
		}
		*(int *)conf_slot(c, k) = i;
		break;
	case CONF_STRING:
		maxlen = k->max == 0 ? LIMIT_CONF_LINE : k->max;
		if ((int64_t)len < k->min || (int64_t)len > maxlen) {
			conf_err(c, "%s: %s: length %zu is out of range %"
			    PRId64 "..%" PRId64, where, k->name, len, k->min,
			    maxlen);
			return ERR_CONFIG;
		}
		if ((s = strndup(v, len)) == NULL) {
			conf_err(c, "%s: %s: out of memory", where, k->name);
			return ERR_NOMEM;
		}
		conf_string_clear((char **)conf_slot(c, k),
		    (k->flags & CONF_SECRET) != 0);
		*(char **)conf_slot(c, k) = s;
		break;
	case CONF_LIST:
		if ((rc = conf_list(c, k, where, tmp, len, &l)) != ERR_OK)
			return rc;
		conf_list_clear((struct conf_list *)conf_slot(c, k));
		*(struct conf_list *)conf_slot(c, k) = l;
		break;
	default:
		conf_err(c, "%s: %s: bad type in the config table", where,
		    k->name);
		return ERR_CONFIG;
	}
	c->set[k - c->tab] = 1;
	return ERR_OK;
}

/* Read a secret from its own file: at most LIMIT_CONF_LINE bytes, one
 * trailing newline dropped, no NUL. */
static enum err
conf_secret_file(struct conf_ctx *c, const struct conf_key *k,
    const char *where, const char *path)
{
	char buf[LIMIT_CONF_LINE + 3];
	size_t len = 0;
	ssize_t n;
	int fd = -1;
	enum err rc = ERR_CONFIG;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		conf_err(c, "%s: %s%s: cannot open %s: %s", where, k->name,
		    CONF_FILE_SUFFIX, path, strerror(errno));
		goto out;
	}
	for (;;) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			conf_err(c, "%s: %s%s: cannot read %s: %s", where,
			    k->name, CONF_FILE_SUFFIX, path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf))
			break;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len > LIMIT_CONF_LINE) {
		conf_err(c, "%s: %s%s: %s holds more than %d bytes", where,
		    k->name, CONF_FILE_SUFFIX, path, LIMIT_CONF_LINE);
		goto out;
	}
	if (memchr(buf, '\0', len) != NULL) {
		conf_err(c, "%s: %s%s: %s holds a NUL byte", where, k->name,
		    CONF_FILE_SUFFIX, path);
		goto out;
	}
	rc = conf_set(c, k, where, buf, len);
out:
	explicit_bzero(buf, sizeof(buf));
	if (fd != -1)
		close(fd);
	return rc;
}

static int
conf_key_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	    ch == '_';
}

static enum err
conf_line(struct conf_ctx *c, unsigned int lineno, const char *p,
    size_t len)
{
	char where[512], show[80], path[LIMIT_CONF_LINE + 1];
	const struct conf_key *k;
	const char *key, *val, *eq;
	size_t klen, vlen, i, sl = sizeof(CONF_FILE_SUFFIX) - 1;
	int is_file = 0;

	snprintf(where, sizeof(where), "%s:%u", c->name, lineno);
	if (len > LIMIT_CONF_LINE) {
		conf_err(c, "%s: line longer than %d bytes", where,
		    LIMIT_CONF_LINE);
		return ERR_CONFIG;
	}
	for (i = 0; i < len; i++) {
		if (p[i] == '\0') {
			conf_err(c, "%s: NUL byte", where);
			return ERR_CONFIG;
		}
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') ||
		    p[i] == 0x7f) {
			conf_err(c, "%s: control character", where);
			return ERR_CONFIG;
		}
	}
	klen = len;
	key = conf_trim(p, &klen);
	if (klen == 0 || key[0] == '#')
		return ERR_OK;
	if ((eq = memchr(key, '=', klen)) == NULL) {
		conf_err(c, "%s: expected 'key = value'", where);
		return ERR_CONFIG;
	}
	vlen = klen - (size_t)(eq - key) - 1;
	val = conf_trim(eq + 1, &vlen);
	klen = (size_t)(eq - key);
	key = conf_trim(key, &klen);
	for (i = 0; i < klen; i++)
		if (!conf_key_char(key[i]))
			break;
	if (klen == 0 || i < klen) {
		conf_err(c, "%s: bad key %s (lower-case letters, digits and "
		    "'_' only)", where, conf_show(show, sizeof(show), key,
		    klen));
		return ERR_CONFIG;
	}
	if ((k = conf_find(c->tab, key, klen)) == NULL && klen > sl &&
	    memcmp(key + klen - sl, CONF_FILE_SUFFIX, sl) == 0 &&
	    (k = conf_find(c->tab, key, klen - sl)) != NULL) {
		if (!(k->flags & CONF_SECRET))
			k = NULL;
		else
			is_file = 1;
	}
	if (k == NULL) {
		conf_err(c, "%s: unknown key %s", where,
		    conf_show(show, sizeof(show), key, klen));
		return ERR_CONFIG;
	}
	if (!is_file && (k->flags & CONF_SECRET)) {
		conf_err(c, "%s: %s is a secret and may not be in the file: "
		    "set %s%s%sor %s%s = /path/to/file", where, k->name,
		    k->env != NULL ? "environment variable " : "",
		    k->env != NULL ? k->env : "", k->env != NULL ? " " : "",
		    k->name, CONF_FILE_SUFFIX);
		return ERR_CONFIG;
	}
	if ((is_file ? c->fline : c->line)[k - c->tab] != 0) {
		conf_err(c, "%s: duplicate key %.*s (first set on line %u)",
		    where, (int)klen, key,
		    (is_file ? c->fline : c->line)[k - c->tab]);
		return ERR_CONFIG;
	}
	(is_file ? c->fline : c->line)[k - c->tab] = lineno;
	if (!is_file)
		return conf_set(c, k, where, val, vlen);
	if (vlen == 0) {
		conf_err(c, "%s: %s%s: empty path", where, k->name,
		    CONF_FILE_SUFFIX);
		return ERR_CONFIG;
	}
	if (c->flags & CONF_NO_FILES) {
		/* Named but not read: count it as set for the required
		 * check, as reading it is what the caller opted out of. */
		c->set[k - c->tab] = 1;
		return ERR_OK;
	}
	memcpy(path, val, vlen);
	path[vlen] = '\0';
	return conf_secret_file(c, k, where, path);
}

static enum err
conf_defaults(struct conf_ctx *c)
{
	const struct conf_key *k;
	enum err rc;

	for (k = c->tab; k->name != NULL; k++) {
		if ((k->flags & CONF_SECRET) && (k->type != CONF_STRING ||
		    k->def != NULL)) {
			conf_err(c, "config table: secret %s must be a string "
			    "without a default", k->name);
			return ERR_CONFIG;
		}
		if (k->type == CONF_ENUM && k->choices == NULL) {
			conf_err(c, "config table: %s has no choices",
			    k->name);
			return ERR_CONFIG;
		}
		if (k->def == NULL)
			continue;
		if ((rc = conf_set(c, k, "default", k->def,
		    strlen(k->def))) != ERR_OK)
			return rc;
	}
	return ERR_OK;
}

static enum err
conf_env(struct conf_ctx *c)
{
	const struct conf_key *k;
	char where[160];
	const char *v;
	size_t i, len;

	for (k = c->tab; k->name != NULL; k++) {
		if (k->env == NULL || (v = getenv(k->env)) == NULL ||
		    *v == '\0')
			continue;
		snprintf(where, sizeof(where), "environment %s", k->env);
		len = strlen(v);
		v = conf_trim(v, &len);
		for (i = 0; i < len; i++)
			if (((unsigned char)v[i] < 0x20 && v[i] != '\t') ||
			    v[i] == 0x7f) {
				conf_err(c, "%s: control character", where);
				return ERR_CONFIG;
			}
		if (conf_set(c, k, where, v, len) != ERR_OK)
			return ERR_CONFIG;
	}
	return ERR_OK;
}

static enum err
conf_required(struct conf_ctx *c)
{
	const struct conf_key *k;

	for (k = c->tab; k->name != NULL; k++) {
		if (!(k->flags & CONF_REQUIRED) || c->set[k - c->tab])
			continue;
		if ((k->flags & CONF_SECRET) && k->env != NULL)
			conf_err(c, "%s: required secret %s is not set (set "
			    "environment variable %s or %s%s)", c->name,
			    k->name, k->env, k->name, CONF_FILE_SUFFIX);
		else if (k->flags & CONF_SECRET)
			conf_err(c, "%s: required secret %s is not set (set "
			    "%s%s)", c->name, k->name, k->name,
			    CONF_FILE_SUFFIX);
		else if (k->env != NULL)
			conf_err(c, "%s: required key %s is not set (nor "
			    "environment variable %s)", c->name, k->name,
			    k->env);
		else
			conf_err(c, "%s: required key %s is not set", c->name,
			    k->name);
		return ERR_CONFIG;
	}
	return ERR_OK;
}

enum err
conf_parse(const struct conf_key *tab, void *cfg, const char *name,
    const char *buf, size_t len, unsigned int flags, char *errbuf,
    size_t errlen)
{
	struct conf_ctx c;
	const char *p, *nl;
	size_t rest, llen;
	unsigned int lineno = 0;
	enum err rc = ERR_NOMEM;

	memset(&c, 0, sizeof(c));
	c.tab = tab;
	c.cfg = cfg;
	c.name = name != NULL ? name : "(config)";
	c.flags = flags;
	c.errbuf = errbuf;
	c.errlen = errlen;
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	while (tab[c.nkeys].name != NULL)
		c.nkeys++;
	if ((c.line = calloc(c.nkeys + 1, sizeof(*c.line))) == NULL ||
	    (c.fline = calloc(c.nkeys + 1, sizeof(*c.fline))) == NULL ||
	    (c.set = calloc(c.nkeys + 1, sizeof(*c.set))) == NULL) {
		conf_err(&c, "%s: out of memory", c.name);
		goto out;
	}
	if ((rc = conf_defaults(&c)) != ERR_OK)
		goto out;
	p = buf;
	rest = buf == NULL ? 0 : len;
	while (rest > 0) {
		lineno++;
		nl = memchr(p, '\n', rest);
		llen = nl == NULL ? rest : (size_t)(nl - p);
		if (llen > 0 && p[llen - 1] == '\r')
			llen--;
		if ((rc = conf_line(&c, lineno, p, llen)) != ERR_OK)
			goto out;
		if (nl == NULL)
			break;
		rest -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	if (!(flags & CONF_NO_ENV) && (rc = conf_env(&c)) != ERR_OK)
		goto out;
	rc = conf_required(&c);
out:
	if (rc != ERR_OK)
		conf_free(tab, cfg);
	free(c.line);
	free(c.fline);
	free(c.set);
	return rc;
}

enum err
conf_load(const struct conf_key *tab, void *cfg, const char *path,
    unsigned int flags, char *errbuf, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd = -1;
	enum err rc = ERR_CONFIG;

	if (path == NULL)
		return conf_parse(tab, cfg, "(no config file)", NULL, 0, flags,
		    errbuf, errlen);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(errbuf, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(errbuf, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > CONF_FILE_MAX) {
		snprintf(errbuf, errlen, "%s: larger than %d bytes", path,
		    CONF_FILE_MAX);
		goto out;
	}
	if ((buf = malloc(CONF_FILE_MAX + 1)) == NULL) {
		snprintf(errbuf, errlen, "%s: out of memory", path);
		rc = ERR_NOMEM;
		goto out;
	}
	for (;;) {
		n = read(fd, buf + len, CONF_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(errbuf, errlen, "%s: cannot read: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONF_FILE_MAX) {
			snprintf(errbuf, errlen, "%s: larger than %d bytes",
			    path, CONF_FILE_MAX);
			goto out;
		}
	}
	rc = conf_parse(tab, cfg, path, buf, len, flags, errbuf, errlen);
out:
	free(buf);
	if (fd != -1)
		close(fd);
	return rc;
}

static void
conf_print_type(const struct conf_key *k, FILE *fp)
{
	size_t i;

	switch (k->type) {
	case CONF_INT:
		fprintf(fp, "# integer, %" PRId64 "..%" PRId64, k->min, k->max);
		break;
	case CONF_SIZE:
		fprintf(fp, "# size in bytes (suffix k, m, g), %" PRId64 "..%"
		    PRId64, k->min, k->max);
		break;
	case CONF_DURATION:
		fprintf(fp, "# duration (suffix ms, s, m, h, d; bare number: "
		    "seconds), %" PRId64 "..%" PRId64 " ms", k->min, k->max);
		break;
	case CONF_BOOL:
		fprintf(fp, "# yes or no");
		break;
	case CONF_STRING:
		fprintf(fp, "# string, %" PRId64 "..%" PRId64 " bytes", k->min,
		    k->max == 0 ? (int64_t)LIMIT_CONF_LINE : k->max);
		break;
	case CONF_LIST:
		fprintf(fp, "# comma-separated list, %" PRId64 "..", k->min);
		if (k->max == 0)
			fprintf(fp, "any items");
		else
			fprintf(fp, "%" PRId64 " items", k->max);
		break;
	case CONF_ENUM:
		fprintf(fp, "# one of:");
		for (i = 0; k->choices != NULL && k->choices[i] != NULL; i++)
			fprintf(fp, "%s %s", i > 0 ? "," : "", k->choices[i]);
		break;
	}
	if (k->flags & CONF_REQUIRED)
		fprintf(fp, "; required");
	if (k->env != NULL)
		fprintf(fp, "; environment %s overrides", k->env);
	fprintf(fp, "\n");
}

void
conf_print_example(const struct conf_key *tab, FILE *fp)
{
	const struct conf_key *k;

	for (k = tab; k->name != NULL; k++) {
		if (k != tab)
			fprintf(fp, "\n");
		if (k->help != NULL)
			fprintf(fp, "# %s\n", k->help);
		conf_print_type(k, fp);
		if (k->flags & CONF_SECRET) {
			fprintf(fp, "# secret: never in this file; set %s%s"
			    "%sthe path of a file holding it:\n",
			    k->env != NULL ? "environment variable " : "",
			    k->env != NULL ? k->env : "",
			    k->env != NULL ? " or " : "");
			fprintf(fp, "#%s%s = /path/to/%s\n", k->name,
			    CONF_FILE_SUFFIX, k->name);
		} else
			fprintf(fp, "#%s = %s\n", k->name,
			    k->def != NULL ? k->def : "");
	}
}

void
conf_print(const struct conf_key *tab, const void *cfg, FILE *fp)
{
	const struct conf_key *k;
	const struct conf_list *l;
	const char *base = cfg;
	const char *s;
	size_t i;
	int e;

	for (k = tab; k->name != NULL; k++) {
		if (k->flags & CONF_SECRET) {
			s = *(char *const *)(base + k->offset);
			fprintf(fp, "# %s: %s\n", k->name,
			    s != NULL ? "(set)" : "(unset)");
			continue;
		}
		fprintf(fp, "%s = ", k->name);
		switch (k->type) {
		case CONF_INT:
		case CONF_SIZE:
			fprintf(fp, "%" PRId64, *(const int64_t *)(base +
			    k->offset));
			break;
		case CONF_DURATION:
			fprintf(fp, "%" PRId64 "ms", *(const int64_t *)(base +
			    k->offset));
			break;
		case CONF_BOOL:
			fprintf(fp, "%s", *(const bool *)(base + k->offset) ?
			    "yes" : "no");
			break;
		case CONF_STRING:
			s = *(char *const *)(base + k->offset);
			fprintf(fp, "%s", s != NULL ? s : "");
			break;
		case CONF_LIST:
			l = (const struct conf_list *)(base + k->offset);
			for (i = 0; i < l->n; i++)
				fprintf(fp, "%s%s", i > 0 ? ", " : "",
				    l->v[i]);
			break;
		case CONF_ENUM:
			e = *(const int *)(base + k->offset);
			if (k->choices != NULL && e >= 0)
				fprintf(fp, "%s", k->choices[e]);
			break;
		}
		fprintf(fp, "\n");
	}
}

int
conf_number(const char *s, int64_t min, int64_t max, int64_t *out)
{
	int64_t n;

	if (s == NULL || conf_int(s, &n, NULL) == -1 || n < min || n > max)
		return -1;
	*out = n;
	return 0;
}

enum err
conf_refuse(char *errbuf, size_t errlen, const char *path, const char *key,
    const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(errbuf, errlen, "%s: %s: ", path != NULL ? path :
	    "(defaults and environment)", key);
	if (n >= 0 && (size_t)n < errlen) {
		va_start(ap, fmt);
		(void)vsnprintf(errbuf + n, errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return ERR_CONFIG;
}

int
conf_check(const char *prog, const struct conf_key *tab, void *cfg,
    const char *path)
{
	char err[1024];
	enum err rc;

	rc = conf_load(tab, cfg, path, 0, err, sizeof(err));
	conf_free(tab, cfg);
	if (rc != ERR_OK) {
		fprintf(stderr, "%s: %s\n", prog, err[0] != '\0' ? err :
		    err_strerror(rc));
		return 1;
	}
	printf("%s: %s: config ok\n", prog, path != NULL ? path :
	    "(no config file)");
	return 0;
}
