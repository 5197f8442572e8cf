/* cfg.c - libconfig with file:line errors, tables of fields and unknown-key warnings. */
#include "cfg.h"
#include "err.h"
#include "log.h"

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

static int read_field(const config_setting_t *s, const struct cfg_field *f, char *dest,
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

int cfg_read(const config_setting_t *group, const struct cfg_field *table, void *dest,
             struct cfg_error *err)
{
    for (const struct cfg_field *f = table; f->key; f++) {
        const config_setting_t *s = group ? config_setting_get_member(group, f->key) : NULL;
        if (!s) {
            if (f->required)
                return cfg_fail(err, group, NULL, "missing '%s'", f->key);
            continue;
        }
        int rc = read_field(s, f, dest, err);
        if (rc)
            return rc;
    }
    return 0;
}

void cfg_warn_unknown(const config_setting_t *group, const struct cfg_field *table,
                      const char *const *extra)
{
    int n = group ? config_setting_length(group) : 0;

    if (!group || !config_setting_is_group(group))
        return;
    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *name = config_setting_name(s);
        int known = 0;
        for (const struct cfg_field *f = table; !known && f && f->key; f++)
            known = strcmp(f->key, name) == 0;
        for (const char *const *e = extra; !known && e && *e; e++)
            known = strcmp(*e, name) == 0;
        if (!known)
            log_warn("%s:%u: unknown setting '%s' ignored",
                     config_setting_source_file(s) ? config_setting_source_file(s) : "?",
                     config_setting_source_line(s), name);
    }
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

int cfg_auth_finish(const config_setting_t *const *groups, int n, const char *file,
                    const struct cfg_auth *a, char *password, size_t pwsize,
                    struct cfg_error *err)
{
    int rc;

    if (a->password_file[0]) {
        const config_setting_t *at = last_member(groups, n, "password_file");
        if (password[0])
            return cfg_fail(err, at, file, "set either 'password' or 'password_file', not both");
        if ((rc = read_password_file(at, file, a->password_file, password, pwsize, err)) != 0)
            return rc;
    }
    if (!a->certfile[0] != !a->keyfile[0])
        return cfg_fail(err, last_member(groups, n, a->certfile[0] ? "certfile" : "keyfile"),
                        file, "'certfile' and 'keyfile' go together: set both or neither");
    if (a->certfile[0] && !a->cafile[0])
        return cfg_fail(err, last_member(groups, n, "certfile"), file, "a client certificate "
                        "needs TLS: set 'cafile' to the clinic CA as well");
    if ((rc = check_readable(groups, n, file, "cafile", a->cafile, err)) != 0 ||
        (rc = check_readable(groups, n, file, "certfile", a->certfile, err)) != 0 ||
        (rc = check_readable(groups, n, file, "keyfile", a->keyfile, err)) != 0)
        return rc;
    return 0;
}
