/*
 * null.c - the null sound backend (backend.h): plays nothing, writes down
 * every call in struct sound_null (when it has one) for the tests to read.
 */
#include "backend.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void note(struct sound_null *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends one line to n->calls (dropped when it is full: tests clear it between steps). */
static void note(struct sound_null *n, const char *fmt, ...)
{
    size_t used = strlen(n->calls);
    va_list ap;

    if (used + 1 >= sizeof n->calls)
        return;
    va_start(ap, fmt);
    vsnprintf(n->calls + used, sizeof n->calls - used - 1, fmt, ap);
    va_end(ap);
    strcat(n->calls, "\n");
}

static int null_open(void *ctx)
{
    struct sound_null *n = ctx;

    if (!n)
        return 0;
    note(n, "open");
    return n->fail_open ? -1 : 0;
}

static void null_close(void *ctx)
{
    struct sound_null *n = ctx;

    if (!n)
        return;
    note(n, "close");
    n->music_open = n->playing = n->chime_loaded = n->chime_playing = false;
}

static const char *null_error(void *ctx)
{
    (void)ctx;
    return "null backend";
}

static int null_music_open(void *ctx, const char *path, double *duration_s)
{
    struct sound_null *n = ctx;

    if (!n) {
        *duration_s = 0;
        return 0;
    }
    note(n, "music_open %s", path);
    if (n->fail_path && strstr(path, n->fail_path))
        return -1;
    *duration_s = n->duration_s;
    n->music_open = true;
    n->playing = false;
    n->position_s = 0;
    snprintf(n->track, sizeof n->track, "%s", path);
    return 0;
}

static void null_music_close(void *ctx)
{
    struct sound_null *n = ctx;

    if (!n)
        return;
    note(n, "music_close");
    n->music_open = n->playing = false;
    n->track[0] = '\0';
}

static int null_music_fade_in(void *ctx, double pos_s, int fade_ms)
{
    struct sound_null *n = ctx;

    if (!n)
        return 0;
    note(n, "fade_in %.1f %d", pos_s, fade_ms);
    if (n->fail_fade_in || !n->music_open)
        return -1;
    n->playing = true;
    n->position_s = pos_s;
    return 0;
}

/* The fade is over at once: the music has stopped; the test sends SOUND_EV_MUSIC_DONE. */
static void null_music_fade_out(void *ctx, int ms)
{
    struct sound_null *n = ctx;

    if (!n)
        return;
    note(n, "fade_out %d", ms);
    n->playing = false;
}

static double null_music_position(void *ctx)
{
    struct sound_null *n = ctx;

    return n && n->music_open ? n->position_s : -1;
}

static bool null_music_playing(void *ctx)
{
    struct sound_null *n = ctx;

    return n && n->playing;
}

static void null_music_volume(void *ctx, int percent)
{
    struct sound_null *n = ctx;

    if (!n)
        return;
    note(n, "volume %d", percent);
    n->volume = percent;
}

static int null_chime_load(void *ctx, const char *path)
{
    struct sound_null *n = ctx;

    if (!n)
        return 0;
    note(n, "chime_load %s", path ? path : "-");
    n->chime_loaded = path && !n->fail_chime;
    return !path || n->chime_loaded ? 0 : -1;
}

static int null_chime_play(void *ctx, int percent)
{
    struct sound_null *n = ctx;

    if (!n)
        return 0;
    note(n, "chime_play %d", percent);
    if (!n->chime_loaded)
        return -1;
    n->chime_playing = true;
    return 0;
}

static bool null_chime_playing(void *ctx)
{
    struct sound_null *n = ctx;

    return n && n->chime_playing;
}

const struct sound_backend sound_null_backend = {
    .name = "null",
    .open = null_open,
    .close = null_close,
    .error = null_error,
    .music_open = null_music_open,
    .music_close = null_music_close,
    .music_fade_in = null_music_fade_in,
    .music_fade_out = null_music_fade_out,
    .music_position = null_music_position,
    .music_playing = null_music_playing,
    .music_volume = null_music_volume,
    .chime_load = null_chime_load,
    .chime_play = null_chime_play,
    .chime_playing = null_chime_playing,
};
