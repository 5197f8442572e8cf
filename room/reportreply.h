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

/*
 * The report is computed off the controller's loop: over a year of calls the
 * query takes about half a second (300,000 calls: 514-601 ms on the 2-core
 * build machine), and a page must not wait for it.  A worker thread with its own read-only connection to the
 * call log answers the requests in order; the loop submits them and takes
 * the finished replies (and publishes them itself).
 */
#define REPORT_QUEUE_MAX 8          /* requests waiting or being answered */

typedef struct report_worker report_worker;

/* A worker over the call log at db_path for controller_id.  NULL on failure (logged). */
report_worker *report_worker_new(const char *db_path, const char *controller_id);
/* Stops the worker (after the request it is answering, if any) and frees it. */
void report_worker_free(report_worker *w);

/* Queues rq from login.  Returns 0, or HV_ESTATE when REPORT_QUEUE_MAX are pending. */
int report_worker_submit(report_worker *w, const struct msg_report_request *rq,
                         const char *login);

/*
 * A finished reply (malloc'd JSON, or NULL when the query failed: *failed is
 * then true) with the login it is for and its request's id; returns false
 * when none is finished.
 */
struct report_done {
    char login[HV_LOGIN_MAX];
    char id[HV_ID_MAX];
    char *json;                     /* the caller frees it */
    int64_t ms;                     /* how long the query and encoding took */
};
bool report_worker_take(report_worker *w, struct report_done *out);

/* True while a request is queued or being answered (the loop then polls often). */
bool report_worker_pending(report_worker *w);

#endif
