/*
 * jsonv.c: strict validation of JSON request bodies over json-c.
 *
 * The text is parsed by jsonparse_object(), the project's one strict JSON
 * entry point (RFC 8259 only, no duplicate names, depth and size bounded);
 * the field checks here then work on the tree and name the field they
 * refuse.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/json_object_iterator.h>

#include "jsonparse.h"
#include "jsonv.h"
#include "limit.h"

struct jsonv_doc {
	json_object	*root;
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

enum err
jsonv_parse(const char *buf, size_t len, size_t max_bytes,
    struct jsonv_doc **docp, struct jsonv_error *e)
{
	struct jsonv_doc *doc = NULL;
	json_object *root = NULL;
	char why[JSONV_MESSAGE_MAX];
	enum err rc;

	*docp = NULL;
	if ((rc = jsonparse_object(buf, len, max_bytes, &root, why,
	    sizeof(why))) != ERR_OK) {
		jsonv_fail(e, NULL, "%s", why);
		return rc;
	}
	if ((doc = calloc(1, sizeof(*doc))) == NULL) {
		json_object_put(root);
		jsonv_fail(e, NULL, "out of memory");
		return ERR_NOMEM;
	}
	doc->root = root;
	*docp = doc;
	return ERR_OK;
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
/* JSONV_NUMBER: any JSON number as a finite double within the bounds. */
static enum err
jsonv_check_number(json_object *v, enum json_type jt,
    const struct jsonv_field *f, const char *path, struct jsonv_val *val,
    struct jsonv_error *e)
{
	int64_t i;
	double d;

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
	return ERR_OK;
}

/* JSONV_STRING: no NUL, length within the bounds, one of f->allowed. */
static enum err
jsonv_check_string(json_object *v, enum json_type jt,
    const struct jsonv_field *f, const char *path, struct jsonv_val *val,
    struct jsonv_error *e)
{
	int64_t maxlen;
	size_t k;
	int len;

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
	if (f->allowed == NULL)
		return ERR_OK;
	for (k = 0; f->allowed[k] != NULL; k++)
		if (strlen(f->allowed[k]) == val->len &&
		    memcmp(f->allowed[k], val->s, val->len) == 0)
			return ERR_OK;
	jsonv_fail(e, path, "is not an allowed value");
	return ERR_FIELD;
}

static enum err
jsonv_check(json_object *v, int present, const struct jsonv_field *f,
    const char *path, struct jsonv_val *val, struct jsonv_error *e)
{
	enum json_type jt;
	int64_t i;

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
		if (jsonv_check_number(v, jt, f, path, val, e) != ERR_OK)
			return ERR_FIELD;
		break;
	case JSONV_STRING:
		if (jsonv_check_string(v, jt, f, path, val, e) != ERR_OK)
			return ERR_FIELD;
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

/* "prefix.name" into buf, or just name (itself, not a copy: a request's
 * every field is checked with its path, and jsonv_fail() cuts a long one
 * as the copy did).  An empty member name is shown as "" so that an error
 * about it still names something. */
static const char *
jsonv_path(char *buf, size_t sz, const char *prefix, const char *name)
{
	if (*name == '\0')
		name = "\"\"";
	if (prefix == NULL || *prefix == '\0')
		return name;
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
