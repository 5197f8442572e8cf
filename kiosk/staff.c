/*
 * staff.c - the staff's way in at the bedside (staff.h).
 */
#include "staff.h"

#include <stdio.h>
#include <string.h>

void staff_press_down(struct staff *s, bool in_corner, int64_t now)
{
    s->corner_down_ms = in_corner ? now : 0;
}

bool staff_press_up(struct staff *s, bool in_corner, int64_t now)
{
    int64_t down = s->corner_down_ms;

    s->corner_down_ms = 0;
    if (!down || !in_corner)
        return false;
    if (now - down >= STAFF_HOLD_MS && !s->menu_open) {
        s->pin_open = true;
        explicit_bzero(s->pin, sizeof s->pin);
        s->pin_len = 0;
    }
    return true;
}

void staff_touched(struct staff *s, int64_t now)
{
    if (s->menu_open)
        s->menu_until_ms = now + STAFF_MENU_IDLE_MS;
}

void staff_pad_digit(struct staff *s, char digit)
{
    if (s->pin_len < STAFF_PIN_MAX) {
        s->pin[s->pin_len++] = digit;
        s->pin[s->pin_len] = '\0';
    }
    s->wrong_ms = 0;
}

void staff_pad_cancel(struct staff *s)
{
    explicit_bzero(s->pin, sizeof s->pin);
    s->pin_len = 0;
    s->wrong_ms = 0;
    s->pin_open = false;
}

bool staff_pad_take(struct staff *s, char out[STAFF_PIN_MAX + 1])
{
    bool any = s->pin_len > 0;

    memcpy(out, s->pin, STAFF_PIN_MAX + 1);
    explicit_bzero(s->pin, sizeof s->pin);
    s->pin_len = 0;
    return any;
}

bool staff_pin_begin(struct staff *s, const char *pin, int64_t now)
{
    if (pin_lock_locked(&s->lock, now))
        return false;
    if (s->checking) {  /* typed during a check: next, in order */
        snprintf(s->next_pin, sizeof s->next_pin, "%s", pin);
        return true;
    }
    snprintf(s->check_pin, sizeof s->check_pin, "%s", pin);
    s->checking = true;
    return true;
}

const char *staff_pin_to_check(const struct staff *s)
{
    return s->checking ? s->check_pin : NULL;
}

enum staff_outcome staff_pin_checked(struct staff *s, const char *who, int64_t now,
                                     bool *lock_changed, int64_t *locked_ms)
{
    s->checking = false;
    explicit_bzero(s->check_pin, sizeof s->check_pin);
    *locked_ms = 0;
    *lock_changed = false;
    if (who) {
        snprintf(s->who, sizeof s->who, "%s", who);
        if (s->lock.failures) {
            pin_lock_reset(&s->lock);
            *lock_changed = true;
        }
        s->pin_open = false;
        s->menu_open = true;
        s->menu_until_ms = now + STAFF_MENU_IDLE_MS;
        s->wrong_ms = 0;
        return STAFF_OPENED;
    }
    s->wrong_ms = now;
    *locked_ms = pin_lock_fail(&s->lock, now);
    *lock_changed = true;
    return *locked_ms ? STAFF_LOCKED : STAFF_WRONG;
}

bool staff_pin_take_next(struct staff *s, char out[STAFF_PIN_MAX + 1])
{
    bool any = s->next_pin[0] != '\0' && !s->menu_open;

    memcpy(out, s->next_pin, STAFF_PIN_MAX + 1);
    explicit_bzero(s->next_pin, sizeof s->next_pin);
    return any;
}

void staff_menu_close(struct staff *s)
{
    s->menu_open = false;
}

bool staff_tick(struct staff *s, int64_t now, int64_t *next)
{
    bool changed = false;

    if (s->menu_open && now >= s->menu_until_ms) {
        s->menu_open = false;  /* a quiet minute: lock the staff menu again */
        changed = true;
    }
    if (s->menu_open && s->menu_until_ms < *next)
        *next = s->menu_until_ms;
    return changed;
}

bool staff_menu_is_open(const struct staff *s)
{
    return s->menu_open;
}

bool staff_pad_is_open(const struct staff *s)
{
    return s->pin_open;
}

const char *staff_who(const struct staff *s)
{
    return s->who[0] ? s->who : "staff";
}

void staff_pad_shown(struct staff *s)
{
    s->wrong_ms = 0;
}

int staff_pad_len(const struct staff *s)
{
    return s->pin_len;
}

int64_t staff_locked_until(const struct staff *s, int64_t now)
{
    return pin_lock_locked(&s->lock, now) ? s->lock.until_ms : 0;
}

bool staff_says_wrong(const struct staff *s, int64_t now)
{
    return s->pin_len == 0 && s->wrong_ms && now - s->wrong_ms < STAFF_WRONG_SHOWN_MS;
}
