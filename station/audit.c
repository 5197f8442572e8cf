/*
 * audit.c - the station's append-only audit log (see audit.h).
 *
 * Each entry is one cJSON object printed unformatted (cJSON escapes quotes,
 * backslashes and control characters, so an entry is always one line),
 * written with a single write() on an O_APPEND descriptor and fdatasync'd
 * before audit_append returns.  Strings from a browser are cut to 256 bytes
 * at a UTF-8 boundary and a byte that is not UTF-8 becomes '?', so every
 * line is valid JSON for any reader.
 */
#include "audit.h"

#include "clock.h"
#include "err.h"
#include "log.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define AUDIT_STR_MAX 256       /* bytes of a string kept */

struct audit {
    int fd;
    char path[4096];
};

audit *audit_open(const char *path, char *err, size_t errlen)
{
    char ignored[8];
    struct stat st;
    audit *a;

    if (!err || errlen == 0) {
        err = ignored;
        errlen = sizeof ignored;
    }
    if (!path || !*path) {
        snprintf(err, errlen, "no audit file given");
        return NULL;
    }
    a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    snprintf(a->path, sizeof a->path, "%s", path);
    a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (a->fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto fail_alloc;
    }
    if (fstat(a->fd, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto fail_fd;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: not a regular file", path);
        goto fail_fd;
    }
    if ((st.st_mode & 07777) != 0600) {
        if (fchmod(a->fd, 0600) != 0) {
            snprintf(err, errlen, "%s: mode %03o and cannot chmod 600: %s", path,
                     (unsigned)(st.st_mode & 07777), strerror(errno));
            goto fail_fd;
        }
        log_warn("audit: %s was mode %03o; tightened to 600", path,
                 (unsigned)(st.st_mode & 07777));
    }
    return a;

fail_fd:
    close(a->fd);
fail_alloc:
    free(a);
    return NULL;
}

void audit_close(audit *a)
{
    if (!a)
        return;
    if (close(a->fd) != 0)
        log_warn("audit: closing %s: %s", a->path, strerror(errno));
    free(a);
}

/* The length of the UTF-8 sequence at s (n bytes left), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    size_t len;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        len = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        len = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        len = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;   /* overlong, a surrogate, or past Unicode */
    return len;
}

/*
 * Copies s into out (AUDIT_STR_MAX + 1 bytes): at most AUDIT_STR_MAX bytes,
 * never half a character, each byte that is not UTF-8 as '?'.
 */
static void audit_cut(const char *s, char out[AUDIT_STR_MAX + 1])
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), o = 0;

    while (n > 0) {
        size_t len = utf8_len(p, n);
        if (len == 0) {
            if (o + 1 > AUDIT_STR_MAX)
                break;
            out[o++] = '?';
            p++, n--;
            continue;
        }
        if (o + len > AUDIT_STR_MAX)
            break;
        memcpy(out + o, p, len);
        o += len;
        p += len, n -= len;
    }
    out[o] = '\0';
}

/* Adds key: s (cut and cleaned), or key: null when s is NULL and null_ok, else "". */
static bool add_str(cJSON *o, const char *key, const char *s, bool null_ok)
{
    char buf[AUDIT_STR_MAX + 1];

    if (!s && null_ok)
        return cJSON_AddNullToObject(o, key) != NULL;
    audit_cut(s ? s : "", buf);
    return cJSON_AddStringToObject(o, key, buf) != NULL;
}

/* The entry as one line of JSON with its newline (malloc'd), or NULL. */
static char *audit_line(const struct audit_entry *e)
{
    char ts[HV_TS_LEN];
    cJSON *o = cJSON_CreateObject();
    char *json, *line = NULL;
    bool ok;

    if (!o)
        return NULL;
    clock_format_rfc3339(e->ts_ms, ts);
    ok = cJSON_AddStringToObject(o, "ts", ts) && add_str(o, "user", e->user, false) &&
         add_str(o, "role", e->role, true) && add_str(o, "action", e->action, false) &&
         add_str(o, "room", e->room, true) && add_str(o, "call", e->call, true) &&
         add_str(o, "detail", e->detail, true) && add_str(o, "addr", e->addr, true) &&
         add_str(o, "agent", e->agent, true) && cJSON_AddBoolToObject(o, "ok", e->ok);
    json = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (json) {
        size_t n = strlen(json);
        line = malloc(n + 2);
        if (line) {
            memcpy(line, json, n);
            line[n] = '\n';
            line[n + 1] = '\0';
        }
        cJSON_free(json);
    }
    return line;
}

int audit_append(audit *a, const struct audit_entry *e)
{
    char *line;
    size_t len, off = 0;

    if (!a || !e)
        return HV_EIO;
    line = audit_line(e);
    if (!line) {
        log_error("audit: %s: out of memory building an entry (%s)", a->path,
                  e->action ? e->action : "?");
        return HV_EIO;
    }
    len = strlen(line);
    while (off < len) {
        ssize_t n = write(a->fd, line + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_error("audit: writing %s: %s", a->path, n < 0 ? strerror(errno) : "short write");
            free(line);
            return HV_EIO;
        }
        off += (size_t)n;
    }
    free(line);
    if (fdatasync(a->fd) != 0) {
        log_error("audit: fdatasync %s: %s", a->path, strerror(errno));
        return HV_EIO;
    }
    return 0;
}
