/*
 * cfg.h - helpers for reading libconfig files the Haven way.
 *
 * Scalars are read through tables of struct cfg_field (key, type, range,
 * destination), in the manner of redis' static_configs[]: one row per
 * setting, one loop to read them all.  Every error names the file and line
 * it comes from, "haven.cfg:42: ...", because the person who reads it is a
 * member of staff with the file open in an editor.  Keys nobody reads are
 * reported as warnings, never silently ignored: a misspelt "after" would
 * otherwise quietly fall back to a default.
 */
#ifndef HAVEN_CFG_H
#define HAVEN_CFG_H

#include <libconfig.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg_error {
    char text[512];  /* "file:line: what is wrong" */
};

enum cfg_type {
    CFG_INT,     /* int, within [min, max] */
    CFG_MS,      /* seconds in the file (int or float), stored as int64_t ms */
    CFG_STRING,  /* copied into a char[size] */
    CFG_BOOL,    /* stored as int 0/1 */
};

struct cfg_field {
    const char *key;
    enum cfg_type type;
    size_t offset;     /* of the destination within the struct passed to cfg_read */
    size_t size;       /* CFG_STRING: buffer size */
    double min, max;   /* CFG_INT / CFG_MS (seconds) */
    int required;
};

#define CFG_FIELD_END { NULL, CFG_INT, 0, 0, 0, 0, 0 }

/*
 * A broker's credentials and TLS files beyond username/password: the members
 * of the broker { } group that name files.  Empty strings mean "not used".
 */
struct cfg_auth {
    char password_file[PATH_MAX];  /* first line is the password (instead of 'password') */
    char cafile[PATH_MAX];         /* the clinic CA: TLS on, the broker's certificate checked */
    char certfile[PATH_MAX];       /* this device's certificate (with keyfile) */
    char keyfile[PATH_MAX];        /* its private key, unencrypted, readable by the program only */
};

/*
 * The rows of the broker { } group, the same for every Haven program: type is
 * a struct with members broker_host, broker_port, keepalive, username,
 * password and auth (a struct cfg_auth).
 * static const struct cfg_field t[] = { CFG_BROKER_FIELDS(struct x), CFG_FIELD_END };
 * After cfg_read, call cfg_auth_finish to read the password file and check the TLS files.
 */
#define CFG_MEMBER_(type, key, kind, member, min, max) \
    { key, kind, offsetof(type, member), sizeof(((type *)0)->member), min, max, 0 }
#define CFG_BROKER_FIELDS(type)                                          \
    CFG_MEMBER_(type, "host", CFG_STRING, broker_host, 0, 0),            \
    CFG_MEMBER_(type, "port", CFG_INT, broker_port, 1, 65535),           \
    CFG_MEMBER_(type, "keepalive", CFG_INT, keepalive, 5, 3600),         \
    CFG_MEMBER_(type, "username", CFG_STRING, username, 0, 0),           \
    CFG_MEMBER_(type, "password", CFG_STRING, password, 0, 0),           \
    CFG_MEMBER_(type, "password_file", CFG_STRING, auth.password_file, 0, 0), \
    CFG_MEMBER_(type, "cafile", CFG_STRING, auth.cafile, 0, 0),          \
    CFG_MEMBER_(type, "certfile", CFG_STRING, auth.certfile, 0, 0),      \
    CFG_MEMBER_(type, "keyfile", CFG_STRING, auth.keyfile, 0, 0)

/*
 * Completes what CFG_BROKER_FIELDS read from the groups (broker { } and a
 * program's own nested broker { }, later ones overriding; NULL entries are
 * skipped): reads the first line of auth->password_file into password
 * (pwsize bytes), and checks that cafile, certfile and keyfile can be read
 * and come in a usable combination.  file names the config for errors that
 * have no line.  Returns 0, or HV_ECONFIG with err "file:line: ..." at the
 * setting that is wrong.
 */
/*
 * When true (haven-room list only), cfg_auth_finish skips a password_file,
 * cafile, certfile or keyfile that does not exist yet: a first install lists
 * the clinic to make those very files.  Default false.
 */
extern bool cfg_secrets_optional;

int cfg_auth_finish(const config_setting_t *const *groups, int ngroups, const char *file,
                    const struct cfg_auth *auth, char *password, size_t pwsize,
                    struct cfg_error *err);

/* Reads path into cfg.  Returns 0, or HV_ECONFIG with err set (file:line for syntax errors). */
int cfg_load(config_t *cfg, const char *path, struct cfg_error *err);

/*
 * Reads every field of table from group (which may be NULL: then only
 * "required" matters) into dest.  Absent optional keys leave dest as it is,
 * so the caller sets defaults first.  Returns 0 or HV_ECONFIG with err set.
 */
int cfg_read(const config_setting_t *group, const struct cfg_field *table, void *dest,
             struct cfg_error *err);

/*
 * Warns (file:line) about each member of group whose name is not in table
 * nor in the NULL-terminated list extra (which may be NULL).
 */
void cfg_warn_unknown(const config_setting_t *group, const struct cfg_field *table,
                      const char *const *extra);

/* Sets err to "file:line: <fmt...>" for setting at (or the file alone) and returns HV_ECONFIG. */
int cfg_fail(struct cfg_error *err, const config_setting_t *at, const char *file,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Reads a number (int or float, finite). 0 on success, -1 if absent or not numeric. */
int cfg_get_number(const config_setting_t *s, double *value);

/* Reads a number (int or float) member in seconds as ms. 0 on success, -1 if absent or not numeric. */
int cfg_get_ms(const config_setting_t *s, int64_t *ms);

#endif
