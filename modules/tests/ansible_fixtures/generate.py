#!/usr/bin/env python3
"""Run every case in cases.json through real ansible-core and record the
result in expected.json, which modules/tests/ansible_compat_edits.rs compares
dpctl against. CI does not need Ansible: rerun this only when cases change.

Usage: ANSIBLE=/opt/ansible-venv/bin/ansible python3 generate.py
"""
import json
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
ansible = os.environ.get("ANSIBLE", "/opt/ansible-venv/bin/ansible")
cases = json.load(open(os.path.join(here, "cases.json")))
out = {}
for case in cases:
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "target.conf")
        if case["initial"] is not None:
            with open(path, "w") as f:
                f.write(case["initial"])
        args = dict(case["args"])
        args[case.get("path_arg", "path")] = path
        env = dict(os.environ, ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_NOCOLOR="1")
        p = subprocess.run([ansible, "localhost", "-c", "local", "-m", case["module"], "-a", json.dumps(args)],
                           capture_output=True, text=True, env=env)
        # The ad-hoc output is "localhost | CHANGED => {json}".
        status, _, body = p.stdout.partition(" => ")
        res = json.loads(body)
        res["failed"] = res.get("failed", False) or "FAILED" in status
        content = open(path).read() if os.path.exists(path) else None
        out[case["name"]] = {
            "failed": bool(res.get("failed", False)),
            "changed": bool(res.get("changed", False)),
            "msg": res.get("msg", "").replace(path, "@PATH@"),
            "content": content,
            "mode": "%04o" % (os.stat(path).st_mode & 0o7777) if os.path.exists(path) else None,
        }
        print(case["name"], out[case["name"]]["changed"], file=sys.stderr)
with open(os.path.join(here, "expected.json"), "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write("\n")
