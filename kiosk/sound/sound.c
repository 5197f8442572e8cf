/*
 * sound.c - the sound policy (sound.h): what plays when, over a backend.
 *
 * The player keeps two things apart: what should be heard (the wish: the
 * playlist for the phase or the patient's theme, paused or not) and what is
 * playing.  Whenever they differ the playing track fades out; when the
 * backend says the music has stopped (SOUND_EV_MUSIC_DONE, through the main
 * loop, never a call from its own thread), settle() starts whatever the
 * wish is now, fading in.  Tracks end the same way: a fade out that begins
 * `fade` before the end, found from the track's position and duration in
 * sound_tick.
 *
 * The chime plays beside the music; the music is ducked under it in short
 * steps (sound_tick) and brought back when the backend says it is over.
 * No SDL here: times come from the callers, the shuffle's seed too.
 */
#include "sound.h"
#include "log.h"
#include "playlist.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAUSE_FADE_MS   1200           /* pause and "next": a quicker fade than between tracks */
#define DUCK_LEVEL      30             /* % of the music's volume under the chime */
#define DUCK_STEP_MS    25
#define DUCK_DOWN_MS    250
#define DUCK_UP_MS      600

enum play_state {
    ST_SILENT,                         /* no music */
    ST_PLAYING,                        /* a track plays (maybe fading in) */
    ST_FADING,                         /* a track fades out; settle() when it stops */
    ST_PAUSED,                         /* faded out and halted at resume_pos */
};

struct sound {
    struct sound_config cfg;
    struct sound_config next_cfg;      /* from a reload, taken at the next track */
    bool reload_pending;
    const struct sound_backend *be;
    void *be_ctx;
    bool device;                       /* the backend opened an output */
    bool chime;                        /* a chime is loaded */

    /* the wish */
    enum phase phase;
    int theme;                         /* the patient's choice, -1: none */
    bool theme_changed;                /* for sound_take_theme */
    bool want_paused;
    int volume;                        /* % of full, <= cfg.volume_max */

    /* what plays */
    enum play_state state;
    int list;                          /* the playlist playing (or last played), -1: none */
    struct playlist pl;
    int track;                         /* index in the list, -1: none */
    bool mus;                          /* a track is open in the backend */
    double duration;                   /* seconds, <= 0: unknown */
    int64_t fade_ms;                   /* this track's fades */
    double resume_pos;                 /* seconds: where a paused track goes on */
    bool skip;                         /* the fade out is for "next" */
    int64_t end_fade_at_ms;            /* wall clock: begin the track's closing fade */

    /* the chime's duck: duck % of the music's volume, moving toward duck_target */
    int duck, duck_target;
    int64_t duck_next_ms;

    enum sound_problem problem;
    char problem_list[SOUND_NAME_MAX];
    struct log_ratelimit bad_file_log;
};

/* ---- the wish ------------------------------------------------------------------------------ */

static bool patient_phase(enum phase p)
{
    return p == PHASE_INFUSION || p == PHASE_RECOVERY;
}

/* The playlist that should play now: the patient's theme in infusion and recovery, else the phase's. */
static int wanted_list(const struct sound *s)
{
    if (s->theme >= 0 && s->theme < s->cfg.n_themes && patient_phase(s->phase))
        return s->cfg.theme[s->theme].list;
    return s->cfg.phase_list[s->phase];
}

/* The music's volume now: the patient's, ducked under a chime, never above the ceiling. */
static void apply_volume(struct sound *s)
{
    int v = sound_volume_clamp(s->volume, s->cfg.volume_max);

    if (s->device)
        s->be->music_volume(s->be_ctx, v * s->duck / 100);
}

/* ---- playing ------------------------------------------------------------------------------- */

static void free_music(struct sound *s)
{
    if (s->mus)
        s->be->music_close(s->be_ctx);
    s->mus = false;
    s->track = -1;
}

/*
 * Starts the fade out of what plays (ms long); settle() follows when it has
 * stopped.  If the track has just ended by itself, the backend refuses the
 * fade, but its done event is on its way all the same: either way, ST_FADING.
 */
static void fade_out(struct sound *s, int64_t ms)
{
    if (s->state != ST_PLAYING)
        return;
    s->be->music_fade_out(s->be_ctx, (int)(ms > 0 ? ms : 1));
    s->state = ST_FADING;
}

/* This track's fades: the configured fade, at most a third of the track. */
static int64_t track_fade_ms(const struct sound *s)
{
    int64_t f = s->cfg.fade_ms;

    if (s->duration > 0 && f > (int64_t)(s->duration * 1000 / 3))
        f = (int64_t)(s->duration * 1000 / 3);
    return f;
}

/* Schedules the closing fade of the playing track: `fade` before its end. */
static void schedule_end(struct sound *s, int64_t now)
{
    double pos = s->mus ? s->be->music_position(s->be_ctx) : -1;

    s->end_fade_at_ms = 0;
    if (s->duration <= 0 || pos < 0)
        return;  /* unknown length: it ends by itself, and the next fades in */
    s->end_fade_at_ms = now + (int64_t)((s->duration - pos) * 1000) - s->fade_ms;
}

/* Opens track t of the playing list; false (logged, marked bad) when it cannot be played. */
static bool open_track(struct sound *s, int t)
{
    const char *path = soundcfg_track(&s->cfg, s->list, t);

    free_music(s);
    s->mus = path && s->be->music_open(s->be_ctx, path, &s->duration) == 0;
    if (!s->mus) {
        log_limited(&s->bad_file_log, LOG_WARN, "sound: skipping %s: %s", path ? path : "?",
                    s->be->error(s->be_ctx));
        playlist_mark_bad(&s->pl, t);
        return false;
    }
    s->track = t;
    s->fade_ms = track_fade_ms(s);
    return true;
}

/* Fades in the open track from pos seconds. False when the backend refuses (marked bad). */
static bool fade_in(struct sound *s, double pos, int64_t now)
{
    if (s->be->music_fade_in(s->be_ctx, pos > 0 ? pos : 0, (int)s->fade_ms) != 0) {
        log_limited(&s->bad_file_log, LOG_WARN, "sound: cannot play %s: %s",
                    soundcfg_track(&s->cfg, s->list, s->track), s->be->error(s->be_ctx));
        playlist_mark_bad(&s->pl, s->track);
        free_music(s);
        return false;
    }
    s->state = ST_PLAYING;
    apply_volume(s);
    schedule_end(s, now);
    log_info("sound: playing %s (%s, %.1f s, fade %lld ms)",
             soundcfg_track(&s->cfg, s->list, s->track), s->cfg.list[s->list].name,
             s->duration, (long long)s->fade_ms);
    return true;
}

/* The next playable track of the list, faded in; silent (with the reason) when there is none. */
static void play_next(struct sound *s, int64_t now)
{
    for (;;) {
        int t = playlist_next(&s->pl);
        if (t < 0)
            break;
        if (open_track(s, t) && fade_in(s, 0, now))
            return;
    }
    free_music(s);
    s->state = ST_SILENT;
    if (!playlist_playable(&s->pl) && s->problem != SOUND_NO_FILES) {
        s->problem = SOUND_NO_FILES;
        snprintf(s->problem_list, sizeof s->problem_list, "%s", s->cfg.list[s->list].name);
        log_error("sound: no file of playlist '%s' can be played: silent", s->problem_list);
    }
}

/* A new shuffle each time a list starts, seeded from the clock. */
static void start_list(struct sound *s, int list, int64_t now)
{
    const struct sound_list *l = &s->cfg.list[list];

    s->list = list;
    s->problem = SOUND_OK;
    playlist_start(&s->pl, l->n, l->shuffle, l->loop, (uint32_t)now | 1u);
}

/* A reload waiting for the end of a track: take it now (nothing plays). */
static void take_reload(struct sound *s)
{
    char theme[SOUND_NAME_MAX] = "";

    if (!s->reload_pending)
        return;
    if (s->theme >= 0)
        snprintf(theme, sizeof theme, "%s", s->cfg.theme[s->theme].name);
    s->cfg = s->next_cfg;
    s->reload_pending = false;
    s->theme = theme[0] ? soundcfg_theme_index(&s->cfg, theme) : -1;
    s->list = -1;  /* the playlist starts afresh */
    s->resume_pos = 0;
    log_info("sound: the new playlists are in use");
}

/*
 * Nothing plays: start what should.  The same list goes on with its next
 * track (or where it was paused); another list starts from its beginning.
 */
static void settle(struct sound *s, int64_t now)
{
    int want;

    take_reload(s);
    want = wanted_list(s);
    if (!s->device || want < 0 || s->want_paused) {
        if (want < 0) {
            free_music(s);
            s->list = -1;
            if (s->problem == SOUND_NO_FILES)  /* quiet by choice; a missing output stays */
                s->problem = SOUND_OK;
        }
        s->state = s->want_paused && s->mus ? ST_PAUSED : ST_SILENT;
        return;
    }
    if (want != s->list) {
        free_music(s);
        start_list(s, want, now);
        s->resume_pos = 0;
    }
    if (s->mus && s->resume_pos > 0 && !s->skip) {
        double pos = s->resume_pos;
        s->resume_pos = 0;
        if (fade_in(s, pos, now))
            return;
    }
    s->skip = false;
    s->resume_pos = 0;
    play_next(s, now);
}

/* The wish changed: fade out what plays (settle follows), or settle now if nothing does. */
static void rethink(struct sound *s, int64_t now)
{
    if (s->state == ST_PLAYING)
        fade_out(s, s->fade_ms);
    else if (s->state != ST_FADING)
        settle(s, now);
}

/* ---- open / close -------------------------------------------------------------------------- */

/* Loads the chime at path (NULL: none) in place of the one loaded. */
static void load_chime(struct sound *s, const char *path)
{
    s->chime = false;
    if (!s->device)
        return;
    if (s->be->chime_load(s->be_ctx, path) != 0)
        log_warn("sound: no chime: %s: %s", path, s->be->error(s->be_ctx));
    else
        s->chime = path != NULL;
}

struct sound *sound_open(const struct sound_config *cfg, const struct sound_backend *be,
                         void *be_ctx, int64_t now_ms)
{
    struct sound *s;

    if (!cfg->enabled)
        return NULL;
    if (!(s = calloc(1, sizeof *s)))
        return NULL;
    s->cfg = *cfg;
    s->theme = -1;
    s->list = -1;
    s->track = -1;
    s->volume = cfg->volume;
    s->duck = s->duck_target = 100;
    s->bad_file_log = (struct log_ratelimit)LOG_RATELIMIT_INIT(5, 10000);
    s->be = be;
    s->be_ctx = be_ctx;
    if (be->open(be_ctx) == 0) {
        s->device = true;
    } else {
        log_error("sound: no audio output (%s): silent", be->error(be_ctx));
        s->problem = SOUND_NO_DEVICE;
        s->be = &sound_null_backend;  /* nothing reaches the output that failed */
        s->be_ctx = NULL;
    }
    load_chime(s, soundcfg_chime(cfg));
    s->phase = PHASE_IDLE;
    settle(s, now_ms);
    return s;
}

void sound_close(struct sound *s)
{
    if (!s)
        return;
    if (s->device)
        s->be->close(s->be_ctx);  /* stops and frees the music and the chime */
    free(s);
}

/* ---- events and timers ------------------------------------------------------------------- */

void sound_backend_event(struct sound *s, enum sound_event ev, int64_t now_ms)
{
    if (!s || !s->device)
        return;
    if (ev == SOUND_EV_CHIME_DONE) {
        s->duck_target = 100;
        s->duck_next_ms = now_ms;
    } else if (ev == SOUND_EV_MUSIC_DONE && !s->be->music_playing(s->be_ctx)) {
        if (s->state == ST_FADING && s->want_paused && !s->skip) {
            s->state = ST_PAUSED;
            return;
        }
        settle(s, now_ms);
    }
}

/* One step of the duck toward its target. */
static void duck_step(struct sound *s, int64_t now)
{
    int span = s->duck_target < s->duck ? DUCK_DOWN_MS : DUCK_UP_MS;
    int step = (100 - DUCK_LEVEL) * DUCK_STEP_MS / span + 1;

    if (s->duck < s->duck_target)
        s->duck = s->duck + step > s->duck_target ? s->duck_target : s->duck + step;
    else
        s->duck = s->duck - step < s->duck_target ? s->duck_target : s->duck - step;
    apply_volume(s);
    s->duck_next_ms = s->duck == s->duck_target ? 0 : now + DUCK_STEP_MS;
}

int64_t sound_tick(struct sound *s, int64_t now_ms)
{
    int64_t next = INT64_MAX;

    if (!s || !s->device)
        return next;
    if (s->duck_next_ms && now_ms >= s->duck_next_ms)
        duck_step(s, now_ms);
    if (s->duck_next_ms)
        next = s->duck_next_ms;
    if (s->state == ST_PLAYING && s->end_fade_at_ms) {
        if (now_ms >= s->end_fade_at_ms) {
            s->end_fade_at_ms = 0;
            fade_out(s, s->fade_ms);  /* the track's own end: settle() plays the next */
        } else if (s->end_fade_at_ms < next) {
            next = s->end_fade_at_ms;
        }
    }
    return next;
}

/* ---- the wish changes -------------------------------------------------------------------- */

void sound_on_phase(struct sound *s, enum phase p, int64_t now_ms)
{
    if (!s || (unsigned)p >= PHASE_COUNT || p == s->phase)
        return;
    s->phase = p;
    if (wanted_list(s) != s->list || s->state == ST_SILENT)
        rethink(s, now_ms);
}

void sound_on_visit(struct sound *s, int64_t now_ms)
{
    if (!s)
        return;
    s->theme = -1;
    s->want_paused = false;
    s->volume = sound_volume_clamp(s->cfg.volume, s->cfg.volume_max);
    apply_volume(s);
    if (wanted_list(s) != s->list || s->state == ST_PAUSED || s->state == ST_SILENT)
        rethink(s, now_ms);
}

void sound_reload(struct sound *s, const struct sound_config *cfg, int64_t now_ms)
{
    if (!s)
        return;
    s->next_cfg = *cfg;
    s->reload_pending = true;
    /* A lower ceiling holds at once; the playlists change at the next track. */
    s->cfg.volume_max = cfg->volume_max;
    s->volume = sound_volume_clamp(s->volume, cfg->volume_max);
    apply_volume(s);
    s->cfg.chime_volume = cfg->chime_volume;
    if (!(s->device && s->be->chime_playing(s->be_ctx)))  /* never cut a chime short */
        load_chime(s, soundcfg_chime(cfg));
    if (s->state == ST_SILENT)
        settle(s, now_ms);
}

void sound_toggle_pause(struct sound *s, int64_t now_ms)
{
    if (!s || !s->device)
        return;
    s->want_paused = !s->want_paused;
    if (s->want_paused && s->state == ST_PLAYING) {
        double pos = s->be->music_position(s->be_ctx);
        s->resume_pos = pos >= 0 ? pos + PAUSE_FADE_MS / 1000.0 : 0;
        if (s->duration > 0 && s->resume_pos >= s->duration - s->fade_ms / 1000.0)
            s->resume_pos = 0;  /* too near the end: the next track instead */
        s->skip = s->resume_pos <= 0;
        fade_out(s, PAUSE_FADE_MS);
    } else if (!s->want_paused && s->state == ST_PAUSED) {
        settle(s, now_ms);
    }
    log_info("sound: %s", s->want_paused ? "paused" : "resumed");
}

void sound_next(struct sound *s, int64_t now_ms)
{
    if (!s || !s->device)
        return;
    s->skip = true;
    s->resume_pos = 0;
    s->want_paused = false;
    if (s->state == ST_PLAYING)
        fade_out(s, PAUSE_FADE_MS);
    else if (s->state != ST_FADING)
        settle(s, now_ms);
}

void sound_change_volume(struct sound *s, int dir, int64_t now_ms)
{
    (void)now_ms;
    if (!s)
        return;
    s->volume = sound_volume_step(s->volume, dir, s->cfg.volume_max);
    apply_volume(s);
    log_info("sound: volume %d%% (ceiling %d%%)", s->volume, s->cfg.volume_max);
}

void sound_pick_theme(struct sound *s, int i, int64_t now_ms)
{
    if (!s || i < 0 || i >= s->cfg.n_themes)
        return;
    s->theme_changed = true;
    if (i == s->theme)
        return;
    s->theme = i;
    s->want_paused = false;
    log_info("sound: theme %s", s->cfg.theme[i].name);
    rethink(s, now_ms);
}

/* Both cues are the one soft chime today; the cue says why, for the log and for later. */
void sound_cue(struct sound *s, enum sound_cue cue, int64_t now_ms)
{
    (void)cue;
    if (!s || !s->device || !s->chime)
        return;
    if (s->be->chime_play(s->be_ctx, s->cfg.chime_volume) != 0) {
        log_warn("sound: chime: %s", s->be->error(s->be_ctx));
        return;
    }
    s->duck_target = DUCK_LEVEL;
    s->duck_next_ms = now_ms;
    log_info("sound: chime");
}

/* ---- what the screens show ---------------------------------------------------------------- */

bool sound_controls(const struct sound *s)
{
    return s && s->device;
}

bool sound_paused(const struct sound *s)
{
    return s && s->want_paused;
}

bool sound_has_music(const struct sound *s)
{
    return s && s->device && wanted_list(s) >= 0 && s->problem == SOUND_OK;
}

int sound_volume(const struct sound *s)
{
    return s ? s->volume : 0;
}

int sound_volume_max(const struct sound *s)
{
    return s ? s->cfg.volume_max : 0;
}

int sound_theme_count(const struct sound *s)
{
    return s ? s->cfg.n_themes : 0;
}

const struct sound_theme *sound_theme_at(const struct sound *s, int i)
{
    return s && i >= 0 && i < s->cfg.n_themes ? &s->cfg.theme[i] : NULL;
}

int sound_theme_chosen(const struct sound *s)
{
    return s ? s->theme : -1;
}

int sound_theme_current(const struct sound *s)
{
    int want;

    if (!s || s->theme >= 0)
        return s ? s->theme : -1;
    want = wanted_list(s);
    for (int i = 0; want >= 0 && i < s->cfg.n_themes; i++)
        if (s->cfg.theme[i].list == want)
            return i;
    return -1;
}

enum sound_problem sound_problem(const struct sound *s, const char **playlist)
{
    if (playlist)
        *playlist = s ? s->problem_list : "";
    return s ? s->problem : SOUND_OK;
}

bool sound_take_theme(struct sound *s, const struct sound_theme **theme)
{
    if (!s || !s->theme_changed || s->theme < 0)
        return false;
    s->theme_changed = false;
    *theme = &s->cfg.theme[s->theme];
    return true;
}
