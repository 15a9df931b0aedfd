/*
 * jsonv.c: strict validation of JSON request bodies over json-c.
 *
 * json-c 0.16 is lenient even in strict mode: it takes single-quoted
 * strings, NaN and Infinity, "1.", lone UTF-16 surrogates, silently keeps
 * the last of two equal member names and clamps integer literals that do
 * not fit 64 bits.  So the text is first checked here against RFC 8259 by a
 * small recursive-descent scanner (depth-bounded, so the recursion is
 * too), which also counts object members; json-c then builds the tree, and
 * a tree with fewer members than the text had means a duplicate name.
 * Field checks then work on the tree and name the field they refuse.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/json_object_iterator.h>

#include "jsonv.h"
#include "limit.h"

struct jsonv_doc {
	json_object	*root;
};

struct jsonv_scan {
	const unsigned char	*p;
	size_t			 len;
	size_t			 pos;
	size_t			 members;
	struct jsonv_error	*e;
};

static void jsonv_fail(struct jsonv_error *, const char *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Record an error.  `field` may come from a client: copy it printable.  The
 * message starts with the field's path ("seq must be an integer"): clients
 * of the system we replace show only the message to their user.
 */
static void
jsonv_fail(struct jsonv_error *e, const char *field, const char *fmt, ...)
{
	va_list ap;
	size_t i, off = 0;
	int n;

	if (e == NULL)
		return;
	e->field[0] = '\0';
	if (field != NULL) {
		for (i = 0; field[i] != '\0' && i + 1 < sizeof(e->field); i++)
			e->field[i] = (field[i] >= 0x20 && field[i] < 0x7f) ?
			    field[i] : '?';
		e->field[i] = '\0';
	}
	e->message[0] = '\0';
	if (e->field[0] != '\0') {
		n = snprintf(e->message, sizeof(e->message), "%s ", e->field);
		if (n > 0)
			off = (size_t)n < sizeof(e->message) ? (size_t)n :
			    sizeof(e->message) - 1;
	}
	va_start(ap, fmt);
	vsnprintf(e->message + off, sizeof(e->message) - off, fmt, ap);
	va_end(ap);
}

static void
jsonv_scan_ws(struct jsonv_scan *s)
{
	while (s->pos < s->len && (s->p[s->pos] == ' ' ||
	    s->p[s->pos] == '\t' || s->p[s->pos] == '\n' ||
	    s->p[s->pos] == '\r'))
		s->pos++;
}

static int
jsonv_scan_err(struct jsonv_scan *s, const char *what)
{
	if (s->pos >= s->len)
		jsonv_fail(s->e, NULL, "%s at end of input", what);
	else
		jsonv_fail(s->e, NULL, "%s at offset %zu", what, s->pos);
	return -1;
}

static int
jsonv_hex4(struct jsonv_scan *s, unsigned int *out)
{
	unsigned int v = 0;
	int i, c;

	if (s->len - s->pos < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		c = s->p[s->pos + i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	s->pos += 4;
	*out = v;
	return 0;
}

/* Length of the valid UTF-8 sequence at p[0..n), or 0 if invalid
 * (overlong forms, surrogates and code points above U+10FFFF refused). */
static size_t
jsonv_utf8(const unsigned char *p, size_t n)
{
	unsigned int c = p[0];
	size_t need, i;
	unsigned int cp, min;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 2;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 3;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 4;
		cp = c & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (n < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need;
}

/* A string starting at the opening quote.  Member names may not hold NUL
 * (json-c keys are C strings, so "a\u0000b" would silently become "a"). */
static int
jsonv_scan_string(struct jsonv_scan *s, int is_key)
{
	unsigned int u, lo;
	size_t n;
	int c;

	s->pos++;
	for (;;) {
		if (s->pos >= s->len)
			return jsonv_scan_err(s, "unterminated string");
		c = s->p[s->pos];
		if (c == '"') {
			s->pos++;
			return 0;
		}
		if (c < 0x20)
			return jsonv_scan_err(s, "control character in string");
		if (c >= 0x80) {
			if ((n = jsonv_utf8(s->p + s->pos, s->len - s->pos)) == 0)
				return jsonv_scan_err(s, "invalid UTF-8");
			s->pos += n;
			continue;
		}
		if (c != '\\') {
			s->pos++;
			continue;
		}
		s->pos++;
		if (s->pos >= s->len)
			return jsonv_scan_err(s, "unterminated string");
		c = s->p[s->pos++];
		if (strchr("\"\\/bfnrt", c) != NULL && c != '\0')
			continue;
		if (c != 'u') {
			s->pos--;
			return jsonv_scan_err(s, "bad escape in string");
		}
		if (jsonv_hex4(s, &u) == -1)
			return jsonv_scan_err(s, "bad \\u escape");
		if (u == 0 && is_key)
			return jsonv_scan_err(s, "NUL in member name");
		if (u >= 0xdc00 && u <= 0xdfff)
			return jsonv_scan_err(s, "lone UTF-16 surrogate");
		if (u >= 0xd800 && u <= 0xdbff) {
			if (s->len - s->pos < 2 || s->p[s->pos] != '\\' ||
			    s->p[s->pos + 1] != 'u')
				return jsonv_scan_err(s,
				    "lone UTF-16 surrogate");
			s->pos += 2;
			if (jsonv_hex4(s, &lo) == -1 || lo < 0xdc00 ||
			    lo > 0xdfff)
				return jsonv_scan_err(s,
				    "lone UTF-16 surrogate");
		}
	}
}

static int
jsonv_scan_digits(struct jsonv_scan *s)
{
	size_t start = s->pos;

	while (s->pos < s->len && s->p[s->pos] >= '0' && s->p[s->pos] <= '9')
		s->pos++;
	return s->pos > start ? 0 : -1;
}

static int
jsonv_scan_number(struct jsonv_scan *s)
{
	if (s->p[s->pos] == '-')
		s->pos++;
	if (s->pos < s->len && s->p[s->pos] == '0')
		s->pos++;
	else if (jsonv_scan_digits(s) == -1)
		return jsonv_scan_err(s, "bad number");
	if (s->pos < s->len && s->p[s->pos] == '.') {
		s->pos++;
		if (jsonv_scan_digits(s) == -1)
			return jsonv_scan_err(s, "bad number");
	}
	if (s->pos < s->len && (s->p[s->pos] == 'e' || s->p[s->pos] == 'E')) {
		s->pos++;
		if (s->pos < s->len && (s->p[s->pos] == '+' ||
		    s->p[s->pos] == '-'))
			s->pos++;
		if (jsonv_scan_digits(s) == -1)
			return jsonv_scan_err(s, "bad number");
	}
	if (s->pos < s->len && (s->p[s->pos] == '.' ||
	    (s->p[s->pos] >= '0' && s->p[s->pos] <= '9')))
		return jsonv_scan_err(s, "bad number");
	return 0;
}

static int
jsonv_scan_word(struct jsonv_scan *s, const char *w)
{
	size_t n = strlen(w);

	if (s->len - s->pos < n || memcmp(s->p + s->pos, w, n) != 0)
		return jsonv_scan_err(s, "unexpected character");
	s->pos += n;
	return 0;
}

static int jsonv_scan_value(struct jsonv_scan *, int);

static int
jsonv_scan_object(struct jsonv_scan *s, int depth)
{
	s->pos++;
	jsonv_scan_ws(s);
	if (s->pos < s->len && s->p[s->pos] == '}') {
		s->pos++;
		return 0;
	}
	for (;;) {
		jsonv_scan_ws(s);
		if (s->pos >= s->len || s->p[s->pos] != '"')
			return jsonv_scan_err(s, "member name expected");
		if (jsonv_scan_string(s, 1) == -1)
			return -1;
		s->members++;
		jsonv_scan_ws(s);
		if (s->pos >= s->len || s->p[s->pos] != ':')
			return jsonv_scan_err(s, "':' expected");
		s->pos++;
		if (jsonv_scan_value(s, depth) == -1)
			return -1;
		jsonv_scan_ws(s);
		if (s->pos < s->len && s->p[s->pos] == ',') {
			s->pos++;
			continue;
		}
		if (s->pos < s->len && s->p[s->pos] == '}') {
			s->pos++;
			return 0;
		}
		return jsonv_scan_err(s, "',' or '}' expected");
	}
}

static int
jsonv_scan_array(struct jsonv_scan *s, int depth)
{
	s->pos++;
	jsonv_scan_ws(s);
	if (s->pos < s->len && s->p[s->pos] == ']') {
		s->pos++;
		return 0;
	}
	for (;;) {
		if (jsonv_scan_value(s, depth) == -1)
			return -1;
		jsonv_scan_ws(s);
		if (s->pos < s->len && s->p[s->pos] == ',') {
			s->pos++;
			continue;
		}
		if (s->pos < s->len && s->p[s->pos] == ']') {
			s->pos++;
			return 0;
		}
		return jsonv_scan_err(s, "',' or ']' expected");
	}
}

/* `depth` is the number of containers already open around this value. */
static int
jsonv_scan_value(struct jsonv_scan *s, int depth)
{
	int c;

	jsonv_scan_ws(s);
	if (s->pos >= s->len)
		return jsonv_scan_err(s, "value expected");
	c = s->p[s->pos];
	if ((c == '{' || c == '[') && depth >= LIMIT_JSON_DEPTH)
		return jsonv_scan_err(s, "nested too deeply");
	switch (c) {
	case '{':
		return jsonv_scan_object(s, depth + 1);
	case '[':
		return jsonv_scan_array(s, depth + 1);
	case '"':
		return jsonv_scan_string(s, 0);
	case 't':
		return jsonv_scan_word(s, "true");
	case 'f':
		return jsonv_scan_word(s, "false");
	case 'n':
		return jsonv_scan_word(s, "null");
	default:
		if (c == '-' || (c >= '0' && c <= '9'))
			return jsonv_scan_number(s);
		return jsonv_scan_err(s, "unexpected character");
	}
}

/* Members in the tree; depth is bounded by the scanner. */
static size_t
jsonv_tree_members(json_object *o)
{
	struct json_object_iterator it, end;
	size_t n = 0, i, len;

	switch (json_object_get_type(o)) {
	case json_type_object:
		it = json_object_iter_begin(o);
		end = json_object_iter_end(o);
		while (!json_object_iter_equal(&it, &end)) {
			n += 1 + jsonv_tree_members(
			    json_object_iter_peek_value(&it));
			json_object_iter_next(&it);
		}
		break;
	case json_type_array:
		len = json_object_array_length(o);
		for (i = 0; i < len; i++)
			n += jsonv_tree_members(
			    json_object_array_get_idx(o, i));
		break;
	default:
		break;
	}
	return n;
}

enum err
jsonv_parse(const char *buf, size_t len, size_t max_bytes,
    struct jsonv_doc **docp, struct jsonv_error *e)
{
	struct jsonv_scan s;
	struct jsonv_doc *doc = NULL;
	json_tokener *tok = NULL;
	json_object *root = NULL;
	enum err rc = ERR_JSON;

	*docp = NULL;
	if (len > max_bytes) {
		jsonv_fail(e, NULL, "body of %zu bytes is over the limit of "
		    "%zu", len, max_bytes);
		rc = ERR_TOO_LARGE;
		goto out;
	}
	if (len > INT32_MAX) {
		jsonv_fail(e, NULL, "body too large");
		rc = ERR_TOO_LARGE;
		goto out;
	}
	memset(&s, 0, sizeof(s));
	s.p = (const unsigned char *)buf;
	s.len = len;
	s.e = e;
	jsonv_scan_ws(&s);
	if (s.pos >= s.len || s.p[s.pos] != '{') {
		jsonv_fail(e, NULL, "top level must be a JSON object");
		goto out;
	}
	if (jsonv_scan_value(&s, 0) == -1)
		goto out;
	jsonv_scan_ws(&s);
	if (s.pos != s.len) {
		jsonv_scan_err(&s, "trailing data after the object");
		goto out;
	}

	if ((tok = json_tokener_new_ex(LIMIT_JSON_DEPTH + 1)) == NULL) {
		jsonv_fail(e, NULL, "out of memory");
		rc = ERR_NOMEM;
		goto out;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
	    JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, buf, (int)len);
	if (root == NULL ||
	    json_tokener_get_error(tok) != json_tokener_success) {
		/* The scanner accepted it: json-c ran out of memory or
		 * disagrees; either way the body cannot be used. */
		jsonv_fail(e, NULL, "cannot parse: %s", json_tokener_error_desc(
		    json_tokener_get_error(tok)));
		goto out;
	}
	if (jsonv_tree_members(root) != s.members) {
		jsonv_fail(e, NULL, "duplicate member name in an object");
		goto out;
	}
	if ((doc = calloc(1, sizeof(*doc))) == NULL) {
		jsonv_fail(e, NULL, "out of memory");
		rc = ERR_NOMEM;
		goto out;
	}
	doc->root = root;
	root = NULL;
	*docp = doc;
	rc = ERR_OK;
out:
	json_object_put(root);
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}

json_object *
jsonv_root(const struct jsonv_doc *doc)
{
	return doc == NULL ? NULL : doc->root;
}

void
jsonv_free(struct jsonv_doc *doc)
{
	if (doc == NULL)
		return;
	json_object_put(doc->root);
	free(doc);
}

static const char *
jsonv_type_name(enum jsonv_type t)
{
	switch (t) {
	case JSONV_INT:
		return "an integer";
	case JSONV_NUMBER:
		return "a number";
	case JSONV_STRING:
		return "a string";
	case JSONV_BOOL:
		return "a boolean";
	case JSONV_OBJECT:
		return "an object";
	case JSONV_ARRAY:
		return "an array";
	}
	return "a valid value";
}

/*
 * The integer value of an int-typed node, or -1 if json-c may have clamped
 * it: json-c stores literals above INT64_MAX as uint64 (saturating at
 * UINT64_MAX) and saturates literals below INT64_MIN to INT64_MIN, so
 * INT64_MIN itself cannot be told from an overflow and is refused too.
 */
static int
jsonv_exact_int64(json_object *v, int64_t *out)
{
	int64_t i = json_object_get_int64(v);

	if (i == INT64_MIN)
		return -1;
	if (i == INT64_MAX && json_object_get_uint64(v) > (uint64_t)INT64_MAX)
		return -1;
	*out = i;
	return 0;
}

static int
jsonv_count_ok(const struct jsonv_field *f, int64_t n)
{
	if (n < f->min)
		return 0;
	return f->max == 0 || n <= f->max;
}

/* Check one value; `present` is false for a member that is not there at
 * all (json-c represents JSON null as NULL, so v alone cannot tell). */
static enum err
jsonv_check(json_object *v, int present, const struct jsonv_field *f,
    const char *path, struct jsonv_val *val, struct jsonv_error *e)
{
	enum json_type jt;
	int64_t i, maxlen;
	double d;
	size_t k;
	int len;

	memset(val, 0, sizeof(*val));
	if (path == NULL)
		path = "";
	jt = json_object_get_type(v);	/* json_type_null for NULL */
	if (present && jt == json_type_null &&
	    !(f->flags & JSONV_NULLABLE)) {
		jsonv_fail(e, path, "must be %s, not null",
		    jsonv_type_name(f->type));
		return ERR_FIELD;
	}
	if (jt == json_type_null) {
		if (f->flags & JSONV_REQUIRED) {
			jsonv_fail(e, path, "is required");
			return ERR_FIELD;
		}
		return ERR_OK;
	}
	val->j = v;
	switch (f->type) {
	case JSONV_INT:
		if (jt != json_type_int) {
			jsonv_fail(e, path, "must be an integer");
			return ERR_FIELD;
		}
		if (jsonv_exact_int64(v, &i) == -1 || i < f->min ||
		    i > f->max) {
			jsonv_fail(e, path, "must be between %lld and %lld",
			    (long long)f->min, (long long)f->max);
			return ERR_FIELD;
		}
		val->i = i;
		val->d = (double)i;
		break;
	case JSONV_NUMBER:
		if (jt == json_type_int) {
			if (jsonv_exact_int64(v, &i) == 0)
				d = (double)i;
			else if (json_object_get_int64(v) == INT64_MAX &&
			    json_object_get_uint64(v) < UINT64_MAX)
				d = (double)json_object_get_uint64(v);
			else {
				jsonv_fail(e, path, "number out of range");
				return ERR_FIELD;
			}
		} else if (jt == json_type_double)
			d = json_object_get_double(v);
		else {
			jsonv_fail(e, path, "must be a number");
			return ERR_FIELD;
		}
		if (!isfinite(d) || ((f->min != 0 || f->max != 0) &&
		    (d < (double)f->min || d > (double)f->max))) {
			jsonv_fail(e, path, "must be between %lld and %lld",
			    (long long)f->min, (long long)f->max);
			return ERR_FIELD;
		}
		val->d = d;
		break;
	case JSONV_STRING:
		if (jt != json_type_string) {
			jsonv_fail(e, path, "must be a string");
			return ERR_FIELD;
		}
		len = json_object_get_string_len(v);
		val->s = json_object_get_string(v);
		if (len < 0 || val->s == NULL ||
		    memchr(val->s, '\0', (size_t)len) != NULL) {
			jsonv_fail(e, path, "must not contain NUL");
			return ERR_FIELD;
		}
		maxlen = f->max == 0 ? LIMIT_JSON_STRING : f->max;
		if (len < f->min || len > maxlen) {
			jsonv_fail(e, path, "length must be between %lld and "
			    "%lld bytes", (long long)f->min, (long long)maxlen);
			return ERR_FIELD;
		}
		val->len = (size_t)len;
		if (f->allowed != NULL) {
			for (k = 0; f->allowed[k] != NULL; k++)
				if (strlen(f->allowed[k]) == val->len &&
				    memcmp(f->allowed[k], val->s,
				    val->len) == 0)
					break;
			if (f->allowed[k] == NULL) {
				jsonv_fail(e, path, "is not an allowed value");
				return ERR_FIELD;
			}
		}
		break;
	case JSONV_BOOL:
		if (jt != json_type_boolean) {
			jsonv_fail(e, path, "must be true or false");
			return ERR_FIELD;
		}
		val->b = json_object_get_boolean(v) != 0;
		break;
	case JSONV_OBJECT:
		if (jt != json_type_object) {
			jsonv_fail(e, path, "must be an object");
			return ERR_FIELD;
		}
		val->len = (size_t)json_object_object_length(v);
		if (!jsonv_count_ok(f, (int64_t)val->len)) {
			jsonv_fail(e, path, "must have between %lld and %lld "
			    "members", (long long)f->min, (long long)f->max);
			return ERR_FIELD;
		}
		break;
	case JSONV_ARRAY:
		if (jt != json_type_array) {
			jsonv_fail(e, path, "must be an array");
			return ERR_FIELD;
		}
		val->len = json_object_array_length(v);
		if (!jsonv_count_ok(f, (int64_t)val->len)) {
			jsonv_fail(e, path, "must have between %lld and %lld "
			    "elements", (long long)f->min, (long long)f->max);
			return ERR_FIELD;
		}
		break;
	default:
		jsonv_fail(e, path, "has no valid type in the field table");
		return ERR_INTERNAL;
	}
	val->present = true;
	return ERR_OK;
}

enum err
jsonv_value(json_object *v, const struct jsonv_field *f, const char *path,
    struct jsonv_val *val, struct jsonv_error *e)
{
	return jsonv_check(v, 1, f, path, val, e);
}

/* "prefix.name" into buf, or just name.  An empty member name is shown
 * as "" so that an error about it still names something. */
static const char *
jsonv_path(char *buf, size_t sz, const char *prefix, const char *name)
{
	if (*name == '\0')
		name = "\"\"";
	if (prefix == NULL || *prefix == '\0')
		snprintf(buf, sz, "%s", name);
	else
		snprintf(buf, sz, "%s.%s", prefix, name);
	return buf;
}

enum err
jsonv_object(json_object *obj, const struct jsonv_field *fields, size_t n,
    enum jsonv_policy policy, const char *path, struct jsonv_val *vals,
    struct jsonv_error *e)
{
	struct json_object_iterator it, end;
	char fp[JSONV_FIELD_MAX];
	const char *name;
	json_object *v;
	enum err rc;
	size_t k;
	int present;

	for (k = 0; k < n; k++)
		memset(&vals[k], 0, sizeof(vals[k]));
	if (obj == NULL || json_object_get_type(obj) != json_type_object) {
		jsonv_fail(e, path, "must be an object");
		return ERR_FIELD;
	}
	if (policy == JSONV_REJECT_UNKNOWN) {
		it = json_object_iter_begin(obj);
		end = json_object_iter_end(obj);
		for (; !json_object_iter_equal(&it, &end);
		    json_object_iter_next(&it)) {
			name = json_object_iter_peek_name(&it);
			for (k = 0; k < n; k++)
				if (strcmp(fields[k].name, name) == 0)
					break;
			if (k == n) {
				jsonv_fail(e, jsonv_path(fp, sizeof(fp), path,
				    name), "is not a known field");
				return ERR_FIELD;
			}
		}
	}
	for (k = 0; k < n; k++) {
		v = NULL;
		present = json_object_object_get_ex(obj, fields[k].name, &v);
		rc = jsonv_check(v, present, &fields[k], jsonv_path(fp,
		    sizeof(fp), path, fields[k].name), &vals[k], e);
		if (rc != ERR_OK)
			return rc;
	}
	return ERR_OK;
}

enum err
jsonv_request(const char *buf, size_t len, size_t max_bytes,
    const struct jsonv_field *fields, size_t n, enum jsonv_policy policy,
    struct jsonv_doc **docp, struct jsonv_val *vals, struct jsonv_error *e)
{
	enum err rc;

	if ((rc = jsonv_parse(buf, len, max_bytes, docp, e)) != ERR_OK)
		return rc;
	rc = jsonv_object(jsonv_root(*docp), fields, n, policy, NULL, vals, e);
	if (rc != ERR_OK) {
		jsonv_free(*docp);
		*docp = NULL;
	}
	return rc;
}
