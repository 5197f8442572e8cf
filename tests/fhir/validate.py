#!/usr/bin/env python3
"""Validate FHIR R4 resources (JSON files) against HL7's R4 JSON schema.

    tests/fhir/validate.py [--expect-invalid] [--min N] PATH...

Each PATH is a JSON file or a directory of them (*.json).  Every resource is
checked twice with python3-jsonschema's Draft6Validator: against the whole
schema (its oneOf over every resource type, as HL7 publishes it) and against
the definition of its own resourceType (for error messages that say where).

Exit status: 0 when every file is valid (with --expect-invalid: when every
file is INVALID, the check that the validation can fail at all); 1 otherwise;
2 for a usage error or fewer than --min files (a test that meant to validate
responses but collected none must not pass).
"""
import argparse
import json
import os
import sys

import jsonschema

SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fhir.schema.json")


def files_of(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            out += sorted(os.path.join(p, n) for n in os.listdir(p) if n.endswith(".json"))
        else:
            out.append(p)
    return out


def errors_of(schema, whole, resource):
    """Messages for resource (empty when valid)."""
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        return ["not a FHIR resource (no resourceType)"]
    rtype = resource["resourceType"]
    if rtype not in schema["definitions"]:
        return ["unknown resourceType %r" % rtype]
    own = jsonschema.Draft6Validator({"$ref": "#/definitions/" + rtype,
                                      "definitions": schema["definitions"]})
    msgs = ["%s: %s" % ("/".join(str(x) for x in e.absolute_path) or "(root)", e.message[:300])
            for e in sorted(own.iter_errors(resource), key=lambda e: list(e.absolute_path))]
    if not msgs and not whole.is_valid(resource):
        msgs.append("not valid under the R4 schema's oneOf")
    return msgs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--expect-invalid", action="store_true")
    ap.add_argument("--min", type=int, default=1)
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()

    with open(SCHEMA, encoding="utf-8") as f:
        schema = json.load(f)
    whole = jsonschema.Draft6Validator(schema)
    files = files_of(args.paths)
    if len(files) < args.min:
        print("validate: %d file(s), expected at least %d" % (len(files), args.min))
        return 2
    bad = 0
    for path in files:
        try:
            with open(path, encoding="utf-8") as f:
                resource = json.load(f)
            msgs = errors_of(schema, whole, resource)
        except (OSError, ValueError) as e:
            msgs = ["cannot read: %s" % e]
        if msgs:
            bad += 1
            print("%s: INVALID" % path)
            for m in msgs[:10]:
                print("  " + m)
        else:
            print("%s: valid %s" % (path, resource.get("resourceType")))
    print("validate: %d file(s), %d valid, %d invalid" % (len(files), len(files) - bad, bad))
    if args.expect_invalid:
        return 0 if bad == len(files) else 1
    return 0 if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
