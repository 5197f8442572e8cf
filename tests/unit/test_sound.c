/*
 * test_sound.c - the sound policy (kiosk/sound/sound.c) on the null backend
 * and a fake clock, with no SDL: which playlist plays in which phase and
 * theme, the fades (shortened for short tracks, begun before a track's end),
 * pause / resume / next, the volume ceiling, the chime's duck, bad files,
 * a reload taken at the next track, and the kiosk without an audio output.
 * Each check reads the backend's call log, so it says exactly what the
 * policy asked of the output and when.
 */
#include "check.h"
#include "sound.h"
#include "unit_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct sound_config cfg;
static struct sound_null nb;
static int64_t now;

enum { L_CALM, L_RAIN, L_ONCE };

static void add_list(struct sound_config *c, const char *name, const char *const *files, int n,
                     bool loop)
{
    struct sound_list *l = &c->list[c->n_lists++];

    snprintf(l->name, sizeof l->name, "%s", name);
    l->first = c->n_tracks;
    l->n = n;
    l->loop = loop;
    for (int i = 0; i < n; i++) {
        c->track[c->n_tracks++] = c->paths_used;
        c->paths_used += snprintf(c->paths + c->paths_used, sizeof c->paths - (size_t)c->paths_used,
                                  "/t/%s", files[i]) + 1;
    }
}

static void add_theme(struct sound_config *c, const char *name, int list)
{
    struct sound_theme *t = &c->theme[c->n_themes++];

    snprintf(t->name, sizeof t->name, "%s", name);
    t->list = list;
}

/*
 * The test clinic: calm (a, b, c; looping) in infusion and recovery, rain
 * (r) at discharge, once (o1, o2; no loop) at intake, idle quiet; themes
 * ambient (calm), nature (rain), silence; volume 40, ceiling 70, chime 50,
 * fade 3 s.
 */
static void make_config(struct sound_config *c)
{
    static const char *const calm[] = { "a.ogg", "b.ogg", "c.ogg" };
    static const char *const rain[] = { "r.ogg" };
    static const char *const once[] = { "o1.ogg", "o2.ogg" };

    memset(c, 0, sizeof *c);
    c->enabled = true;
    c->volume = 40;
    c->volume_max = 70;
    c->chime_volume = 50;
    c->fade_ms = 3000;
    add_list(c, "calm", calm, 3, true);
    add_list(c, "rain", rain, 1, true);
    add_list(c, "once", once, 2, false);
    c->chime = c->paths_used;
    c->paths_used += snprintf(c->paths + c->paths_used, 64, "/t/chime.ogg") + 1;
    for (int p = 0; p < PHASE_COUNT; p++)
        c->phase_list[p] = -1;
    c->phase_list[PHASE_INTAKE] = L_ONCE;
    c->phase_list[PHASE_INFUSION] = L_CALM;
    c->phase_list[PHASE_RECOVERY] = L_CALM;
    c->phase_list[PHASE_DISCHARGE] = L_RAIN;
    add_theme(c, "ambient", L_CALM);
    add_theme(c, "nature", L_RAIN);
    add_theme(c, "silence", -1);
}

/* A fresh clinic, null backend (60 s tracks) and clock; the open's calls cleared. */
static struct sound *start(void)
{
    struct sound *s;

    make_config(&cfg);
    memset(&nb, 0, sizeof nb);
    nb.duration_s = 60;
    now = 1000000;
    s = sound_open(&cfg, &sound_null_backend, &nb, now);
    nb.calls[0] = '\0';
    return s;
}

static void clear(void)
{
    nb.calls[0] = '\0';
}

/* The music stops by itself or after a fade: the backend's event, as the main loop hands it on. */
static void music_done(struct sound *s)
{
    nb.playing = false;
    sound_backend_event(s, SOUND_EV_MUSIC_DONE, now);
}

/* Starts the infusion (calm: a.ogg) and clears the calls. */
static struct sound *playing_a(void)
{
    struct sound *s = start();

    sound_on_phase(s, PHASE_INFUSION, now);
    clear();
    return s;
}

static int count(const char *text, const char *what)
{
    int n = 0;

    for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
        n++;
    return n;
}

/* ---- open, close, no sound, no device ------------------------------------------------------ */

static void test_open_idle_is_quiet(void)
{
    struct sound *s;

    make_config(&cfg);
    memset(&nb, 0, sizeof nb);
    s = sound_open(&cfg, &sound_null_backend, &nb, 1000);
    REQUIRE(s);
    CHECK_STR_EQ(nb.calls, "open\nchime_load /t/chime.ogg\n");  /* idle: nothing to play */
    CHECK(sound_controls(s));
    CHECK(!sound_has_music(s));
    CHECK(!sound_paused(s));
    CHECK_INT_EQ(sound_volume(s), 40);
    CHECK_INT_EQ(sound_volume_max(s), 70);
    CHECK_INT_EQ(sound_theme_count(s), 3);
    CHECK_STR_EQ(sound_theme_at(s, 1)->name, "nature");
    CHECK(sound_theme_at(s, 3) == NULL);
    CHECK_INT_EQ(sound_theme_chosen(s), -1);
    CHECK_INT_EQ(sound_problem(s, NULL), SOUND_OK);
    CHECK(sound_tick(s, 1000) == INT64_MAX);
    clear();
    sound_close(s);
    CHECK_STR_EQ(nb.calls, "close\n");  /* the backend frees its music and chime */
}

/* No sound { } (or enabled = false): no handle, the output never opened; NULL does nothing. */
static void test_disabled_and_null(void)
{
    const struct sound_theme *t = NULL;
    const char *list = NULL;

    make_config(&cfg);
    cfg.enabled = false;
    memset(&nb, 0, sizeof nb);
    CHECK(sound_open(&cfg, &sound_null_backend, &nb, 1000) == NULL);
    CHECK_STR_EQ(nb.calls, "");
    sound_on_phase(NULL, PHASE_INFUSION, 0);
    sound_on_visit(NULL, 0);
    sound_reload(NULL, &cfg, 0);
    sound_cue(NULL, SOUND_CUE_CHECKIN, 0);
    sound_toggle_pause(NULL, 0);
    sound_next(NULL, 0);
    sound_change_volume(NULL, 1, 0);
    sound_pick_theme(NULL, 0, 0);
    sound_backend_event(NULL, SOUND_EV_MUSIC_DONE, 0);
    sound_close(NULL);
    CHECK(sound_tick(NULL, 0) == INT64_MAX);
    CHECK(!sound_controls(NULL) && !sound_paused(NULL) && !sound_has_music(NULL));
    CHECK_INT_EQ(sound_volume(NULL) + sound_volume_max(NULL) + sound_theme_count(NULL), 0);
    CHECK(sound_theme_at(NULL, 0) == NULL);
    CHECK_INT_EQ(sound_theme_chosen(NULL), -1);
    CHECK_INT_EQ(sound_theme_current(NULL), -1);
    CHECK_INT_EQ(sound_problem(NULL, &list), SOUND_OK);
    CHECK_STR_EQ(list, "");
    CHECK(!sound_take_theme(NULL, &t));
}

/* No audio output: a silent handle that says why; nothing more reaches the backend. */
static void test_no_device(void)
{
    struct sound *s;
    char *log;

    make_config(&cfg);
    memset(&nb, 0, sizeof nb);
    nb.fail_open = true;
    unit_capture_begin();
    s = sound_open(&cfg, &sound_null_backend, &nb, 1000);
    log = unit_capture_end();
    REQUIRE(s);
    CHECK(strstr(log, "sound: no audio output (null backend): silent") != NULL);
    free(log);
    CHECK(!sound_controls(s));
    sound_on_phase(s, PHASE_INFUSION, 1000);
    CHECK(!sound_has_music(s));
    sound_toggle_pause(s, 1000);
    CHECK(!sound_paused(s));  /* the controls are not there: nothing to pause */
    sound_next(s, 1000);
    sound_cue(s, SOUND_CUE_CHECKIN, 1000);
    sound_backend_event(s, SOUND_EV_MUSIC_DONE, 1000);
    sound_change_volume(s, 1, 1000);
    CHECK_INT_EQ(sound_volume(s), 50);
    CHECK(sound_tick(s, 1000) == INT64_MAX);
    sound_close(s);
    CHECK_STR_EQ(nb.calls, "open\n");
}

/*
 * No audio output: the staff menu says so in every phase, as docs/deploy-kiosk.md promises.
 * (audio.c cleared it in the first quiet phase, at open in the demo clinic's idle.)
 */
static void test_no_device_says_so(void)
{
    struct sound *s;

    make_config(&cfg);
    memset(&nb, 0, sizeof nb);
    nb.fail_open = true;
    s = sound_open(&cfg, &sound_null_backend, &nb, 1000);
    REQUIRE(s);
    CHECK_INT_EQ(sound_problem(s, NULL), SOUND_NO_DEVICE);  /* idle: quiet by choice */
    sound_on_phase(s, PHASE_INFUSION, 1000);
    CHECK_INT_EQ(sound_problem(s, NULL), SOUND_NO_DEVICE);
    sound_on_phase(s, PHASE_IDLE, 1000);
    CHECK_INT_EQ(sound_problem(s, NULL), SOUND_NO_DEVICE);
    sound_close(s);
}

/* ---- which list plays -------------------------------------------------------------------- */

static void test_phase_plays_its_list(void)
{
    struct sound *s = start();

    sound_on_phase(s, PHASE_INFUSION, now);
    CHECK_STR_EQ(nb.calls, "music_open /t/a.ogg\nfade_in 0.0 3000\nvolume 40\n");
    CHECK(sound_has_music(s));
    CHECK_INT_EQ(sound_theme_current(s), 0);  /* ambient's list is the one playing */
    clear();
    sound_on_phase(s, PHASE_INFUSION, now);   /* the same phase again: nothing */
    sound_on_phase(s, PHASE_RECOVERY, now);   /* another phase, the same list: it goes on */
    sound_on_phase(s, PHASE_COUNT, now);      /* no such phase */
    CHECK_STR_EQ(nb.calls, "");
    sound_on_phase(s, PHASE_DISCHARGE, now);  /* another list: fade out, then its first track */
    CHECK_STR_EQ(nb.calls, "fade_out 3000\n");
    CHECK_INT_EQ(sound_theme_current(s), 1);
    clear();
    music_done(s);
    CHECK_STR_EQ(nb.calls, "music_close\nmusic_open /t/r.ogg\nfade_in 0.0 3000\nvolume 40\n");
    clear();
    sound_on_phase(s, PHASE_INFUSION, now);   /* back: calm from its beginning */
    music_done(s);
    CHECK(strstr(nb.calls, "music_open /t/a.ogg\n") != NULL);
    clear();
    sound_on_phase(s, PHASE_IDLE, now);       /* a quiet phase: fade out, then nothing */
    CHECK_STR_EQ(nb.calls, "fade_out 3000\n");
    clear();
    music_done(s);
    CHECK_STR_EQ(nb.calls, "music_close\n");
    CHECK(!sound_has_music(s));
    CHECK_INT_EQ(sound_theme_current(s), -1);
    CHECK(sound_tick(s, now) == INT64_MAX);
    sound_close(s);
}

/* A done event while the music plays again (stale: the fade was overtaken) changes nothing. */
static void test_stale_done_is_ignored(void)
{
    struct sound *s = playing_a();

    sound_backend_event(s, SOUND_EV_MUSIC_DONE, now);
    CHECK_STR_EQ(nb.calls, "");
    sound_close(s);
}

/* The patient's theme rules in infusion and recovery only; the phase's list elsewhere. */
static void test_theme(void)
{
    const struct sound_theme *t = NULL;
    struct sound *s = start();

    sound_pick_theme(s, 1, now);              /* nature, while idle: remembered, quiet */
    CHECK_STR_EQ(nb.calls, "");
    CHECK_INT_EQ(sound_theme_chosen(s), 1);
    CHECK_INT_EQ(sound_theme_current(s), 1);
    CHECK(sound_take_theme(s, &t));
    CHECK_STR_EQ(t->name, "nature");
    CHECK(!sound_take_theme(s, &t));          /* once */
    sound_on_phase(s, PHASE_INFUSION, now);   /* the theme's list, not the phase's */
    CHECK(strstr(nb.calls, "music_open /t/r.ogg\n") != NULL);
    clear();
    sound_on_phase(s, PHASE_DISCHARGE, now);  /* discharge's own list is rain too: goes on */
    CHECK_STR_EQ(nb.calls, "");
    sound_on_phase(s, PHASE_RECOVERY, now);
    sound_pick_theme(s, 0, now);              /* ambient: fade out, then calm */
    CHECK_STR_EQ(nb.calls, "fade_out 3000\n");
    clear();
    music_done(s);
    CHECK(strstr(nb.calls, "music_open /t/a.ogg\n") != NULL);
    clear();
    sound_pick_theme(s, 0, now);              /* the same again: published again, nothing heard */
    CHECK(sound_take_theme(s, &t));
    CHECK_STR_EQ(nb.calls, "");
    sound_pick_theme(s, 3, now);              /* no such theme */
    sound_pick_theme(s, -1, now);
    CHECK(!sound_take_theme(s, &t));
    CHECK_INT_EQ(sound_theme_chosen(s), 0);
    sound_pick_theme(s, 2, now);              /* silence */
    music_done(s);
    CHECK_STR_EQ(nb.calls, "fade_out 3000\nmusic_close\n");
    CHECK(!sound_has_music(s));
    CHECK_INT_EQ(sound_theme_current(s), 2);
    clear();
    sound_on_phase(s, PHASE_INTAKE, now);     /* out of the patient's phases: intake's list */
    CHECK(strstr(nb.calls, "music_open /t/o1.ogg\n") != NULL);
    sound_close(s);
}

/* A new visit: no theme, no pause, the staff's volume, the phase's list. */
static void test_new_visit(void)
{
    struct sound *s = playing_a();

    sound_pick_theme(s, 1, now);
    music_done(s);
    sound_change_volume(s, 1, now);
    clear();
    sound_on_visit(s, now);
    CHECK_STR_EQ(nb.calls, "volume 40\nfade_out 3000\n");
    CHECK_INT_EQ(sound_theme_chosen(s), -1);
    CHECK_INT_EQ(sound_volume(s), 40);
    clear();
    music_done(s);
    CHECK(strstr(nb.calls, "music_open /t/a.ogg\n") != NULL);
    nb.position_s = 5;
    sound_toggle_pause(s, now);
    music_done(s);
    clear();
    sound_on_visit(s, now);                   /* paused: the new visit hears its music */
    CHECK(!sound_paused(s));
    CHECK_STR_EQ(nb.calls, "volume 40\nfade_in 6.2 3000\nvolume 40\n");
    clear();
    sound_on_visit(s, now);                   /* the same list playing: it goes on */
    CHECK_STR_EQ(nb.calls, "volume 40\n");
    sound_close(s);
}

/* ---- fades ----------------------------------------------------------------------------- */

/* The closing fade begins `fade` before the end; the next track fades in when it has stopped. */
static void test_track_end_fades_to_next(void)
{
    struct sound *s = playing_a();

    CHECK(sound_tick(s, now) == now + 57000);
    CHECK(sound_tick(s, now + 56999) == now + 57000);
    CHECK_STR_EQ(nb.calls, "");
    now += 57000;
    nb.position_s = 57;
    sound_tick(s, now);
    CHECK_STR_EQ(nb.calls, "fade_out 3000\n");
    CHECK(sound_tick(s, now + 10) == INT64_MAX);  /* fading: nothing due */
    clear();
    now += 3000;
    music_done(s);
    CHECK_STR_EQ(nb.calls, "music_close\nmusic_open /t/b.ogg\nfade_in 0.0 3000\nvolume 40\n");
    CHECK(sound_tick(s, now) == now + 57000);
    sound_close(s);
}

/* A short track's fades are a third of it; a track of unknown length ends by itself. */
static void test_short_and_unknown_tracks(void)
{
    struct sound *s = start();

    nb.duration_s = 4.5;
    sound_on_phase(s, PHASE_INFUSION, now);
    CHECK_STR_EQ(nb.calls, "music_open /t/a.ogg\nfade_in 0.0 1500\nvolume 40\n");
    CHECK(sound_tick(s, now) == now + 3000);
    clear();
    nb.duration_s = 0;
    sound_next(s, now);
    music_done(s);
    CHECK_STR_EQ(nb.calls, "fade_out 1200\nmusic_close\nmusic_open /t/b.ogg\nfade_in 0.0 3000\n"
                 "volume 40\n");
    CHECK(sound_tick(s, now) == INT64_MAX);
    clear();
    music_done(s);                            /* it ended: the next one */
    CHECK(strstr(nb.calls, "music_open /t/c.ogg\n") != NULL);
    sound_close(s);
}

/* A list that does not loop ends after its last track: silent, with nothing wrong. */
static void test_list_without_loop_ends(void)
{
    struct sound *s = start();

    sound_on_phase(s, PHASE_INTAKE, now);
    music_done(s);
    CHECK(strstr(nb.calls, "music_open /t/o2.ogg\n") != NULL);
    clear();
    music_done(s);
    CHECK_STR_EQ(nb.calls, "music_close\n");
    CHECK_INT_EQ(sound_problem(s, NULL), SOUND_OK);
    CHECK(sound_tick(s, now) == INT64_MAX);
    sound_close(s);
}

/* ---- the patient's controls ------------------------------------------------------------- */

/* Pause fades out quickly and holds the place; play resumes there, with the track's fade. */
static void test_pause_resume(void)
{
    struct sound *s = playing_a();

    nb.position_s = 10;
    sound_toggle_pause(s, now);
    CHECK(sound_paused(s));
    CHECK_STR_EQ(nb.calls, "fade_out 1200\n");
    clear();
    music_done(s);                            /* faded out: paused, nothing else */
    CHECK_STR_EQ(nb.calls, "");
    CHECK(sound_has_music(s));                /* still something to resume */
    sound_toggle_pause(s, now);
    CHECK(!sound_paused(s));
    CHECK_STR_EQ(nb.calls, "fade_in 11.2 3000\nvolume 40\n");  /* where the fade out ended */
    CHECK(llabs(sound_tick(s, now) - (now + 45800)) <= 1);  /* 60 - 11.2 s, less the fade */
    clear();
    /* play pressed before the pause's fade ended: it resumes all the same */
    nb.position_s = 20;
    sound_toggle_pause(s, now);
    sound_toggle_pause(s, now);
    music_done(s);
    CHECK_STR_EQ(nb.calls, "fade_out 1200\nfade_in 21.2 3000\nvolume 40\n");
    clear();
    /* paused too near the end: play brings the next track */
    nb.position_s = 56;
    sound_toggle_pause(s, now);
    music_done(s);
    CHECK_STR_EQ(nb.calls, "fade_out 1200\n");
    clear();
    sound_toggle_pause(s, now);
    CHECK_STR_EQ(nb.calls, "music_close\nmusic_open /t/b.ogg\nfade_in 0.0 3000\nvolume 40\n");
    sound_close(s);
}

static void test_next(void)
{
    struct sound *s = playing_a();

    sound_next(s, now);
    CHECK_STR_EQ(nb.calls, "fade_out 1200\n");
    sound_next(s, now);                       /* fading already: once is enough */
    CHECK_STR_EQ(nb.calls, "fade_out 1200\n");
    clear();
    music_done(s);
    CHECK_STR_EQ(nb.calls, "music_close\nmusic_open /t/b.ogg\nfade_in 0.0 3000\nvolume 40\n");
    nb.position_s = 10;
    sound_toggle_pause(s, now);
    music_done(s);
    clear();
    sound_next(s, now);                       /* paused: the next track, playing */
    CHECK(!sound_paused(s));
    CHECK_STR_EQ(nb.calls, "music_close\nmusic_open /t/c.ogg\nfade_in 0.0 3000\nvolume 40\n");
    sound_close(s);
}

/* Steps of 10, never past the staff's ceiling. */
static void test_volume_ceiling(void)
{
    struct sound *s = playing_a();

    for (int i = 0; i < 5; i++)
        sound_change_volume(s, 1, now);
    CHECK_STR_EQ(nb.calls, "volume 50\nvolume 60\nvolume 70\nvolume 70\nvolume 70\n");
    CHECK_INT_EQ(sound_volume(s), 70);
    sound_change_volume(s, -1, now);
    CHECK_INT_EQ(nb.volume, 60);
    sound_close(s);
}

/* ---- the chime -------------------------------------------------------------------------- */

/* Runs the duck's timers from now until they are done; returns the ms it took. */
static int64_t run_duck(struct sound *s)
{
    int64_t start_ms = now, next;

    while ((next = sound_tick(s, now)) <= now + 25)
        now = next > now ? next : now;
    return now - start_ms;
}

/* The chime at its volume; the music down to 30 % under it in 250 ms, back in 600 ms. */
static void test_chime_ducks_music(void)
{
    struct sound *s = playing_a();

    sound_cue(s, SOUND_CUE_CHECKIN, now);
    CHECK_STR_EQ(nb.calls, "chime_play 50\n");
    CHECK(sound_tick(s, now - 1) == now);     /* the duck starts at once */
    clear();
    CHECK(run_duck(s) <= 250);
    CHECK_INT_EQ(nb.volume, 40 * 30 / 100);
    CHECK(strstr(nb.calls, "volume 36\n") != NULL);  /* in steps, not at once */
    CHECK(count(nb.calls, "volume") >= 8);
    clear();
    nb.chime_playing = false;
    sound_backend_event(s, SOUND_EV_CHIME_DONE, now);
    CHECK(run_duck(s) <= 600);
    CHECK_INT_EQ(nb.volume, 40);
    CHECK(count(nb.calls, "volume") >= 20);
    clear();
    sound_cue(s, SOUND_CUE_NURSE_COMING, now);  /* the same soft chime */
    CHECK_STR_EQ(nb.calls, "chime_play 50\n");
    sound_close(s);
}

/* No chime loaded, or the backend refuses it: no chime, no duck. */
static void test_chime_missing(void)
{
    struct sound *s;

    make_config(&cfg);
    memset(&nb, 0, sizeof nb);
    nb.fail_chime = true;
    s = sound_open(&cfg, &sound_null_backend, &nb, now);
    clear();
    sound_cue(s, SOUND_CUE_CHECKIN, now);
    CHECK_STR_EQ(nb.calls, "");
    sound_close(s);
    s = start();
    nb.chime_loaded = false;                  /* play fails */
    sound_cue(s, SOUND_CUE_CHECKIN, now);
    CHECK_STR_EQ(nb.calls, "chime_play 50\n");
    CHECK(sound_tick(s, now) == INT64_MAX);
    sound_close(s);
}

/* ---- bad files ------------------------------------------------------------------------- */

/* A file that cannot be opened is skipped (logged), then and every time round. */
static void test_bad_file_skipped(void)
{
    struct sound *s = playing_a();
    char *log;

    nb.fail_path = "b.ogg";
    unit_capture_begin();
    music_done(s);
    log = unit_capture_end();
    CHECK_STR_EQ(nb.calls, "music_close\nmusic_open /t/b.ogg\nmusic_open /t/c.ogg\n"
                 "fade_in 0.0 3000\nvolume 40\n");
    CHECK(strstr(log, "sound: skipping /t/b.ogg: null backend") != NULL);
    free(log);
    music_done(s);
    clear();
    music_done(s);
    CHECK(strstr(nb.calls, "b.ogg") == NULL);  /* not tried again */
    CHECK(strstr(nb.calls, "music_open /t/c.ogg\n") != NULL);
    CHECK(sound_has_music(s));
    sound_close(s);
}

/* No file of the list plays: silent, the staff told which list, logged once. */
static void test_nothing_playable(void)
{
    const char *list = NULL;
    struct sound *s = start();
    char *log;

    nb.fail_path = ".ogg";
    unit_capture_begin();
    sound_on_phase(s, PHASE_INFUSION, now);
    sound_on_phase(s, PHASE_RECOVERY, now);
    log = unit_capture_end();
    CHECK_STR_EQ(nb.calls, "music_open /t/a.ogg\nmusic_open /t/b.ogg\nmusic_open /t/c.ogg\n");
    CHECK_INT_EQ(sound_problem(s, &list), SOUND_NO_FILES);
    CHECK_STR_EQ(list, "calm");
    CHECK(!sound_has_music(s));
    CHECK_INT_EQ(count(log, "no file of playlist 'calm' can be played: silent"), 1);
    free(log);
    sound_on_phase(s, PHASE_IDLE, now);       /* nothing to play: nothing wrong */
    CHECK_INT_EQ(sound_problem(s, NULL), SOUND_OK);
    sound_close(s);
}

/* A file that opens but will not play is skipped too. */
static void test_refused_file_skipped(void)
{
    struct sound *s = start();
    char *log;

    nb.fail_fade_in = true;
    unit_capture_begin();
    sound_on_phase(s, PHASE_INFUSION, now);
    log = unit_capture_end();
    CHECK(strstr(log, "sound: cannot play /t/a.ogg: null backend") != NULL);
    free(log);
    CHECK_INT_EQ(count(nb.calls, "fade_in"), 3);
    CHECK_INT_EQ(sound_problem(s, NULL), SOUND_NO_FILES);
    sound_close(s);
}

/* ---- reload ---------------------------------------------------------------------------- */

/* A lower ceiling and the chime's volume at once; the new playlists at the next track. */
static void test_reload(void)
{
    static const char *const x[] = { "x.ogg" };
    struct sound_config next;
    struct sound *s = playing_a();

    sound_pick_theme(s, 0, now);
    music_done(s);
    make_config(&next);
    next.volume_max = 30;
    next.chime_volume = 20;
    next.list[L_CALM].n = 0;
    add_list(&next, "new", x, 1, true);
    next.theme[0] = next.theme[1];            /* the themes in another order */
    snprintf(next.theme[1].name, sizeof next.theme[1].name, "ambient");
    next.theme[1].list = 3;
    clear();
    sound_reload(s, &next, now);
    CHECK_STR_EQ(nb.calls, "volume 30\nchime_load /t/chime.ogg\n");  /* no music call */
    CHECK_INT_EQ(sound_volume(s), 30);
    CHECK_INT_EQ(sound_volume_max(s), 30);
    clear();
    sound_next(s, now);
    music_done(s);
    CHECK_STR_EQ(nb.calls, "fade_out 1200\nmusic_close\nmusic_open /t/x.ogg\nfade_in 0.0 3000\n"
                 "volume 30\n");
    CHECK_INT_EQ(sound_theme_chosen(s), 1);   /* ambient, found by its name */
    clear();
    sound_cue(s, SOUND_CUE_CHECKIN, now);
    CHECK_STR_EQ(nb.calls, "chime_play 20\n");
    clear();
    nb.chime_playing = true;                  /* never cut a chime short */
    sound_reload(s, &next, now);
    CHECK(strstr(nb.calls, "chime_load") == NULL);
    sound_close(s);
}

/* Reloaded while silent, the new config plays at once. */
static void test_reload_while_silent(void)
{
    struct sound_config next;
    struct sound *s = start();

    make_config(&next);
    next.phase_list[PHASE_IDLE] = L_RAIN;
    sound_reload(s, &next, now);
    CHECK_STR_EQ(nb.calls, "volume 40\nchime_load /t/chime.ogg\nmusic_open /t/r.ogg\n"
                 "fade_in 0.0 3000\nvolume 40\n");
    sound_close(s);
}

int main(void)
{
    RUN(test_open_idle_is_quiet);
    RUN(test_disabled_and_null);
    RUN(test_no_device);
    RUN(test_no_device_says_so);
    RUN(test_phase_plays_its_list);
    RUN(test_stale_done_is_ignored);
    RUN(test_theme);
    RUN(test_new_visit);
    RUN(test_track_end_fades_to_next);
    RUN(test_short_and_unknown_tracks);
    RUN(test_list_without_loop_ends);
    RUN(test_pause_resume);
    RUN(test_next);
    RUN(test_volume_ceiling);
    RUN(test_chime_ducks_music);
    RUN(test_chime_missing);
    RUN(test_bad_file_skipped);
    RUN(test_nothing_playable);
    RUN(test_refused_file_skipped);
    RUN(test_reload);
    RUN(test_reload_while_silent);
    unit_cleanup();
    return CHECK_SUMMARY();
}
