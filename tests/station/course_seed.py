"""course_seed.py - a patient's course in a station's store before it starts, for the course
and FHIR tests (tests/station/test_course_http.py, tests/browser/test_course.py).

The responses are in the kiosk's FHIR format (kiosk/forms/fhir.c: subject Patient/<key>, the visit
in encounter, LOINC linkIds and answer codes) and go in through tests/support/record-seed
($HAVEN_RECORD_SEED, else build/tests/support/record-seed), which calls record.c's
record_visit_begun / record_add_response: the same store the station then serves.
"""
import json
import os
import subprocess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LA = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]
PHQ9_ITEMS = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5",
              "44253-3", "44260-8"]
GAD7_ITEMS = ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]


def _answers(items, total, last=None):
    """Item answers 0..3 adding up to total (the last item's answer forced when given)."""
    vals = [0] * len(items)
    if last is not None:
        vals[-1] = last
    left = total - sum(vals)
    for i in range(len(items) - (1 if last is not None else 0)):
        take = min(3, left)
        vals[i] = take
        left -= take
    return [{"linkId": link, "answer": [{"valueCoding": {"system": "http://loinc.org",
                                                        "code": LA[v]}}]}
            for link, v in zip(items, vals)]


def phq9(rid, visit, patient, total, item9=0):
    return {"resourceType": "QuestionnaireResponse", "id": rid,
            "questionnaire": "urn:haven:questionnaire:phq-9", "status": "completed",
            "subject": {"reference": "Patient/" + patient},
            "encounter": {"reference": "Encounter/" + visit},
            "authored": "2026-12-07T14:00:00.000Z",
            "item": _answers(PHQ9_ITEMS, total, item9) +
                    [{"linkId": "44261-6", "answer": [{"valueInteger": total}]}]}


def gad7(rid, visit, patient, total):
    return {"resourceType": "QuestionnaireResponse", "id": rid,
            "questionnaire": "urn:haven:questionnaire:gad-7", "status": "completed",
            "subject": {"reference": "Patient/" + patient},
            "encounter": {"reference": "Encounter/" + visit},
            "authored": "2026-12-07T14:05:00.000Z",
            "item": _answers(GAD7_ITEMS, total) +
                    [{"linkId": "70274-6", "answer": [{"valueInteger": total}]}]}


def course_lines(patient, phq, gad, item9=None, first_days_ago=17, every_days=3):
    """Visits #1..#n (a list of scores each; None: no questionnaire at that infusion)."""
    item9 = item9 or {}
    lines = []
    for i, (p, g) in enumerate(zip(phq, gad)):
        visit = "%s-V%d" % (patient, i + 1)
        lines.append({"visit": visit, "patient": patient, "room": "chair-1",
                      "days_ago": first_days_ago - i * every_days})
        if p is not None:
            lines.append(phq9("%s-phq-%d" % (patient, i + 1), visit, patient, p, item9.get(i, 0)))
        if g is not None:
            lines.append(gad7("%s-gad-%d" % (patient, i + 1), visit, patient, g))
    return lines


def seed(db_path, lines):
    tool = os.environ.get("HAVEN_RECORD_SEED") or os.path.join(REPO, "build/tests/support/record-seed")
    text = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
    r = subprocess.run([tool, db_path], input=text.encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    if r.returncode != 0:
        raise RuntimeError("record-seed: %s" % r.stdout.decode())
    return r.stdout.decode()


# The demo course: PHQ-9 20 -> 4 with item 9 endorsed at #2, no questionnaire at #3 (a
# response and a remission), and one that stopped after two infusions 30 days ago.
DEMO = (course_lines("P-1001", [20, 15, None, 11, 7, 4], [14, 12, None, 9, 6, 4], {1: 1}) +
        course_lines("P-1002", [17, 16], [12, None], first_days_ago=33))
