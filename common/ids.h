/*
 * ids.h - identifiers unique across restarts and machines.
 *
 * An id is "<prefix>-<ms since epoch, base 36>-<64 random bits, base 36>",
 * e.g. "call-mhx3k1a2-1k9z0c7q2x8f": sortable by time, never reused after a
 * restart (the time part moves on, and 64 bits of getrandom() make two
 * processes in the same millisecond collide with negligible probability).
 */
#ifndef HAVEN_IDS_H
#define HAVEN_IDS_H

#include <stddef.h>

#define HV_ID_MAX 64   /* longest id Haven accepts, including the NUL */

/* Writes a new id with the given prefix (at most 16 chars) into out. Returns 0 or HV_EINVAL. */
int ids_new(const char *prefix, char *out, size_t outlen);

/*
 * True if text is an acceptable id from outside: 1..63 bytes of
 * [A-Za-z0-9._:-].  Ids go into topics' payloads, logs and the call log,
 * so anything else is refused rather than escaped.
 */
int ids_valid(const char *text);

#endif
