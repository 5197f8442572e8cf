/*
 * stationcfg.c - reading and validating the station { } group of haven.cfg,
 * with the clinic itself read by roomcfg_load (the same rooms and labels as
 * the controller's, by construction).  Scalars go through cfg_row tables,
 * the broker through cfg_broker_read; what a table cannot judge (listen,
 * the shift times, the login, the TLS files) is checked after it, at the
 * line of the setting that is wrong.
 */
#include "stationcfg.h"
#include "err.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define DEFAULT_LISTEN "127.0.0.1:8080"
#define TLS_FILE_MAX (1 << 20)   /* station.c's read_pem reads no more */

#define S struct station_config
static const struct cfg_row station_rows[] = {
    CFG_ROW_TEXT(S, "listen", listen, DEFAULT_LISTEN, CFG_RESTART),
    CFG_ROW_TEXT(S, "users", users, "/var/lib/haven/station-users", CFG_RESTART),
    CFG_ROW_TEXT(S, "audit", audit, "/var/lib/haven/station-audit.log", CFG_RESTART),
    CFG_ROW_TEXT(S, "record", record, "/var/lib/haven/station-record.db", CFG_RESTART),
    CFG_ROW_INT(S, "dropout_days", dropout_days, 1, 365, 14, 0),
    CFG_ROW_TEXT(S, "tls_cert", tls_cert, NULL, CFG_RESTART),
    CFG_ROW_TEXT(S, "tls_key", tls_key, NULL, CFG_RESTART),
    CFG_ROW_MS(S, "phone_idle", phone_idle_ms, 60, 86400, 900, CFG_RESTART),
    CFG_ROW_MS(S, "board_max", board_max_ms, 60, 604800, 43200, CFG_RESTART),
    CFG_ROWS_END
};
static const char *const station_extra[] = { "broker", "report", NULL };
static const struct cfg_row report_rows[] = {
    CFG_ROW_TEXT(S, "day_starts", day_starts, "07:00", 0),
    CFG_ROW_TEXT(S, "night_starts", night_starts, "19:00", 0),
    CFG_ROWS_END
};
static const char *const report_extra[] = { "target", NULL };
static const struct cfg_row target_rows[] = {
    CFG_ROW_INT(S, "routine", target_s[PRIO_ROUTINE], 1, 86400, 600, 0),
    CFG_ROW_INT(S, "assist", target_s[PRIO_ASSIST], 1, 86400, 180, 0),
    CFG_ROW_INT(S, "urgent", target_s[PRIO_URGENT], 1, 86400, 60, 0),
    CFG_ROWS_END
};
/* The kiosk's own default (kiosk/kcfg.c); the rest of kiosk { } is the kiosk's to warn about. */
static const struct cfg_row kiosk_rows[] = {
    CFG_ROW_INT(S, "recovery_minutes", recovery_min, 1, 600, 30, 0),
    CFG_ROWS_END
};
#undef S

bool stationcfg_host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;

    if (!strcasecmp(host, "localhost"))
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return false;
}

/* "HOST:PORT" (IPv6 as "[::1]:8080") into host and port.  0 or HV_EINVAL. */
static int split_listen(const char *text, char *host, size_t hostlen, int *port)
{
    char tmp[300];
    const char *colon = strrchr(text, ':');
    char *end;
    long p;

    if (!colon || colon == text || strlen(text) >= sizeof tmp)
        return HV_EINVAL;
    p = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || p < 0 || p > 65535)
        return HV_EINVAL;
    memcpy(tmp, text, (size_t)(colon - text));
    tmp[colon - text] = '\0';
    const char *h = tmp;
    size_t n = strlen(tmp);
    if (tmp[0] == '[') {   /* [v6] */
        if (n < 3 || tmp[n - 1] != ']')
            return HV_EINVAL;
        tmp[n - 1] = '\0';
        h = tmp + 1;
    } else if (strchr(tmp, ':')) {
        return HV_EINVAL;  /* a bare v6 address needs [ ] */
    }
    if (!h[0] || strlen(h) >= hostlen)
        return HV_EINVAL;
    strcpy(host, h);
    *port = (int)p;
    return 0;
}

int stationcfg_set_listen(struct station_config *c, const char *hostport, struct cfg_error *err)
{
    if (strlen(hostport) >= sizeof c->listen ||
        split_listen(hostport, c->listen_host, sizeof c->listen_host, &c->listen_port))
        return cfg_fail(err, NULL, "--listen", "'%s' must be HOST:PORT, e.g. 127.0.0.1:8080 "
                        "or [::1]:8080", hostport);
    strcpy(c->listen, hostport);
    return 0;
}

/* "HH:MM" (00:00..23:59) into minutes after midnight, or -1. */
static int parse_hhmm(const char *s)
{
    int h, m;
    char extra;

    if (strlen(s) != 5 || sscanf(s, "%2d:%2d%c", &h, &m, &extra) != 2 || s[2] != ':' ||
        h < 0 || h > 23 || m < 0 || m > 59)
        return -1;
    return h * 60 + m;
}

static const config_setting_t *member(const config_setting_t *g, const char *key)
{
    return g && config_setting_is_group(g) ? config_setting_get_member(g, key) : NULL;
}

static int read_report(const config_setting_t *rep, struct station_config *c,
                       const char *path, struct cfg_error *err)
{
    const config_setting_t *target = member(rep, "target");
    int rc;

    if (!rep)
        return 0;
    if (!config_setting_is_group(rep))
        return cfg_fail(err, rep, path, "'report' must be a group: report = { day_starts = "
                        "\"07:00\"; night_starts = \"19:00\"; target = { ... }; };");
    if (target && !config_setting_is_group(target))
        return cfg_fail(err, target, path, "'target' must be a group: target = { urgent = 60; "
                        "assist = 180; routine = 600; };");
    cfg_rows_warn_unknown(rep, report_rows, report_extra);
    cfg_rows_warn_unknown(target, target_rows, NULL);
    if ((rc = cfg_rows_read(rep, report_rows, c, err)) ||
        (rc = cfg_rows_read(target, target_rows, c, err)))
        return rc;
    c->day_starts_min = parse_hhmm(c->day_starts);
    c->night_starts_min = parse_hhmm(c->night_starts);
    if (c->day_starts_min < 0)
        return cfg_fail(err, member(rep, "day_starts"), path, "'day_starts' must be a time "
                        "\"HH:MM\" (24-hour), e.g. \"07:00\"");
    if (c->night_starts_min < 0)
        return cfg_fail(err, member(rep, "night_starts"), path, "'night_starts' must be a time "
                        "\"HH:MM\" (24-hour), e.g. \"19:00\"");
    if (c->day_starts_min == c->night_starts_min)
        return cfg_fail(err, member(rep, "night_starts"), path, "'night_starts' must differ "
                        "from 'day_starts'");
    return 0;
}

/*
 * The station logs in as "station" or "station-*" (the controller takes the
 * nurse's name from it).  A username from the shared broker { } (the
 * controller's, or the kiosks' "kiosk-%r") is not one: say where it came
 * from and where the station's own goes.
 */
static int check_login(const config_setting_t *const brk[2], const struct station_config *c,
                       const char *path, struct cfg_error *err)
{
    const config_setting_t *own = member(brk[1], "username");
    const char *u = c->broker.username;

    if (!u[0] || (login_valid(u) && login_is_station(u)))
        return 0;
    if (own)
        return cfg_fail(err, own, path, "the station's broker 'username' must be \"station\" "
                        "or start with \"station-\" (then the controller takes the nurse's "
                        "name from it)");
    return cfg_fail(err, member(brk[0], "username"), path, "the shared broker 'username' "
                    "\"%s\" is not a station's login, and the station would log in with it: "
                    "give the station its own, station = { broker = { username = \"station\"; "
                    "password_file = \"...\"; }; } (docs/deployment.md)", u);
}

/* True when text holds a PEM "-----BEGIN <...label>-----" line. */
static bool has_pem_begin(const char *text, const char *label)
{
    for (const char *p = strstr(text, "-----BEGIN "); p; p = strstr(p + 1, "-----BEGIN ")) {
        const char *end = strstr(p + 11, "-----");
        size_t llen = strlen(label);
        if (end && (size_t)(end - (p + 11)) >= llen && !memcmp(end - llen, label, llen) &&
            !memchr(p, '\n', (size_t)(end - p)))
            return true;
    }
    return false;
}

/*
 * A TLS file named by key (at: its setting): it must be a regular file we
 * can read now, hold a PEM block whose label ends in label and, for the
 * key, be readable by our user alone (as ssh insists for its keys).
 */
static int check_tls_file(const config_setting_t *at, const char *path, const char *key,
                          const char *file, const char *label, bool secret,
                          struct cfg_error *err)
{
    FILE *fp = fopen(file, "r");
    struct stat st;
    char *text = NULL;
    size_t n = 0;
    int rc = 0;

    if (!fp)
        return cfg_fail(err, at, path, "'%s' %s cannot be read: %s", key, file, strerror(errno));
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode))
        rc = cfg_fail(err, at, path, "'%s' %s is not a file", key, file);
    else if (secret && (st.st_mode & 077))
        rc = cfg_fail(err, at, path, "'%s' %s is readable by others (mode %04o); chmod 600 it "
                      "(owned by the user the station runs as)", key, file,
                      (unsigned)(st.st_mode & 07777));
    else if (st.st_size >= TLS_FILE_MAX || !(text = malloc((size_t)st.st_size + 1)))
        rc = cfg_fail(err, at, path, "'%s' %s is too large for a PEM file", key, file);
    else if ((n = fread(text, 1, (size_t)st.st_size, fp)) != (size_t)st.st_size)
        rc = cfg_fail(err, at, path, "'%s' %s cannot be read: %s", key, file,
                      ferror(fp) ? strerror(errno) : "it changed while being read");
    else if ((text[n] = '\0', !has_pem_begin(text, label)))
        rc = cfg_fail(err, at, path, "'%s' %s is not a PEM %s (no \"-----BEGIN %s-----\" "
                      "line); use the files scripts/make-certs makes", key, file,
                      secret ? "private key" : "certificate", secret ? "PRIVATE KEY" : label);
    if (text) {
        explicit_bzero(text, n);
        free(text);
    }
    fclose(fp);
    return rc;
}

/* The TLS files come as a pair, exist, are PEM, and the key is ours alone. */
static int check_tls(const config_setting_t *st, const struct station_config *c,
                     const char *path, struct cfg_error *err)
{
    int rc;

    if (!c->tls_cert[0] != !c->tls_key[0])
        return cfg_fail(err, member(st, c->tls_cert[0] ? "tls_cert" : "tls_key"), path,
                        "'tls_cert' and 'tls_key' go together: set both or neither");
    if (!c->tls_cert[0])
        return 0;
    if ((rc = check_tls_file(member(st, "tls_cert"), path, "tls_cert", c->tls_cert,
                             "CERTIFICATE", false, err)) ||
        (rc = check_tls_file(member(st, "tls_key"), path, "tls_key", c->tls_key,
                             "PRIVATE KEY", true, err)))
        return rc;
    return 0;
}

/* The listen address and the files: what a wrong value would break later. */
static int check_station(const config_setting_t *st, struct station_config *c, const char *path,
                         struct cfg_error *err)
{
    /* An empty listen keeps the default, as it always has. */
    if (split_listen(c->listen[0] ? c->listen : DEFAULT_LISTEN, c->listen_host,
                     sizeof c->listen_host, &c->listen_port))
        return cfg_fail(err, member(st, "listen"), path, "'listen' must be \"HOST:PORT\", e.g. "
                        "\"127.0.0.1:8080\" or \"[::1]:8080\"");
    if (!c->users[0] || !c->audit[0] || !c->record[0]) {
        const char *key = !c->users[0] ? "users" : !c->audit[0] ? "audit" : "record";

        return cfg_fail(err, member(st, key), path, "'%s' must name a file", key);
    }
    return check_tls(st, c, path, err);
}

static void set_defaults(struct station_config *c)
{
    cfg_rows_default(station_rows, c);
    cfg_rows_default(report_rows, c);
    cfg_rows_default(target_rows, c);
    cfg_rows_default(kiosk_rows, c);
    c->day_starts_min = parse_hhmm(c->day_starts);
    c->night_starts_min = parse_hhmm(c->night_starts);
}

/*
 * Reads everything but the clinic (roomcfg's) from the parsed file.  The
 * station's broker starts from the shared broker { } like the controller's,
 * never from controller.broker (another login's credentials).
 */
static int read_station(const config_t *cfg, struct station_config *c, struct cfg_error *err)
{
    const char *path = c->clinic.path;
    const config_setting_t *st = config_lookup(cfg, "station");
    const config_setting_t *brk[2] = { config_lookup(cfg, "broker"), member(st, "broker") };
    const config_setting_t *kiosk = config_lookup(cfg, "kiosk");
    int rc;

    if (st && !config_setting_is_group(st))
        return cfg_fail(err, st, path, "'station' must be a group: station = { listen = "
                        "\"127.0.0.1:8080\"; ... };");
    cfg_rows_warn_unknown(st, station_rows, station_extra);
    cfg_rows_warn_unknown(brk[1], cfg_broker_rows, NULL);
    if ((rc = cfg_rows_read(st, station_rows, c, err)) ||
        (rc = cfg_rows_read(kiosk && config_setting_is_group(kiosk) ? kiosk : NULL, kiosk_rows,
                            c, err)) ||
        (rc = read_report(member(st, "report"), c, path, err)) ||
        (rc = cfg_broker_read(brk, 2, path, NULL, &c->broker, err)) ||
        (rc = check_login(brk, c, path, err)) ||
        (rc = check_station(st, c, path, err)))
        return rc;
    c->recovery_ms = c->recovery_min * 60000LL;
    return 0;
}

int stationcfg_load(const char *path, struct station_config *out, struct cfg_error *err)
{
    config_t cfg;
    int rc;

    memset(out, 0, sizeof *out);
    set_defaults(out);
    if ((rc = roomcfg_load(path, &out->clinic, err)) != 0)
        return rc;
    if ((rc = cfg_load(&cfg, path, err)) != 0) {
        roomcfg_free(&out->clinic);
        return rc;
    }
    rc = read_station(&cfg, out, err);
    config_destroy(&cfg);
    if (rc)
        stationcfg_free(out);
    return rc;
}

void stationcfg_free(struct station_config *c)
{
    roomcfg_free(&c->clinic);
    explicit_bzero(c->broker.password, sizeof c->broker.password);
}

int stationcfg_keep_restart(struct station_config *next, const struct station_config *running)
{
    int changed = cfg_rows_keep(station_rows, next, running, "reload", "station.") +
                  cfg_rows_keep(cfg_broker_rows, &next->broker, &running->broker, "reload",
                                "broker.");

    strcpy(next->listen_host, running->listen_host);   /* listen, split */
    next->listen_port = running->listen_port;
    return changed;
}

const char *stationcfg_login(const struct station_config *c)
{
    return c->broker.username[0] ? c->broker.username : "station";
}

int stationcfg_check_listen(const struct station_config *c, struct cfg_error *err)
{
    if (!c->tls_cert[0] && !stationcfg_host_is_loopback(c->listen_host))
        return cfg_fail(err, NULL, c->clinic.path, "station: listening on %s needs HTTPS: set "
                        "tls_cert and tls_key (scripts/make-certs), or listen on 127.0.0.1",
                        c->listen_host);
    return 0;
}
