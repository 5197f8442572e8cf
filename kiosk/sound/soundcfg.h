/*
 * soundcfg.h - the kiosk's sound settings, kiosk { sound { } } in haven.cfg:
 *
 *   sound = {
 *     assets = "../assets/audio";   # where relative file names are (relative: to this file's dir)
 *     volume = 40;                  # % of full volume at the start of a visit
 *     volume_max = 70;              # % the patient can never go above (music and chime)
 *     fade = 3.0;                   # seconds of fade out / fade in between tracks and phases
 *     chime = "chime.ogg";          # the soft cue for a check-in and a nurse on the way
 *     chime_volume = 50;            # % (held under volume_max)
 *     playlists = {
 *       drones = { files = [ "drone-low.ogg", "pad-warm.ogg" ]; order = "shuffle"; loop = true; };
 *       rain   = { files = [ "rain-soft.ogg" ]; };
 *     };
 *     phases = { infusion = "drones"; recovery = "drones"; };   # a playlist each; others: quiet
 *     themes = (                    # what the patient may choose between (at most 4)
 *       { name = "ambient"; playlist = "drones"; scene = "dusk"; },
 *       { name = "nature";  playlist = "rain"; },
 *       { name = "silence"; }       # no playlist: quiet
 *     );
 *   };
 *
 * Paths are resolved when the file is read, so the kiosk finds its tracks
 * whatever directory it was started from.  A file that does not exist is not
 * an error here (the player logs it and skips it); `haven-kiosk check` warns.
 */
#ifndef HAVEN_KIOSK_SOUNDCFG_H
#define HAVEN_KIOSK_SOUNDCFG_H

#include "cfg.h"
#include "contract.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#define SOUND_LISTS_MAX   8
#define SOUND_THEMES_MAX  4      /* one row of buttons on the patient's screen */
#define SOUND_TRACKS_MAX  64     /* across every playlist */
#define SOUND_NAME_MAX    32
#define SOUND_PATHS_BYTES 16384  /* every resolved path, NUL-separated */

struct sound_list {
    char name[SOUND_NAME_MAX];
    int first, n;                /* its tracks: track[first .. first + n) */
    bool shuffle;                /* order = "shuffle" (else as listed) */
    bool loop;                   /* start again after the last track (default) */
};

struct sound_theme {
    char name[SOUND_NAME_MAX];   /* "ambient": also its word on screen, if the kiosk knows it */
    char label[HV_NAME_MAX];     /* shown to the patient when set; else the known word, or name */
    char scene[HV_NAME_MAX];     /* light scene asked of the controller ("" none) */
    int list;                    /* index into list[], -1: silence */
};

struct sound_config {
    bool enabled;                /* a sound { } section, not switched off */
    int volume;                  /* % of full at the start of a visit, <= volume_max */
    int volume_max;              /* the ceiling, % of full */
    int chime_volume;            /* % of full, <= volume_max */
    int64_t fade_ms;
    int chime;                   /* offset into paths, -1: none */
    int chime_line;
    struct sound_list list[SOUND_LISTS_MAX];
    int n_lists;
    int phase_list[PHASE_COUNT]; /* playlist per phase, -1: quiet */
    struct sound_theme theme[SOUND_THEMES_MAX];
    int n_themes;
    int track[SOUND_TRACKS_MAX]; /* offsets into paths */
    int track_line[SOUND_TRACKS_MAX];  /* where the config names it, for warnings */
    int n_tracks;
    char file[PATH_MAX];         /* the config file, for warnings */
    char paths[SOUND_PATHS_BYTES];
    int paths_used;
};

/*
 * Reads kiosk.sound (sound may be NULL: no sound) of the config file at
 * cfg_path into out.  Returns 0 or HV_ECONFIG with err "file:line: ...".
 * Unknown keys are warned about.
 */
int soundcfg_read(const config_setting_t *sound, const char *cfg_path, struct sound_config *out,
                  struct cfg_error *err);

/* Track i (0-based) of playlist list: its resolved path. */
const char *soundcfg_track(const struct sound_config *c, int list, int i);
/* The chime's resolved path, or NULL. */
const char *soundcfg_chime(const struct sound_config *c);
/* The playlist called name, or -1. */
int soundcfg_list_index(const struct sound_config *c, const char *name);
/* The theme called name, or -1. */
int soundcfg_theme_index(const struct sound_config *c, const char *name);

/*
 * Warns "file:line: sound file PATH cannot be read" for each track and the
 * chime that cannot be opened for reading.  Returns how many.
 */
int soundcfg_check_files(const struct sound_config *c);

#endif
