#!/usr/bin/env python3
"""bench_course_http.py - the course page's JSON and the FHIR search over HTTP, end to end.

Run by hand (not a ctest entry):

    /usr/bin/python3 bench/bench_course_http.py [--build build] [--patients 10000]
                                                [--infusions 6] [--queries 2000]

Fills a station's store with --patients x --infusions visits, a PHQ-9 and a GAD-7 each, in
the kiosk's FHIR format (tests/station/course_seed.py through tests/support/record-seed, before
the station starts), starts the real mosquitto, haven-room and haven-station on free 127.0.0.1
ports (tests/station/station_fixture.py), logs in, issues a FHIR token, then for --queries
random patients times, one request at a time on one keep-alive connection:

    GET /api/course?patient=KEY                          (what the course page loads)
    GET /fhir/QuestionnaireResponse?subject=Patient/KEY  (the EHR's search, bearer token)
    GET /api/me                                          (baseline: the cheapest authenticated route)

and prints p50 / p99 / max of each (client clock: request written -> body read).
"""
import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "station"))
import course_seed  # noqa: E402
from station_fixture import Clinic  # noqa: E402


def pct(v, p):
    v = sorted(v)
    return v[int(p * (len(v) - 1))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--patients", type=int, default=10000)
    ap.add_argument("--infusions", type=int, default=6)
    ap.add_argument("--queries", type=int, default=2000)
    a = ap.parse_args()
    os.environ.setdefault("HAVEN_STATION_BIN", os.path.join(a.build, "station/haven-station"))
    os.environ.setdefault("HAVEN_ROOM_BIN", os.path.join(a.build, "room/haven-room"))
    os.environ.setdefault("HAVEN_RECORD_SEED", os.path.join(a.build, "tests/support/record-seed"))
    rng = random.Random(7)
    with Clinic(start_station=False) as c:
        t0 = time.monotonic()
        tool = os.environ["HAVEN_RECORD_SEED"]
        p = subprocess.Popen([tool, os.path.join(c.tmp, "station-record.db")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        for i in range(a.patients):
            key = "P-%05d" % i
            phq = [rng.randint(0, 27) for _ in range(a.infusions)]
            gad = [rng.randint(0, 21) for _ in range(a.infusions)]
            for line in course_seed.course_lines(key, phq, gad, first_days_ago=3 * a.infusions):
                p.stdin.write(json.dumps(line, separators=(",", ":")).encode() + b"\n")
        p.stdin.close()
        out = p.stdout.read().decode().strip()
        if p.wait() != 0:
            raise SystemExit("record-seed failed")
        print("%s in %.0f s" % (out, time.monotonic() - t0))
        c.start_station()
        sam, alex = c.login("sam"), c.login("alex")
        r = c.request("POST", "/api/fhir-token", body="",
                      headers=alex.headers({"X-CSRF-Token": alex.csrf}))
        token = r.json()["token"]
        conn = http.client.HTTPConnection("127.0.0.1", c.http_port, timeout=30)
        routes = {
            "course": lambda k: ("/api/course?patient=" + k, sam.headers()),
            "fhir": lambda k: ("/fhir/QuestionnaireResponse?subject=Patient/" + k,
                               {"Authorization": "Bearer " + token}),
            "me": lambda k: ("/api/me", sam.headers()),
        }
        lat = {name: [] for name in routes}
        size = {name: 0 for name in routes}
        for q in range(a.queries):
            key = "P-%05d" % rng.randrange(a.patients)
            for name, mk in routes.items():
                path, hdr = mk(key)
                t = time.perf_counter()
                conn.request("GET", path, headers=hdr)
                resp = conn.getresponse()
                body = resp.read()
                lat[name].append((time.perf_counter() - t) * 1e3)
                if resp.status != 200:
                    raise SystemExit("%s: %d %s" % (path, resp.status, body[:200]))
                size[name] = len(body)
        conn.close()
        print("%d patients x %d infusions, %d random patients, one keep-alive connection:"
              % (a.patients, a.infusions, a.queries))
        for name, what in (("course", "GET /api/course"), ("fhir", "GET /fhir/QuestionnaireResponse"),
                           ("me", "GET /api/me (baseline)")):
            v = lat[name]
            print("  %-34s p50 %.3f ms  p99 %.3f ms  max %.3f ms  (%d bytes)"
                  % (what, pct(v, 0.5), pct(v, 0.99), max(v), size[name]))


if __name__ == "__main__":
    main()
