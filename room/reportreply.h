/*
 * reportreply.h - the controller's answer to a nurse station's report
 * request (issue 13; the shapes are in station/report.h and docs/protocol.md,
 * "The response-time report"): the reply JSON from the call log, and the
 * limit of one request a second per station login.  MQTT-free; time is
 * passed in.
 */
#ifndef HAVEN_REPORTREPLY_H
#define HAVEN_REPORTREPLY_H

#include "calllog.h"
#include "contract.h"

#include <stdbool.h>
#include <stdint.h>

#define REPORT_LOGINS_MAX 64        /* logins remembered by the limiter (the oldest is forgotten) */
#define REPORT_MIN_INTERVAL_MS 1000 /* one request per login per second */

struct report_limiter {
    struct {
        char login[HV_LOGIN_MAX];
        int64_t last_ms;            /* monotonic */
    } e[REPORT_LOGINS_MAX];
};

/* True if login may have a report now (and counts this one); false: drop it. */
bool report_admit(struct report_limiter *l, const char *login, int64_t mono_ms);

/*
 * The reply to rq from the call log (malloc'd JSON of at most HV_PAYLOAD_MAX
 * bytes), or NULL (out of memory, or the call log failed: logged).  Rows that
 * would not fit are left out and the reply says "truncated":true.  now_ms
 * (wall clock) is "generated".
 */
char *report_reply_json(calllog *log, const struct msg_report_request *rq,
                        const char *controller_id, int64_t now_ms);

#endif
