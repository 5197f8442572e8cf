#!/usr/bin/env python3
"""test_course.py - a clinician follows a patient's course in the browser (issue 14 part 2).

The station's store is seeded before it starts (tests/station/course_seed.py through
tests/support/record-seed): P-1001 with six infusions, PHQ-9 20 -> 4 (item 9 endorsed at #2,
no questionnaire at #3), and P-1002 who stopped after two, 30 days ago.

Proves:
  - the board's header links to the course page; the page picks P-1001 (seen last);
  - the badges read "Response", "Remission", "In course" (text, not colour alone), the
    PHQ-9 chart has a point for each of #1, #2, #4, #5, #6 and a gap ("none") at #3, the
    change reads 20 -> 4, -80 %, item 9 is flagged at #2 and #3 shows no questionnaire;
  - picking P-1002 shows "Dropped out";
  - printed to PDF by Chromium (print_page) it is ONE page with the key, the badges and
    the change (pdfinfo, pdftotext), without the header's buttons;
  - the charge nurse (not a nurse) issues an EHR token on the page, shown once; it reads the
    FHIR Bundle; revoked on the page, it gets 401;
  - at 390x844 nothing is wider than the screen and the controls are >= 48 px;
  - no console errors (CSP: no inline script or style).
Screenshots: station-course.png (1920x1080), station-course-phone.png (390x844),
station-course-print.png (the PDF's page, pdftoppm).
"""
import base64
import os
import subprocess
import sys

import browser_kit as bk
from browser_kit import By, log
from browser_fixture import Fixture
from selenium.webdriver.common.print_page_options import PrintOptions
from selenium.webdriver.support.ui import Select

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'station'))
import course_seed  # noqa: E402
import station_fixture as sf  # noqa: E402


def loaded(d, key):
    bk.wait_body(d, 'loaded', key)


def texts(d, css):
    return [e.text for e in d.find_elements(By.CSS_SELECTOR, css)]


def check_course(d):
    assert texts(d, '#badges .badge') == ['\u2713 Response', '\u2713 Remission', '\u2713 In course'], \
        texts(d, '#badges .badge')
    pts = [e.get_attribute('data-n') for e in d.find_elements(By.CSS_SELECTOR, '#chart-phq9 circle.point')]
    assert pts == ['1', '2', '4', '5', '6'], pts
    gaps = [e.get_attribute('data-gap') for e in d.find_elements(By.CSS_SELECTOR, '#chart-phq9 .gap')]
    assert gaps == ['3'], gaps
    vals = [e.get_attribute('data-v') for e in d.find_elements(By.CSS_SELECTOR, '#chart-phq9 circle.point')]
    assert vals == ['20', '15', '11', '7', '4'], vals
    summary = d.find_element(By.ID, 'summary').text
    assert '20 (severe) \u2192 4 (minimal), \u221280 %' in summary, summary
    row2 = d.find_element(By.CSS_SELECTOR, '#course-rows tr[data-n="2"] td.item9')
    assert row2.get_attribute('data-endorsed') == '1' and 'Endorsed' in row2.text, row2.text
    assert 'Several days' in row2.text, row2.text
    row3 = d.find_elements(By.CSS_SELECTOR, '#course-rows tr[data-n="3"] td')[-1]
    assert row3.get_attribute('data-none') == '1' and row3.text == 'None', row3.text
    assert d.find_element(By.ID, 'csv').get_attribute('href').endswith('/api/course.csv?patient=P-1001')


def check_pdf(d):
    opts = PrintOptions()
    opts.page_width, opts.page_height = 21.0, 29.7        # A4, cm
    opts.background = True
    pdf = os.path.join(bk.shots_dir(), 'station-course.pdf')
    with open(pdf, 'wb') as f:
        f.write(base64.b64decode(d.print_page(opts)))
    info = subprocess.run(['pdfinfo', pdf], stdout=subprocess.PIPE, check=True, text=True).stdout
    pages = [line.split()[-1] for line in info.splitlines() if line.startswith('Pages:')]
    assert pages == ['1'], info
    text = subprocess.run(['pdftotext', '-layout', pdf, '-'], stdout=subprocess.PIPE, check=True,
                          text=True).stdout
    for want in ('Patient P-1001', 'Response', 'Remission', 'In course', '\u221280 %', 'Endorsed',
                 '#6'):
        assert want in text, (want, text)
    for gone in ('Download CSV', 'Print', 'Board'):
        assert gone not in text.replace('Printed', ''), (gone, text)
    png = os.path.join(bk.shots_dir(), 'station-course-print')
    subprocess.run(['pdftoppm', '-png', '-r', '70', '-singlefile', pdf, png], check=True)
    log('pdf', pdf, 'page image', png + '.png')


def check_fhir_token(fx):
    """The charge nurse issues an EHR token on the page; the token reads the Bundle; revoked, 401."""
    d = bk.browser(1920, 1080)
    bk.login(d, fx.base, 'alex', 'alex-password-1')
    d.get(fx.base + '/course')
    loaded(d, 'P-1001')
    bk.wait(d, lambda d: d.find_element(By.ID, 'fhir-access').is_displayed(), 'the EHR access box')
    bk.click(d, '#fhir-issue')
    bk.wait(d, lambda d: len(d.find_element(By.ID, 'fhir-token').text) == 64, 'the token shown once')
    token = d.find_element(By.ID, 'fhir-token').text
    label = d.find_element(By.ID, 'fhir-label').text
    path = '/fhir/QuestionnaireResponse?subject=Patient/P-1001'
    r = sf.http_request(fx.hport, 'GET', path, headers={'Authorization': 'Bearer ' + token})
    assert r.status == 200 and r.json()['total'] == 10, (r.status, r.body[:200])
    bk.wait(d, lambda d: d.find_elements(By.CSS_SELECTOR, '#fhir-tokens button[data-revoke="%s"]' % label),
            'the new token listed with its Revoke button')
    bk.click(d, '#fhir-tokens button[data-revoke="%s"]' % label)
    bk.wait(d, lambda d: d.find_element(By.ID, 'fhir-msg').text == 'Revoked ' + label, 'revoked')
    r = sf.http_request(fx.hport, 'GET', path, headers={'Authorization': 'Bearer ' + token})
    assert r.status == 401, r.status
    bk.wait(d, lambda d: d.find_element(By.CSS_SELECTOR, '#fhir-tokens li[data-label="%s"]' % label)
            .get_attribute('data-state') == 'revoked', 'the token listed as revoked')
    bk.shot(d, 'station-course-ehr.png')
    bk.check_console(d)


def check_phone(fx):
    d = bk.browser(390, 844)
    bk.login(d, fx.base, 'sam', 'sam-password-1', expect_board=False)
    d.get(fx.base + '/course?patient=P-1001')
    loaded(d, 'P-1001')
    check_course(d)
    width = d.execute_script('return document.documentElement.scrollWidth')
    wide = d.execute_script('''
        return Array.from(document.querySelectorAll('body *'))
          .filter(function (e) { return e.getBoundingClientRect().right > 391; })
          .slice(0, 8).map(function (e) { return e.tagName + '#' + e.id + '.' + e.className; });''')
    assert width <= 390, 'the page is %d px wide on a 390 px phone: %r' % (width, wide)
    small = d.execute_script('''
        return Array.from(document.querySelectorAll('header button, header a, header select'))
          .filter(function (e) { var r = e.getBoundingClientRect(); return r.height < 48 || r.width < 48; })
          .map(function (e) { return e.id || e.textContent; });''')
    assert not small, 'touch targets under 48 px: %r' % small
    bk.shot(d, 'station-course-phone.png')
    bk.check_console(d)


def main():
    fx = Fixture('course', users=[('sam', 'sam-password-1', 'nurse'),
                                  ('alex', 'alex-password-1', 'charge')])
    log(course_seed.seed(os.path.join(fx.dir, 'station-record.db'), course_seed.DEMO).strip())
    fx.start()
    d = bk.browser(1920, 1080)
    bk.login(d, fx.base, 'sam', 'sam-password-1')
    bk.click(d, '#course-link')
    loaded(d, 'P-1001')
    assert Select(d.find_element(By.ID, 'patient')).first_selected_option.get_attribute('value') == 'P-1001'
    check_course(d)
    bk.shot(d, 'station-course.png')
    check_pdf(d)
    Select(d.find_element(By.ID, 'patient')).select_by_value('P-1002')
    loaded(d, 'P-1002')
    badges = texts(d, '#badges .badge')
    assert badges == ['\u2717 No response', '\u2717 No remission', '\u26A0 Dropped out'], badges
    assert not d.find_element(By.ID, 'fhir-access').is_displayed(), 'a nurse sees the EHR token box'
    bk.check_console(d)
    check_fhir_token(fx)
    check_phone(fx)
    fx.stop()


if __name__ == '__main__':
    bk.run(main)
