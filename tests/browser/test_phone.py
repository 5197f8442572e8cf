#!/usr/bin/env python3
"""test_phone.py - the phone view at 390x844.

Proves:
  - logging in on a narrow screen gives the phone view (body[data-view=phone]; the login
    form's hidden view says phone), the board's tiles are not shown;
  - the open calls are listed biggest first (urgent before assist), each with one large
    Acknowledge button (at least 48 px high, as wide as the screen allows);
  - Acknowledge on the phone -> P/call/R acknowledged by the account's name;
  - the page fits the screen (no sideways scrolling); screenshot station-phone.png;
  - "my group's calls": kim has no group (an account from before groups) and sees every
    call; lee, a nurse in group charge, sees the urgent call but not the assist one whose
    chain (nurses, then charge after 120 s) has paged only nurses yet.
"""
import json
import os
import signal
import subprocess

import browser_kit as bk
from browser_kit import By, log
from browser_fixture import Fixture


def main():
    fx = Fixture('phone', users=[('kim', 'phone pass 3', 'nurse')])
    fx.start()
    m = fx.mqtt('ph-obs')
    m.subscribe(fx.topic('call/+'))
    d = bk.browser(390, 844)
    d.get(fx.base + '/login')
    bk.wait(d, lambda d: d.find_element(By.NAME, 'view').get_attribute('value') == 'phone', 'view=phone')
    bk.login(d, fx.base, 'kim', 'phone pass 3')
    bk.wait_body(d, 'view', 'phone')
    assert not d.find_element(By.ID, 'tiles').is_displayed()
    fx.kiosk_call(fx.rooms[1], 'k-phone-1', 'help')
    bk.wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, '#phone-calls [data-room="%s"]' % fx.rooms[1]),
            'the assist call on the phone')
    fx.kiosk_call(fx.rooms[2], 'k-phone-2', 'safety')
    bk.wait(d, lambda d: [e.get_attribute('data-priority') for e in
                          d.find_elements(By.CSS_SELECTOR, '#phone-calls > li')] == ['urgent', 'assist'],
            'urgent first, then assist')
    first = d.find_element(By.CSS_SELECTOR, '#phone-calls > li')
    ack = first.find_element(By.CSS_SELECTOR, '[data-action="ack"]')
    size = ack.size
    log('phone Acknowledge button: %r' % size)
    assert size['height'] >= 48 and size['width'] >= 300, size
    width = d.execute_script('return [document.documentElement.scrollWidth, window.innerWidth]')
    assert width[0] <= width[1], 'the phone page scrolls sideways: %r' % width
    bk.shot(d, 'station-phone.png')
    m.drain()
    ack.click()
    p = m.expect(fx.topic('call/' + fx.rooms[2]), lambda p: p and json.loads(p).get('state') == 'acknowledged',
                 what='the urgent call acknowledged')
    assert json.loads(p)['by'] == 'kim', p
    bk.wait(d, lambda d: 'kim is on the way' in
            d.find_element(By.CSS_SELECTOR, '#phone-calls [data-room="%s"]' % fx.rooms[2]).text,
            'kim is on the way on the phone')
    bk.check_console(d)
    my_group_only(fx)
    fx.stop()


def my_group_only(fx):
    """lee (group charge) is added and the station reloads its accounts (SIGHUP)."""
    r = subprocess.run([fx.station_bin, 'user', 'add', '--users', fx.clinic.users_path, '--config',
                        fx.clinic.cfg_path, '--role', 'nurse', '--group', 'charge', 'lee'],
                       input=b'lee pass 4\n', stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
    assert r.returncode == 0, r.stdout.decode()
    st = fx.clinic.station
    mark = st.mark()
    os.kill(fx.station_pid, signal.SIGHUP)
    st.wait_text('account(s) from', timeout=20, since=mark)     # the reload's log line
    d = bk.browser(390, 844)
    bk.login(d, fx.base, 'lee', 'lee pass 4')
    bk.wait_body(d, 'view', 'phone')
    group = d.execute_script('return fetch("/api/me").then(function (r) { return r.json(); })'
                             '.then(function (j) { return j.group; })')
    assert group == 'charge', group
    # One render has both tiles: once the urgent call shows, the assist one would be there too.
    bk.wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, '#phone-calls [data-room="%s"]' % fx.rooms[2]),
            "the urgent call on lee's phone")
    rooms = [e.get_attribute('data-room') for e in d.find_elements(By.CSS_SELECTOR, '#phone-calls > li')]
    assert rooms == [fx.rooms[2]], 'lee (charge) sees %r; the assist call has paged nurses only' % rooms
    tiles = d.execute_script('return document.querySelectorAll("#tiles [data-room]").length')
    assert tiles == len(fx.rooms), 'the board part still has every chair: %r' % tiles
    bk.shot(d, 'station-phone-group.png')
    bk.check_console(d)


if __name__ == '__main__':
    bk.run(main)
