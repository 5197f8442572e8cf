/* cfg.c - libconfig with file:line errors, tables of settings, unknown-key warnings, the broker. */
#include "cfg.h"
#include "err.h"
#include "log.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int cfg_fail(struct cfg_error *err, const config_setting_t *at, const char *file,
             const char *fmt, ...)
{
    char msg[400];
    const char *f = at && config_setting_source_file(at) ? config_setting_source_file(at) : file;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (at && config_setting_source_line(at))
        snprintf(err->text, sizeof err->text, "%s:%u: %s", f ? f : "?",
                 config_setting_source_line(at), msg);
    else
        snprintf(err->text, sizeof err->text, "%s: %s", f ? f : "?", msg);
    return HV_ECONFIG;
}

int cfg_load(config_t *cfg, const char *path, struct cfg_error *err)
{
    FILE *fp = fopen(path, "r");

    if (!fp) {
        snprintf(err->text, sizeof err->text, "%s: cannot open: %s", path, strerror(errno));
        return HV_ECONFIG;
    }
    fclose(fp);
    config_init(cfg);  /* it allocates: only once we are sure to read (and destroy) */
    if (config_read_file(cfg, path) != CONFIG_TRUE) {
        snprintf(err->text, sizeof err->text, "%s:%d: %s",
                 config_error_file(cfg) ? config_error_file(cfg) : path,
                 config_error_line(cfg), config_error_text(cfg));
        config_destroy(cfg);
        return HV_ECONFIG;
    }
    return 0;
}

int cfg_get_number(const config_setting_t *s, double *value)
{
    if (!s)
        return -1;
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:   *value = config_setting_get_int(s); break;
    case CONFIG_TYPE_INT64: *value = (double)config_setting_get_int64(s); break;
    case CONFIG_TYPE_FLOAT: *value = config_setting_get_float(s); break;
    default: return -1;
    }
    return isfinite(*value) ? 0 : -1;
}

int cfg_get_ms(const config_setting_t *s, int64_t *ms)
{
    double secs;

    if (cfg_get_number(s, &secs))
        return -1;
    *ms = (int64_t)llround(secs * 1000.0);
    return 0;
}

/* ---- tables of settings --------------------------------------------------------------- */

/* The one place a row's type meets its destination's size: a table mistake stops here. */
static void check_row(const struct cfg_row *f)
{
    assert(f->type == CFG_STRING ? f->size > 0
           : f->size == (f->type == CFG_MS ? sizeof(int64_t) : sizeof(int)));
    (void)f;
}

void cfg_rows_default(const struct cfg_row *table, void *dest)
{
    for (const struct cfg_row *f = table; f->key; f++) {
        char *to = (char *)dest + f->offset;
        check_row(f);
        switch (f->type) {
        case CFG_INT:    *(int *)to = (int)f->def; break;
        case CFG_BOOL:   *(int *)to = f->def != 0; break;
        case CFG_MS:     *(int64_t *)to = (int64_t)llround(f->def * 1000.0); break;
        case CFG_STRING: snprintf(to, f->size, "%s", f->def_text ? f->def_text : ""); break;
        }
    }
}

static int read_row(const config_setting_t *s, const struct cfg_row *f, char *dest,
                    struct cfg_error *err)
{
    int64_t ms;
    int t = config_setting_type(s);

    switch (f->type) {
    case CFG_INT:
        if (t != CONFIG_TYPE_INT && t != CONFIG_TYPE_INT64)
            return cfg_fail(err, s, NULL, "'%s' must be a whole number", f->key);
        long long v = config_setting_get_int64(s);
        if (t == CONFIG_TYPE_INT)
            v = config_setting_get_int(s);
        if (v < f->min || v > f->max)
            return cfg_fail(err, s, NULL, "'%s' is %lld; it must be between %.0f and %.0f",
                            f->key, v, f->min, f->max);
        *(int *)(dest + f->offset) = (int)v;
        return 0;
    case CFG_MS:
        if (cfg_get_ms(s, &ms))
            return cfg_fail(err, s, NULL, "'%s' must be a number of seconds", f->key);
        if (ms < f->min * 1000 || ms > f->max * 1000)
            return cfg_fail(err, s, NULL, "'%s' is %.3g s; it must be between %g and %g s",
                            f->key, ms / 1000.0, f->min, f->max);
        *(int64_t *)(dest + f->offset) = ms;
        return 0;
    case CFG_STRING:
        if (t != CONFIG_TYPE_STRING)
            return cfg_fail(err, s, NULL, "'%s' must be text in double quotes", f->key);
        const char *str = config_setting_get_string(s);
        if (strlen(str) >= f->size)
            return cfg_fail(err, s, NULL, "'%s' is longer than %zu characters",
                            f->key, f->size - 1);
        strcpy(dest + f->offset, str);
        return 0;
    case CFG_BOOL:
        if (t != CONFIG_TYPE_BOOL)
            return cfg_fail(err, s, NULL, "'%s' must be true or false", f->key);
        *(int *)(dest + f->offset) = config_setting_get_bool(s);
        return 0;
    }
    return HV_EINVAL;
}

/* Reads one row of a table from group: absent is fine unless the row is required. */
static int read_one(const config_setting_t *group, const struct cfg_row *f, void *dest,
                    struct cfg_error *err)
{
    const config_setting_t *s = group ? config_setting_get_member(group, f->key) : NULL;

    if (!s)
        return f->flags & CFG_REQUIRED ? cfg_fail(err, group, NULL, "missing '%s'", f->key) : 0;
    return read_row(s, f, dest, err);
}

int cfg_rows_read(const config_setting_t *group, const struct cfg_row *table, void *dest,
                  struct cfg_error *err)
{
    for (const struct cfg_row *f = table; f->key; f++) {
        int rc = read_one(group, f, dest, err);
        if (rc)
            return rc;
    }
    return 0;
}

static bool in_rows(const struct cfg_row *t, const char *name)
{
    for (; t && t->key; t++)
        if (strcmp(t->key, name) == 0)
            return true;
    return false;
}

static bool in_list(const char *const *e, const char *name)
{
    for (; e && *e; e++)
        if (strcmp(*e, name) == 0)
            return true;
    return false;
}

void cfg_rows_warn_unknown(const config_setting_t *group, const struct cfg_row *table,
                           const char *const *extra)
{
    if (!group || !config_setting_is_group(group))
        return;
    for (int i = 0; i < config_setting_length(group); i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *name = config_setting_name(s);
        if (!in_rows(table, name) && !in_list(extra, name))
            log_warn("%s:%u: unknown setting '%s' ignored",
                     config_setting_source_file(s) ? config_setting_source_file(s) : "?",
                     config_setting_source_line(s), name);
    }
}

int cfg_rows_keep(const struct cfg_row *table, void *next, const void *running,
                  const char *what, const char *where)
{
    int changed = 0;

    for (const struct cfg_row *f = table; f->key; f++) {
        char *to = (char *)next + f->offset;
        const char *from = (const char *)running + f->offset;
        if (!(f->flags & CFG_RESTART))
            continue;
        if (f->type == CFG_STRING ? strcmp(to, from) != 0 : memcmp(to, from, f->size) != 0) {
            log_warn("%s: '%s%s' changed in the file; it takes effect at the next restart "
                     "(the running value is kept)", what, where ? where : "", f->key);
            changed++;
        }
        memcpy(to, from, f->size);
    }
    return changed;
}

/* ---- broker credentials and TLS files ----------------------------------------------- */

/* The setting key in the last of groups that has it (for an error's line), or NULL. */
static const config_setting_t *last_member(const config_setting_t *const *groups, int n,
                                           const char *key)
{
    for (int i = n - 1; i >= 0; i--) {
        const config_setting_t *s = groups[i] && config_setting_is_group(groups[i])
                                        ? config_setting_get_member(groups[i], key) : NULL;
        if (s)
            return s;
    }
    return NULL;
}

bool cfg_secrets_optional;

/* Reads the first line of path (without its newline) into out. */
static int read_password_file(const config_setting_t *at, const char *file, const char *path,
                              char *out, size_t outlen, struct cfg_error *err)
{
    FILE *fp = fopen(path, "r");
    struct stat st;
    size_t n;

    if (!fp && cfg_secrets_optional && errno == ENOENT)
        return 0;
    if (!fp)
        return cfg_fail(err, at, file, "'password_file' %s cannot be read: %s", path,
                        strerror(errno));
    /* A secret others may read is a secret no longer (issue 12 item 2). */
    if (fstat(fileno(fp), &st) == 0 && (st.st_mode & 077)) {
        fclose(fp);
        return cfg_fail(err, at, file, "'password_file' %s is readable by others (mode %04o); "
                        "chmod 600 it (owned by the user the program runs as)", path,
                        (unsigned)(st.st_mode & 07777));
    }
    if (!fgets(out, (int)outlen, fp))
        out[0] = '\0';
    fclose(fp);
    n = strcspn(out, "\r\n");
    if (n == outlen - 1 && out[n] == '\0')
        return cfg_fail(err, at, file, "'password_file' %s: the password is longer than %zu "
                        "characters", path, outlen - 2);
    out[n] = '\0';
    if (n == 0)
        return cfg_fail(err, at, file, "'password_file' %s: the first line (the password) is "
                        "empty", path);
    return 0;
}

/* A TLS file must exist and be readable by us now, not at the first connect. */
static int check_readable(const config_setting_t *const *groups, int n, const char *file,
                          const char *key, const char *path, struct cfg_error *err)
{
    FILE *fp;

    if (!path[0])
        return 0;
    fp = fopen(path, "r");
    if (!fp && cfg_secrets_optional && errno == ENOENT)
        return 0;
    if (!fp)
        return cfg_fail(err, last_member(groups, n, key), file, "'%s' %s cannot be read: %s",
                        key, path, strerror(errno));
    fclose(fp);
    return 0;
}

/* The broker's files: the password file read into b->password, the TLS files checked. */
static int finish_files(const config_setting_t *const *groups, int n, const char *file,
                        struct cfg_broker *b, struct cfg_error *err)
{
    int rc;

    if (b->password_file[0]) {
        const config_setting_t *at = last_member(groups, n, "password_file");
        if (b->password[0])
            return cfg_fail(err, at, file, "set either 'password' or 'password_file', not both");
        if ((rc = read_password_file(at, file, b->password_file, b->password,
                                     sizeof b->password, err)) != 0)
            return rc;
    }
    if (!b->certfile[0] != !b->keyfile[0])
        return cfg_fail(err, last_member(groups, n, b->certfile[0] ? "certfile" : "keyfile"),
                        file, "'certfile' and 'keyfile' go together: set both or neither");
    if (b->certfile[0] && !b->cafile[0])
        return cfg_fail(err, last_member(groups, n, "certfile"), file, "a client certificate "
                        "needs TLS: set 'cafile' to the clinic CA as well");
    if ((rc = check_readable(groups, n, file, "cafile", b->cafile, err)) != 0 ||
        (rc = check_readable(groups, n, file, "certfile", b->certfile, err)) != 0 ||
        (rc = check_readable(groups, n, file, "keyfile", b->keyfile, err)) != 0)
        return rc;
    return 0;
}

/* ---- struct cfg_broker ------------------------------------------------------------------ */

const struct cfg_row cfg_broker_rows[] = {
    CFG_ROW_TEXT(struct cfg_broker, "host", host, "127.0.0.1", CFG_RESTART),
    CFG_ROW_INT(struct cfg_broker, "port", port, 1, 65535, 1883, CFG_RESTART),
    CFG_ROW_INT(struct cfg_broker, "keepalive", keepalive, 5, 3600, 10, CFG_RESTART),
    CFG_ROW_TEXT(struct cfg_broker, "username", username, NULL, CFG_RESTART),
    CFG_ROW_TEXT(struct cfg_broker, "password", password, NULL, CFG_RESTART),
    CFG_ROW_TEXT(struct cfg_broker, "password_file", password_file, NULL, CFG_RESTART),
    CFG_ROW_TEXT(struct cfg_broker, "cafile", cafile, NULL, CFG_RESTART),
    CFG_ROW_TEXT(struct cfg_broker, "certfile", certfile, NULL, CFG_RESTART),
    CFG_ROW_TEXT(struct cfg_broker, "keyfile", keyfile, NULL, CFG_RESTART),
    CFG_ROWS_END
};

/*
 * Replaces each "%r" in s (a setting's value, size bytes) by room, so that
 * one clinic file names each chair's own credentials:
 * username = "kiosk-%r"; certfile = "/etc/haven/tls/kiosk-%r.crt".
 */
static int expand_room(const config_setting_t *const *groups, int n, const char *file,
                       const char *key, char *s, size_t size, const char *room,
                       struct cfg_error *err)
{
    char out[PATH_MAX];
    size_t used = 0, rlen = strlen(room);

    for (const char *p = s; *p; p++) {
        bool is_r = p[0] == '%' && p[1] == 'r';
        size_t len = is_r ? rlen : 1;
        if (used + len >= size || used + len >= sizeof out) {
            const config_setting_t *at = groups[n - 1] && config_setting_is_group(groups[n - 1])
                                             ? config_setting_get_member(groups[n - 1], key)
                                             : NULL;
            return cfg_fail(err, at ? at : groups[0], file, "'%s' is longer than %zu "
                            "characters once %%r is replaced by the room", key, size - 1);
        }
        memcpy(out + used, is_r ? room : p, len);
        used += len;
        p += is_r;
    }
    out[used] = '\0';
    memcpy(s, out, used + 1);
    return 0;
}

int cfg_broker_read(const config_setting_t *const *groups, int n, const char *file,
                    const char *room, struct cfg_broker *b, struct cfg_error *err)
{
    int rc;

    cfg_rows_default(cfg_broker_rows, b);
    for (int i = 0; i < n; i++)
        if (groups[i] && (rc = cfg_rows_read(groups[i], cfg_broker_rows, b, err)) != 0)
            return rc;
    if (room && ((rc = expand_room(groups, n, file, "username", b->username,
                                   sizeof b->username, room, err)) != 0 ||
                 (rc = expand_room(groups, n, file, "password_file", b->password_file,
                                   sizeof b->password_file, room, err)) != 0 ||
                 (rc = expand_room(groups, n, file, "certfile", b->certfile,
                                   sizeof b->certfile, room, err)) != 0 ||
                 (rc = expand_room(groups, n, file, "keyfile", b->keyfile,
                                   sizeof b->keyfile, room, err)) != 0))
        return rc;
    return finish_files(groups, n, file, b, err);
}
