"""browser_kit.py - headless Chromium for the station's browser tests.

A browser per call of browser(): Debian's /usr/bin/chromium driven by its
/usr/bin/chromedriver through python3-selenium, headless, its own fresh
profile (--user-data-dir in a temporary directory), the viewport set exactly
(1920x1080 for the station's screen, 390x844 for a phone) through the
DevTools protocol so screenshots have that size.  No flag lets sound play
without a person: the tests click "Sound on" as a nurse would.

Every wait is on a condition (WebDriverWait), never a fixed sleep.
"""
import os
import shutil
import sys
import tempfile
import time

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM = os.environ.get('HAVEN_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('HAVEN_CHROMEDRIVER', '/usr/bin/chromedriver')
FLAGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--disable-dev-shm-usage', '--hide-scrollbars', '--mute-audio']
# How long a test waits for something that should take well under a second: the
# bound only decides when to give up on a busy 2-core machine.
WAIT_S = 20

_browsers = []
on_failure = []   # functions run() calls when a test fails (the fixture prints its logs)


def log(*a):
    print('[%s]' % time.strftime('%H:%M:%S'), *a, flush=True)


def shots_dir():
    d = os.environ.get('HAVEN_SHOTS') or os.path.join(tempfile.gettempdir(), 'haven-shots')
    os.makedirs(d, exist_ok=True)
    return d


def browser(width=1920, height=1080, mobile=None):
    """A fresh headless Chromium with a width x height viewport."""
    profile = tempfile.mkdtemp(prefix='haven-chromium-')
    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for f in FLAGS + ['--user-data-dir=' + profile, '--window-size=%d,%d' % (width, height)]:
        o.add_argument(f)
    o.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=o)
    d.haven_profile = profile
    if mobile is None:
        mobile = width < 700
    d.execute_cdp_cmd('Emulation.setDeviceMetricsOverride',
                      {'width': width, 'height': height, 'deviceScaleFactor': 1, 'mobile': mobile})
    if mobile:
        d.execute_cdp_cmd('Emulation.setTouchEmulationEnabled', {'enabled': True, 'maxTouchPoints': 5})
    d.set_script_timeout(WAIT_S)
    _browsers.append(d)
    return d


def quit_all():
    while _browsers:
        d = _browsers.pop()
        try:
            d.quit()
        except Exception as e:  # a browser that already died
            log('browser quit:', e)
        shutil.rmtree(getattr(d, 'haven_profile', ''), ignore_errors=True)


def console(d):
    """The page's console lines (errors would mean a broken page)."""
    try:
        return [e['message'] for e in d.get_log('browser')]
    except Exception:
        return []


def check_console(d):
    bad = [m for m in console(d) if 'favicon' not in m and ('Refused' in m or 'Uncaught' in m or 'SEVERE' in m)]
    assert not bad, 'page errors: %r' % bad


def wait(d, cond, what, timeout=WAIT_S, poll=0.02):
    """Waits until cond(d) is truthy; fails with what on timeout."""
    def safe(drv):
        try:
            return cond(drv)
        except StaleElementReferenceException:
            return False
    try:
        return WebDriverWait(d, timeout, poll_frequency=poll).until(safe)
    except TimeoutException:
        raise AssertionError('timed out after %s s waiting for %s' % (timeout, what))


def body(d, attr):
    return d.execute_script('return document.body.getAttribute(arguments[0])', attr)


def wait_body(d, attr, value, timeout=WAIT_S):
    wait(d, lambda d: body(d, 'data-' + attr) == value, 'body[data-%s=%s]' % (attr, value), timeout)


def tile(d, room):
    return d.find_element(By.CSS_SELECTOR, '.tile[data-room="%s"]' % room)


def tile_attr(d, room, attr):
    return d.execute_script(
        'var t = document.querySelector(\'.tile[data-room="\' + arguments[0] + \'"]\');'
        'return t ? t.getAttribute(arguments[1]) : null', room, attr)


def wait_tile(d, room, call, priority=None, timeout=WAIT_S):
    def ok(d):
        if tile_attr(d, room, 'data-call') != call:
            return False
        return priority is None or tile_attr(d, room, 'data-priority') == priority
    wait(d, ok, 'tile %s data-call=%s priority=%s' % (room, call, priority), timeout)


def login(d, base, user, password, expect_board=True):
    d.get(base + '/login')
    wait(d, lambda d: d.find_elements(By.NAME, 'user'), 'the login form')
    d.find_element(By.NAME, 'user').send_keys(user)
    pw = d.find_element(By.NAME, 'password')
    pw.send_keys(password)
    pw.send_keys(Keys.ENTER)                       # the form submits on Enter
    if expect_board:
        wait(d, lambda d: body(d, 'data-page') == 'board' and d.find_elements(By.CSS_SELECTOR, '.tile'),
             'the board after logging in as %s' % user)


def click(d, css, within=None):
    el = (within or d).find_element(By.CSS_SELECTOR, css)
    d.execute_script('arguments[0].scrollIntoView({block: "center"})', el)
    el.click()
    return el


def page_fetch(d, method, path, body_obj=None, csrf=True):
    """fetch() from inside the page (same origin, the session cookie): [status, text]."""
    return d.execute_async_script('''
        var done = arguments[arguments.length - 1], method = arguments[0], path = arguments[1],
            body = arguments[2], csrf = arguments[3];
        fetch('/api/me', {credentials: 'same-origin'}).then(function (r) { return r.json(); })
          .then(function (me) {
            var h = {'Content-Type': 'application/json'};
            if (csrf) h['X-CSRF-Token'] = me.csrf;
            return fetch(path, {method: method, credentials: 'same-origin', headers: h,
                                body: body === null ? undefined : JSON.stringify(body)});
          })
          .then(function (r) { return r.text().then(function (t) { done([r.status, t]); }); })
          .catch(function (e) { done([0, String(e)]); });
    ''', method, path, body_obj, csrf)


def shot(d, name):
    path = os.path.join(shots_dir(), name)
    d.save_screenshot(path)
    log('screenshot', path)
    return path


def run(main):
    """Runs main(), quits every browser, exits 0 on success, 1 on failure."""
    rc = 1
    try:
        main()
        rc = 0
        log('PASS')
    except Exception:
        import traceback
        traceback.print_exc()
        for d in list(_browsers):
            try:
                log('page state:', d.execute_script(
                    'var b = document.body; return [location.href, b.getAttribute("data-link"),'
                    ' b.getAttribute("data-sound"), b.getAttribute("data-alarm"),'
                    ' (document.getElementById("link-detail") || {}).textContent]'))
            except Exception as e:
                log('page state: unavailable (%s)' % e)
            for m in console(d)[-20:]:
                log('console:', m)
        for f in list(on_failure):
            try:
                f()
            except Exception as e:
                log('on failure:', e)
        log('FAIL')
    finally:
        quit_all()
    sys.exit(rc)
