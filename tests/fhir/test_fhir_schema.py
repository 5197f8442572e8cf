#!/usr/bin/env python3
"""fhir.schema (ctest): Haven's generated Questionnaires validate against the FHIR R4 schema,
and the validator rejects malformed resources.

    test_fhir_schema.py HAVEN_QUESTIONNAIRE FORMS_DIR OUT_DIR

1. haven-questionnaire prints the Questionnaire of each shipped form (FORMS_DIR/*.cfg, four
   of them); each must validate (tests/fhir/validate.py), have its form's canonical URL and a
   version, and hold every linkId a response of it can use (items, scores, "<score>-band").
2. Malformed copies (a wrong type, unknown properties, a status that is not one of its
   codes, a coding whose system is a number) must each be refused: the validation can fail.
The QuestionnaireResponses the kiosk publishes are validated by kiosk.test_kiosk_forms.
"""
import copy
import glob
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
VALIDATE = [sys.executable, os.path.join(HERE, "validate.py")]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def generate(tool, forms, out):
    made = []
    for cfg in sorted(glob.glob(os.path.join(forms, "*.cfg"))):
        form = os.path.basename(cfg)[:-4]
        p = subprocess.run([tool, cfg], capture_output=True, text=True, timeout=30)
        check(p.returncode == 0, "haven-questionnaire %s: exit %d %s" % (form, p.returncode,
                                                                       p.stderr.strip()))
        path = os.path.join(out, "Questionnaire-%s.json" % form)
        with open(path, "w", encoding="utf-8") as f:
            f.write(p.stdout)
        q = json.loads(p.stdout)
        check(q.get("url") == "https://haven.invalid/fhir/Questionnaire/" + form and
              q.get("version"), "%s: Haven's canonical url and a version" % form)
        links = [it["linkId"] for it in q.get("item", [])]
        check(len(links) == len(set(links)), "%s: linkIds unique" % form)
        for it in q.get("item", []):
            for opt in it.get("answerOption", []):
                check(bool(opt.get("valueCoding", {}).get("system")),
                      "%s %s: every answer coding has a system" % (form, it["linkId"]))
        made.append((path, q))
    by = {os.path.basename(p)[len("Questionnaire-"):-5]: q for p, q in made}
    items = lambda f: {it["linkId"]: it for it in by.get(f, {}).get("item", [])}
    phq, chk = items("phq-9"), items("safety-checklist")
    # show_if as enableWhen: PHQ-9's difficulty item on any of nine items scoring 1..3
    check(len(phq.get("69722-7", {}).get("enableWhen", [])) == 27 and
          phq["69722-7"].get("enableBehavior") == "any", "phq-9 69722-7: 27 enableWhen, any")
    check([(e["question"], e["answerCoding"]["code"])
           for e in chk.get("which-medicine", {}).get("enableWhen", [])] ==
          [("new-medicines", "LA33-6"), ("new-medicines", "not-sure")],
          "safety-checklist which-medicine: enabled by new-medicines yes / not-sure")
    # the score and its band, read-only, as the response names them; LOINC codes kept
    check(phq.get("44261-6", {}).get("type") == "integer" and phq["44261-6"].get("readOnly")
          and phq.get("44261-6-band", {}).get("type") == "string", "phq-9 total and band items")
    check(by.get("phq-9", {}).get("code") == [{"system": "http://loinc.org", "code": "44249-1"}]
          and by.get("gad-7", {}).get("code") == [{"system": "http://loinc.org",
                                                   "code": "69737-5"}],
          "PHQ-9 and GAD-7 keep their LOINC panel as code")
    check(len(made) == 4, "four shipped forms (%d)" % len(made))
    return made


def malformed(made, out):
    q = made[0][1]
    bad = []

    def put(name, res):
        path = os.path.join(out, "bad", name + ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(res, f)
        bad.append(path)

    os.makedirs(os.path.join(out, "bad"), exist_ok=True)
    for old in glob.glob(os.path.join(out, "bad", "*.json")):
        os.unlink(old)
    r = copy.deepcopy(q)
    r["status"] = 7
    put("questionnaire-status-number", r)
    r = copy.deepcopy(q)
    r["item"][1]["linkID"] = r["item"][1].pop("linkId")
    put("questionnaire-unknown-property", r)
    qr = {"resourceType": "QuestionnaireResponse", "id": "resp-1", "status": "completed",
          "questionnaire": q["url"] + "|" + q["version"],
          "encounter": {"identifier": {"system": "urn:haven:visit", "value": "V-1"}},
          "item": [{"linkId": "a", "answer": [{"valueCoding": {"system": "http://loinc.org",
                                                               "code": "LA6568-5"}}]}]}
    put("response-good-control", qr)   # valid: proves the bad ones fail for their defect
    r = copy.deepcopy(qr)   # (a bare string "V-1" would pass: the schema's complex types
    r["encounter"]["identifier"]["visit"] = "V-1"   # lack "type": "object"; see README.md)
    put("response-unknown-identifier-property", r)
    r = copy.deepcopy(qr)
    r["item"][0]["answer"][0]["valueCoding"]["system"] = 5
    put("response-system-number", r)
    r = copy.deepcopy(qr)
    r["status"] = "done"
    put("response-status-not-a-code", r)
    control = bad.pop(2)
    p = subprocess.run(VALIDATE + [control], capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "the well-formed control response validates\n" + p.stdout)
    p = subprocess.run(VALIDATE + ["--expect-invalid", "--min", str(len(bad))] + bad,
                       capture_output=True, text=True, timeout=120)
    print(p.stdout)
    check(p.returncode == 0, "every malformed resource is refused (%d)" % len(bad))


def main():
    tool, forms, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    made = generate(tool, forms, out)
    p = subprocess.run(VALIDATE + ["--min", "4"] + [m[0] for m in made], capture_output=True,
                       text=True, timeout=120)
    print(p.stdout)
    check(p.returncode == 0, "the four Questionnaires validate against the FHIR R4 schema")
    malformed(made, out)
    print("%d failure(s)" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
