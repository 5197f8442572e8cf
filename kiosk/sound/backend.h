/*
 * backend.h - what the sound policy (sound.c) asks of an audio output, as a
 * small table of operations in the manner of taisei's audio backends, and
 * the null backend that does nothing but write down what it was asked.
 *
 * One music track is open at a time, plus one chime.  A backend never calls
 * the policy back from its own threads: it tells the main loop (mixer.c
 * pushes an SDL event), and the main loop hands the event to
 * sound_backend_event() (sound.h).  Every operation gets the ctx the
 * backend was opened with.
 *
 *   mixer (mixer.c)  SDL2_mixer: the kiosk's output
 *   null  (null.c)   nothing: unit tests, and the kiosk without an audio output
 */
#ifndef HAVEN_KIOSK_SOUND_BACKEND_H
#define HAVEN_KIOSK_SOUND_BACKEND_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

/* What a backend reports to the main loop, for sound_backend_event(). */
enum sound_event {
    SOUND_EV_MUSIC_DONE = 1,     /* the music has stopped (its end, or a fade out) */
    SOUND_EV_CHIME_DONE = 2,     /* the chime is over */
};

struct sound_backend {
    const char *name;
    /* Opens the output.  0, or -1 (why: error). */
    int (*open)(void *ctx);
    /* Stops and frees everything, and closes the output. */
    void (*close)(void *ctx);
    /* Why the last operation failed, for the log. */
    const char *(*error)(void *ctx);

    /* Opens the track at path in place of the open one.  0 with *duration_s (<= 0: unknown), or -1. */
    int (*music_open)(void *ctx, const char *path, double *duration_s);
    /* Frees the open track. */
    void (*music_close)(void *ctx);
    /* Plays the open track once, from pos_s seconds (0: the start), fading in over fade_ms. 0 or -1. */
    int (*music_fade_in)(void *ctx, double pos_s, int fade_ms);
    /* Fades the music out over ms (> 0); SOUND_EV_MUSIC_DONE follows. */
    void (*music_fade_out)(void *ctx, int ms);
    /* Seconds into the open track, < 0: unknown. */
    double (*music_position)(void *ctx);
    bool (*music_playing)(void *ctx);
    /* The music's volume, % of full (0..100). */
    void (*music_volume)(void *ctx, int percent);

    /* Loads the chime at path in place of the loaded one (NULL: none).  0 or -1. */
    int (*chime_load)(void *ctx, const char *path);
    /* Plays the loaded chime at percent of full; SOUND_EV_CHIME_DONE follows.  0 or -1. */
    int (*chime_play)(void *ctx, int percent);
    bool (*chime_playing)(void *ctx);
};

/* ---- the null backend -------------------------------------------------------------------- */

/*
 * Its state, for tests to set and read (ctx NULL: it keeps none).  Music
 * "plays" from a fade in until a fade out; the test moves position_s and
 * sends the events itself, on its own fake clock.
 */
struct sound_null {
    /* set by the test */
    bool fail_open;              /* no audio output */
    const char *fail_path;       /* music_open fails for a path containing this (NULL: none) */
    bool fail_fade_in, fail_chime;
    double duration_s;           /* what music_open reports (<= 0: unknown) */
    double position_s;           /* what music_position reports */
    /* kept by the backend */
    bool music_open, playing, chime_loaded, chime_playing;
    int volume;                  /* the music's, % */
    char track[PATH_MAX];        /* the open track's path */
    char calls[8192];            /* one line per call ("fade_in 0.0 3000"), till the test clears it */
};

extern const struct sound_backend sound_null_backend;

#endif
