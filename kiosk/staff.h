/*
 * staff.h - the staff's way in at the bedside, as one state machine: a long
 * press on the hidden corner opens the PIN pad; digits are typed; a PIN is
 * checked (off the main thread: pin.h's slow hash); a right one opens the staff
 * menu, which locks again after a quiet minute; wrong ones count towards the
 * lockout (pin.h).
 *
 * No SDL, MQTT or storage here.  What must be kept or told (the lockout to
 * persist, the pin_locked event, the log lines) the functions return, and the
 * app does it (app.c).  Screens read the state through the accessors and change
 * it only through these functions.
 */
#ifndef HAVEN_KIOSK_STAFF_H
#define HAVEN_KIOSK_STAFF_H

#include "contract.h"
#include "pin.h"

#include <stdbool.h>
#include <stdint.h>

#define STAFF_HOLD_MS 2000           /* a long press on the hidden corner opens the PIN pad */
#define STAFF_MENU_IDLE_MS 60000     /* the menu locks again after a quiet minute */
#define STAFF_PIN_MAX 8              /* digits */
#define STAFF_WRONG_SHOWN_MS 30000   /* "wrong PIN" stays on the pad this long */

struct staff {
    int64_t corner_down_ms;     /* when a press in the staff corner began (0: none) */
    bool pin_open;              /* PIN pad showing */
    char pin[STAFF_PIN_MAX + 1];/* digits typed so far */
    int pin_len;
    bool menu_open;             /* unlocked: staff menu showing */
    int64_t menu_until_ms;      /* the menu locks again at this time */
    char who[HV_NAME_MAX];      /* whose PIN opened it */
    struct pin_lock lock;       /* wrong PINs in a row, and the lockout (persisted by the app) */
    bool checking;              /* check_pin is being checked (off the main thread) */
    char check_pin[STAFF_PIN_MAX + 1];
    char next_pin[STAFF_PIN_MAX + 1]; /* typed meanwhile: checked next ("" : none) */
    int64_t wrong_ms;           /* when a wrong PIN was entered (0: not lately) */
};

/* ---- the hidden corner and taps ---- */

/* A press began (in_corner: on the hidden corner). */
void staff_press_down(struct staff *s, bool in_corner, int64_t now_ms);
/*
 * The press ended (in_corner: on the corner).  True when the corner took it: a
 * long enough press opens the PIN pad, a short one does nothing else.
 */
bool staff_press_up(struct staff *s, bool in_corner, int64_t now_ms);
/* A tap on the screen: while the menu is open it stays open another quiet minute. */
void staff_touched(struct staff *s, int64_t now_ms);

/* ---- the PIN pad ---- */

void staff_pad_digit(struct staff *s, char digit);
void staff_pad_cancel(struct staff *s);
/* The typed PIN (cleared from the pad), for staff_pin_begin; false when none was typed. */
bool staff_pad_take(struct staff *s, char out[STAFF_PIN_MAX + 1]);

/*
 * A PIN to check: false while the pad is locked (not checked).  Else it is kept
 * in check_pin and checking is set, or, typed during a check, kept as the next.
 */
bool staff_pin_begin(struct staff *s, const char *pin, int64_t now_ms);

/* The PIN waiting for its check (NULL: none waits). */
const char *staff_pin_to_check(const struct staff *s);

enum staff_outcome { STAFF_OPENED, STAFF_WRONG, STAFF_LOCKED };

/*
 * The check came back: who (NULL: nobody's PIN).  Opens the menu for who, or
 * counts the failure; *lock_changed says the lockout must be persisted, and
 * *locked_ms (STAFF_LOCKED) how long the pad is locked.  check_pin is wiped.
 */
enum staff_outcome staff_pin_checked(struct staff *s, const char *who, int64_t now_ms,
                                     bool *lock_changed, int64_t *locked_ms);

/* The PIN typed during the last check, into out (wiped from s): false when none, or the
 * menu opened meanwhile. */
bool staff_pin_take_next(struct staff *s, char out[STAFF_PIN_MAX + 1]);

/* ---- the menu ---- */

void staff_menu_close(struct staff *s);
/* Locks the menu after its quiet minute (true: it changed); *next gets the deadline. */
bool staff_tick(struct staff *s, int64_t now_ms, int64_t *next);

bool staff_menu_is_open(const struct staff *s);
bool staff_pad_is_open(const struct staff *s);
/* The pad came on screen: no old "wrong PIN" on it. */
void staff_pad_shown(struct staff *s);
/* Digits typed (the pad shows as many dots). */
int staff_pad_len(const struct staff *s);
/* When the locked pad opens again (0: not locked). */
int64_t staff_locked_until(const struct staff *s, int64_t now_ms);
/* True while the pad should say the last PIN was wrong (for STAFF_WRONG_SHOWN_MS, until a digit). */
bool staff_says_wrong(const struct staff *s, int64_t now_ms);
/* Who opened the menu, "staff" when the PIN had no name. */
const char *staff_who(const struct staff *s);

#endif
