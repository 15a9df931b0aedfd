/*
 * awscred.c: credential values, the credentials-file parser, the ECS/IMDS
 * document parser, the container URL rules and expiry arithmetic.
 *
 * No I/O: lib/storage/awscred_chain.c reads the environment, the file and the
 * metadata endpoints and hands the bytes here.  Values are checked before
 * they are stored because they end up in HTTP headers (a CR/LF in a token
 * would split a header) and in the SigV4 credential scope.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "awscred.h"
#include "clock.h"
#include "jsonparse.h"

void
awscred_clear(struct awscred *c)
{
	if (c == NULL)
		return;
	explicit_bzero(c, sizeof(*c));
	c->source = AWSCRED_SOURCE_NONE;
}

static int
awscred_empty(const char *s)
{
	return s == NULL || *s == '\0';
}

/* 1 if s has 1..max characters, each accepted by the class. */
static int
awscred_chars_ok(const char *s, size_t max, int keyid)
{
	size_t n;

	for (n = 0; s[n] != '\0'; n++) {
		unsigned char ch = (unsigned char)s[n];

		if (n >= max)
			return 0;
		if (keyid) {
			if (!((ch >= 'A' && ch <= 'Z') ||
			    (ch >= 'a' && ch <= 'z') ||
			    (ch >= '0' && ch <= '9') || ch == '_'))
				return 0;
		} else if (ch <= 0x20 || ch >= 0x7f)
			return 0;
	}
	return n > 0;
}

enum err
awscred_set(struct awscred *c, const char *key_id, const char *secret,
    const char *token, int64_t expiration, enum awscred_source source)
{
	awscred_clear(c);
	if (awscred_empty(key_id) && awscred_empty(secret))
		return ERR_NOT_FOUND;
	if (awscred_empty(key_id) || awscred_empty(secret) ||
	    !awscred_chars_ok(key_id, LIMIT_AWS_KEY_ID_BYTES, 1) ||
	    !awscred_chars_ok(secret, LIMIT_AWS_SECRET_BYTES, 0) ||
	    (!awscred_empty(token) &&
	    !awscred_chars_ok(token, LIMIT_AWS_TOKEN_BYTES, 0)) ||
	    expiration < 0)
		return ERR_FIELD;
	/* Lengths were bounded above, so these copies fit. */
	memcpy(c->access_key_id, key_id, strlen(key_id) + 1);
	memcpy(c->secret_access_key, secret, strlen(secret) + 1);
	if (!awscred_empty(token))
		memcpy(c->session_token, token, strlen(token) + 1);
	c->expiration = expiration;
	c->source = source;
	return ERR_OK;
}

/* ---------------------------------------------------- credentials file */

struct awscred_ini {
	char	key_id[LIMIT_AWS_KEY_ID_BYTES + 2];
	char	secret[LIMIT_AWS_SECRET_BYTES + 2];
	char	token[LIMIT_AWS_TOKEN_BYTES + 2];
	int	found;		/* the profile's section was seen */
	int	overlong;	/* a value of ours did not fit */
};

static int
awscred_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' ||
	    ch == '\v';
}

/* Trim [*b, *e) of blanks on both ends. */
static void
awscred_trim(const char **b, const char **e)
{
	while (*b < *e && awscred_space(**b))
		(*b)++;
	while (*e > *b && awscred_space((*e)[-1]))
		(*e)--;
}

static void
awscred_ini_store(struct awscred_ini *ini, char *dst, size_t dstsz,
    const char *v, size_t vlen)
{
	if (vlen >= dstsz - 1) {
		/* Keep it invalid rather than silently cut. */
		ini->overlong = 1;
		vlen = dstsz - 1;
	}
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
}

enum err
awscred_parse_ini(const char *buf, size_t len, const char *profile,
    struct awscred *c, size_t *bad_line)
{
	struct awscred_ini *ini = NULL;
	const char *p = buf, *end = buf + len, *eol, *b, *e, *eq, *kb, *ke;
	size_t lineno = 0, plen;
	int in_profile = 0, in_any = 0;
	enum err rc = ERR_NOMEM;

	awscred_clear(c);
	if (bad_line != NULL)
		*bad_line = 0;
	if (profile == NULL || *profile == '\0')
		profile = "default";
	plen = strlen(profile);
	if (len > LIMIT_AWS_CRED_FILE_BYTES)
		return ERR_TOO_LARGE;
	if ((ini = calloc(1, sizeof(*ini))) == NULL)
		goto out;
	while (p < end) {
		lineno++;
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		if ((size_t)(eol - p) > LIMIT_CONF_LINE) {
			rc = ERR_TOO_LARGE;
			goto bad;
		}
		b = p;
		e = eol;
		p = eol < end ? eol + 1 : end;
		if (memchr(b, '\0', (size_t)(e - b)) != NULL) {
			rc = ERR_CONFIG;
			goto bad;
		}
		awscred_trim(&b, &e);
		if (b == e || *b == '#' || *b == ';')
			continue;
		if (*b == '[') {
			if (e[-1] != ']' || e - b < 3) {
				rc = ERR_CONFIG;
				goto bad;
			}
			b++;
			e--;
			awscred_trim(&b, &e);
			in_any = 1;
			in_profile = (size_t)(e - b) == plen &&
			    memcmp(b, profile, plen) == 0;
			if (in_profile)
				ini->found = 1;
			continue;
		}
		if ((eq = memchr(b, '=', (size_t)(e - b))) == NULL ||
		    eq == b || !in_any) {
			rc = ERR_CONFIG;
			goto bad;
		}
		kb = b;
		ke = eq;
		awscred_trim(&kb, &ke);
		b = eq + 1;
		awscred_trim(&b, &e);
		/* An inline comment needs a blank before it; values never
		 * hold blanks. */
		for (eq = b; eq < e; eq++)
			if (awscred_space(*eq) && eq + 1 < e &&
			    (eq[1] == '#' || eq[1] == ';')) {
				e = eq;
				awscred_trim(&b, &e);
				break;
			}
		if (!in_profile)
			continue;
#define AWSCRED_KEY_IS(name) ((size_t)(ke - kb) == sizeof(name) - 1 && \
	    strncasecmp(kb, name, sizeof(name) - 1) == 0)
		if (AWSCRED_KEY_IS("aws_access_key_id"))
			awscred_ini_store(ini, ini->key_id,
			    sizeof(ini->key_id), b, (size_t)(e - b));
		else if (AWSCRED_KEY_IS("aws_secret_access_key"))
			awscred_ini_store(ini, ini->secret,
			    sizeof(ini->secret), b, (size_t)(e - b));
		else if (AWSCRED_KEY_IS("aws_session_token"))
			awscred_ini_store(ini, ini->token,
			    sizeof(ini->token), b, (size_t)(e - b));
#undef AWSCRED_KEY_IS
	}
	if (!ini->found) {
		rc = ERR_NOT_FOUND;
		goto out;
	}
	if (ini->overlong) {
		rc = ERR_FIELD;
		goto out;
	}
	rc = awscred_set(c, ini->key_id, ini->secret, ini->token, 0,
	    AWSCRED_SOURCE_FILE);
	goto out;
bad:
	if (bad_line != NULL)
		*bad_line = lineno;
out:
	if (ini != NULL) {
		explicit_bzero(ini, sizeof(*ini));
		free(ini);
	}
	return rc;
}

/* ------------------------------------------------- ECS / IMDS document */

/* Read exactly n digits at *s. */
static int
awscred_digits(const char **s, int n, int64_t *out)
{
	int64_t v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if ((*s)[i] < '0' || (*s)[i] > '9')
			return -1;
		v = v * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*out = v;
	return 0;
}

enum err
awscred_parse_time(const char *s, int64_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int64_t y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;

	if (s == NULL)
		return ERR_FIELD;
	if (awscred_digits(&s, 4, &y) != 0 || *s++ != '-' ||
	    awscred_digits(&s, 2, &mo) != 0 || *s++ != '-' ||
	    awscred_digits(&s, 2, &d) != 0 || (*s != 'T' && *s != 't'))
		return ERR_FIELD;
	s++;
	if (awscred_digits(&s, 2, &h) != 0 || *s++ != ':' ||
	    awscred_digits(&s, 2, &mi) != 0 || *s++ != ':' ||
	    awscred_digits(&s, 2, &se) != 0)
		return ERR_FIELD;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return ERR_FIELD;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '+' ? 1 : -1;
		if (awscred_digits(&s, 2, &oh) != 0 || *s++ != ':' ||
		    awscred_digits(&s, 2, &om) != 0 || oh > 23 || om > 59)
			return ERR_FIELD;
	} else
		return ERR_FIELD;
	if (*s != '\0' || y < 1970 || mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60)
		return ERR_FIELD;
	if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)))
		return ERR_FIELD;
	*out = clock_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
	    sign * (oh * 3600 + om * 60);
	return ERR_OK;
}

enum err
awscred_parse_json(const char *buf, size_t len, enum awscred_source source,
    struct awscred *c)
{
	struct json_object *o = NULL, *v;
	const char *code, *exp;
	int64_t expiration = 0;
	enum err rc = ERR_JSON;

	awscred_clear(c);
	if (len > LIMIT_AWS_CRED_DOC_BYTES)
		return ERR_TOO_LARGE;
	if (buf == NULL || len == 0)
		goto out;
	if ((rc = jsonparse_object(buf, len, LIMIT_AWS_CRED_DOC_BYTES, &o,
	    NULL, 0)) != ERR_OK)
		goto out;
	rc = ERR_UPSTREAM;
	if (json_object_object_get_ex(o, "Code", &v) &&
	    ((code = json_object_get_string(v)) == NULL ||
	    strcmp(code, "Success") != 0))
		goto out;
	rc = ERR_FIELD;
	if (json_object_object_get_ex(o, "Expiration", &v)) {
		if ((exp = jsonparse_str(o, "Expiration", NULL)) == NULL ||
		    awscred_parse_time(exp, &expiration) != ERR_OK)
			goto out;
	}
	rc = awscred_set(c, jsonparse_str(o, "AccessKeyId", NULL),
	    jsonparse_str(o, "SecretAccessKey", NULL),
	    jsonparse_str(o, "Token", NULL), expiration, source);
	if (rc == ERR_NOT_FOUND)
		rc = ERR_FIELD;
out:
	json_object_put(o);
	return rc;
}

/* ------------------------------------------------------ container URL */

/* 1 if host (no brackets, no port) is a loopback or ECS/EKS agent
 * address that may be reached over plain http. */
static int
awscred_host_allowed(const char *h, size_t n)
{
	static const char *const fixed[] = { "localhost", "169.254.170.2",
	    "169.254.170.23", "fd00:ec2::23", "::1", NULL };
	const char *p, *e = h + n;
	int i, octets = 0;
	long v;

	for (i = 0; fixed[i] != NULL; i++)
		if (strlen(fixed[i]) == n && strncasecmp(h, fixed[i], n) == 0)
			return 1;
	/* 127.0.0.0/8, written as a dotted quad. */
	if (n < 9 || strncmp(h, "127.", 4) != 0)
		return 0;
	for (p = h; p < e; octets++) {
		v = 0;
		if (p >= e || *p < '0' || *p > '9')
			return 0;
		for (i = 0; p < e && *p >= '0' && *p <= '9'; p++, i++) {
			v = v * 10 + (*p - '0');
			if (i >= 3 || v > 255)
				return 0;
		}
		if (p < e) {
			if (*p != '.' || p + 1 >= e)
				return 0;
			p++;
		}
	}
	return octets == 4;
}

static int
awscred_url_chars_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

enum err
awscred_container_url(const char *relative, const char *full, char *url,
    size_t urlsz)
{
	const char *h, *he, *hostend;
	int https, n;

	if (!awscred_empty(relative)) {
		if (relative[0] != '/' || !awscred_url_chars_ok(relative) ||
		    strlen(relative) > LIMIT_CONF_LINE)
			return ERR_FIELD;
		n = snprintf(url, urlsz, "http://%s%s",
		    AWSCRED_CONTAINER_HOST, relative);
		return n > 0 && (size_t)n < urlsz ? ERR_OK : ERR_TOO_LARGE;
	}
	if (awscred_empty(full))
		return ERR_NOT_FOUND;
	if (!awscred_url_chars_ok(full) || strlen(full) > LIMIT_CONF_LINE)
		return ERR_FIELD;
	if (strncasecmp(full, "https://", 8) == 0) {
		https = 1;
		h = full + 8;
	} else if (strncasecmp(full, "http://", 7) == 0) {
		https = 0;
		h = full + 7;
	} else
		return ERR_FIELD;
	hostend = h + strcspn(h, "/?#");
	if (memchr(h, '@', (size_t)(hostend - h)) != NULL)
		return ERR_FIELD;	/* no userinfo */
	if (*h == '[') {
		if ((he = memchr(h, ']', (size_t)(hostend - h))) == NULL)
			return ERR_FIELD;
		h++;
	} else {
		he = memchr(h, ':', (size_t)(hostend - h));
		if (he == NULL)
			he = hostend;
	}
	if (he == h)
		return ERR_FIELD;
	if (!https && !awscred_host_allowed(h, (size_t)(he - h)))
		return ERR_FIELD;
	n = snprintf(url, urlsz, "%s", full);
	return n > 0 && (size_t)n < urlsz ? ERR_OK : ERR_TOO_LARGE;
}

int
awscred_auth_token_ok(const char *token, size_t len)
{
	size_t i;

	if (token == NULL || len == 0 || len > LIMIT_AWS_TOKEN_BYTES)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)token[i] < 0x20 ||
		    (unsigned char)token[i] >= 0x7f)
			return -1;
	return 0;
}

/* ------------------------------------------------------------- expiry */

int64_t
awscred_lifetime(const struct awscred *c, int64_t now)
{
	if (c == NULL || c->source == AWSCRED_SOURCE_NONE)
		return 0;
	if (c->expiration == 0)
		return INT64_MAX;
	return c->expiration > now ? c->expiration - now : 0;
}

int
awscred_stale(const struct awscred *c, int64_t now, int64_t margin)
{
	int64_t left;

	if (c == NULL || c->source == AWSCRED_SOURCE_NONE)
		return 1;
	left = awscred_lifetime(c, now);
	return left == INT64_MAX ? 0 : left <= margin;
}

int64_t
awscred_cap_expires(const struct awscred *c, int64_t now, int64_t want)
{
	int64_t left = awscred_lifetime(c, now);

	if (want < 0)
		want = 0;
	return want < left ? want : left;
}

const char *
awscred_source_name(enum awscred_source s)
{
	switch (s) {
	case AWSCRED_SOURCE_CONFIG:
		return "config";
	case AWSCRED_SOURCE_ENV:
		return "env";
	case AWSCRED_SOURCE_FILE:
		return "file";
	case AWSCRED_SOURCE_CONTAINER:
		return "container";
	case AWSCRED_SOURCE_IMDS:
		return "imds";
	case AWSCRED_SOURCE_NONE:
		break;
	}
	return "none";
}

const char *
awscred_key_hint(const struct awscred *c)
{
	size_t n;

	if (c == NULL || (n = strlen(c->access_key_id)) < 8)
		return "";
	return c->access_key_id + n - 4;
}
