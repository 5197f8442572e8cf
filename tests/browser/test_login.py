#!/usr/bin/env python3
"""test_login.py - the login form.

Proves:
  - a wrong password lands on the form again with "Wrong name or password";
  - repeated wrong passwords bring the backoff: "Too many tries. Wait N seconds." with the
    Sign in button disabled while the page counts down (screenshot station-login.png);
  - the board is not reachable without a session (GET / shows the login form);
  - the form's hidden view is "board" on a 1920x1080 screen.
"""
import browser_kit as bk
from browser_kit import By, log
from browser_fixture import Fixture


def main():
    fx = Fixture('login', users=[('sam', 'correct horse 1', 'nurse')])
    fx.start()
    d = bk.browser(1920, 1080)
    d.get(fx.base + '/')
    bk.wait(d, lambda d: d.find_elements(By.NAME, 'password'), 'the login form instead of the board')
    assert d.find_element(By.NAME, 'view').get_attribute('value') == 'board'
    bk.login(d, fx.base, 'sam', 'wrong password', expect_board=False)
    bk.wait(d, lambda d: 'Wrong name or password' in d.find_element(By.ID, 'login-error').text,
            '"Wrong name or password"')
    for i in range(12):
        bk.login(d, fx.base, 'sam', 'wrong password %d' % i, expect_board=False)
        bk.wait(d, lambda d: d.find_element(By.ID, 'login-error').text != '', 'a login message')
        msg = d.find_element(By.ID, 'login-error').text
        log('try %d: %s' % (i + 2, msg))
        if 'Too many tries' in msg:
            break
    else:
        raise AssertionError('no backoff after 13 wrong passwords')
    assert 'Wait' in msg and 'second' in msg, msg
    bk.shot(d, 'station-login.png')
    # the message and the button read together: while it says "Wait", Sign in is disabled
    text, disabled = d.execute_script('return [document.getElementById("login-error").textContent,'
                                      ' document.getElementById("login-submit").disabled]')
    assert ('Wait' not in text) or disabled, (text, disabled)
    bk.wait(d, lambda d: d.find_element(By.ID, 'login-submit').is_enabled(), 'Sign in enabled after the wait',
            timeout=90)
    bk.check_console(d)
    fx.stop()


if __name__ == '__main__':
    bk.run(main)
