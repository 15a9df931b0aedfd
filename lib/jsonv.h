/*
 * jsonv.h: strict validation of JSON request bodies over json-c.
 *
 * A handler describes the object it accepts as a table of struct
 * jsonv_field indexed by its own enum, calls jsonv_request() (or
 * jsonv_parse() then jsonv_object()) and reads typed values out of a
 * parallel array of struct jsonv_val; it never touches json-c for flat
 * bodies:
 *
 *	enum { F_SEQ, F_MIME, F__N };
 *	static const struct jsonv_field fields[F__N] = {
 *		[F_SEQ]  = { "seq", JSONV_INT, JSONV_REQUIRED, 0, 99999 },
 *		[F_MIME] = { "mimeType", JSONV_STRING, 0, 1, 64, mimes },
 *	};
 *	struct jsonv_val v[F__N];
 *	struct jsonv_doc *doc = NULL;
 *	struct jsonv_error e;
 *	rc = jsonv_request(body, len, LIMIT_BODY_MAX, fields, F__N,
 *	    JSONV_REJECT_UNKNOWN, &doc, v, &e);
 *	... v[F_SEQ].i, v[F_MIME].present ? v[F_MIME].s : "audio/webm" ...
 *	jsonv_free(doc);
 *
 * Parsing refuses: more than max_bytes (ERR_TOO_LARGE), NUL bytes, invalid
 * UTF-8, nesting deeper than LIMIT_JSON_DEPTH, anything but one object at
 * the top level, trailing non-blank bytes, and duplicate member names at
 * any depth (json-c silently keeps the last one, so jsonv_parse() counts
 * members in the text and in the tree and refuses a difference).  Those are
 * ERR_JSON.  A field that is missing, of the wrong type, out of range, too
 * long or short, not among the allowed values, or unknown under
 * JSONV_REJECT_UNKNOWN is ERR_FIELD, and the error names the field.
 *
 * Types: JSONV_INT accepts only a JSON integer literal that fits int64_t
 * (1.5, 1.0, 1e3, "1", true, 9223372036854775808 are refused).  JSONV_NUMBER
 * accepts any JSON number as a double.  JSONV_STRING refuses embedded NUL
 * (\u0000).  null is refused unless the field is JSONV_NULLABLE, in which
 * case it counts as absent.
 */
#ifndef JSONV_H
#define JSONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "err.h"

enum jsonv_type {
	JSONV_INT = 1,	/* int64_t in [min, max] (always checked) */
	JSONV_NUMBER,	/* double in [min, max] unless min == max == 0 */
	JSONV_STRING,	/* length in bytes in [min, max]; max 0 means
			   LIMIT_JSON_STRING; optionally one of `allowed` */
	JSONV_BOOL,
	JSONV_OBJECT,	/* member count in [min, max]; max 0: unbounded */
	JSONV_ARRAY,	/* element count in [min, max]; max 0: unbounded */
};

/* jsonv_field.flags */
#define JSONV_REQUIRED	0x01
#define JSONV_NULLABLE	0x02	/* null accepted and treated as absent */

struct jsonv_field {
	const char		*name;
	enum jsonv_type		 type;
	unsigned int		 flags;
	int64_t			 min;
	int64_t			 max;
	const char *const	*allowed; /* JSONV_STRING: NULL-terminated list
					     of accepted values; NULL: any */
};

/* The value of one field after a successful jsonv_object().  Pointers
 * point into the document and live until jsonv_free(). */
struct jsonv_val {
	bool		 present;
	int64_t		 i;	/* JSONV_INT */
	double		 d;	/* JSONV_NUMBER (also set for JSONV_INT) */
	bool		 b;	/* JSONV_BOOL */
	const char	*s;	/* JSONV_STRING: NUL-terminated */
	size_t		 len;	/* JSONV_STRING: bytes; OBJECT/ARRAY: count */
	json_object	*j;	/* the node itself (any type); borrowed */
};

#define JSONV_FIELD_MAX		128
#define JSONV_MESSAGE_MAX	320

struct jsonv_error {
	/* Path of the offending field ("seq", "meta.codec", "items[3]");
	 * empty when the body itself is malformed.  A client-sent name is
	 * copied with non-printable bytes replaced by '?' and cut to fit. */
	char	field[JSONV_FIELD_MAX];
	char	message[JSONV_MESSAGE_MAX];	/* human, one line, naming the field */
};

enum jsonv_policy {
	JSONV_REJECT_UNKNOWN = 0,
	JSONV_IGNORE_UNKNOWN,
};

struct jsonv_doc;

/*
 * Parse buf[0..len) (need not be NUL-terminated) into *docp.  Returns
 * ERR_OK, ERR_TOO_LARGE (len > max_bytes), ERR_JSON (see above) or
 * ERR_NOMEM, filling *e on failure.  The caller frees *docp with
 * jsonv_free(); on failure *docp is NULL.
 */
enum err	jsonv_parse(const char *buf, size_t len, size_t max_bytes,
		    struct jsonv_doc **docp, struct jsonv_error *e);

/* The top-level object of a parsed document (borrowed). */
json_object	*jsonv_root(const struct jsonv_doc *);

/* Release a document; NULL is a no-op. */
void		 jsonv_free(struct jsonv_doc *);

/*
 * Check the object `obj` against fields[0..n) under `policy` and fill
 * vals[0..n).  `path` prefixes field names in errors (NULL or "" at top
 * level; "meta" gives "meta.codec").  Returns ERR_OK or ERR_FIELD with *e
 * naming the field; ERR_FIELD too if obj is not an object.
 */
enum err	jsonv_object(json_object *obj, const struct jsonv_field *fields,
		    size_t n, enum jsonv_policy policy, const char *path,
		    struct jsonv_val *vals, struct jsonv_error *e);

/*
 * Check one value (e.g. an array element) against one field description;
 * the field's name is not used, `path` names it in errors.  A NULL `v` is
 * JSON null (json-c's representation of it): refused unless the field is
 * JSONV_NULLABLE and not JSONV_REQUIRED.  Returns ERR_OK or ERR_FIELD.
 */
enum err	jsonv_value(json_object *v, const struct jsonv_field *f,
		    const char *path, struct jsonv_val *val,
		    struct jsonv_error *e);

/* jsonv_parse() then jsonv_object() on the root, with an empty path.  On
 * failure *docp is NULL (nothing to free). */
enum err	jsonv_request(const char *buf, size_t len, size_t max_bytes,
		    const struct jsonv_field *fields, size_t n,
		    enum jsonv_policy policy, struct jsonv_doc **docp,
		    struct jsonv_val *vals, struct jsonv_error *e);

#endif /* JSONV_H */
