/*
 * clock.h - wall-clock and monotonic time, and RFC 3339 timestamps.
 *
 * Times that are stored or sent (a call raised, a page sent) are wall-clock
 * milliseconds since the Unix epoch, UTC.  Durations inside one process
 * (timeouts, rate limits, backoff) use the monotonic clock.
 */
#ifndef HAVEN_CLOCK_H
#define HAVEN_CLOCK_H

#include <stdint.h>

/* "2026-11-21T14:03:07.412Z" plus the terminating NUL. */
#define HV_TS_LEN 25

int64_t clock_now_ms(void);   /* wall clock, ms since the epoch (UTC) */
int64_t clock_mono_ms(void);  /* monotonic, ms since an arbitrary point */

/* Writes ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into out (HV_TS_LEN bytes). */
void clock_format_rfc3339(int64_t ms, char out[HV_TS_LEN]);

/*
 * Parses an RFC 3339 timestamp ("2026-11-21T14:03:07.412Z", any fraction,
 * "Z" or "+hh:mm") or a plain date ("2026-11-21", midnight UTC) into *ms.
 * Returns 0, or HV_EPARSE.
 */
int clock_parse_rfc3339(const char *text, int64_t *ms);

#endif
