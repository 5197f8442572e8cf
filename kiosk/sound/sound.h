/*
 * sound.h - the kiosk's ambient sound: staff playlists per phase, the
 * patient's theme, volume and pause, and a soft chime.  The policy (what
 * plays when, how loud, the fades and the chime's duck) without SDL, on
 * the clock its callers pass in, over an output behind backend.h:
 * SDL2_mixer in the kiosk (mixer.h), the null backend in unit tests.
 *
 * One track plays at a time.  Between tracks, and when the phase or the
 * theme changes, the playing track fades out and the next fades in (the
 * configured fade, shortened for very short tracks); the gap between them is
 * the time the main loop takes to open the next file, a few milliseconds.
 * The backend says when the music has stopped or the chime is over through
 * the main loop, which hands it to sound_backend_event().
 *
 * A file that cannot be opened is logged (rate-limited) and skipped; when no
 * file of the playlist can be played, or there is no audio device, the kiosk
 * is silent and sound_problem() says why for the staff menu.  Every function
 * takes a NULL sound (no sound configured) and does nothing.
 */
#ifndef HAVEN_KIOSK_SOUND_H
#define HAVEN_KIOSK_SOUND_H

#include "backend.h"
#include "contract.h"
#include "soundcfg.h"

#include <stdbool.h>
#include <stdint.h>

struct sound;

/* Why the kiosk is silent when it should play (SOUND_OK: it is not, or it is by choice). */
enum sound_problem {
    SOUND_OK,
    SOUND_NO_DEVICE,        /* the backend could not open an audio output */
    SOUND_NO_FILES,         /* no file of the playlist could be played */
};

/* What the kiosk wants the patient to notice: each a soft chime, the music ducked under it. */
enum sound_cue {
    SOUND_CUE_CHECKIN,      /* a check-in prompt is on screen */
    SOUND_CUE_NURSE_COMING, /* the call was acknowledged: a nurse is on the way */
};

/*
 * Opens be (be_ctx is handed to each operation) and the chime for cfg
 * (copied).  Returns NULL when cfg has no sound (sound { } absent or
 * disabled) or out of memory.  When be cannot open an output it still
 * returns a handle, silent on the null backend, whose problem is
 * SOUND_NO_DEVICE.
 */
struct sound *sound_open(const struct sound_config *cfg, const struct sound_backend *be,
                         void *be_ctx, int64_t now_ms);
void sound_close(struct sound *s);

/* What the backend reported, from the main loop. */
void sound_backend_event(struct sound *s, enum sound_event ev, int64_t now_ms);
/* Fades and ducking: call when due.  Returns the next wall-clock ms it wants a call (INT64_MAX: none). */
int64_t sound_tick(struct sound *s, int64_t now_ms);

/* ---- what changed in the visit (intents from the app) ---- */

/* The visit's phase (the phase's playlist, or the patient's theme in infusion and recovery). */
void sound_on_phase(struct sound *s, enum phase p, int64_t now_ms);
/* A new visit (or none): the patient's theme, volume and pause start afresh. */
void sound_on_visit(struct sound *s, int64_t now_ms);
/* A new config (SIGHUP): a lower ceiling at once; new playlists from the next track. */
void sound_reload(struct sound *s, const struct sound_config *cfg, int64_t now_ms);
/* Something for the patient to notice. */
void sound_cue(struct sound *s, enum sound_cue cue, int64_t now_ms);

/* ---- the patient's controls (intents from the screens) ---- */

void sound_toggle_pause(struct sound *s, int64_t now_ms);
void sound_next(struct sound *s, int64_t now_ms);
/* One step louder (dir > 0) or quieter, within the ceiling. */
void sound_change_volume(struct sound *s, int dir, int64_t now_ms);
/* Theme i of the config (its playlist, and its light scene via sound_take_theme). */
void sound_pick_theme(struct sound *s, int i, int64_t now_ms);

/* ---- what the screens show ---- */

/* True when the patient's controls make sense: sound configured and a device. */
bool sound_controls(const struct sound *s);
bool sound_paused(const struct sound *s);
/* True when something is to be heard now or after the pause (a playlist with a playable file). */
bool sound_has_music(const struct sound *s);
int sound_volume(const struct sound *s);        /* % of full */
int sound_volume_max(const struct sound *s);    /* the ceiling */
int sound_theme_count(const struct sound *s);
/* Theme i's name and label ("" when none), and the theme chosen (-1: none yet). */
const struct sound_theme *sound_theme_at(const struct sound *s, int i);
int sound_theme_chosen(const struct sound *s);
/* The theme to show as playing: the one chosen, else the first whose playlist plays now (-1: none). */
int sound_theme_current(const struct sound *s);
/* Why it is silent, and the playlist concerned (for SOUND_NO_FILES). */
enum sound_problem sound_problem(const struct sound *s, const char **playlist);

/*
 * True once after the patient picked a theme: *theme is then the chosen one,
 * for the kiosk to publish on P/room/R/kiosk/theme.
 */
bool sound_take_theme(struct sound *s, const struct sound_theme **theme);

#endif
