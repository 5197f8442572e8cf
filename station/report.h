/*
 * report.h - the response-time report, as the station asks the controller
 * for it and hands it to the charge nurse (docs/protocol.md, "The
 * response-time report").  MQTT- and HTTP-free.
 *
 * Request (station -> P/report/C/request/<station login>, not retained):
 *   {"id":"r-<16 hex>","since":"<RFC 3339>","until":"<RFC 3339>",
 *    "day_starts":"07:00","night_starts":"19:00",
 *    "target_s":{"urgent":60,"assist":180,"routine":600}}
 * Reply (controller C -> P/report/C/reply/<station login>, not retained):
 *   {"id":"r-..","controller":"room-1","generated":"<RFC 3339>",
 *    "since":..,"until":..,"rows":[
 *      {"room":"chair-1","priority":"assist","shift":"day|night","calls":5,
 *       "acknowledged":4,"cleared":5,
 *       "ack_p50_s":42.1,"ack_p90_s":80.0,"ack_max_s":95.2,      (null when none)
 *       "clear_p50_s":..,"clear_p90_s":..,"clear_max_s":..,
 *       "within_target_pct":75.0}, ...]}
 */
#ifndef HAVEN_STATION_REPORT_H
#define HAVEN_STATION_REPORT_H

#include <stddef.h>
#include <stdint.h>

struct report_params {
    int64_t since_ms, until_ms;
    int day_starts_min, night_starts_min;   /* minutes after local midnight */
    int target_s[3];                        /* by enum priority: routine, assist, urgent */
};

/* The request JSON for id (malloc'd), or NULL. */
char *report_request_json(const char *id, const struct report_params *p);

/*
 * Checks a reply: a JSON object with the id asked for and well-formed rows
 * (at most 10,000).  Returns 0, or HV_EINVAL.
 */
int report_reply_check(const char *json, size_t len, const char *want_id);

/* The reply as CSV (malloc'd): a header line, then one line per row. NULL on bad input. */
char *report_reply_csv(const char *json, size_t len);

#endif
