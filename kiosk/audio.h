/*
 * audio.h - the kiosk's ambient sound: staff playlists per phase, the
 * patient's theme, volume and pause, and a soft chime, on SDL2_mixer.
 *
 * One Mix_Music plays at a time.  Between tracks, and when the phase or the
 * theme changes, the playing track fades out and the next fades in (the
 * configured fade, shortened for very short tracks); the gap between them is
 * the time the main loop takes to open the next file, a few milliseconds.
 * SDL_mixer's callbacks (music finished, chime finished) run on the audio
 * thread and must not call SDL_mixer: they push an SDL user event of
 * audio_event_type, and the main loop hands it to audio_on_event().
 *
 * A file that cannot be opened is logged (rate-limited) and skipped; when no
 * file of the playlist can be played, or there is no audio device, the kiosk
 * is silent and audio_problem() says why for the staff menu.  Every function
 * takes a NULL audio (no sound configured) and does nothing.
 */
#ifndef HAVEN_KIOSK_AUDIO_H
#define HAVEN_KIOSK_AUDIO_H

#include "contract.h"
#include "soundcfg.h"

#include <stdbool.h>
#include <stdint.h>

struct audio;

/* The SDL event type of audio events (0 until audio_open). Hand them to audio_on_event. */
extern uint32_t audio_event_type;

/* Why the kiosk is silent when it should play (AUDIO_OK: it is not, or it is by choice). */
enum audio_problem {
    AUDIO_OK,
    AUDIO_NO_DEVICE,        /* SDL could not open an audio output */
    AUDIO_NO_FILES,         /* no file of the playlist could be played */
};

/*
 * Opens the audio device (44.1 kHz, 16-bit, stereo) and the chime for cfg
 * (copied).  Returns NULL when cfg has no sound (sound { } absent or
 * disabled).  Without a device it still returns a handle, silent, whose
 * problem is AUDIO_NO_DEVICE.  Must be called after SDL_Init, from the main
 * thread.
 */
struct audio *audio_open(const struct sound_config *cfg, int64_t now_ms);
void audio_close(struct audio *au);

/* One event of audio_event_type, from the main loop. */
void audio_on_event(struct audio *au, const void *sdl_event, int64_t now_ms);
/* Fades and ducking: call when due.  Returns the next wall-clock ms it wants a call (INT64_MAX: none). */
int64_t audio_tick(struct audio *au, int64_t now_ms);

/* The visit's phase (the phase's playlist, or the patient's theme in infusion and recovery). */
void audio_set_phase(struct audio *au, enum phase p, int64_t now_ms);
/* A new visit (or none): the patient's theme, volume and pause start afresh. */
void audio_new_visit(struct audio *au, int64_t now_ms);
/* A new config (SIGHUP): a lower ceiling at once; new playlists from the next track. */
void audio_reload(struct audio *au, const struct sound_config *cfg, int64_t now_ms);

/* ---- the patient's controls (intents from the screens) ---- */

void audio_toggle_pause(struct audio *au, int64_t now_ms);
void audio_next(struct audio *au, int64_t now_ms);
/* One step louder (dir > 0) or quieter, within the ceiling. */
void audio_volume_step(struct audio *au, int dir, int64_t now_ms);
/* Theme i of the config (its playlist, and its light scene via audio_take_theme). */
void audio_pick_theme(struct audio *au, int i, int64_t now_ms);
/* A soft chime, the music ducked under it. */
void audio_chime(struct audio *au, int64_t now_ms);

/* ---- what the screens show ---- */

/* True when the patient's controls make sense: sound configured and a device. */
bool audio_controls(const struct audio *au);
bool audio_paused(const struct audio *au);
/* True when something is to be heard now or after the pause (a playlist with a playable file). */
bool audio_has_music(const struct audio *au);
int audio_volume(const struct audio *au);       /* % of full */
int audio_volume_max(const struct audio *au);   /* the ceiling */
int audio_theme_count(const struct audio *au);
/* Theme i's name and label ("" when none), and the theme chosen (-1: none yet). */
const struct sound_theme *audio_theme(const struct audio *au, int i);
int audio_theme_chosen(const struct audio *au);
/* The theme to show as playing: the one chosen, else the first whose playlist plays now (-1: none). */
int audio_theme_current(const struct audio *au);
/* Why it is silent, and the playlist concerned (for AUDIO_NO_FILES). */
enum audio_problem audio_problem(const struct audio *au, const char **playlist);

/*
 * True once after the patient picked a theme: *theme is then the chosen one,
 * for the kiosk to publish on P/room/R/kiosk/theme.
 */
bool audio_take_theme(struct audio *au, const struct sound_theme **theme);

#endif
