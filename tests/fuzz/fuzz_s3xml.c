/*
 * fuzz_s3xml.c: libFuzzer target for lib/storage/s3xml.c.
 *
 * The input as a ListObjectsV2, a DeleteObjects, a CreateMultipartUpload,
 * a CompleteMultipartUpload and a ListMultipartUploads answer.
 * Whatever a list page yields must be within the bounds the deleter relies
 * on (at most LIMIT_S3_DELETE_BATCH non-empty keys without control
 * characters; sizes and times -1 or not negative, ETags bounded), and
 * writing a delete body for those keys must work; an UploadId read must be
 * printable ASCII without spaces, and so must each UploadId a
 * ListMultipartUploads page yields, beside a key as a list page's.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "s3xml.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	struct s3xml_list l;
	struct s3xml_uploads u;
	char code[64], *body = NULL, id[S3XML_UPLOAD_ID_MAX + 1], etag[160];
	size_t errors, i, j, n, blen;

	if (s3xml_list_parse(in, size, &l) == ERR_OK) {
		if (l.nkeys > LIMIT_S3_DELETE_BATCH)
			abort();
		for (i = 0; i < l.nkeys; i++) {
			n = strlen(l.keys[i]);

			if (n == 0 || n > LIMIT_S3_KEY_BYTES)
				abort();
			for (j = 0; j < n; j++)
				if ((unsigned char)l.keys[i][j] < 0x20)
					abort();
			/* What the sweep reads: -1 or a real value. */
			if (l.sizes[i] < -1 || l.modified_ms[i] < -1 ||
			    strlen(l.etags[i]) > S3XML_ETAG_MAX)
				abort();
		}
		if (l.nkeys > 0) {
			if (s3xml_delete_body(l.keys, l.nkeys, &body, &blen) !=
			    ERR_OK || strlen(body) != blen)
				abort();
			free(body);
		}
		s3xml_list_free(&l);
	}
	(void)s3xml_delete_result(in, size, &errors, code, sizeof(code));
	if (s3xml_upload_id(in, size, id, sizeof(id)) == ERR_OK) {
		n = strlen(id);
		if (n == 0 || n > S3XML_UPLOAD_ID_MAX)
			abort();
		for (j = 0; j < n; j++)
			if (id[j] <= ' ' || id[j] > '~')
				abort();
	}
	(void)s3xml_complete_result(in, size, etag, sizeof(etag), code,
	    sizeof(code));
	if (s3xml_uploads_parse(in, size, &u) == ERR_OK) {
		if (u.n > S3XML_UPLOADS_MAX)
			abort();
		for (i = 0; i < u.n; i++) {
			n = strlen(u.u[i].key);
			if (n == 0 || n > LIMIT_S3_KEY_BYTES)
				abort();
			n = strlen(u.u[i].upload_id);
			if (n == 0 || n > S3XML_UPLOAD_ID_MAX)
				abort();
			for (j = 0; j < n; j++)
				if (u.u[i].upload_id[j] <= ' ' ||
				    u.u[i].upload_id[j] > '~')
					abort();
		}
		s3xml_uploads_free(&u);
	}
	return 0;
}
