/*
 * kcfg.h - the kiosk's configuration: its section of haven.cfg,
 *
 *   kiosk = {
 *     dpi = 96;                    # of the chair's screen, for the 16 mm touch targets
 *     state_dir = "/var/lib/haven-kiosk";
 *     pin_file = "staff-pins";     # the staff PINs' hashes (pin.h), 0600; relative: in state_dir
 *     recovery_minutes = 30;       # observation after the infusion
 *     checkin_minutes = 15;        # a check-in prompt this often in infusion and recovery
 *     checkin_timeout = 120;       # seconds an unanswered prompt stays up
 *     unwell_feelings = [ 5 ];     # answers (1 very good .. 5 very bad) that call a nurse
 *     offline_text = "...";        # what to do when the kiosk cannot reach the nurses
 *     font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
 *     questionnaires = { ... };    # read by questionnaire.c (docs/questionnaires.md)
 *     sound = { ... };             # playlists, themes, volume ceiling (soundcfg.h)
 *   };
 *
 * plus the shared prefix, broker and rooms (the kiosk's --room must be one).
 */
#ifndef HAVEN_KIOSK_KCFG_H
#define HAVEN_KIOSK_KCFG_H

#include "cfg.h"
#include "contract.h"
#include "pin.h"
#include "soundcfg.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

struct kiosk_config {
    char path[PATH_MAX];
    char prefix[64];
    char room[HV_ROOM_MAX];
    char room_label[HV_NAME_MAX];
    struct cfg_broker broker;       /* broker { } and kiosk { broker { } } ("%r": the room) */

    int dpi;
    char state_dir[PATH_MAX];
    char pin_file[PATH_MAX];        /* "" = no PINs: the staff menu stays locked */
    char pin_file_at[PATH_MAX + 16];  /* "haven.cfg:73", where pin_file is set */
    struct pin_set pins;            /* read by kcfg_load_pins */
    int64_t recovery_ms;
    int64_t checkin_ms;
    int64_t checkin_timeout_ms;
    bool unwell_feeling[6];         /* index 1..5 */
    char offline_text[512];
    char font[PATH_MAX];
    struct sound_config sound;      /* kiosk.sound: music and chime */
};

/*
 * Loads path for room.  Returns 0, or HV_ECONFIG with err "file:line: ..."
 * (a room not in the config is an error too).  Unknown keys in kiosk { }
 * are logged as warnings.
 */
int kcfg_load(const char *path, const char *room, struct kiosk_config *out,
              struct cfg_error *err);

/*
 * kcfg_load from cfg, the file already parsed from path (so that the
 * kiosk's other readers, the questionnaires, share one parse of it).
 */
int kcfg_read(const config_t *cfg, const char *path, const char *room,
              struct kiosk_config *out, struct cfg_error *err);

/*
 * A reload: keeps in next what only a restart may change (prefix, broker,
 * state_dir), copied from running, and logs each one the file changed.
 * Returns how many had changed.
 */
int kcfg_keep_restart(struct kiosk_config *next, const struct kiosk_config *running);

/*
 * Reads the pin file (relative to state_dir, which --state may have changed)
 * into cfg->pins.  0, or HV_ECONFIG with err "file:line: ..." (pin.h).
 */
int kcfg_load_pins(struct kiosk_config *cfg, struct cfg_error *err);

/* Whose PIN pin is ("staff" for a line without a name), or NULL. */
const char *kcfg_pin_who(const struct kiosk_config *cfg, const char *pin);
/* True if pin is one of cfg's PINs. */
bool kcfg_pin_ok(const struct kiosk_config *cfg, const char *pin);

/* Writes a new crypt(3) hash of pin (yescrypt at PIN_COST, random salt). 0 or HV_EIO. */
int kcfg_hash_pin(const char *pin, char *out, size_t outlen);

#endif
