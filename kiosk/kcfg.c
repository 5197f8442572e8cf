/*
 * kcfg.c - the kiosk's part of haven.cfg, and the staff PIN.
 *
 * The kiosk reads the shared prefix and broker, finds its own chair in
 * rooms (for the label), and reads its kiosk { } section through a
 * table of cfg_rows (key, range, default, restart-only).  Every error names
 * file:line, as the room controller's do.
 * Sections that belong to other programs are theirs to check: the kiosk warns
 * only about keys it does not know inside kiosk { }.
 *
 * The staff PINs' hashes are not in haven.cfg (which staff and installers
 * read) but in kiosk.pin_file, a secrets file of the kiosk's own (pin.h):
 * kcfg_load_pins reads it once the state directory is known.
 */
#include "kcfg.h"
#include "err.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- tables ------------------------------------------------------------------------- */

static const struct cfg_row top_rows[] = {
    CFG_ROW_TEXT(struct kiosk_config, "prefix", prefix, "haven", CFG_RESTART),
    CFG_ROWS_END
};
static const struct cfg_row kiosk_rows[] = {
    CFG_ROW_INT(struct kiosk_config, "dpi", dpi, 72, 600, 96, 0),
    CFG_ROW_TEXT(struct kiosk_config, "state_dir", state_dir, "/var/lib/haven-kiosk", CFG_RESTART),
    CFG_ROW_TEXT(struct kiosk_config, "pin_file", pin_file, NULL, 0),
    CFG_ROW_MS(struct kiosk_config, "checkin_timeout", checkin_timeout_ms, 10, 3600, 120, 0),
    CFG_ROW_TEXT(struct kiosk_config, "offline_text", offline_text,
                 "If you need help now, press the call cord by your chair or call out.", 0),
    CFG_ROW_TEXT(struct kiosk_config, "font", font,
                 "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
    CFG_ROWS_END
};

/* Settings in minutes: read as whole numbers here, then stored in ms. */
struct kiosk_minutes {
    int recovery;
    int checkin;
};
static const struct cfg_row minute_rows[] = {
    CFG_ROW_INT(struct kiosk_minutes, "recovery_minutes", recovery, 1, 600, 30, 0),
    CFG_ROW_INT(struct kiosk_minutes, "checkin_minutes", checkin, 1, 240, 15, 0),
    CFG_ROWS_END
};
/* Read by hand below, or through minute_rows: not unknown. */
static const char *const kiosk_extra[] = {
    "recovery_minutes", "checkin_minutes", "unwell_feelings",
    "questionnaires",  /* read by questionnaire.c */
    "sound",           /* read by soundcfg.c */
    "broker",          /* the kiosk's own broker settings, read below */
    "pin",             /* refused below: the hash belongs in pin_file */
    NULL
};

/* What the tables cannot say: the minutes (kept in ms) and the answers that call a nurse. */
static void set_defaults(struct kiosk_config *c)
{
    struct kiosk_minutes min;

    cfg_rows_default(top_rows, c);
    cfg_rows_default(kiosk_rows, c);
    cfg_rows_default(minute_rows, &min);
    c->recovery_ms = min.recovery * 60000LL;
    c->checkin_ms = min.checkin * 60000LL;
    memset(c->unwell_feeling, 0, sizeof c->unwell_feeling);
    c->unwell_feeling[5] = true;
}

/* ---- the shared sections --------------------------------------------------------------- */

/* The prefix must make valid topics: the same rule as the controller's (common/contract.c). */
static int check_prefix(const config_t *cfg, const struct kiosk_config *c,
                        struct cfg_error *err)
{
    if (!topic_prefix_valid(c->prefix))
        return cfg_fail(err, config_lookup(cfg, "prefix"), c->path,
                        "'prefix' must be a topic without wildcards or leading/trailing '/'");
    return 0;
}

/*
 * The shared prefix and broker { }, then the kiosk's own kiosk { broker { } }
 * on top (its username, password file and device certificate, with "%r" for
 * the room), then the password file and TLS files checked.
 */
static int read_shared(const config_t *cfg, struct kiosk_config *c, struct cfg_error *err)
{
    const config_setting_t *brk[2] = { config_lookup(cfg, "broker"),
                                       config_lookup(cfg, "kiosk.broker") };
    int rc;

    cfg_rows_warn_unknown(brk[1], cfg_broker_rows, NULL);
    if ((rc = cfg_rows_read(config_root_setting(cfg), top_rows, c, err)) != 0 ||
        (rc = cfg_broker_read(brk, 2, c->path, c->room, &c->broker, err)) != 0)
        return rc;
    return check_prefix(cfg, c, err);
}

/* The ids in rooms, "chair-1, chair-2, ..." (shortened to fit), for the error message. */
static void list_rooms(const config_setting_t *rooms, char *out, size_t outlen)
{
    static const char more[] = ", ...";
    size_t used = 0;

    out[0] = '\0';
    for (int i = 0; i < config_setting_length(rooms); i++) {
        const char *id = NULL;
        const config_setting_t *e = config_setting_get_elem(rooms, (unsigned)i);
        if (!config_setting_is_group(e) || !config_setting_lookup_string(e, "id", &id))
            continue;
        size_t n = strlen(id) + (used ? 2 : 0);
        if (used + n + sizeof more > outlen) {  /* keep room for ", ..." and the NUL */
            strcpy(out + used, used ? more : more + 2);
            return;
        }
        used += (size_t)sprintf(out + used, "%s%s", used ? ", " : "", id);
    }
}

/*
 * Finds room in the rooms list and copies its label (the id when it has
 * none).  The controller validates every entry; the kiosk checks its own.
 */
static int read_room(const config_t *cfg, struct kiosk_config *c, struct cfg_error *err)
{
    const config_setting_t *rooms = config_lookup(cfg, "rooms");
    char known[200];

    if (!rooms || !config_setting_is_list(rooms) || config_setting_length(rooms) < 1)
        return cfg_fail(err, rooms, c->path, "'rooms' must list at least one room: "
                        "rooms = ( { id = \"chair-1\"; label = \"Chair 1\"; } );");
    for (int i = 0; i < config_setting_length(rooms); i++) {
        const config_setting_t *e = config_setting_get_elem(rooms, (unsigned)i);
        const config_setting_t *lab;
        const char *id = NULL, *label;

        if (!config_setting_is_group(e) || !config_setting_lookup_string(e, "id", &id) ||
            strcmp(id, c->room) != 0)
            continue;
        lab = config_setting_get_member(e, "label");
        if (!lab) {
            strcpy(c->room_label, c->room);
            return 0;
        }
        label = config_setting_get_string(lab);
        if (!label || !label[0] || strlen(label) >= sizeof c->room_label)
            return cfg_fail(err, lab, NULL, "room '%s': label must be 1 to %zu characters "
                            "of text in double quotes", c->room, sizeof c->room_label - 1);
        strcpy(c->room_label, label);
        return 0;
    }
    list_rooms(rooms, known, sizeof known);
    return cfg_fail(err, rooms, c->path, "room '%s' is not in 'rooms' (%s)", c->room, known);
}

/* ---- kiosk { } --------------------------------------------------------------------------- */

/* unwell_feelings = [ 4, 5 ]: the check-in answers that call a nurse. */
static int read_unwell(const config_setting_t *kiosk, struct kiosk_config *c,
                       struct cfg_error *err)
{
    const config_setting_t *s = kiosk ? config_setting_get_member(kiosk, "unwell_feelings") : NULL;

    if (!s)
        return 0;
    if (!config_setting_is_array(s) && !config_setting_is_list(s))
        return cfg_fail(err, s, NULL, "'unwell_feelings' must be a list of answers in [ ], "
                        "1 (very good) to 5 (very bad), e.g. [ 4, 5 ]");
    memset(c->unwell_feeling, 0, sizeof c->unwell_feeling);
    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        int v = config_setting_type(e) == CONFIG_TYPE_INT ? config_setting_get_int(e) : 0;
        if (v < 1 || v > 5)
            return cfg_fail(err, e, NULL, "'unwell_feelings' entry %d must be a whole number "
                            "from 1 (very good) to 5 (very bad)", i + 1);
        c->unwell_feeling[v] = true;
    }
    if (config_setting_length(s) == 0)
        log_warn("%s:%u: 'unwell_feelings' is empty: no check-in answer will call a nurse by "
                 "itself (\"I'd like someone to come\" still does)",
                 config_setting_source_file(s) ? config_setting_source_file(s) : c->path,
                 config_setting_source_line(s));
    return 0;
}

/* The setting key in kiosk (which may be NULL), for an error's line. */
static const config_setting_t *at(const config_setting_t *kiosk, const char *key)
{
    return kiosk ? config_setting_get_member(kiosk, key) : NULL;
}

/* The values cfg_read cannot judge by range alone. */
static int check_kiosk(const config_setting_t *kiosk, const struct kiosk_config *c,
                       struct cfg_error *err)
{
    if (c->state_dir[0] != '/')
        return cfg_fail(err, at(kiosk, "state_dir"), c->path,
                        "'state_dir' must be an absolute path, e.g. \"/var/lib/haven-kiosk\"");
    if (at(kiosk, "pin"))
        return cfg_fail(err, at(kiosk, "pin"), c->path, "'pin' no longer belongs in this file, "
                        "which others may read: put the hash on a line of its own in a file "
                        "only the kiosk reads (chmod 600) and name it in 'pin_file'");
    if (at(kiosk, "pin_file") && !c->pin_file[0])
        return cfg_fail(err, at(kiosk, "pin_file"), c->path,
                        "'pin_file' must name the staff PINs' file");
    if (!c->offline_text[0] || !utf8_valid(c->offline_text, strlen(c->offline_text)))
        return cfg_fail(err, at(kiosk, "offline_text"), c->path, "'offline_text' must tell the "
                        "patient what to do when the nurses cannot be reached (UTF-8 text)");
    if (!c->font[0])
        return cfg_fail(err, at(kiosk, "font"), c->path, "'font' must name a TrueType font file");
    return 0;
}

static int read_kiosk(const config_t *cfg, struct kiosk_config *c, struct cfg_error *err)
{
    const config_setting_t *kiosk = config_lookup(cfg, "kiosk");
    struct kiosk_minutes min;
    int rc;

    if (kiosk && !config_setting_is_group(kiosk))
        return cfg_fail(err, kiosk, NULL, "'kiosk' must be a group: kiosk = { dpi = 96; ... };");
    cfg_rows_default(minute_rows, &min);
    cfg_rows_warn_unknown(kiosk, kiosk_rows, kiosk_extra);
    if ((rc = cfg_rows_read(kiosk, kiosk_rows, c, err)) != 0 ||
        (rc = cfg_rows_read(kiosk, minute_rows, &min, err)) != 0 ||
        (rc = read_unwell(kiosk, c, err)) != 0 || (rc = check_kiosk(kiosk, c, err)) != 0 ||
        (rc = soundcfg_read(at(kiosk, "sound"), c->path, &c->sound, err)) != 0)
        return rc;
    c->recovery_ms = min.recovery * 60000LL;
    c->checkin_ms = min.checkin * 60000LL;
    if (at(kiosk, "pin_file")) {  /* for errors about the file, read later */
        const config_setting_t *s = at(kiosk, "pin_file");
        snprintf(c->pin_file_at, sizeof c->pin_file_at, "%s:%u",
                 config_setting_source_file(s) ? config_setting_source_file(s) : c->path,
                 config_setting_source_line(s));
    }
    return 0;
}

/* out zeroed, its path and room checked and set, and the defaults. 0 or HV_ECONFIG. */
static int begin(const char *path, const char *room, struct kiosk_config *out,
                 struct cfg_error *err)
{
    memset(out, 0, sizeof *out);
    if (strlen(path) >= sizeof out->path)
        return cfg_fail(err, NULL, path, "path too long");
    strcpy(out->path, path);
    if (!room_id_valid(room))
        return cfg_fail(err, NULL, path, "'%s' is not a room id: 1 to 32 of a-z, 0-9 and '-', "
                        "as in the config's 'rooms'", room ? room : "");
    strcpy(out->room, room);
    set_defaults(out);
    return 0;
}

int kcfg_read(const config_t *cfg, const char *path, const char *room,
              struct kiosk_config *out, struct cfg_error *err)
{
    int rc;

    if ((rc = begin(path, room, out, err)) == 0 && (rc = read_shared(cfg, out, err)) == 0 &&
        (rc = read_room(cfg, out, err)) == 0)
        rc = read_kiosk(cfg, out, err);
    return rc;
}

int kcfg_load(const char *path, const char *room, struct kiosk_config *out,
              struct cfg_error *err)
{
    config_t cfg;
    int rc;

    if ((rc = begin(path, room, out, err)) != 0 || (rc = cfg_load(&cfg, path, err)) != 0)
        return rc;
    rc = kcfg_read(&cfg, path, room, out, err);
    config_destroy(&cfg);  /* every string was copied into out */
    return rc;
}

int kcfg_keep_restart(struct kiosk_config *next, const struct kiosk_config *running)
{
    return cfg_rows_keep(top_rows, next, running, "reload", "") +
           cfg_rows_keep(kiosk_rows, next, running, "reload", "kiosk.") +
           cfg_rows_keep(cfg_broker_rows, &next->broker, &running->broker, "reload", "broker.");
}

/* ---- the staff PIN ------------------------------------------------------------------- */

int kcfg_load_pins(struct kiosk_config *c, struct cfg_error *err)
{
    char path[PATH_MAX];

    memset(&c->pins, 0, sizeof c->pins);
    if (!c->pin_file[0])
        return 0;
    if (c->pin_file[0] == '/')
        snprintf(path, sizeof path, "%s", c->pin_file);
    else if ((size_t)snprintf(path, sizeof path, "%s/%s", c->state_dir, c->pin_file) >= sizeof path)
        return cfg_fail(err, NULL, c->pin_file_at, "'pin_file' is too long");
    return pin_set_load(path, c->pin_file_at, &c->pins, err);
}

const char *kcfg_pin_who(const struct kiosk_config *cfg, const char *pin)
{
    return pin_set_check(&cfg->pins, pin);
}

bool kcfg_pin_ok(const struct kiosk_config *cfg, const char *pin)
{
    return kcfg_pin_who(cfg, pin) != NULL;
}

int kcfg_hash_pin(const char *pin, char *out, size_t outlen)
{
    return pin_hash_new(pin, out, outlen);
}
