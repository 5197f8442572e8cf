/*
 * kiosk_fixture.h - the real haven-kiosk binary under test.
 *
 * The kiosk runs with SDL's dummy video driver (software rendering) and the dummy audio
 * driver, in a window of a fixed size, its state in a temp dir, against the
 * broker and topic prefix of a room_fixture (so a test can run the real room
 * controller beside it, or play the controller itself).  The test drives it
 * through HAVEN_KIOSK_CONTROL: taps and long presses become real SDL mouse
 * events, and "shot" saves the screen as PNG.
 */
#ifndef HAVEN_KIOSK_FIXTURE_H
#define HAVEN_KIOSK_FIXTURE_H

#include "harness.h"
#include "room_fixture.h"

#include <SDL2/SDL.h>
#include <stdbool.h>

struct kiosk_fixture {
    const struct room_fixture *rf;   /* broker, prefix, config */
    char room[33];
    int w, h, dpi;
    char dir[512];                   /* temp dir: state/, control fifo, kiosk.log, shots */
    char state[600], fifo[600], log_path[600];
    char audio_file[600];            /* "": dummy audio; else SDL's disk driver writes here */
    hv_proc *proc;
    FILE *ctl;
    char netns[64];                  /* "": the test's own network namespace */
    char broker[80];                 /* "": 127.0.0.1:<rf's port>; else the --broker given */
};

/*
 * Starts haven-kiosk for room with rf's config (rf->cfg_path) at w x h.
 * Waits until its retained status says online.  Returns 0 or -1.
 */
int kf_start(struct kiosk_fixture *k, const struct room_fixture *rf, const char *room, int w,
             int h);
/*
 * As kf_start, with SDL's disk audio driver writing what the kiosk plays to
 * k->audio_file (raw samples in the format the kiosk logs, in real time).
 */
int kf_start_disk_audio(struct kiosk_fixture *k, const struct room_fixture *rf,
                        const char *room, int w, int h);
/*
 * As kf_start, with the kiosk inside the network namespace netns (made by the
 * test, e.g. with `ip netns add`) and told --broker broker ("host:port" that
 * namespace can reach).  Returns 0 or -1.
 */
int kf_start_netns(struct kiosk_fixture *k, const struct room_fixture *rf, const char *room,
                   int w, int h, const char *netns, const char *broker);
/* Starts it again with the same state (after kf_kill/kf_stop). wait_online: wait for the status. */
int kf_restart(struct kiosk_fixture *k, bool wait_online);
void kf_kill(struct kiosk_fixture *k);    /* SIGKILL */
int kf_stop(struct kiosk_fixture *k);     /* SIGTERM; the exit status */
void kf_finish(struct kiosk_fixture *k);  /* stops it; keeps the dir and prints the log on failure */

/* Sends one control line ("tap X Y", "hold X Y MS", "checkin"). 0 or -1. */
int kf_send(struct kiosk_fixture *k, const char *line);
int kf_tap(struct kiosk_fixture *k, int x, int y);
/* A tap on the current screen's touch target name ("tapname NAME": the kiosk logs it). */
int kf_tapname(struct kiosk_fixture *k, const char *name);
/* Taps the middle of the help button. */
int kf_tap_help(struct kiosk_fixture *k);
/* The help button's rectangle for this window (as the kiosk computes it). */
SDL_Rect kf_help_rect(const struct kiosk_fixture *k);

/*
 * Saves the screen as <dir>/<name>.png (also copied to $HAVEN_SHOTS_DIR when
 * set) and loads it.  Returns the surface (SDL_FreeSurface it), or NULL.
 */
SDL_Surface *kf_shot(struct kiosk_fixture *k, const char *name);

/* The colour at (x, y) of a screenshot. */
SDL_Color kf_pixel(SDL_Surface *s, int x, int y);
/* How many pixels in r are within tol (per channel) of c. */
int kf_count_colour(SDL_Surface *s, SDL_Rect r, SDL_Color c, int tol);

/*
 * True once the help button is mostly colour c in a screenshot named name
 * (polled for up to 5 s: its state changes when a message arrives).
 */
bool kf_help_is(struct kiosk_fixture *k, const char *name, SDL_Color c);

/*
 * A staff pin file (0600, in a fresh temp dir) with one line "name:hash of pin"
 * (name NULL: the hash alone).  Returns its path (static, valid until the next call;
 * the dir stays for the kiosk to read), or NULL.  For kiosk { pin_file = "..."; }.
 */
const char *kf_pin_file(const char *pin, const char *name);

/* Waits until the kiosk's log contains needle. */
bool kf_wait_log(const struct kiosk_fixture *k, const char *needle, int timeout_ms);

#endif
