/*
 * hex.h: the value of one hexadecimal digit.
 *
 * Hex digits come from outside in many places (JSON \u escapes, XML
 * character references, percent-encoded URIs, PostgreSQL's bytea text,
 * S3 ETags); one definition, so none of them drifts on case or range.
 */
#ifndef HEX_H
#define HEX_H

/* 0-15 for '0'-'9', 'a'-'f' and 'A'-'F'; -1 for any other byte. */
static inline int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#endif /* HEX_H */
