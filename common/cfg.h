/*
 * cfg.h - helpers for reading libconfig files the Haven way.
 *
 * Scalars are read through tables of struct cfg_row (key, type, destination,
 * range, default, restart-only), in the manner of redis' static_configs[]:
 * one row per setting, one loop to set the defaults, one to read them, one
 * to keep what a reload may not change.  The broker { } group, which every
 * program reads, is struct cfg_broker with one reader (and mqtt.h's
 * mqtt_opts_from_broker turns it into a session's options).  Every error
 * names the file and line it comes from, "haven.cfg:42: ...", because the
 * person who reads it is a member of staff with the file open in an editor.  Keys nobody reads are
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

/* ---- tables of settings ------------------------------------------------------------ */

enum cfg_flags {
    CFG_REQUIRED = 1,  /* absent is an error */
    CFG_RESTART = 2,   /* read only at start: a reload keeps the running value (cfg_rows_keep) */
};

/*
 * One setting of a table: its key, type, where it goes in the destination
 * struct, its range, its default and whether only a restart applies it.
 * Write rows with CFG_ROW_INT / _MS / _TEXT / _BOOL and end the table with
 * CFG_ROWS_END:
 *   static const struct cfg_row rows[] = {
 *       CFG_ROW_INT(struct x, "dpi", dpi, 72, 600, 96, 0),
 *       CFG_ROW_TEXT(struct x, "prefix", prefix, "haven", CFG_RESTART),
 *       CFG_ROWS_END
 *   };
 */
struct cfg_row {
    const char *key;
    enum cfg_type type;
    size_t offset;          /* of the destination within the struct */
    size_t size;            /* of the destination (CFG_STRING: the buffer) */
    double min, max;        /* CFG_INT; CFG_MS in seconds */
    double def;             /* the default: CFG_INT, CFG_BOOL; CFG_MS in seconds */
    const char *def_text;   /* the default of a CFG_STRING (NULL: "") */
    unsigned flags;         /* enum cfg_flags */
};

#define CFG_ROW_(T, k, t, m, lo, hi, d, dt, fl)                                    \
    { .key = k, .type = t, .offset = offsetof(T, m), .size = sizeof(((T *)0)->m), \
      .min = lo, .max = hi, .def = d, .def_text = dt, .flags = fl }
#define CFG_ROW_INT(T, key, member, min, max, def, flags) \
    CFG_ROW_(T, key, CFG_INT, member, min, max, def, NULL, flags)
#define CFG_ROW_MS(T, key, member, min_s, max_s, def_s, flags) \
    CFG_ROW_(T, key, CFG_MS, member, min_s, max_s, def_s, NULL, flags)
#define CFG_ROW_TEXT(T, key, member, def, flags) \
    CFG_ROW_(T, key, CFG_STRING, member, 0, 0, 0, def, flags)
#define CFG_ROW_BOOL(T, key, member, def, flags) \
    CFG_ROW_(T, key, CFG_BOOL, member, 0, 1, def, NULL, flags)
#define CFG_ROWS_END { .key = NULL }

/* Sets every member of table in dest to its default. */
void cfg_rows_default(const struct cfg_row *table, void *dest);

/*
 * Reads every row of table from group (which may be NULL: then only
 * CFG_REQUIRED matters) into dest.  Absent optional keys leave dest as it is
 * (cfg_rows_default first, or an earlier group's value).  Returns 0 or
 * HV_ECONFIG with err "file:line: ...".
 */
int cfg_rows_read(const config_setting_t *group, const struct cfg_row *table, void *dest,
                  struct cfg_error *err);

/*
 * Warns (file:line) about each member of group whose name is not in table
 * (which may be NULL) nor in the NULL-terminated list extra (which may be NULL).
 */
void cfg_rows_warn_unknown(const config_setting_t *group, const struct cfg_row *table,
                           const char *const *extra);

/*
 * A reload: copies each CFG_RESTART member of running into next, logging
 * "<what>: '<where><key>' changed in the file; it takes effect at the next
 * restart" for each one whose value differs (never the value: a password is
 * one).  where names the group ("broker." or ""), for the log.  Returns how
 * many had changed.
 */
int cfg_rows_keep(const struct cfg_row *table, void *next, const void *running,
                  const char *what, const char *where);

/* ---- the broker { } group, the same for every Haven program ---------------------- */

struct cfg_broker {
    char host[256];                /* "127.0.0.1" */
    int port;                      /* 1883 */
    int keepalive;                 /* 10 s */
    char username[64];             /* "" = none */
    char password[128];            /* from 'password' or the first line of password_file */
    char password_file[PATH_MAX];  /* instead of 'password' */
    char cafile[PATH_MAX];         /* the clinic CA: TLS on, the broker's certificate checked */
    char certfile[PATH_MAX];       /* this device's certificate (with keyfile) */
    char keyfile[PATH_MAX];        /* its private key, unencrypted, readable by the program only */
};

/* Its rows: every one is CFG_RESTART (a program connects once, at start). */
extern const struct cfg_row cfg_broker_rows[];

/*
 * Reads the broker settings into b: the defaults, then each of groups in
 * order (a program's own nested broker { } after the shared one; NULL
 * entries are skipped), later ones overriding.  When room is not NULL each
 * "%r" in username, password_file, certfile and keyfile becomes room (one
 * clinic file, each chair's own credentials).  Then reads the password file
 * and checks that the TLS files can be read and come in a usable
 * combination.  file names the config for errors without a line.  Does not
 * warn about unknown keys: cfg_rows_warn_unknown(group, cfg_broker_rows,
 * NULL) where the program owns the group.  Returns 0 or HV_ECONFIG with err
 * "file:line: ..." at the setting that is wrong.
 */
int cfg_broker_read(const config_setting_t *const *groups, int ngroups, const char *file,
                    const char *room, struct cfg_broker *b, struct cfg_error *err);

/*
 * When true (haven-room list only), the broker's password_file, cafile,
 * certfile or keyfile may not exist yet: a first install lists the clinic to
 * make those very files.  Default false.
 */
extern bool cfg_secrets_optional;

/* ---- files and settings ------------------------------------------------------------ */

/* Reads path into cfg.  Returns 0, or HV_ECONFIG with err set (file:line for syntax errors). */
int cfg_load(config_t *cfg, const char *path, struct cfg_error *err);

/* Sets err to "file:line: <fmt...>" for setting at (or the file alone) and returns HV_ECONFIG. */
int cfg_fail(struct cfg_error *err, const config_setting_t *at, const char *file,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Reads a number (int or float, finite). 0 on success, -1 if absent or not numeric. */
int cfg_get_number(const config_setting_t *s, double *value);

/* Reads a number (int or float) member in seconds as ms. 0 on success, -1 if absent or not numeric. */
int cfg_get_ms(const config_setting_t *s, int64_t *ms);

#endif
