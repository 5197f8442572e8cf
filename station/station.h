/*
 * station.h - haven-station, the application: the MQTT session as the
 * station login, the board (board.h), sessions, users and the audit log, and
 * what the web server (http.c) asks of them.
 *
 * Threads: station_run's loop (MQTT, timers, signals) runs in the main
 * thread; libmicrohttpd calls the station_* functions below from its own
 * thread, and station_login from http.c's login worker.  One mutex guards
 * the board, the sessions and the streams; the users file has a lock of its
 * own (a login's password check, ~0.3 s of argon2id, never holds the
 * station's lock); the audit log one more.
 */
#ifndef HAVEN_STATION_STATION_H
#define HAVEN_STATION_STATION_H

#include "record.h"
#include "sessions.h"
#include "stationcfg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct station_args {
    const char *config, *listen, *broker, *users, *audit, *record;
};

/* Serves until SIGTERM/SIGINT.  Returns the exit status (0, 1 runtime, 2 config). */
int station_main(const struct station_args *args);

typedef struct station station;

/* Who is asking (for the audit log); strings may be NULL. */
struct http_client {
    const char *addr, *agent;
};

/* ---- login and sessions ---- */

enum login_result { LOGIN_OK, LOGIN_WRONG, LOGIN_WAIT };

/*
 * Checks user/password (view "phone" or anything else: board).  LOGIN_OK
 * fills token; LOGIN_WAIT fills *wait_s (the password was not checked).
 * Audited either way.  Takes as long as argon2id does (~0.3-0.7 s): http.c
 * calls it from its login worker thread, never from libmicrohttpd's.
 */
enum login_result station_login(station *st, const char *user, const char *password,
                                const char *view, const struct http_client *cl,
                                char token[SESSION_TOKEN_LEN], int *wait_s);

/*
 * The backoff alone (no password check, cheap): true when an attempt as user
 * from cl must wait, with *wait_s; logged and audited ("login_refused",
 * "backoff") exactly as station_login does.  The HTTP thread asks it before
 * it queues a login for its password check, so refused attempts never wait
 * in (or fill) that queue; station_login asks again.
 */
bool station_login_refused(station *st, const char *user, const struct http_client *cl,
                           int *wait_s);

/* A login refused because waiting logins filled the verifier's queue: logged, audited ("busy"). */
void station_login_busy(station *st, const char *user, const struct http_client *cl,
                        int waiting);

/* user's nurse group (users file) into group ("" with none): true when it has one. */
bool station_user_group(station *st, const char *user, char *group, size_t len);

/* Copies the live session for token into *out.  False when there is none. */
bool station_session(station *st, const char *token, struct session *out);

void station_logout(station *st, const struct session *se, const struct http_client *cl);

/* An audited refusal that never reached station_action (a POST without the CSRF token). */
void station_audit_refusal(station *st, const struct session *se, const char *what,
                           const struct http_client *cl);

/*
 * An audited read or token change done by http.c itself (course views and
 * exports, FHIR reads and tokens): se's user, or user when se is NULL;
 * detail the patient key or token label.
 */
void station_audit_http(station *st, const struct session *se, const char *user,
                        const char *action, const char *detail, const struct http_client *cl,
                        bool ok);

/*
 * One action (DESIGN-13 "HTTP"), body the JSON the page posted.  Returns the
 * HTTP status; reply gets the JSON to send ({"ok":true} or {"error":".."}).
 */
int station_action(station *st, const struct session *se, const char *body, size_t len,
                   const struct http_client *cl, char *reply, size_t replylen);

/* ---- event streams ---- */

/*
 * How the station wakes a suspended connection (http.c's, called with the
 * station's lock held): suspend from inside the reader, resume from anywhere.
 */
struct station_waker {
    void (*suspend)(void *conn);
    void (*resume)(void *conn);
};
void station_set_waker(station *st, const struct station_waker *w);

typedef struct station_stream station_stream;

/*
 * A new stream for session token, resuming after last_id (-1: none).  NULL
 * when there are too many streams (*status 503) or no session (401).
 */
station_stream *station_stream_open(station *st, const char *token, int64_t last_id, void *conn,
                                    int *status);

/*
 * Fills buf (max bytes) with what the stream has to send: queued events, a
 * heartbeat when due.  With nothing to send, suspends conn (through the
 * waker) and returns 0; the station resumes it when there is.  Returns -1
 * when the stream must end (its session expired, the station stops).
 */
ssize_t station_stream_read(station *st, station_stream *s, char *buf, size_t max);

/* The connection is gone: forget the stream. */
void station_stream_close(station *st, station_stream *s);

/* ---- the patients' courses ---- */

/*
 * Runs fn with the course store (record.h) under its lock: the MQTT loop
 * stores what the kiosks send while the HTTP thread reads courses.  Returns
 * fn's result.  dropout_days is the clinic's setting as now loaded.
 */
int station_with_record(station *st, int (*fn)(record *r, int dropout_days, void *ctx),
                        void *ctx);

/*
 * The FHIR Questionnaire of the clinic's form id (malloc'd JSON, the caller's),
 * or NULL when haven.cfg names no such form.
 */
char *station_questionnaire(station *st, const char *id);

/* ---- the report ---- */

typedef struct station_report station_report;

/*
 * Asks a controller for the report over days days.  Returns the pending
 * request (conn is resumed when the reply or the 5 s deadline comes), or
 * NULL with *status (403, 503).
 */
station_report *station_report_start(station *st, const struct session *se, int days,
                                     const struct http_client *cl, void *conn, int *status);

/*
 * 0 while waiting, 200 with *json (malloc'd, the caller's) when the reply
 * came, 504 past the deadline.
 */
int station_report_result(station *st, station_report *r, char **json);

/* The request is done with (answered or its connection gone). */
void station_report_free(station *st, station_report *r);

#endif
