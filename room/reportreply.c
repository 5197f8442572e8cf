/* reportreply.c - see reportreply.h. */
#include "reportreply.h"
#include "clock.h"
#include "err.h"
#include "log.h"
#include "mqtt.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool report_admit(struct report_limiter *l, const char *login, int64_t mono_ms)
{
    int victim = -1;   /* a free slot, else the one used longest ago */

    for (int i = 0; i < REPORT_LOGINS_MAX; i++) {
        bool used = l->e[i].login[0] != '\0';
        if (used && strcmp(l->e[i].login, login) == 0) {
            if (mono_ms - l->e[i].last_ms < REPORT_MIN_INTERVAL_MS)
                return false;
            l->e[i].last_ms = mono_ms;
            return true;
        }
        if (victim < 0 || (!used && l->e[victim].login[0]) ||
            (used && l->e[victim].login[0] && l->e[i].last_ms < l->e[victim].last_ms))
            victim = i;
    }
    snprintf(l->e[victim].login, sizeof l->e[victim].login, "%s", login);
    l->e[victim].last_ms = mono_ms;
    return true;
}

/* Seconds to one decimal, or null for none (-1). */
static void add_seconds(cJSON *o, const char *key, double s)
{
    if (s < 0)
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, round(s * 10) / 10);
}

static void add_time(cJSON *o, const char *key, int64_t ms)
{
    char ts[HV_TS_LEN];

    clock_format_rfc3339(ms, ts);
    cJSON_AddStringToObject(o, key, ts);
}

static cJSON *row_json(const struct report_cell *c)
{
    cJSON *r = cJSON_CreateObject();

    if (!r)
        return NULL;
    cJSON_AddStringToObject(r, "room", c->room);
    cJSON_AddStringToObject(r, "priority", priority_name(c->priority));
    cJSON_AddStringToObject(r, "shift", c->night ? "night" : "day");
    cJSON_AddNumberToObject(r, "calls", c->calls);
    cJSON_AddNumberToObject(r, "acknowledged", c->acknowledged);
    cJSON_AddNumberToObject(r, "cleared", c->cleared);
    add_seconds(r, "ack_p50_s", c->ack_p50_s);
    add_seconds(r, "ack_p90_s", c->ack_p90_s);
    add_seconds(r, "ack_max_s", c->ack_max_s);
    add_seconds(r, "clear_p50_s", c->clear_p50_s);
    add_seconds(r, "clear_p90_s", c->clear_p90_s);
    add_seconds(r, "clear_max_s", c->clear_max_s);
    cJSON_AddNumberToObject(r, "within_target_pct",
                            round(1000.0 * c->within / c->calls) / 10);
    return r;
}

/* Printed length of item, or 0 when out of memory. */
static size_t printed_len(const cJSON *item)
{
    char *text = cJSON_PrintUnformatted(item);
    size_t n = text ? strlen(text) : 0;

    free(text);
    return n;
}

/*
 * Adds the rows to arr while the whole reply stays within HV_PAYLOAD_MAX;
 * used is the envelope's length.  Returns false when rows were left out.
 */
static bool add_rows(cJSON *arr, const struct report_cell *cells, int n, size_t used)
{
    for (int i = 0; i < n; i++) {
        cJSON *r = row_json(&cells[i]);
        size_t len = r ? printed_len(r) + 1 : 0;   /* + the comma */
        if (!len || used + len > HV_PAYLOAD_MAX) {
            cJSON_Delete(r);
            return false;
        }
        used += len;
        cJSON_AddItemToArray(arr, r);
    }
    return true;
}

char *report_reply_json(calllog *log, const struct msg_report_request *rq,
                        const char *controller_id, int64_t now_ms)
{
    struct report_query q = {
        .since_ms = rq->since_ms, .until_ms = rq->until_ms,
        .day_starts_min = rq->day_starts_min, .night_starts_min = rq->night_starts_min,
    };
    struct report_cell *cells = NULL;
    cJSON *o, *arr;
    char *text = NULL;
    int n;

    memcpy(q.target_s, rq->target_s, sizeof q.target_s);
    n = calllog_report_shifts(log, &q, &cells);
    if (n < 0)
        return NULL;
    o = cJSON_CreateObject();
    if (!o)
        goto out;
    cJSON_AddStringToObject(o, "id", rq->id);
    cJSON_AddStringToObject(o, "controller", controller_id);
    add_time(o, "generated", now_ms);
    add_time(o, "since", rq->since_ms);
    add_time(o, "until", rq->until_ms);
    cJSON_AddBoolToObject(o, "truncated", true);   /* counted in the envelope's length */
    arr = cJSON_AddArrayToObject(o, "rows");
    if (!arr)
        goto out;
    if (add_rows(arr, cells, n, printed_len(o)))
        cJSON_ReplaceItemInObjectCaseSensitive(o, "truncated", cJSON_CreateFalse());
    else
        log_warn("report %s: %d rows do not fit in one message; sent the first %d, "
                 "\"truncated\":true", rq->id, n, cJSON_GetArraySize(arr));
    text = cJSON_PrintUnformatted(o);
out:
    cJSON_Delete(o);
    free(cells);
    if (!text)
        log_error("report %s: out of memory", rq->id);
    return text;
}

/* ---- the worker thread ------------------------------------------------------------ */

enum job_state { JOB_FREE, JOB_QUEUED, JOB_RUNNING, JOB_DONE };

struct job {
    enum job_state state;
    uint64_t seq;                   /* submission order */
    struct msg_report_request rq;
    struct report_done done;
};

struct report_worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    uint64_t next_seq;
    calllog *log;                   /* read-only, the worker's own */
    char controller_id[HV_NAME_MAX];
    struct job jobs[REPORT_QUEUE_MAX];
};

/* The oldest queued job, or NULL.  Under mu. */
static struct job *oldest_queued(report_worker *w)
{
    struct job *best = NULL;

    for (int i = 0; i < REPORT_QUEUE_MAX; i++)
        if (w->jobs[i].state == JOB_QUEUED && (!best || w->jobs[i].seq < best->seq))
            best = &w->jobs[i];
    return best;
}

static void *worker_main(void *arg)
{
    report_worker *w = arg;
    struct job *j;

    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->stop && !(j = oldest_queued(w)))
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->stop)
            break;
        j->state = JOB_RUNNING;
        pthread_mutex_unlock(&w->mu);   /* j is ours while RUNNING */
        int64_t t0 = clock_mono_ms();
        char *json = report_reply_json(w->log, &j->rq, w->controller_id, clock_now_ms());
        pthread_mutex_lock(&w->mu);
        j->done.json = json;
        j->done.ms = clock_mono_ms() - t0;
        j->state = JOB_DONE;
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

report_worker *report_worker_new(const char *db_path, const char *controller_id)
{
    report_worker *w = calloc(1, sizeof *w);

    if (!w)
        return NULL;
    snprintf(w->controller_id, sizeof w->controller_id, "%s", controller_id);
    w->log = calllog_open_reader(db_path);
    if (!w->log)
        goto fail_log;
    if (pthread_mutex_init(&w->mu, NULL) != 0)
        goto fail_mutex;
    if (pthread_cond_init(&w->cv, NULL) != 0)
        goto fail_cond;
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
        goto fail_thread;
    return w;
fail_thread:
    pthread_cond_destroy(&w->cv);
fail_cond:
    pthread_mutex_destroy(&w->mu);
fail_mutex:
    calllog_close(w->log);
fail_log:
    log_error("report: cannot start the report worker");
    free(w);
    return NULL;
}

void report_worker_free(report_worker *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    for (int i = 0; i < REPORT_QUEUE_MAX; i++)
        free(w->jobs[i].done.json);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    calllog_close(w->log);
    free(w);
}

int report_worker_submit(report_worker *w, const struct msg_report_request *rq,
                         const char *login)
{
    int rc = HV_ESTATE;

    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < REPORT_QUEUE_MAX; i++) {
        struct job *j = &w->jobs[i];
        if (j->state != JOB_FREE)
            continue;
        memset(j, 0, sizeof *j);
        j->rq = *rq;
        snprintf(j->done.login, sizeof j->done.login, "%s", login);
        snprintf(j->done.id, sizeof j->done.id, "%s", rq->id);
        j->seq = w->next_seq++;
        j->state = JOB_QUEUED;
        pthread_cond_signal(&w->cv);
        rc = 0;
        break;
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}

bool report_worker_take(report_worker *w, struct report_done *out)
{
    struct job *best = NULL;

    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < REPORT_QUEUE_MAX; i++)
        if (w->jobs[i].state == JOB_DONE && (!best || w->jobs[i].seq < best->seq))
            best = &w->jobs[i];
    if (best) {
        *out = best->done;
        best->done.json = NULL;
        best->state = JOB_FREE;
    }
    pthread_mutex_unlock(&w->mu);
    return best != NULL;
}

bool report_worker_pending(report_worker *w)
{
    bool any = false;

    pthread_mutex_lock(&w->mu);
    for (int i = 0; i < REPORT_QUEUE_MAX && !any; i++)
        any = w->jobs[i].state != JOB_FREE;
    pthread_mutex_unlock(&w->mu);
    return any;
}
