/*
 * audio.c - ambient sound on SDL2_mixer (audio.h).
 *
 * The player keeps two things apart: what should be heard (the wish: the
 * playlist for the phase or the patient's theme, paused or not) and what is
 * playing.  Whenever they differ the playing track fades out; when SDL_mixer
 * says the music has stopped (an SDL user event from its callback, never a
 * call from inside it), settle() starts whatever the wish is now, fading in.
 * Tracks end the same way: a fade out that begins `fade` before the end,
 * found from Mix_GetMusicPosition and Mix_MusicDuration in audio_tick.
 *
 * The chime plays on a mixer channel of its own; the music is ducked under
 * it in short steps (audio_tick) and brought back when the channel's
 * finished callback says it is over.
 */
#include "audio.h"
#include "log.h"
#include "playlist.h"

#include <SDL2/SDL.h>
#include <SDL2/SDL_mixer.h>
#include <stdlib.h>
#include <string.h>

#define AUDIO_RATE      44100
#define AUDIO_CHANNELS  2
#define AUDIO_CHUNK     4096           /* 93 ms: volume changes land this often */
#define PAUSE_FADE_MS   1200           /* pause and "next": a quicker fade than between tracks */
#define DUCK_LEVEL      30             /* % of the music's volume under the chime */
#define DUCK_STEP_MS    25
#define DUCK_DOWN_MS    250
#define DUCK_UP_MS      600
#define CHIME_CHANNEL   0

enum { EV_MUSIC_DONE = 1, EV_CHIME_DONE = 2 };

uint32_t audio_event_type;

enum play_state {
    ST_SILENT,                         /* no music */
    ST_PLAYING,                        /* a track plays (maybe fading in) */
    ST_FADING,                         /* a track fades out; settle() when it stops */
    ST_PAUSED,                         /* faded out and halted at resume_pos */
};

struct audio {
    struct sound_config cfg;
    struct sound_config next_cfg;      /* from a reload, taken at the next track */
    bool reload_pending;
    bool device;                       /* Mix_OpenAudio succeeded */
    Mix_Chunk *chime;

    /* the wish */
    enum phase phase;
    int theme;                         /* the patient's choice, -1: none */
    bool theme_changed;                /* for audio_take_theme */
    bool want_paused;
    int volume;                        /* % of full, <= cfg.volume_max */

    /* what plays */
    enum play_state state;
    int list;                          /* the playlist playing (or last played), -1: none */
    struct playlist pl;
    int track;                         /* index in the list, -1: none */
    Mix_Music *mus;
    double duration;                   /* seconds, <= 0: unknown */
    int64_t fade_ms;                   /* this track's fades */
    double resume_pos;                 /* seconds: where a paused track goes on */
    bool skip;                         /* the fade out is for "next" */
    int64_t end_fade_at_ms;            /* wall clock: begin the track's closing fade */

    /* the chime's duck: duck % of the music's volume, moving toward duck_target */
    int duck, duck_target;
    int64_t duck_next_ms;

    enum audio_problem problem;
    char problem_list[SOUND_NAME_MAX];
    struct log_ratelimit bad_file_log;
};

/* ---- SDL_mixer's callbacks: on the audio thread; they only post an event ----------------- */

static void post(int code)
{
    SDL_Event e;

    memset(&e, 0, sizeof e);
    e.type = audio_event_type;
    e.user.code = code;
    SDL_PushEvent(&e);
}

static void on_music_finished(void)
{
    post(EV_MUSIC_DONE);
}

static void on_channel_finished(int channel)
{
    if (channel == CHIME_CHANNEL)
        post(EV_CHIME_DONE);
}

/* ---- the wish ------------------------------------------------------------------------------ */

static bool patient_phase(enum phase p)
{
    return p == PHASE_INFUSION || p == PHASE_RECOVERY;
}

/* The playlist that should play now: the patient's theme in infusion and recovery, else the phase's. */
static int wanted_list(const struct audio *au)
{
    if (au->theme >= 0 && au->theme < au->cfg.n_themes && patient_phase(au->phase))
        return au->cfg.theme[au->theme].list;
    return au->cfg.phase_list[au->phase];
}

/* The music's volume now: the patient's, ducked under a chime, never above the ceiling. */
static void apply_volume(struct audio *au)
{
    int v = sound_volume_clamp(au->volume, au->cfg.volume_max);

    if (au->device)
        Mix_VolumeMusic(sound_mix_volume(v * au->duck / 100));
}

/* ---- playing ------------------------------------------------------------------------------- */

static void free_music(struct audio *au)
{
    if (au->mus)
        Mix_FreeMusic(au->mus);
    au->mus = NULL;
    au->track = -1;
}

/*
 * Starts the fade out of what plays (ms long); settle() follows when it has
 * stopped.  If the track has just ended by itself, SDL_mixer refuses the fade,
 * but its finished event is on its way all the same: either way, ST_FADING.
 */
static void fade_out(struct audio *au, int64_t ms)
{
    if (au->state != ST_PLAYING)
        return;
    Mix_FadeOutMusic((int)(ms > 0 ? ms : 1));
    au->state = ST_FADING;
}

/* This track's fades: the configured fade, at most a third of the track. */
static int64_t track_fade_ms(const struct audio *au)
{
    int64_t f = au->cfg.fade_ms;

    if (au->duration > 0 && f > (int64_t)(au->duration * 1000 / 3))
        f = (int64_t)(au->duration * 1000 / 3);
    return f;
}

/* Schedules the closing fade of the playing track: `fade` before its end. */
static void schedule_end(struct audio *au, int64_t now)
{
    double pos = au->mus ? Mix_GetMusicPosition(au->mus) : -1;

    au->end_fade_at_ms = 0;
    if (au->duration <= 0 || pos < 0)
        return;  /* unknown length: it ends by itself, and the next fades in */
    au->end_fade_at_ms = now + (int64_t)((au->duration - pos) * 1000) - au->fade_ms;
}

/* Opens track t of the playing list; false (logged, marked bad) when it cannot be played. */
static bool open_track(struct audio *au, int t)
{
    const char *path = soundcfg_track(&au->cfg, au->list, t);

    free_music(au);
    au->mus = path ? Mix_LoadMUS(path) : NULL;
    if (!au->mus) {
        log_limited(&au->bad_file_log, LOG_WARN, "sound: skipping %s: %s", path ? path : "?",
                    Mix_GetError());
        playlist_mark_bad(&au->pl, t);
        return false;
    }
    au->track = t;
    au->duration = Mix_MusicDuration(au->mus);
    au->fade_ms = track_fade_ms(au);
    return true;
}

/* Fades in the open track from pos seconds. False when SDL_mixer refuses (marked bad). */
static bool fade_in(struct audio *au, double pos, int64_t now)
{
    int rc = pos > 0 ? Mix_FadeInMusicPos(au->mus, 0, (int)au->fade_ms, pos)
                     : Mix_FadeInMusic(au->mus, 0, (int)au->fade_ms);

    if (rc != 0) {
        log_limited(&au->bad_file_log, LOG_WARN, "sound: cannot play %s: %s",
                    soundcfg_track(&au->cfg, au->list, au->track), Mix_GetError());
        playlist_mark_bad(&au->pl, au->track);
        free_music(au);
        return false;
    }
    au->state = ST_PLAYING;
    apply_volume(au);
    schedule_end(au, now);
    log_info("sound: playing %s (%s, %.1f s, fade %lld ms)",
             soundcfg_track(&au->cfg, au->list, au->track), au->cfg.list[au->list].name,
             au->duration, (long long)au->fade_ms);
    return true;
}

/* The next playable track of the list, faded in; silent (with the reason) when there is none. */
static void play_next(struct audio *au, int64_t now)
{
    for (;;) {
        int t = playlist_next(&au->pl);
        if (t < 0)
            break;
        if (open_track(au, t) && fade_in(au, 0, now))
            return;
    }
    free_music(au);
    au->state = ST_SILENT;
    if (!playlist_playable(&au->pl) && au->problem != AUDIO_NO_FILES) {
        au->problem = AUDIO_NO_FILES;
        snprintf(au->problem_list, sizeof au->problem_list, "%s", au->cfg.list[au->list].name);
        log_error("sound: no file of playlist '%s' can be played: silent", au->problem_list);
    }
}

static void start_list(struct audio *au, int list)
{
    const struct sound_list *l = &au->cfg.list[list];

    au->list = list;
    au->problem = AUDIO_OK;
    playlist_start(&au->pl, l->n, l->shuffle, l->loop, (uint32_t)SDL_GetTicks() | 1u);
}

/* A reload waiting for the end of a track: take it now (nothing plays). */
static void take_reload(struct audio *au)
{
    char theme[SOUND_NAME_MAX] = "";

    if (!au->reload_pending)
        return;
    if (au->theme >= 0)
        snprintf(theme, sizeof theme, "%s", au->cfg.theme[au->theme].name);
    au->cfg = au->next_cfg;
    au->reload_pending = false;
    au->theme = theme[0] ? soundcfg_theme_index(&au->cfg, theme) : -1;
    au->list = -1;  /* the playlist starts afresh */
    au->resume_pos = 0;
    log_info("sound: the new playlists are in use");
}

/*
 * Nothing plays: start what should.  The same list goes on with its next
 * track (or where it was paused); another list starts from its beginning.
 */
static void settle(struct audio *au, int64_t now)
{
    int want;

    take_reload(au);
    want = wanted_list(au);
    if (!au->device || want < 0 || au->want_paused) {
        if (want < 0) {
            free_music(au);
            au->list = -1;
            au->problem = AUDIO_OK;
        }
        au->state = au->want_paused && au->mus ? ST_PAUSED : ST_SILENT;
        return;
    }
    if (want != au->list) {
        free_music(au);
        start_list(au, want);
        au->resume_pos = 0;
    }
    if (au->mus && au->resume_pos > 0 && !au->skip) {
        double pos = au->resume_pos;
        au->resume_pos = 0;
        if (fade_in(au, pos, now))
            return;
    }
    au->skip = false;
    au->resume_pos = 0;
    play_next(au, now);
}

/* The wish changed: fade out what plays (settle follows), or settle now if nothing does. */
static void rethink(struct audio *au, int64_t now)
{
    if (au->state == ST_PLAYING)
        fade_out(au, au->fade_ms);
    else if (au->state != ST_FADING)
        settle(au, now);
}

/* ---- open / close -------------------------------------------------------------------------- */

static void open_device(struct audio *au)
{
    int freq, channels;
    Uint16 format;

    if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0 || (Mix_Init(MIX_INIT_OGG) & MIX_INIT_OGG) == 0 ||
        Mix_OpenAudio(AUDIO_RATE, AUDIO_S16SYS, AUDIO_CHANNELS, AUDIO_CHUNK) != 0) {
        log_error("sound: no audio output (%s): silent", SDL_GetError());
        au->problem = AUDIO_NO_DEVICE;
        return;
    }
    au->device = true;
    Mix_QuerySpec(&freq, &format, &channels);
    log_info("sound: %s output at %d Hz, %d-bit %s, %d channels", SDL_GetCurrentAudioDriver(),
             freq, SDL_AUDIO_BITSIZE(format), SDL_AUDIO_ISFLOAT(format) ? "float" : "integer",
             channels);
    Mix_AllocateChannels(2);
    Mix_HookMusicFinished(on_music_finished);
    Mix_ChannelFinished(on_channel_finished);
}

/* Loads the chime at path (NULL: none) in place of the one loaded. */
static void load_chime(struct audio *au, const char *path)
{
    if (au->chime)
        Mix_FreeChunk(au->chime);
    au->chime = NULL;
    if (!au->device || !path)
        return;
    if (!(au->chime = Mix_LoadWAV(path)))
        log_warn("sound: no chime: %s: %s", path, Mix_GetError());
}

struct audio *audio_open(const struct sound_config *cfg, int64_t now_ms)
{
    struct audio *au;

    if (!cfg->enabled)
        return NULL;
    if (!(au = calloc(1, sizeof *au)))
        return NULL;
    if (!audio_event_type)
        audio_event_type = SDL_RegisterEvents(1);
    au->cfg = *cfg;
    au->theme = -1;
    au->list = -1;
    au->track = -1;
    au->volume = cfg->volume;
    au->duck = au->duck_target = 100;
    au->bad_file_log = (struct log_ratelimit)LOG_RATELIMIT_INIT(5, 10000);
    open_device(au);
    load_chime(au, soundcfg_chime(cfg));
    au->phase = PHASE_IDLE;
    settle(au, now_ms);
    return au;
}

void audio_close(struct audio *au)
{
    if (!au)
        return;
    if (au->device) {
        Mix_HookMusicFinished(NULL);
        Mix_ChannelFinished(NULL);
        Mix_HaltMusic();
        Mix_HaltChannel(-1);
    }
    free_music(au);
    if (au->chime)
        Mix_FreeChunk(au->chime);
    if (au->device) {
        Mix_CloseAudio();
        Mix_Quit();
    }
    free(au);
}

/* ---- events and timers ------------------------------------------------------------------- */

void audio_on_event(struct audio *au, const void *sdl_event, int64_t now_ms)
{
    const SDL_Event *e = sdl_event;

    if (!au || !au->device)
        return;
    if (e->user.code == EV_CHIME_DONE) {
        au->duck_target = 100;
        au->duck_next_ms = now_ms;
    } else if (e->user.code == EV_MUSIC_DONE && !Mix_PlayingMusic()) {
        if (au->state == ST_FADING && au->want_paused && !au->skip) {
            au->state = ST_PAUSED;
            return;
        }
        settle(au, now_ms);
    }
}

/* One step of the duck toward its target. */
static void duck_step(struct audio *au, int64_t now)
{
    int span = au->duck_target < au->duck ? DUCK_DOWN_MS : DUCK_UP_MS;
    int step = (100 - DUCK_LEVEL) * DUCK_STEP_MS / span + 1;

    if (au->duck < au->duck_target)
        au->duck = au->duck + step > au->duck_target ? au->duck_target : au->duck + step;
    else
        au->duck = au->duck - step < au->duck_target ? au->duck_target : au->duck - step;
    apply_volume(au);
    au->duck_next_ms = au->duck == au->duck_target ? 0 : now + DUCK_STEP_MS;
}

int64_t audio_tick(struct audio *au, int64_t now_ms)
{
    int64_t next = INT64_MAX;

    if (!au || !au->device)
        return next;
    if (au->duck_next_ms && now_ms >= au->duck_next_ms)
        duck_step(au, now_ms);
    if (au->duck_next_ms)
        next = au->duck_next_ms;
    if (au->state == ST_PLAYING && au->end_fade_at_ms) {
        if (now_ms >= au->end_fade_at_ms) {
            au->end_fade_at_ms = 0;
            fade_out(au, au->fade_ms);  /* the track's own end: settle() plays the next */
        } else if (au->end_fade_at_ms < next) {
            next = au->end_fade_at_ms;
        }
    }
    return next;
}

/* ---- the wish changes -------------------------------------------------------------------- */

void audio_set_phase(struct audio *au, enum phase p, int64_t now_ms)
{
    if (!au || (unsigned)p >= PHASE_COUNT || p == au->phase)
        return;
    au->phase = p;
    if (wanted_list(au) != au->list || au->state == ST_SILENT)
        rethink(au, now_ms);
}

void audio_new_visit(struct audio *au, int64_t now_ms)
{
    if (!au)
        return;
    au->theme = -1;
    au->want_paused = false;
    au->volume = sound_volume_clamp(au->cfg.volume, au->cfg.volume_max);
    apply_volume(au);
    if (wanted_list(au) != au->list || au->state == ST_PAUSED || au->state == ST_SILENT)
        rethink(au, now_ms);
}

void audio_reload(struct audio *au, const struct sound_config *cfg, int64_t now_ms)
{
    if (!au)
        return;
    au->next_cfg = *cfg;
    au->reload_pending = true;
    /* A lower ceiling holds at once; the playlists change at the next track. */
    au->cfg.volume_max = cfg->volume_max;
    au->volume = sound_volume_clamp(au->volume, cfg->volume_max);
    apply_volume(au);
    au->cfg.chime_volume = cfg->chime_volume;
    if (!(au->device && Mix_Playing(CHIME_CHANNEL)))  /* never cut a chime short */
        load_chime(au, soundcfg_chime(cfg));
    if (au->state == ST_SILENT)
        settle(au, now_ms);
}

void audio_toggle_pause(struct audio *au, int64_t now_ms)
{
    if (!au || !au->device)
        return;
    au->want_paused = !au->want_paused;
    if (au->want_paused && au->state == ST_PLAYING) {
        double pos = Mix_GetMusicPosition(au->mus);
        au->resume_pos = pos >= 0 ? pos + PAUSE_FADE_MS / 1000.0 : 0;
        if (au->duration > 0 && au->resume_pos >= au->duration - au->fade_ms / 1000.0)
            au->resume_pos = 0;  /* too near the end: the next track instead */
        au->skip = au->resume_pos <= 0;
        fade_out(au, PAUSE_FADE_MS);
    } else if (!au->want_paused && au->state == ST_PAUSED) {
        settle(au, now_ms);
    }
    log_info("sound: %s", au->want_paused ? "paused" : "resumed");
}

void audio_next(struct audio *au, int64_t now_ms)
{
    if (!au || !au->device)
        return;
    au->skip = true;
    au->resume_pos = 0;
    au->want_paused = false;
    if (au->state == ST_PLAYING)
        fade_out(au, PAUSE_FADE_MS);
    else if (au->state != ST_FADING)
        settle(au, now_ms);
}

void audio_volume_step(struct audio *au, int dir, int64_t now_ms)
{
    if (!au)
        return;
    au->volume = sound_volume_step(au->volume, dir, au->cfg.volume_max);
    apply_volume(au);
    log_info("sound: volume %d%% (ceiling %d%%)", au->volume, au->cfg.volume_max);
}

void audio_pick_theme(struct audio *au, int i, int64_t now_ms)
{
    if (!au || i < 0 || i >= au->cfg.n_themes)
        return;
    au->theme_changed = true;
    if (i == au->theme)
        return;
    au->theme = i;
    au->want_paused = false;
    log_info("sound: theme %s", au->cfg.theme[i].name);
    rethink(au, now_ms);
}

void audio_chime(struct audio *au, int64_t now_ms)
{
    if (!au || !au->device || !au->chime)
        return;
    Mix_VolumeChunk(au->chime, sound_mix_volume(au->cfg.chime_volume));
    if (Mix_PlayChannel(CHIME_CHANNEL, au->chime, 0) < 0) {
        log_warn("sound: chime: %s", Mix_GetError());
        return;
    }
    au->duck_target = DUCK_LEVEL;
    au->duck_next_ms = now_ms;
    log_info("sound: chime");
}

/* ---- what the screens show ---------------------------------------------------------------- */

bool audio_controls(const struct audio *au)
{
    return au && au->device;
}

bool audio_paused(const struct audio *au)
{
    return au && au->want_paused;
}

bool audio_has_music(const struct audio *au)
{
    return au && au->device && wanted_list(au) >= 0 && au->problem == AUDIO_OK;
}

int audio_volume(const struct audio *au)
{
    return au ? au->volume : 0;
}

int audio_volume_max(const struct audio *au)
{
    return au ? au->cfg.volume_max : 0;
}

int audio_theme_count(const struct audio *au)
{
    return au ? au->cfg.n_themes : 0;
}

const struct sound_theme *audio_theme(const struct audio *au, int i)
{
    return au && i >= 0 && i < au->cfg.n_themes ? &au->cfg.theme[i] : NULL;
}

int audio_theme_chosen(const struct audio *au)
{
    return au ? au->theme : -1;
}

int audio_theme_current(const struct audio *au)
{
    int want;

    if (!au || au->theme >= 0)
        return au ? au->theme : -1;
    want = wanted_list(au);
    for (int i = 0; want >= 0 && i < au->cfg.n_themes; i++)
        if (au->cfg.theme[i].list == want)
            return i;
    return -1;
}

enum audio_problem audio_problem(const struct audio *au, const char **playlist)
{
    if (playlist)
        *playlist = au ? au->problem_list : "";
    return au ? au->problem : AUDIO_OK;
}

bool audio_take_theme(struct audio *au, const struct sound_theme **theme)
{
    if (!au || !au->theme_changed || au->theme < 0)
        return false;
    au->theme_changed = false;
    *theme = &au->cfg.theme[au->theme];
    return true;
}
