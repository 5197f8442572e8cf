/*
 * mixer.h - the SDL2_mixer sound backend (backend.h), and the glue the
 * kiosk's main loop needs: opening the sound on it, and its events.
 *
 * SDL_mixer's callbacks (music finished, chime finished) run on the audio
 * thread and must not call SDL_mixer: they push an SDL user event of
 * sound_mixer_event_type, and the main loop hands it to
 * sound_mixer_on_event(), which tells the policy (sound.h).
 */
#ifndef HAVEN_KIOSK_SOUND_MIXER_H
#define HAVEN_KIOSK_SOUND_MIXER_H

#include "sound.h"

#include <stdint.h>

/* The SDL event type of the mixer's events (0 until sound_mixer_open). */
extern uint32_t sound_mixer_event_type;

extern const struct sound_backend sound_mixer_backend;

/*
 * The sound for cfg on SDL_mixer (44.1 kHz, 16-bit, stereo), as
 * sound_open(): NULL without sound { }; silent, SOUND_NO_DEVICE, without an
 * audio output.  After SDL_Init, from the main thread.
 */
struct sound *sound_mixer_open(const struct sound_config *cfg, int64_t now_ms);

/* One event of sound_mixer_event_type, from the main loop. */
void sound_mixer_on_event(struct sound *s, const void *sdl_event, int64_t now_ms);

#endif
