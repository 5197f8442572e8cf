/*
 * test_staff.c - the staff's way in at the bedside (kiosk/staff.c), with fake
 * time: the long press, the pad, the check's two halves, the lockout and the
 * menu's quiet minute.
 */
#include "check.h"
#include "staff.h"

#include <string.h>

#define T0 1795000000000LL

static void test_long_press_opens_the_pad(void)
{
    struct staff s;

    memset(&s, 0, sizeof s);
    staff_press_down(&s, true, T0);
    CHECK(staff_press_up(&s, true, T0 + STAFF_HOLD_MS - 1));   /* the corner took it */
    CHECK(!staff_pad_is_open(&s));                              /* too short */
    staff_press_down(&s, true, T0);
    CHECK(!staff_press_up(&s, false, T0 + STAFF_HOLD_MS));      /* slid off the corner */
    CHECK(!staff_pad_is_open(&s));
    staff_press_down(&s, false, T0);
    CHECK(!staff_press_up(&s, true, T0 + STAFF_HOLD_MS));       /* began elsewhere */
    staff_press_down(&s, true, T0);
    CHECK(staff_press_up(&s, true, T0 + STAFF_HOLD_MS));
    CHECK(staff_pad_is_open(&s));
}

static void test_pad_digits_take_and_cancel(void)
{
    struct staff s;
    char pin[STAFF_PIN_MAX + 1];

    memset(&s, 0, sizeof s);
    CHECK(!staff_pad_take(&s, pin));
    for (int i = 0; i < STAFF_PIN_MAX + 3; i++)
        staff_pad_digit(&s, (char)('1' + i % 9));
    CHECK_INT_EQ(staff_pad_len(&s), STAFF_PIN_MAX);            /* no more than fit */
    CHECK(staff_pad_take(&s, pin));
    CHECK_STR_EQ(pin, "12345678");
    CHECK_INT_EQ(staff_pad_len(&s), 0);
    s.pin_open = true;
    staff_pad_digit(&s, '4');
    staff_pad_cancel(&s);
    CHECK(!staff_pad_is_open(&s));
    CHECK_INT_EQ(staff_pad_len(&s), 0);
    CHECK_STR_EQ(s.pin, "");
}

static void test_right_pin_opens_the_menu_for_a_quiet_minute(void)
{
    struct staff s;
    bool changed;
    int64_t locked, next = INT64_MAX;

    memset(&s, 0, sizeof s);
    s.pin_open = true;
    CHECK(staff_pin_begin(&s, "2468", T0));
    CHECK_STR_EQ(staff_pin_to_check(&s), "2468");
    CHECK_INT_EQ(staff_pin_checked(&s, "sam", T0 + 200, &changed, &locked), STAFF_OPENED);
    CHECK(!changed);
    CHECK(staff_pin_to_check(&s) == NULL);
    CHECK_STR_EQ(s.check_pin, "");                              /* wiped */
    CHECK(staff_menu_is_open(&s) && !staff_pad_is_open(&s));
    CHECK_STR_EQ(staff_who(&s), "sam");
    CHECK(!staff_tick(&s, T0 + 200 + STAFF_MENU_IDLE_MS - 1, &next));
    CHECK_INT_EQ(next, T0 + 200 + STAFF_MENU_IDLE_MS);
    staff_touched(&s, T0 + 30000);                              /* a tap: another minute */
    next = INT64_MAX;
    CHECK(!staff_tick(&s, T0 + 200 + STAFF_MENU_IDLE_MS, &next));
    CHECK_INT_EQ(next, T0 + 30000 + STAFF_MENU_IDLE_MS);
    CHECK(staff_tick(&s, T0 + 30000 + STAFF_MENU_IDLE_MS, &next));
    CHECK(!staff_menu_is_open(&s));
    staff_touched(&s, T0 + 100000);                             /* closed: stays closed */
    CHECK(!staff_menu_is_open(&s));
}

static void test_wrong_pins_lock_the_pad(void)
{
    struct staff s;
    bool changed;
    int64_t locked = -1, t = T0;
    char next[STAFF_PIN_MAX + 1];

    memset(&s, 0, sizeof s);
    for (int i = 0; i < PIN_FREE_TRIES - 1; i++) {   /* the last free try locks */
        CHECK(staff_pin_begin(&s, "0000", t));
        CHECK_INT_EQ(staff_pin_checked(&s, NULL, t, &changed, &locked), STAFF_WRONG);
        CHECK(changed);
        CHECK_INT_EQ(locked, 0);
        CHECK(staff_says_wrong(&s, t + STAFF_WRONG_SHOWN_MS - 1));
        CHECK(!staff_says_wrong(&s, t + STAFF_WRONG_SHOWN_MS));
        t += 1000;
    }
    CHECK(staff_pin_begin(&s, "0000", t));
    CHECK_INT_EQ(staff_pin_checked(&s, NULL, t, &changed, &locked), STAFF_LOCKED);
    CHECK_INT_EQ(locked, PIN_LOCK_FIRST_MS);
    CHECK_INT_EQ(staff_locked_until(&s, t), t + PIN_LOCK_FIRST_MS);
    CHECK(!staff_pin_begin(&s, "2468", t + 1));                 /* locked: not checked */
    CHECK(staff_pin_to_check(&s) == NULL);
    CHECK_INT_EQ(staff_locked_until(&s, t + PIN_LOCK_FIRST_MS), 0);
    /* Typed during a check: checked next, unless the menu opened meanwhile. */
    CHECK(staff_pin_begin(&s, "1111", t + PIN_LOCK_FIRST_MS));
    CHECK(staff_pin_begin(&s, "2222", t + PIN_LOCK_FIRST_MS));
    CHECK_STR_EQ(staff_pin_to_check(&s), "1111");
    CHECK_INT_EQ(staff_pin_checked(&s, "alex", t + PIN_LOCK_FIRST_MS, &changed, &locked),
                 STAFF_OPENED);
    CHECK(changed);                                             /* the count was reset */
    CHECK_INT_EQ(s.lock.failures, 0);
    CHECK(!staff_pin_take_next(&s, next));                      /* open already */
    CHECK_STR_EQ(s.next_pin, "");
}

int main(void)
{
    RUN(test_long_press_opens_the_pad);
    RUN(test_pad_digits_take_and_cancel);
    RUN(test_right_pin_opens_the_menu_for_a_quiet_minute);
    RUN(test_wrong_pins_lock_the_pad);
    return CHECK_SUMMARY();
}
