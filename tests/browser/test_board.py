#!/usr/bin/env python3
"""test_board.py - the board in a real browser against the real station, controller and broker.

Proves, in one run (two browsers: sam, a nurse, and pat, the charge nurse):
  - logging in through the form (Enter submits) reaches the board, one tile per chair;
  - until "Sound on" is clicked the sound banner shows and body[data-sound] is off; after the
    click data-sound=armed, the banner goes and the station's retained status on MQTT says
    armed >= 1;
  - a kiosk call published on MQTT appears on the board within 1 s (measured twice: the page's
    own timestamp of the event and the test's poll), with its priority as data-priority, word
    and shape, in both browsers;
  - Acknowledge in the browser -> P/call/R says acknowledged with by = the account name (what
    the kiosk shows as "sam is on the way"), and both boards show it;
  - Clear in the other browser -> P/call/R empty, both tiles back to none;
  - an urgent call: data-priority urgent, no Clear button, the urgent cadence plays on the armed
    board (data-alarm=urgent, data-beeps counting) and still plays while muted;
    an unarmed board shows it but stays data-sound=off; cleared at the bedside;
  - begin visit, phase and end visit on a tile reach the kiosk as P/room/R/kiosk/cmd, the
    kiosk's new status shows on both boards; the charge nurse's light override and release
    reach P/room/R/lights/set, and a nurse's is refused (403);
  - the call list is sorted by priority then age;
  - a POST without the CSRF token is refused (403) and changes nothing;
  - a screenshot of the board with a call of each priority (station-board.png).
"""
import json
import time

import browser_kit as bk
from browser_kit import By, log
from selenium.webdriver.support.ui import Select
from browser_fixture import Fixture


def main():
    fx = Fixture('board', users=[('sam', 'correct horse 1', 'nurse'), ('pat', 'battery staple 2', 'charge')])
    fx.start()
    m = fx.mqtt('bt-obs')
    m.subscribe(fx.topic('call/+'))
    m.subscribe(fx.topic('station/+/status'))

    a = bk.browser(1920, 1080)
    b = bk.browser(1920, 1080)
    t0 = time.time()
    bk.login(a, fx.base, 'sam', 'correct horse 1')
    log('login took %.2f s' % (time.time() - t0))
    bk.login(b, fx.base, 'pat', 'battery staple 2')
    for d in (a, b):
        for r in fx.rooms:
            bk.wait(d, lambda d, r=r: bk.tile_attr(d, r, 'data-call') == 'none', 'tile ' + r)
        bk.wait_body(d, 'link', 'ok')
        assert bk.body(d, 'data-view') == 'board'
    assert bk.body(a, 'data-role') == 'nurse' and bk.body(b, 'data-role') == 'charge'
    # charge-only controls only for the charge nurse
    assert not a.find_elements(By.CSS_SELECTOR, '[data-action="light"]')
    assert b.find_elements(By.CSS_SELECTOR, '[data-action="light"]')

    # --- sound: the banner until a person clicks "Sound on" ---------------------------
    for d in (a, b):
        assert bk.body(d, 'data-sound') == 'off'
        assert d.find_element(By.ID, 'sound-banner').is_displayed()
        assert d.find_element(By.ID, 'sound-on').is_displayed()
    bk.click(a, '#sound-on')
    bk.wait_body(a, 'sound', 'armed')
    bk.wait(a, lambda d: not d.find_element(By.ID, 'sound-banner').is_displayed(), 'sound banner hidden')
    st = m.expect(fx.topic('station/+/status'),
                  lambda p: p and json.loads(p).get('online') and json.loads(p).get('armed', 0) >= 1,
                  what='station status armed >= 1')
    log('station status:', st)
    assert bk.body(b, 'data-sound') == 'off'
    assert b.find_element(By.ID, 'sound-banner').is_displayed()

    # --- a kiosk call appears within 1 s ----------------------------------------------
    room = fx.rooms[0]
    m.drain()
    t_pub = time.time()
    fx.kiosk_call(room, 'k-board-1', 'help')
    bk.wait_tile(a, room, 'open', 'assist', timeout=5)
    t_seen = time.time()
    page_t = a.execute_script('return window.havenLastRoomEvent && window.havenLastRoomEvent.t')
    bk.wait_tile(b, room, 'open', 'assist', timeout=5)
    page_ms = page_t - t_pub * 1000.0
    poll_ms = (t_seen - t_pub) * 1000.0
    log('call -> board: %.1f ms (page timestamp), %.1f ms (test poll)' % (page_ms, poll_ms))
    assert page_ms < 1000 and poll_ms < 1000, 'the call took longer than 1 s to show'
    text = bk.tile(a, room).text
    assert 'ASSIST' in text.upper() and '\u25C6' in text, text
    assert 'Open' in text, text
    assert bk.body(a, 'data-alarm') == 'assist'
    item = a.find_element(By.CSS_SELECTOR, '#call-list [data-room="%s"]' % room)
    assert item.get_attribute('data-priority') == 'assist'

    # --- CSRF: a POST without the token is refused and changes nothing -----------------
    call_id = fx.call_id(m, room)
    status, text = bk.page_fetch(a, 'POST', '/api/action', {'action': 'ack', 'room': room, 'call': call_id},
                                 csrf=False)
    log('POST without CSRF:', status, text)
    assert status == 403 and 'csrf' in text, (status, text)
    assert bk.tile_attr(a, room, 'data-call') == 'open'

    # --- acknowledge in the browser -> the kiosk's view says sam ----------------------
    m.drain()
    bk.click(a, '.tile[data-room="%s"] [data-action="ack"]' % room)
    p = m.expect(fx.topic('call/' + room),
                 lambda p: p and json.loads(p).get('state') == 'acknowledged', what='P/call/R acknowledged')
    j = json.loads(p)
    assert j['by'] == 'sam', j
    for d in (a, b):
        bk.wait_tile(d, room, 'acknowledged', 'assist')
        bk.wait(d, lambda d: 'sam is on the way' in bk.tile(d, room).text, 'sam is on the way')
    bk.wait(a, lambda d: bk.body(d, 'data-alarm') == 'none', 'no alarm once acknowledged')

    # --- clear in the other browser ------------------------------------------------------
    m.drain()
    bk.click(b, '.tile[data-room="%s"] [data-action="clear"]' % room)
    m.expect(fx.topic('call/' + room), lambda p: p == '', what='P/call/R empty')
    for d in (a, b):
        bk.wait_tile(d, room, 'none')
        assert bk.tile_attr(d, room, 'data-priority') == ''

    # --- urgent: its sound, unmutable; clears only at the bedside ------------------------
    room2 = fx.rooms[1]
    fx.kiosk_call(room2, 'k-board-2', 'safety')
    for d in (a, b):
        bk.wait_tile(d, room2, 'open', 'urgent')
        bk.wait(d, lambda d: bk.body(d, 'data-alarm') == 'urgent', 'data-alarm urgent')
    t2 = bk.tile(a, room2)
    assert '\u25B2' in t2.text and 'URGENT' in t2.text.upper(), t2.text
    assert not t2.find_elements(By.CSS_SELECTOR, '[data-action="clear"]'), 'urgent calls clear at the bedside'
    beeps = int(bk.body(a, 'data-beeps') or 0)
    bk.wait(a, lambda d: int(bk.body(d, 'data-beeps') or 0) >= beeps + 1, 'the urgent cadence', timeout=6)
    assert bk.body(a, 'data-last-tone') == 'urgent'
    bk.click(a, '#mute')
    bk.wait_body(a, 'muted', '1')
    beeps = int(bk.body(a, 'data-beeps') or 0)
    bk.wait(a, lambda d: int(bk.body(d, 'data-beeps') or 0) >= beeps + 1, 'urgent still sounds when muted', timeout=6)
    assert bk.body(a, 'data-last-tone') == 'urgent'
    assert bk.body(b, 'data-sound') == 'off'        # shown, but b never armed its sound
    m.drain()
    fx.kiosk_clear(room2, 'k-board-2')
    m.expect(fx.topic('call/' + room2), lambda p: p == '', what='P/call/R empty (bedside clear)')
    for d in (a, b):
        bk.wait_tile(d, room2, 'none')

    # --- the visit from the board: begin, phase, end reach the kiosk; charge sets the light --
    m.subscribe(fx.topic('room/+/kiosk/cmd'))
    m.subscribe(fx.topic('room/+/lights/set'))
    r4 = fx.rooms[3]
    m.drain()
    a.find_element(By.CSS_SELECTOR, '.tile[data-room="%s"] [data-field="visit"]' % r4).send_keys('V-2001')
    # issue 14: the patient's pseudonymous key travels with the visit to the kiosk
    a.find_element(By.CSS_SELECTOR, '.tile[data-room="%s"] [data-field="patient"]' % r4).send_keys('P-2001')
    bk.click(a, '.tile[data-room="%s"] [data-action="begin_visit"]' % r4)
    p = json.loads(m.expect(fx.topic('room/%s/kiosk/cmd' % r4), what='begin_visit'))
    assert p == {'cmd': 'begin_visit', 'visit': 'V-2001', 'lang': 'en', 'patient': 'P-2001'}, p
    fx.kiosk_status(r4, 'intake', 'V-2001')                 # the kiosk begins it
    for d in (a, b):
        bk.wait(d, lambda d: 'Intake' in bk.tile(d, r4).text, 'the tile in intake')
    Select(a.find_element(By.CSS_SELECTOR, '.tile[data-room="%s"] [data-action="phase"]' % r4)) \
        .select_by_value('infusion')
    p = json.loads(m.expect(fx.topic('room/%s/kiosk/cmd' % r4), what='phase'))
    assert p == {'cmd': 'phase', 'phase': 'infusion'}, p
    fx.kiosk_status(r4, 'infusion', 'V-2001')
    bk.wait(a, lambda d: 'Infusion' in bk.tile(d, r4).text, 'the tile in infusion')
    Select(b.find_element(By.CSS_SELECTOR, '.tile[data-room="%s"] [data-action="light"]' % r4)) \
        .select_by_value('bright')
    p = json.loads(m.expect(fx.topic('room/%s/lights/set' % r4), what='the light override'))
    assert p == {'scene': 'bright'}, p
    bk.click(b, '.tile[data-room="%s"] [data-action="light_release"]' % r4)
    p = json.loads(m.expect(fx.topic('room/%s/lights/set' % r4), what='the light release'))
    assert p == {'release': True}, p
    status, text = bk.page_fetch(a, 'POST', '/api/action', {'action': 'light', 'room': r4, 'scene': 'bright'})
    assert status == 403, 'a nurse may not override the light: %s %s' % (status, text)
    bk.click(a, '.tile[data-room="%s"] [data-action="end_visit"]' % r4)
    p = json.loads(m.expect(fx.topic('room/%s/kiosk/cmd' % r4), what='end_visit'))
    assert p == {'cmd': 'end_visit'}, p

    # --- one call of each priority: the list's order, and the screenshot ---------------
    fx.kiosk_call(fx.rooms[2], 'k-board-3', 'ready')      # routine, oldest
    bk.wait_tile(a, fx.rooms[2], 'open', 'routine')
    fx.kiosk_call(fx.rooms[1], 'k-board-4', 'help')       # assist
    bk.wait_tile(a, fx.rooms[1], 'open', 'assist')
    fx.kiosk_call(fx.rooms[0], 'k-board-5', 'safety')     # urgent, newest
    for d in (a, b):
        bk.wait_tile(d, fx.rooms[0], 'open', 'urgent')
    order = a.execute_script(
        'return Array.from(document.querySelectorAll("#call-list > li")).map(function (e) {'
        ' return e.getAttribute("data-priority"); })')
    assert order == ['urgent', 'assist', 'routine'], order
    bk.click(a, '.tile[data-room="%s"] [data-action="ack"]' % fx.rooms[1])
    bk.wait_tile(a, fx.rooms[1], 'acknowledged', 'assist')
    bk.shot(a, 'station-board.png')
    bk.check_console(a)
    bk.check_console(b)
    fx.stop()


if __name__ == '__main__':
    bk.run(main)
