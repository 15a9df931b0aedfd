/*
 * s3xml.h: the little XML that deleting a session from S3 needs.
 *
 * Deleting a session lists its prefix with ListObjectsV2 and removes the
 * keys with DeleteObjects, both XML APIs.  This module reads the two
 * answers and writes the one request body, without an XML library: S3's
 * answers are flat and only a few elements matter.  Parsing is bounded
 * (keys per page, key length, token length) and refuses what it cannot
 * read rather than guess, so a broken or hostile answer stops the deletion
 * with an error (retried later) instead of deleting the wrong thing.
 * No I/O.
 */
#ifndef S3XML_H
#define S3XML_H

#include <stddef.h>

#include "err.h"
#include "limit.h"

#define S3XML_TOKEN_MAX		1024	/* NextContinuationToken, decoded */

/* One page of ListObjectsV2. */
struct s3xml_list {
	char	**keys;		/* nkeys decoded keys, each malloc'd */
	size_t	  nkeys;
	int	  truncated;	/* IsTruncated was true */
	char	  next_token[S3XML_TOKEN_MAX + 1];	/* "" if none */
};

/*
 * Parse a ListObjectsV2 answer: every <Contents><Key> (entities decoded),
 * <IsTruncated> and <NextContinuationToken>.  ERR_OK with *out filled
 * (free with s3xml_list_free()); ERR_INVAL when the body is not a
 * ListBucketResult, an element is unterminated, a key is empty, over
 * LIMIT_S3_KEY_BYTES or holds a control character, there are more than
 * LIMIT_S3_DELETE_BATCH keys, or a truncated page has no token; ERR_NOMEM.
 */
enum err	s3xml_list_parse(const char *buf, size_t len,
		    struct s3xml_list *out);
void		s3xml_list_free(struct s3xml_list *);

/*
 * Build a DeleteObjects body for keys[0..n) (1..LIMIT_S3_DELETE_BATCH),
 * Quiet mode (S3 then lists only the failures).  *out is malloc'd,
 * NUL-terminated, *len its length.  ERR_INVAL for n out of range, ERR_NOMEM.
 */
enum err	s3xml_delete_body(char *const *keys, size_t n, char **out,
		    size_t *len);

/*
 * Read a DeleteObjects answer: *errors is the number of <Error> entries
 * (keys S3 did not delete) and code (codesz bytes) the first one's
 * <Code>, "" if none.  ERR_INVAL when the body is not a DeleteResult.
 */
enum err	s3xml_delete_result(const char *buf, size_t len, size_t *errors,
		    char *code, size_t codesz);

#endif /* S3XML_H */
