/*
 * mixer.c - the SDL2_mixer sound backend (mixer.h): one Mix_Music at a
 * time, and the chime on a mixer channel of its own.  SDL_mixer is one
 * global player, so the backend's state is one static struct; the ctx
 * handed to the operations is ignored.
 */
#include "mixer.h"
#include "log.h"
#include "playlist.h"

#include <SDL2/SDL.h>
#include <SDL2/SDL_mixer.h>
#include <string.h>

#define AUDIO_RATE      44100
#define AUDIO_CHANNELS  2
#define AUDIO_CHUNK     4096           /* 93 ms: volume changes land this often */
#define CHIME_CHANNEL   0

uint32_t sound_mixer_event_type;

static struct {
    Mix_Music *mus;
    Mix_Chunk *chime;
} mx;

/* ---- SDL_mixer's callbacks: on the audio thread; they only post an event ----------------- */

static void post(int code)
{
    SDL_Event e;

    memset(&e, 0, sizeof e);
    e.type = sound_mixer_event_type;
    e.user.code = code;
    SDL_PushEvent(&e);
}

static void on_music_finished(void)
{
    post(SOUND_EV_MUSIC_DONE);
}

static void on_channel_finished(int channel)
{
    if (channel == CHIME_CHANNEL)
        post(SOUND_EV_CHIME_DONE);
}

/* ---- the operations ------------------------------------------------------------------------ */

static int mixer_open(void *ctx)
{
    int freq, channels;
    Uint16 format;

    (void)ctx;
    if (SDL_InitSubSystem(SDL_INIT_AUDIO) != 0 || (Mix_Init(MIX_INIT_OGG) & MIX_INIT_OGG) == 0 ||
        Mix_OpenAudio(AUDIO_RATE, AUDIO_S16SYS, AUDIO_CHANNELS, AUDIO_CHUNK) != 0)
        return -1;
    Mix_QuerySpec(&freq, &format, &channels);
    log_info("sound: %s output at %d Hz, %d-bit %s, %d channels", SDL_GetCurrentAudioDriver(),
             freq, SDL_AUDIO_BITSIZE(format), SDL_AUDIO_ISFLOAT(format) ? "float" : "integer",
             channels);
    Mix_AllocateChannels(2);
    Mix_HookMusicFinished(on_music_finished);
    Mix_ChannelFinished(on_channel_finished);
    return 0;
}

static void mixer_music_close(void *ctx)
{
    (void)ctx;
    if (mx.mus)
        Mix_FreeMusic(mx.mus);
    mx.mus = NULL;
}

static void mixer_close(void *ctx)
{
    Mix_HookMusicFinished(NULL);
    Mix_ChannelFinished(NULL);
    Mix_HaltMusic();
    Mix_HaltChannel(-1);
    mixer_music_close(ctx);
    if (mx.chime)
        Mix_FreeChunk(mx.chime);
    mx.chime = NULL;
    Mix_CloseAudio();
    Mix_Quit();
}

static const char *mixer_error(void *ctx)
{
    (void)ctx;
    return Mix_GetError();
}

static int mixer_music_open(void *ctx, const char *path, double *duration_s)
{
    mixer_music_close(ctx);
    if (!(mx.mus = Mix_LoadMUS(path)))
        return -1;
    *duration_s = Mix_MusicDuration(mx.mus);
    return 0;
}

static int mixer_music_fade_in(void *ctx, double pos_s, int fade_ms)
{
    (void)ctx;
    return pos_s > 0 ? Mix_FadeInMusicPos(mx.mus, 0, fade_ms, pos_s)
                     : Mix_FadeInMusic(mx.mus, 0, fade_ms);
}

static void mixer_music_fade_out(void *ctx, int ms)
{
    (void)ctx;
    Mix_FadeOutMusic(ms);
}

static double mixer_music_position(void *ctx)
{
    (void)ctx;
    return mx.mus ? Mix_GetMusicPosition(mx.mus) : -1;
}

static bool mixer_music_playing(void *ctx)
{
    (void)ctx;
    return Mix_PlayingMusic() != 0;
}

static void mixer_music_volume(void *ctx, int percent)
{
    (void)ctx;
    Mix_VolumeMusic(sound_mix_volume(percent));
}

static int mixer_chime_load(void *ctx, const char *path)
{
    (void)ctx;
    if (mx.chime)
        Mix_FreeChunk(mx.chime);
    mx.chime = NULL;
    if (!path)
        return 0;
    return (mx.chime = Mix_LoadWAV(path)) ? 0 : -1;
}

static int mixer_chime_play(void *ctx, int percent)
{
    (void)ctx;
    Mix_VolumeChunk(mx.chime, sound_mix_volume(percent));
    return Mix_PlayChannel(CHIME_CHANNEL, mx.chime, 0) < 0 ? -1 : 0;
}

static bool mixer_chime_playing(void *ctx)
{
    (void)ctx;
    return Mix_Playing(CHIME_CHANNEL) != 0;
}

const struct sound_backend sound_mixer_backend = {
    .name = "mixer",
    .open = mixer_open,
    .close = mixer_close,
    .error = mixer_error,
    .music_open = mixer_music_open,
    .music_close = mixer_music_close,
    .music_fade_in = mixer_music_fade_in,
    .music_fade_out = mixer_music_fade_out,
    .music_position = mixer_music_position,
    .music_playing = mixer_music_playing,
    .music_volume = mixer_music_volume,
    .chime_load = mixer_chime_load,
    .chime_play = mixer_chime_play,
    .chime_playing = mixer_chime_playing,
};

/* ---- the main loop's side ------------------------------------------------------------------ */

struct sound *sound_mixer_open(const struct sound_config *cfg, int64_t now_ms)
{
    if (!cfg->enabled)
        return NULL;
    if (!sound_mixer_event_type)
        sound_mixer_event_type = SDL_RegisterEvents(1);
    return sound_open(cfg, &sound_mixer_backend, NULL, now_ms);
}

void sound_mixer_on_event(struct sound *s, const void *sdl_event, int64_t now_ms)
{
    const SDL_Event *e = sdl_event;

    if (e->user.code == SOUND_EV_MUSIC_DONE || e->user.code == SOUND_EV_CHIME_DONE)
        sound_backend_event(s, (enum sound_event)e->user.code, now_ms);
}
