/*
 * s3xml.h: the little XML that deleting a session from S3, multipart
 * uploads and sweeping the bucket for orphans need.
 *
 * Deleting a session lists its prefix with ListObjectsV2 and removes the
 * keys with DeleteObjects; the orphan sweep lists users/ the same way and
 * also reads each object's size, time and ETag; a chunk over the
 * single-PUT limit goes through CreateMultipartUpload and
 * CompleteMultipartUpload.  All are XML APIs.  This module reads their
 * answers and writes the two request bodies, without an XML library: S3's
 * answers are flat and only a few elements matter.  Parsing is bounded
 * (keys per page, key length, token length) and refuses what it cannot
 * read rather than guess, so a broken or hostile answer stops the deletion
 * with an error (retried later) instead of deleting the wrong thing.
 * No I/O.
 */
#ifndef S3XML_H
#define S3XML_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "limit.h"

#define S3XML_TOKEN_MAX		1024	/* NextContinuationToken, decoded */
#define S3XML_PARTS_MAX		10000	/* S3's parts per multipart upload */
#define S3XML_ETAG_MAX		127	/* an ETag, quotes included */

/* One page of ListObjectsV2.  For key i, sizes[i] is its <Size>,
 * modified_ms[i] its <LastModified> in epoch milliseconds (-1 each when
 * the answer has none) and etags[i] its <ETag> as S3 writes it, quotes
 * included ("" if none). */
struct s3xml_list {
	char	**keys;		/* nkeys decoded keys, each malloc'd */
	size_t	  nkeys;
	int64_t	 *sizes;
	int64_t	 *modified_ms;
	char	(*etags)[S3XML_ETAG_MAX + 1];
	int	  truncated;	/* IsTruncated was true */
	char	  next_token[S3XML_TOKEN_MAX + 1];	/* "" if none */
};

/*
 * Parse a ListObjectsV2 answer: every <Contents><Key> (entities
 * decoded) with its optional <Size>, <LastModified>
 * (YYYY-MM-DDTHH:MM:SS[.fff]Z) and <ETag>, <IsTruncated> and
 * <NextContinuationToken>.  ERR_OK with *out filled (free with
 * s3xml_list_free()); ERR_INVAL when the body is not a ListBucketResult,
 * an element is unterminated, a key is empty, over LIMIT_S3_KEY_BYTES or
 * holds a control character, a Size is not a number, a LastModified not
 * that time, an ETag over S3XML_ETAG_MAX bytes, there are more than
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

/* An UploadId as S3 answers it (AWS's are about 100 bytes; this bound is
 * ours): printable ASCII, no space. */
#define S3XML_UPLOAD_ID_MAX	1024

/*
 * Read a CreateMultipartUpload answer (InitiateMultipartUploadResult): its
 * <UploadId> into id (cap bytes with the NUL).  ERR_INVAL when the body is
 * not that result, the id is empty, longer than cap - 1 or
 * S3XML_UPLOAD_ID_MAX, or holds a byte outside '!'..'~'.
 */
enum err	s3xml_upload_id(const char *buf, size_t len, char *id,
		    size_t cap);

/* One page of ListMultipartUploads: each upload's key and UploadId. */
#define S3XML_UPLOADS_MAX	1000	/* S3's max-uploads */
struct s3xml_upload {
	char	*key;		/* decoded, malloc'd */
	char	*upload_id;	/* malloc'd */
};
struct s3xml_uploads {
	struct s3xml_upload *u;
	size_t	  n;
	int	  truncated;	/* IsTruncated was true: more to list */
};

/*
 * Parse a ListMultipartUploads answer (ListMultipartUploadsResult): every
 * <Upload> with its <Key> (entities decoded) and <UploadId>, and
 * <IsTruncated>.  ERR_OK with *out filled (free with
 * s3xml_uploads_free()); ERR_INVAL when the body is not that result, an
 * element is unterminated, an upload lacks its key or id, a key is over
 * LIMIT_S3_KEY_BYTES, an id is not one s3xml_upload_id() would take, or
 * there are over S3XML_UPLOADS_MAX uploads; ERR_NOMEM.
 */
enum err	s3xml_uploads_parse(const char *buf, size_t len,
		    struct s3xml_uploads *out);
void		s3xml_uploads_free(struct s3xml_uploads *);

/* One part of a CompleteMultipartUpload body. */
struct s3xml_part {
	int		 number;	/* 1..S3XML_PARTS_MAX */
	const char	*etag;		/* as UploadPart answered it */
	/* base64 SHA-256 of the part (ChecksumSHA256, for an upload created
	 * with x-amz-checksum-algorithm: SHA256), or NULL */
	const char	*checksum_sha256;
};

/*
 * Build a CompleteMultipartUpload body for parts[0..n) (1..10,000, in the
 * caller's order; S3 wants them ascending).  ETags are written with their
 * quotes, as S3 answered them, XML-escaped.  *out is malloc'd,
 * NUL-terminated, *len its length.  ERR_INVAL for n out of range or a
 * NULL/empty ETag, ERR_NOMEM.
 */
enum err	s3xml_complete_body(const struct s3xml_part *parts, size_t n,
		    char **out, size_t *len);

/*
 * Read a CompleteMultipartUpload answer.  S3 may answer 200 and still
 * fail, with an <Error> body (the failure comes after the headers were
 * sent), so both are read: a CompleteMultipartUploadResult gives ERR_OK,
 * its <ETag> in etag (cap bytes; "" if absent) and code ""; an <Error>
 * gives ERR_OK with its <Code> in code (codesz bytes, "Error" if it has
 * none).  ERR_INVAL when the body is neither.
 */
enum err	s3xml_complete_result(const char *buf, size_t len, char *etag,
		    size_t cap, char *code, size_t codesz);

#endif /* S3XML_H */
