/*
 * kcfg.h - the kiosk's configuration: its section of haven.cfg,
 *
 *   kiosk = {
 *     dpi = 96;                    # of the chair's screen, for the 16 mm touch targets
 *     state_dir = "/var/lib/haven-kiosk";
 *     pin = "$y$...";              # staff PIN, as crypt(3) hash: haven-kiosk hash-pin
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
#include "soundcfg.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

struct kiosk_config {
    char path[PATH_MAX];
    char prefix[64];
    char room[HV_ROOM_MAX];
    char room_label[HV_NAME_MAX];
    char broker_host[256];
    int broker_port;
    int keepalive;
    char username[HV_NAME_MAX];
    char password[128];
    struct cfg_auth auth;           /* password_file, TLS files ("%r" expanded to the room) */

    int dpi;
    char state_dir[PATH_MAX];
    char pin_hash[256];             /* crypt(3) hash; "" = staff menu locked out */
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

/* True if pin matches cfg's hash (constant-time compare of the crypt output). */
bool kcfg_pin_ok(const struct kiosk_config *cfg, const char *pin);

/* Writes a new crypt(3) hash of pin (yescrypt, random salt) into out. 0, HV_EINVAL or HV_EIO. */
int kcfg_hash_pin(const char *pin, char *out, size_t outlen);

#endif
