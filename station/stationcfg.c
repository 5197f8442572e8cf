/*
 * stationcfg.c - reading and validating the station { } group of haven.cfg,
 * with the clinic itself read by roomcfg_load (the same rooms and labels as
 * the controller's, by construction).
 */
#include "stationcfg.h"
#include "err.h"
#include "log.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_RECOVERY_MIN 30   /* the kiosk's own default (kiosk/kcfg.c) */

#define F(key, type, member, min, max) \
    { key, type, offsetof(struct station_config, member), \
      sizeof(((struct station_config *)0)->member), min, max, 0 }

/* listen is read as text into this scratch struct, then split. */
struct listen_text {
    char listen[300];
    char day[16], night[16];
};

static const struct cfg_field station_fields[] = {
    F("users", CFG_STRING, users, 0, 0),
    F("audit", CFG_STRING, audit, 0, 0),
    F("tls_cert", CFG_STRING, tls_cert, 0, 0),
    F("tls_key", CFG_STRING, tls_key, 0, 0),
    F("phone_idle", CFG_MS, phone_idle_ms, 60, 86400),
    F("board_max", CFG_MS, board_max_ms, 60, 604800),
    CFG_FIELD_END
};
static const struct cfg_field listen_fields[] = {
    { "listen", CFG_STRING, offsetof(struct listen_text, listen),
      sizeof(((struct listen_text *)0)->listen), 0, 0, 0 },
    CFG_FIELD_END
};
static const char *const station_extra[] = { "listen", "broker", "report", NULL };
static const struct cfg_field broker_fields[] = {
    CFG_BROKER_FIELDS(struct station_config),
    CFG_FIELD_END
};
static const struct cfg_field report_fields[] = {
    { "day_starts", CFG_STRING, offsetof(struct listen_text, day),
      sizeof(((struct listen_text *)0)->day), 0, 0, 0 },
    { "night_starts", CFG_STRING, offsetof(struct listen_text, night),
      sizeof(((struct listen_text *)0)->night), 0, 0, 0 },
    CFG_FIELD_END
};
static const char *const report_extra[] = { "target", NULL };
static const struct cfg_field target_fields[] = {
    F("routine", CFG_INT, target_s[PRIO_ROUTINE], 1, 86400),
    F("assist", CFG_INT, target_s[PRIO_ASSIST], 1, 86400),
    F("urgent", CFG_INT, target_s[PRIO_URGENT], 1, 86400),
    CFG_FIELD_END
};
struct kiosk_minutes {
    int recovery;
};
static const struct cfg_field kiosk_fields[] = {
    { "recovery_minutes", CFG_INT, offsetof(struct kiosk_minutes, recovery), 0, 1, 600, 0 },
    CFG_FIELD_END
};
#undef F

static void set_defaults(struct station_config *c)
{
    strcpy(c->listen_host, "127.0.0.1");
    c->listen_port = 8080;
    strcpy(c->users, "/var/lib/haven/station-users");
    strcpy(c->audit, "/var/lib/haven/station-audit.log");
    c->phone_idle_ms = 900 * 1000;
    c->board_max_ms = 43200 * 1000LL;
    c->day_starts_min = 7 * 60;
    c->night_starts_min = 19 * 60;
    c->target_s[PRIO_URGENT] = 60;
    c->target_s[PRIO_ASSIST] = 180;
    c->target_s[PRIO_ROUTINE] = 600;
    c->recovery_ms = DEFAULT_RECOVERY_MIN * 60000LL;
}

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
    if (split_listen(hostport, c->listen_host, sizeof c->listen_host, &c->listen_port))
        return cfg_fail(err, NULL, "--listen", "'%s' must be HOST:PORT, e.g. 127.0.0.1:8080 "
                        "or [::1]:8080", hostport);
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
    struct listen_text t = { "", "07:00", "19:00" };
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
    cfg_warn_unknown(rep, report_fields, report_extra);
    cfg_warn_unknown(target, target_fields, NULL);
    if ((rc = cfg_read(rep, report_fields, &t, err)) || (rc = cfg_read(target, target_fields, c, err)))
        return rc;
    c->day_starts_min = parse_hhmm(t.day);
    c->night_starts_min = parse_hhmm(t.night);
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

/* The listen address, the broker login and the files: what a wrong value would break later. */
static int check_station(const config_setting_t *st, struct station_config *c, const char *path,
                         const struct listen_text *t, struct cfg_error *err)
{
    if (t->listen[0] && split_listen(t->listen, c->listen_host, sizeof c->listen_host,
                                     &c->listen_port))
        return cfg_fail(err, member(st, "listen"), path, "'listen' must be \"HOST:PORT\", e.g. "
                        "\"127.0.0.1:8080\" or \"[::1]:8080\"");
    if (!c->users[0] || !c->audit[0])
        return cfg_fail(err, member(st, c->users[0] ? "audit" : "users"), path,
                        "'%s' must name a file", c->users[0] ? "audit" : "users");
    if (!c->tls_cert[0] != !c->tls_key[0])
        return cfg_fail(err, member(st, c->tls_cert[0] ? "tls_cert" : "tls_key"), path,
                        "'tls_cert' and 'tls_key' go together: set both or neither");
    if (c->username[0] && !(login_valid(c->username) && login_is_station(c->username)))
        return cfg_fail(err, member(member(st, "broker"), "username"), path,
                        "the station's broker 'username' must be \"station\" or start with "
                        "\"station-\" (then the controller takes the nurse's name from it)");
    return 0;
}

/* Reads everything but the clinic (roomcfg's) from the parsed file. */
static int read_station(const config_t *cfg, struct station_config *c, struct cfg_error *err)
{
    const char *path = c->clinic.path;
    const config_setting_t *st = config_lookup(cfg, "station");
    const config_setting_t *brk[2] = { config_lookup(cfg, "broker"), member(st, "broker") };
    const config_setting_t *kiosk = config_lookup(cfg, "kiosk");
    struct kiosk_minutes km = { DEFAULT_RECOVERY_MIN };
    struct listen_text t = { "", "", "" };
    int rc;

    if (st && !config_setting_is_group(st))
        return cfg_fail(err, st, path, "'station' must be a group: station = { listen = "
                        "\"127.0.0.1:8080\"; ... };");
    cfg_warn_unknown(st, station_fields, station_extra);
    cfg_warn_unknown(brk[1], broker_fields, NULL);
    if ((rc = cfg_read(st, station_fields, c, err)) || (rc = cfg_read(st, listen_fields, &t, err)) ||
        (rc = cfg_read(brk[0], broker_fields, c, err)) ||
        (rc = cfg_read(brk[1], broker_fields, c, err)) ||
        (rc = cfg_read(kiosk && config_setting_is_group(kiosk) ? kiosk : NULL, kiosk_fields, &km,
                       err)) ||
        (rc = read_report(member(st, "report"), c, path, err)) ||
        (rc = check_station(st, c, path, &t, err)) ||
        (rc = cfg_auth_finish(brk, 2, path, &c->auth, c->password, sizeof c->password, err)))
        return rc;
    c->recovery_ms = km.recovery * 60000LL;
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
    /* The station's broker starts from the shared broker { } like the controller's,
     * never from controller.broker (another login's credentials). */
    strcpy(out->broker_host, "127.0.0.1");
    out->broker_port = 1883;
    out->keepalive = 10;
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
    memset(c->password, 0, sizeof c->password);
}

const char *stationcfg_login(const struct station_config *c)
{
    return c->username[0] ? c->username : "station";
}

static int check_readable(const char *key, const char *file, struct cfg_error *err)
{
    FILE *fp = fopen(file, "r");

    if (!fp)
        return cfg_fail(err, NULL, file, "'%s' cannot be read", key);
    fclose(fp);
    return 0;
}

int stationcfg_check_listen(const struct station_config *c, struct cfg_error *err)
{
    int rc;

    if (c->tls_cert[0]) {
        if ((rc = check_readable("tls_cert", c->tls_cert, err)) ||
            (rc = check_readable("tls_key", c->tls_key, err)))
            return rc;
        return 0;
    }
    if (!stationcfg_host_is_loopback(c->listen_host))
        return cfg_fail(err, NULL, c->clinic.path, "station: listening on %s needs HTTPS: set "
                        "tls_cert and tls_key (scripts/make-certs), or listen on 127.0.0.1",
                        c->listen_host);
    return 0;
}
