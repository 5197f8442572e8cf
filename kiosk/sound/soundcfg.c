/*
 * soundcfg.c - kiosk { sound { } } (soundcfg.h): scalars through a table of
 * cfg_rows (key, range, default), then the playlists, the phases that name
 * them and the themes the patient may pick.  Every error names file:line;
 * every path is resolved here against the assets directory (itself relative
 * to the config file's directory), so the player never has to think about
 * the working directory.
 */
#include "soundcfg.h"
#include "err.h"
#include "log.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Scalars, read into this and then checked. */
struct sound_scalars {
    int enabled;
    int volume, volume_max, chime_volume;
    int64_t fade_ms;
    char assets[PATH_MAX];
    char chime[PATH_MAX];
};

/* Their rows, with the defaults of docs/configuration.md ("assets" empty: the config's dir). */
static const struct cfg_row sound_rows[] = {
    CFG_ROW_BOOL(struct sound_scalars, "enabled", enabled, 1, 0),
    CFG_ROW_INT(struct sound_scalars, "volume", volume, 0, 100, 40, 0),
    CFG_ROW_INT(struct sound_scalars, "volume_max", volume_max, 0, 100, 70, 0),
    CFG_ROW_INT(struct sound_scalars, "chime_volume", chime_volume, 0, 100, 50, 0),
    CFG_ROW_MS(struct sound_scalars, "fade", fade_ms, 0, 30, 3, 0),
    CFG_ROW_TEXT(struct sound_scalars, "assets", assets, NULL, 0),
    CFG_ROW_TEXT(struct sound_scalars, "chime", chime, NULL, 0),
    CFG_ROWS_END
};
static const char *const sound_extra[] = { "playlists", "phases", "themes", NULL };

static const char *src_file(const config_setting_t *s, const char *fallback)
{
    const char *f = s ? config_setting_source_file(s) : NULL;
    return f ? f : fallback;
}

/* ---- paths ------------------------------------------------------------------------ */

/* The directory relative names are taken against: assets, resolved against the config's dir. */
static int assets_dir(const char *cfg_path, const char *assets, char *out, size_t outlen)
{
    char copy[PATH_MAX], dir[PATH_MAX];
    int n;

    snprintf(copy, sizeof copy, "%s", cfg_path);
    if (!realpath(dirname(copy), dir))
        snprintf(dir, sizeof dir, "%s", ".");
    if (assets[0] == '/')
        n = snprintf(copy, sizeof copy, "%s", assets);
    else if (assets[0])
        n = snprintf(copy, sizeof copy, "%s/%s", dir, assets);
    else
        n = snprintf(copy, sizeof copy, "%s", dir);
    if (n < 0 || (size_t)n >= sizeof copy)
        return -1;
    if (realpath(copy, dir))  /* tidier in the log; a directory not there yet stays as written */
        snprintf(copy, sizeof copy, "%s", dir);
    n = snprintf(out, outlen, "%s", copy);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* Adds name (resolved against dir) to c->paths; its offset, or -1 when there is no room. */
static int add_path(struct sound_config *c, const char *dir, const char *name)
{
    size_t room = sizeof c->paths - (size_t)c->paths_used;
    int n = name[0] == '/' ? snprintf(c->paths + c->paths_used, room, "%s", name)
                           : snprintf(c->paths + c->paths_used, room, "%s/%s", dir, name);
    int at = c->paths_used;

    if (n < 0 || (size_t)n >= room)
        return -1;
    c->paths_used += n + 1;
    return at;
}

/* ---- playlists { name = { files = [...]; order = "shuffle"; loop = true; }; } ------------ */

static int read_files(const config_setting_t *files, const char *dir, struct sound_config *c,
                      struct sound_list *l, struct cfg_error *err)
{
    l->first = c->n_tracks;
    for (int i = 0; i < config_setting_length(files); i++) {
        const config_setting_t *e = config_setting_get_elem(files, (unsigned)i);
        const char *name = config_setting_get_string(e);
        int at;

        if (!name || !name[0])
            return cfg_fail(err, e, NULL, "playlist '%s': file %d must be a file name in "
                            "double quotes", l->name, i + 1);
        if (c->n_tracks >= SOUND_TRACKS_MAX)
            return cfg_fail(err, e, NULL, "too many sound files: at most %d in all playlists",
                            SOUND_TRACKS_MAX);
        if ((at = add_path(c, dir, name)) < 0)
            return cfg_fail(err, e, NULL, "sound file names too long in all (%zu bytes at most)",
                            sizeof c->paths);
        c->track_line[c->n_tracks] = (int)config_setting_source_line(e);
        c->track[c->n_tracks++] = at;
    }
    l->n = c->n_tracks - l->first;
    return 0;
}

static int read_list(const config_setting_t *g, const char *dir, struct sound_config *c,
                     struct cfg_error *err)
{
    static const char *const known[] = { "files", "order", "loop", NULL };
    struct sound_list *l = &c->list[c->n_lists];
    const config_setting_t *files = config_setting_get_member(g, "files");
    const char *order = "listed";
    int loop = 1;

    if (!config_setting_is_group(g))
        return cfg_fail(err, g, NULL, "playlist '%s' must be a group: %s = { files = "
                        "[ \"a.ogg\" ]; };", config_setting_name(g), config_setting_name(g));
    if (strlen(config_setting_name(g)) >= sizeof l->name)
        return cfg_fail(err, g, NULL, "playlist name '%s' is too long (%zu characters at most)",
                        config_setting_name(g), sizeof l->name - 1);
    cfg_rows_warn_unknown(g, NULL, known);
    strcpy(l->name, config_setting_name(g));
    if (!files || !(config_setting_is_array(files) || config_setting_is_list(files)) ||
        config_setting_length(files) == 0)
        return cfg_fail(err, files ? files : g, NULL, "playlist '%s' needs files = "
                        "[ \"a.ogg\", ... ]; (at least one)", l->name);
    config_setting_lookup_string(g, "order", &order);
    if (strcmp(order, "shuffle") != 0 && strcmp(order, "listed") != 0)
        return cfg_fail(err, config_setting_get_member(g, "order"), NULL,
                        "playlist '%s': order must be \"listed\" or \"shuffle\"", l->name);
    if (config_setting_get_member(g, "loop") && !config_setting_lookup_bool(g, "loop", &loop))
        return cfg_fail(err, config_setting_get_member(g, "loop"), NULL,
                        "playlist '%s': loop must be true or false", l->name);
    l->shuffle = strcmp(order, "shuffle") == 0;
    l->loop = loop != 0;
    return read_files(files, dir, c, l, err);
}

static int read_lists(const config_setting_t *sound, const char *dir, struct sound_config *c,
                      struct cfg_error *err)
{
    const config_setting_t *lists = config_setting_get_member(sound, "playlists");
    int rc;

    if (!lists)
        return 0;
    if (!config_setting_is_group(lists))
        return cfg_fail(err, lists, NULL, "'playlists' must be a group: playlists = "
                        "{ calm = { files = [ \"a.ogg\" ]; }; };");
    for (int i = 0; i < config_setting_length(lists); i++) {
        const config_setting_t *g = config_setting_get_elem(lists, (unsigned)i);
        if (c->n_lists >= SOUND_LISTS_MAX)
            return cfg_fail(err, g, NULL, "too many playlists (%d at most)", SOUND_LISTS_MAX);
        if ((rc = read_list(g, dir, c, err)) != 0)
            return rc;
        c->n_lists++;
    }
    return 0;
}

/* ---- phases { infusion = "calm"; } ------------------------------------------------------ */

/* s names a playlist: its index; fails naming what is wrong. */
static int list_ref(const config_setting_t *s, const struct sound_config *c, const char *what,
                    int *out, struct cfg_error *err)
{
    const char *name = config_setting_get_string(s);

    if (!name || (*out = soundcfg_list_index(c, name)) < 0)
        return cfg_fail(err, s, NULL, "%s must name one of the playlists in double quotes%s%s",
                        what, name ? ": there is no playlist " : "", name ? name : "");
    return 0;
}

static int read_phases(const config_setting_t *sound, struct sound_config *c,
                       struct cfg_error *err)
{
    const config_setting_t *phases = config_setting_get_member(sound, "phases");
    char what[64];

    if (!phases)
        return 0;
    if (!config_setting_is_group(phases))
        return cfg_fail(err, phases, NULL, "'phases' must be a group: phases = "
                        "{ infusion = \"calm\"; };");
    for (int i = 0; i < config_setting_length(phases); i++) {
        const config_setting_t *s = config_setting_get_elem(phases, (unsigned)i);
        int p = phase_from_name(config_setting_name(s)), rc;
        if (p < 0)
            return cfg_fail(err, s, NULL, "'%s' is not a phase (idle, intake, infusion, "
                            "recovery, discharge)", config_setting_name(s));
        snprintf(what, sizeof what, "phase '%s'", config_setting_name(s));
        if ((rc = list_ref(s, c, what, &c->phase_list[p], err)) != 0)
            return rc;
    }
    return 0;
}

/* ---- themes ( { name = "nature"; playlist = "rain"; scene = "forest"; }, ... ) ---------------- */

/* Copies the string member key of g (if there) into out; fails when it is not text that fits. */
static int theme_string(const config_setting_t *g, const char *key, char *out, size_t outlen,
                        struct cfg_error *err)
{
    const config_setting_t *s = config_setting_get_member(g, key);
    const char *v;

    if (!s)
        return 0;
    v = config_setting_get_string(s);
    if (!v || !v[0] || strlen(v) >= outlen || !utf8_valid(v, strlen(v)))
        return cfg_fail(err, s, NULL, "theme %s must be 1 to %zu characters in double quotes",
                        key, outlen - 1);
    strcpy(out, v);
    return 0;
}

static int read_theme(const config_setting_t *g, struct sound_config *c, struct cfg_error *err)
{
    static const char *const known[] = { "name", "label", "playlist", "scene", NULL };
    struct sound_theme *t = &c->theme[c->n_themes];
    const config_setting_t *pl;
    int rc;

    if (!config_setting_is_group(g))
        return cfg_fail(err, g, NULL, "a theme must be a group: { name = \"nature\"; "
                        "playlist = \"rain\"; scene = \"forest\"; }");
    cfg_rows_warn_unknown(g, NULL, known);
    t->list = -1;
    if (!config_setting_get_member(g, "name"))
        return cfg_fail(err, g, NULL, "a theme needs a name, e.g. name = \"nature\";");
    if ((rc = theme_string(g, "name", t->name, sizeof t->name, err)) != 0 ||
        (rc = theme_string(g, "label", t->label, sizeof t->label, err)) != 0 ||
        (rc = theme_string(g, "scene", t->scene, sizeof t->scene, err)) != 0)
        return rc;
    if (soundcfg_theme_index(c, t->name) >= 0)
        return cfg_fail(err, g, NULL, "theme '%s' is named twice", t->name);
    pl = config_setting_get_member(g, "playlist");
    return pl ? list_ref(pl, c, "a theme's playlist", &t->list, err) : 0;
}

static int read_themes(const config_setting_t *sound, struct sound_config *c,
                       struct cfg_error *err)
{
    const config_setting_t *themes = config_setting_get_member(sound, "themes");
    int rc;

    if (!themes)
        return 0;
    if (!config_setting_is_list(themes))
        return cfg_fail(err, themes, NULL, "'themes' must be a list in ( ): themes = "
                        "( { name = \"nature\"; playlist = \"rain\"; } );");
    for (int i = 0; i < config_setting_length(themes); i++) {
        const config_setting_t *g = config_setting_get_elem(themes, (unsigned)i);
        if (c->n_themes >= SOUND_THEMES_MAX)
            return cfg_fail(err, g, NULL, "too many themes (%d at most: they share one row "
                            "of the patient's screen)", SOUND_THEMES_MAX);
        if ((rc = read_theme(g, c, err)) != 0)
            return rc;
        c->n_themes++;
    }
    return 0;
}

/* ---- the section ----------------------------------------------------------------------- */

static int apply_scalars(const config_setting_t *sound, const struct sound_scalars *s,
                         struct sound_config *c, struct cfg_error *err)
{
    if (s->volume > s->volume_max)
        return cfg_fail(err, config_setting_get_member(sound, "volume"), NULL,
                        "volume (%d) must not be above volume_max (%d)", s->volume,
                        s->volume_max);
    c->enabled = s->enabled != 0;
    c->volume = s->volume;
    c->volume_max = s->volume_max;
    c->chime_volume = s->chime_volume < s->volume_max ? s->chime_volume : s->volume_max;
    c->fade_ms = s->fade_ms;
    return 0;
}

int soundcfg_read(const config_setting_t *sound, const char *cfg_path, struct sound_config *out,
                  struct cfg_error *err)
{
    struct sound_scalars s;
    char dir[PATH_MAX];
    int rc;

    memset(out, 0, sizeof *out);
    snprintf(out->file, sizeof out->file, "%s", src_file(sound, cfg_path));
    out->chime = -1;
    for (int p = 0; p < PHASE_COUNT; p++)
        out->phase_list[p] = -1;
    if (!sound)
        return 0;
    if (!config_setting_is_group(sound))
        return cfg_fail(err, sound, NULL, "'sound' must be a group: sound = { volume_max = 70; "
                        "... };");
    cfg_rows_default(sound_rows, &s);
    cfg_rows_warn_unknown(sound, sound_rows, sound_extra);
    if ((rc = cfg_rows_read(sound, sound_rows, &s, err)) != 0 ||
        (rc = apply_scalars(sound, &s, out, err)) != 0)
        return rc;
    if (assets_dir(cfg_path, s.assets, dir, sizeof dir) != 0)
        return cfg_fail(err, config_setting_get_member(sound, "assets"), NULL,
                        "'assets' is too long a path");
    if (s.chime[0]) {
        if ((out->chime = add_path(out, dir, s.chime)) < 0)
            return cfg_fail(err, config_setting_get_member(sound, "chime"), NULL,
                            "'chime' is too long a path");
        out->chime_line = (int)config_setting_source_line(config_setting_get_member(sound, "chime"));
    }
    if ((rc = read_lists(sound, dir, out, err)) != 0 || (rc = read_phases(sound, out, err)) != 0)
        return rc;
    return read_themes(sound, out, err);
}

/* ---- look-ups ---------------------------------------------------------------------------- */

const char *soundcfg_track(const struct sound_config *c, int list, int i)
{
    if (list < 0 || list >= c->n_lists || i < 0 || i >= c->list[list].n)
        return NULL;
    return c->paths + c->track[c->list[list].first + i];
}

const char *soundcfg_chime(const struct sound_config *c)
{
    return c->chime >= 0 ? c->paths + c->chime : NULL;
}

int soundcfg_list_index(const struct sound_config *c, const char *name)
{
    for (int i = 0; i < c->n_lists; i++)
        if (strcmp(c->list[i].name, name) == 0)
            return i;
    return -1;
}

int soundcfg_theme_index(const struct sound_config *c, const char *name)
{
    for (int i = 0; i < c->n_themes; i++)
        if (strcmp(c->theme[i].name, name) == 0)
            return i;
    return -1;
}

int soundcfg_check_files(const struct sound_config *c)
{
    int bad = 0;

    for (int i = 0; i < c->n_tracks; i++) {
        if (access(c->paths + c->track[i], R_OK) != 0) {
            log_warn("%s:%d: sound file %s cannot be read: it will be skipped", c->file,
                     c->track_line[i], c->paths + c->track[i]);
            bad++;
        }
    }
    if (c->chime >= 0 && access(c->paths + c->chime, R_OK) != 0) {
        log_warn("%s:%d: chime %s cannot be read: there will be no chime", c->file,
                 c->chime_line, c->paths + c->chime);
        bad++;
    }
    return bad;
}
