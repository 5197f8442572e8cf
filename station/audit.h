/*
 * audit.h - the station's append-only audit log: who did what, when, from
 * which browser.
 *
 * One JSON object per line, appended (O_APPEND, created 0600) and
 * fdatasync'd before the action is carried out:
 *
 *   {"ts":"2026-12-07T14:03:07.412Z","user":"sam","role":"nurse",
 *    "action":"ack","room":"chair-1","call":"k-7f3a","detail":null,
 *    "addr":"10.0.0.7","agent":"Mozilla/5.0 ...","ok":true}
 *
 * Actions: login, login_failed, login_refused (backoff), logout, ack, clear,
 * begin_visit, phase, end_visit, light, light_release, report.  Strings are
 * JSON-escaped (cJSON) and cut to 256 bytes.  The file is never rewritten or
 * truncated by the station.
 */
#ifndef HAVEN_STATION_AUDIT_H
#define HAVEN_STATION_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct audit audit;

/* Opens (creates 0600) path for appending.  NULL with err set on failure. */
audit *audit_open(const char *path, char *err, size_t errlen);
void audit_close(audit *a);

struct audit_entry {
    int64_t ts_ms;         /* wall clock */
    const char *user;      /* NULL: "" (a failed login names the attempted user here) */
    const char *role;      /* may be NULL */
    const char *action;
    const char *room, *call, *detail;   /* may be NULL */
    const char *addr, *agent;           /* may be NULL */
    bool ok;
};

/* Appends one line and syncs it.  0, or HV_EIO (logged). */
int audit_append(audit *a, const struct audit_entry *e);

#endif
