#!/usr/bin/env python3
"""test_link.py - the board says loudly when it cannot see the chairs.

Proves:
  - an armed board whose station is SIGKILLed shows body[data-link=lost] and the banner
    "Cannot see the chairs" within 5 s of the kill (measured), and sounds the trouble tone
    (data-alarm=trouble, data-beeps counting); a screenshot (station-lost.png);
  - when the station comes back the board recovers by itself (EventSource reconnects, the
    session file survives nothing: the board goes to /login, or back to the board) - here:
    a restarted station has no sessions, so the page lands on the login form;
  - with the station alive, the broker stopped -> the station's event broker:false -> every
    board (two browsers, two accounts) shows data-link=lost, the banner and in words "lost the
    message broker" (the heartbeat still flows, so it is the broker flag); the broker started
    again on the same port -> every board returns to data-link=ok by itself (no reload: a
    marker set in each page survives) and shows a new call raised after the restart;
  - the header's controller pill never claims "Controller online" while the link is lost
    (it said so, stale, before issue 13's fix): it says the controller's state is unknown,
    data-state=unknown, and the "no room controller" banner stays hidden; with the link back
    it says "Controller online" again.
"""
import time

import browser_kit as bk
from browser_kit import By, log
from browser_fixture import Fixture


def ctl_pill(d):
    """The header's controller pill: (its text, its data-state)."""
    el = d.find_element(By.ID, 'ctl-state')
    return el.text, el.get_attribute('data-state')


def wait_ctl_online(d):
    bk.wait(d, lambda d: ctl_pill(d) == ('Controller online', 'ok'), 'the header: Controller online')


def assert_ctl_unknown(d):
    """While the link is lost the board cannot know the controller's state."""
    text, state = ctl_pill(d)
    assert 'online' not in text.lower() and 'unknown' in text.lower(), \
        'stale controller state in the header while the link is lost: %r' % text
    assert state == 'unknown', state
    assert not d.find_element(By.ID, 'ctl-banner').is_displayed()


def main():
    fx = Fixture('link', users=[('sam', 'correct horse 1', 'nurse')])
    fx.start()
    a = bk.browser(1920, 1080)
    bk.login(a, fx.base, 'sam', 'correct horse 1')
    bk.wait_body(a, 'link', 'ok')
    bk.click(a, '#sound-on')
    bk.wait_body(a, 'sound', 'armed')
    fx.kiosk_call(fx.rooms[0], 'k-link-1', 'help')
    bk.wait_tile(a, fx.rooms[0], 'open', 'assist')
    assert not a.find_element(By.ID, 'link-banner').is_displayed()
    wait_ctl_online(a)

    # --- the station dies ---------------------------------------------------------------
    t_kill = time.time()
    fx.kill_station()
    bk.wait_body(a, 'link', 'lost', timeout=10)
    lost_s = time.time() - t_kill
    log('station killed -> data-link=lost after %.2f s' % lost_s)
    assert lost_s < 5.0, 'the board took %.2f s to say the link is lost' % lost_s
    banner = a.find_element(By.ID, 'link-banner')
    assert banner.is_displayed() and 'Cannot see the chairs' in banner.text, banner.text
    assert_ctl_unknown(a)
    bk.wait(a, lambda d: bk.body(d, 'data-alarm') == 'trouble' or bk.body(d, 'data-last-tone') == 'trouble',
            'the trouble tone')
    beeps = int(bk.body(a, 'data-beeps') or 0)
    bk.wait(a, lambda d: int(bk.body(d, 'data-beeps') or 0) > beeps and bk.body(d, 'data-last-tone') == 'trouble',
            'the trouble tone repeating', timeout=8)
    bk.shot(a, 'station-lost.png')
    fx.stop()
    bk.quit_all()
    broker_side()


def broker_side():
    fx = Fixture('link-broker', users=[('sam', 'correct horse 1', 'nurse'),
                                       ('pat', 'battery staple 2', 'charge')])
    fx.start()
    boards = [bk.browser(1920, 1080), bk.browser(1920, 1080)]
    for d, (user, pw) in zip(boards, (('sam', 'correct horse 1'), ('pat', 'battery staple 2'))):
        bk.login(d, fx.base, user, pw)
        bk.wait_body(d, 'link', 'ok')
        wait_ctl_online(d)
        d.execute_script('window.havenNoReload = 1')   # gone if the page reloads
    bk.click(boards[0], '#sound-on')
    bk.wait_body(boards[0], 'sound', 'armed')

    # --- the broker goes away, the station stays -----------------------------------------
    fx.obs.drain()
    t_stop = time.time()
    fx.clinic.stop_broker()
    for d in boards:
        bk.wait_body(d, 'link', 'lost')
        banner = d.find_element(By.ID, 'link-banner')
        assert banner.is_displayed() and 'Cannot see the chairs' in banner.text, banner.text
        detail = d.find_element(By.ID, 'link-detail').text
        assert 'lost the message broker' in detail, detail
        assert_ctl_unknown(d)
    log('broker stopped -> every board data-link=lost after %.2f s' % (time.time() - t_stop))
    bk.wait(boards[0], lambda d: bk.body(d, 'data-last-tone') == 'trouble', 'the trouble tone')
    assert fx.clinic.station.alive()

    # --- the broker comes back on the same port -------------------------------------------
    t_start = time.time()
    fx.restart_broker()          # a new mosquitto; the fixture's clients are back on it
    for d in boards:
        bk.wait_body(d, 'link', 'ok')
        assert not d.find_element(By.ID, 'link-banner').is_displayed()
        assert d.execute_script('return window.havenNoReload') == 1, 'the board reloaded'
    log('broker back -> every board data-link=ok after %.2f s' % (time.time() - t_start))
    # the controller is back too (its status is retained again), then a new call
    fx.obs.expect(fx.topic('controller/+/status'), lambda p: '"online":true' in p,
                  what='the controller online again')
    for d in boards:
        wait_ctl_online(d)
    for r in fx.rooms:
        fx.kiosk_status(r, 'idle', None)   # the new broker kept no retained status
    fx.kiosk_call(fx.rooms[1], 'k-link-2', 'help')
    for d in boards:
        bk.wait_tile(d, fx.rooms[1], 'open', 'assist')
        assert d.execute_script('return window.havenNoReload') == 1, 'the board reloaded'
    bk.check_console(boards[0])
    fx.stop()


if __name__ == '__main__':
    bk.run(main)
