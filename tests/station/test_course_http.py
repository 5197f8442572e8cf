"""test_course_http.py - the patient's course over HTTP (issue 14 part 2), against the real
haven-station, haven-room and a private mosquitto (station_fixture.Clinic), the store seeded
before the station starts (course_seed.py, tests/support/record-seed):

  GET /course, /api/course?patient=KEY, /api/course.csv?patient=KEY, /api/patients: a
  session's (401 without), 400 for a bad key, 404 for an unknown patient, audited;
  POST /api/fhir-token (charge only, CSRF) issues a read token shown once (only its hash
  in the store), /api/fhir-token/revoke ends it;
  GET /fhir/QuestionnaireResponse?subject=Patient/KEY with "Authorization: Bearer": a
  searchset Bundle (application/fhir+json) that validates against the FHIR R4 JSON schema
  (tests/fhir/fhir.schema.json, python3-jsonschema Draft6Validator), the stored responses
  byte for byte; 401 OperationOutcome without a valid token.
"""
import json
import os
import sqlite3
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from station_fixture import Clinic  # noqa: E402
import course_seed  # noqa: E402

SCHEMA = os.path.join(os.path.dirname(HERE), "fhir", "fhir.schema.json")
_validator = None


def fhir_validate(resource):
    global _validator
    if _validator is None:
        import jsonschema
        with open(SCHEMA) as f:
            _validator = jsonschema.Draft6Validator(json.load(f))
    _validator.validate(resource)


def seeded_clinic(**kw):
    c = Clinic(start_station=False, station_extra="dropout_days = 14;", **kw)
    c.__enter__()
    course_seed.seed(os.path.join(c.tmp, "station-record.db"), course_seed.DEMO)
    c.start_station()
    return c


def audit_lines(c):
    with open(c.audit_path) as f:
        return [json.loads(line) for line in f if line.strip()]


class SeededClinic(unittest.TestCase):
    """One seeded clinic for all of a class's tests (started once: argon2 and the seed)."""

    @classmethod
    def setUpClass(cls):
        cls.c = seeded_clinic()

    @classmethod
    def tearDownClass(cls):
        cls.c.__exit__(None, None, None)


class Course(SeededClinic):

    def test_course_json_for_a_logged_in_nurse(self):
        sam = self.c.login("sam")
        r = sam.get("/api/course?patient=P-1001")
        self.assertEqual(r.status, 200, r.body)
        self.assertTrue(r.header("content-type").startswith("application/json"))
        j = r.json()
        self.assertEqual(j["patient"], "P-1001")
        self.assertEqual([f["n"] for f in j["infusions"]], [1, 2, 3, 4, 5, 6])
        self.assertEqual([f["phq9"] for f in j["infusions"]], [20, 15, None, 11, 7, 4])
        self.assertEqual([f["item9_endorsed"] for f in j["infusions"]],
                         [False, True, False, False, False, False])
        self.assertFalse(j["infusions"][2]["questionnaire"])
        self.assertEqual(j["phq9"]["change_pct"], -80)
        self.assertTrue(j["response"] and j["remission"])
        self.assertFalse(j["dropped_out"])
        self.assertEqual(j["dropout_days"], 14)
        other = sam.get("/api/course?patient=P-1002").json()
        self.assertTrue(other["dropped_out"])
        self.assertFalse(other["response"])

    def test_page_csv_and_patients(self):
        sam = self.c.login("sam")
        r = sam.get("/course")
        self.assertEqual(r.status, 200)
        self.assertIn(b"course.js", r.body)
        self.assertEqual(sam.get("/course.js").status, 200)
        p = sam.get("/api/patients").json()
        self.assertEqual([x["key"] for x in p["patients"]], ["P-1001", "P-1002"])
        self.assertEqual(p["patients"][1]["visits"], 2)
        self.assertTrue(p["patients"][1]["dropped_out"])
        r = sam.get("/api/course.csv?patient=P-1001")
        self.assertEqual(r.status, 200)
        self.assertTrue(r.header("content-type").startswith("text/csv"))
        self.assertEqual(r.header("content-disposition"),
                         'attachment; filename="haven-course-P-1001.csv"')
        rows = r.body.decode().split("\r\n")
        self.assertEqual(rows[0].split(",")[:5], ["patient", "infusion", "visit", "date", "phq9"])
        self.assertEqual(len([x for x in rows if x]), 7)
        self.assertTrue(rows[2].startswith("P-1001,2,P-1001-V2,"))
        self.assertIn(",yes,yes", rows[2])

    def test_login_bad_key_unknown_and_audit(self):
        for path in ("/api/course?patient=P-1001", "/api/course.csv?patient=P-1001",
                     "/api/patients"):
            self.assertEqual(self.c.request("GET", path).status, 401, path)
        self.assertEqual(self.c.request("GET", "/course").status, 303)
        sam = self.c.login("sam")
        for bad in ("", "a%20b", "x" * 70, "%3Cscript%3E", "P-1001%27"):
            self.assertEqual(sam.get("/api/course?patient=" + bad).status, 400, bad)
        self.assertEqual(sam.get("/api/course").status, 400)
        self.assertEqual(sam.get("/api/course?patient=P-9999").status, 404)
        self.assertEqual(sam.get("/api/course.csv?patient=P-9999").status, 404)
        sam.get("/api/course?patient=P-1002")
        views = [e for e in audit_lines(self.c) if e["action"] == "course_view"]
        self.assertTrue(any(e["user"] == "sam" and e["detail"] == "P-1002" and e["ok"]
                            for e in views), views)
        self.assertTrue(any(e["detail"] == "P-9999" and not e["ok"] for e in views), views)


class Fhir(SeededClinic):

    def issue(self, who="alex", csrf=True):
        s = self.c.login(who)
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        if csrf:
            h["X-CSRF-Token"] = s.csrf
        return self.c.request("POST", "/api/fhir-token", body="", headers=s.headers(h))

    def fhir(self, path, token):
        h = {"Authorization": "Bearer " + token} if token else {}
        return self.c.request("GET", path, headers=h)

    def test_token_for_charge_only_and_hashed(self):
        self.assertEqual(self.issue("sam").status, 403)
        self.assertEqual(self.issue("alex", csrf=False).status, 403)
        self.assertEqual(self.c.request("POST", "/api/fhir-token", body="").status, 401)
        r = self.issue()
        self.assertEqual(r.status, 200, r.body)
        t = r.json()
        self.assertRegex(t["token"], "^[0-9a-f]{64}$")
        self.assertTrue(t["label"].startswith("fhir-"))
        db = os.path.join(self.c.tmp, "station-record.db")
        with open(db, "rb") as f:
            raw = f.read()
        for side in ("-wal",):
            if os.path.exists(db + side):
                with open(db + side, "rb") as f:
                    raw += f.read()
        self.assertNotIn(t["token"].encode(), raw, "the token itself is in the store")
        self.assertEqual(os.stat(db).st_mode & 0o777, 0o600)
        self.assertTrue(any(e["action"] == "fhir_token_issue" and e["detail"] == t["label"]
                            for e in audit_lines(self.c)))
        listed = self.c.login("alex").get("/api/fhir-tokens")
        self.assertEqual(listed.status, 200)
        mine = [x for x in listed.json()["tokens"] if x["label"] == t["label"]]
        self.assertEqual(mine[0]["state"], "live")
        self.assertEqual(mine[0]["issued_by"], "alex")
        self.assertNotIn(t["token"].encode(), listed.body)
        self.assertEqual(self.c.login("sam").get("/api/fhir-tokens").status, 403)

    def test_search_bundle_validates_and_keeps_bytes(self):
        token = self.issue().json()["token"]
        r = self.fhir("/fhir/QuestionnaireResponse?subject=Patient/P-1001", token)
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.header("content-type"), "application/fhir+json")
        b = r.json()
        fhir_validate(b)
        self.assertEqual(b["resourceType"], "Bundle")
        self.assertEqual(b["type"], "searchset")
        self.assertEqual(b["total"], 10)
        self.assertEqual(len(b["entry"]), 10)
        for e in b["entry"]:
            self.assertEqual(e["search"]["mode"], "match")
            self.assertTrue(e["fullUrl"].endswith("/fhir/QuestionnaireResponse/" + e["resource"]["id"]))
            fhir_validate(e["resource"])
        # byte for byte: each stored response is in the bundle's text as stored
        con = sqlite3.connect(os.path.join(self.c.tmp, "station-record.db"))
        stored = [row[0] for row in con.execute("SELECT fhir FROM responses WHERE id LIKE 'P-1001-%'")]
        con.close()
        self.assertEqual(len(stored), 10)
        for s in stored:
            self.assertIn(s.encode(), r.body)
        empty = self.fhir("/fhir/QuestionnaireResponse?subject=Patient/P-9999", token).json()
        fhir_validate(empty)
        self.assertEqual(empty["total"], 0)

    def test_401_400_404_and_revoke(self):
        path = "/fhir/QuestionnaireResponse?subject=Patient/P-1001"
        for tok in (None, "", "0" * 64, "zz", "a" * 65):
            r = self.fhir(path, tok)
            self.assertEqual(r.status, 401, tok)
            self.assertEqual(r.header("content-type"), "application/fhir+json")
            o = r.json()
            self.assertEqual(o["resourceType"], "OperationOutcome")
            fhir_validate(o)
        # a session cookie is not a FHIR token
        sam = self.c.login("sam")
        self.assertEqual(self.c.request("GET", path, headers=sam.headers()).status, 401)
        t = self.issue().json()
        self.assertEqual(self.fhir("/fhir/QuestionnaireResponse?subject=P-1001", t["token"]).status, 400)
        self.assertEqual(self.fhir("/fhir/QuestionnaireResponse", t["token"]).status, 400)
        self.assertEqual(self.fhir("/fhir/QuestionnaireResponse?subject=Patient/" + "x" * 80,
                                   t["token"]).status, 400)
        # The Questionnaire each response names, generated from the clinic's form file.
        r = self.fhir("/fhir/Questionnaire/phq-9", t["token"])
        self.assertEqual(r.status, 200, r.body)
        self.assertEqual(r.header("content-type"), "application/fhir+json")
        q = r.json()
        fhir_validate(q)
        self.assertEqual((q["resourceType"], q["id"]), ("Questionnaire", "phq-9"))
        self.assertEqual(q["url"], "https://haven.invalid/fhir/Questionnaire/phq-9")
        self.assertIn("44260-8", json.dumps(q))         # item 9's LOINC code is in it
        for bad in ("no-such-form", "..%2Fetc", "x" * 80):
            r = self.fhir("/fhir/Questionnaire/" + bad, t["token"])
            self.assertEqual(r.status, 404, bad)
            fhir_validate(r.json())
        self.assertEqual(self.fhir("/fhir/Patient/P-1001", t["token"]).status, 404)
        alex = self.c.login("alex")
        rv = self.c.request("POST", "/api/fhir-token/revoke", body="label=" + t["label"],
                            headers=alex.headers({"X-CSRF-Token": alex.csrf,
                                                  "Content-Type": "application/x-www-form-urlencoded"}))
        self.assertEqual(rv.status, 200, rv.body)
        self.assertEqual(self.fhir(path, t["token"]).status, 401)
        reads = [e for e in audit_lines(self.c) if e["action"] == "fhir_read"]
        self.assertTrue(any(not e["ok"] for e in reads))


if __name__ == "__main__":
    unittest.main()
