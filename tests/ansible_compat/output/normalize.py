"""Make ansible-playbook's and dpctl's output comparable: drop ansible-core
2.19's `[ERROR]` excerpt blocks (dpctl prints the fatal line only), blank
out times, drop copy's staging path, and write the playbook's directory as DIR."""
import re
import sys

directory = sys.argv[1]
sort_results = "--sort-results" in sys.argv[2:]


def sorted_results(text):
    """Several hosts' results under one banner in a fixed order: Ansible prints
    them as they finish. A result is a line with its continuation lines."""
    paragraphs = []
    for para in text.split("\n\n"):
        lines = para.split("\n")
        head, records = [], []
        for line in lines:
            if line.startswith("included: ") and " for " in line and " => " not in line:
                what, hosts = line.rsplit(" for ", 1)
                line = what + " for " + ", ".join(sorted(hosts.split(", ")))
            if line.startswith(("TASK [", "PLAY [", "RUNNING HANDLER [")) and not records:
                head.append(line)
            elif records and line.startswith((" ", "}", "...")):
                records[-1].append(line)
            else:
                records.append([line])
        records.sort()
        paragraphs.append("\n".join(head + [l for r in records for l in r]))
    return "\n\n".join(paragraphs)

lines = sys.stdin.read().split("\n")
out = []
i = 0
while i < len(lines):
    if lines[i].startswith("[ERROR]: "):
        # A playbook's block ends with the caret line, an ad hoc command's
        # with the task's repr; then one empty line.
        while i < len(lines) and "^ column" not in lines[i] and not lines[i].startswith("{'action'"):
            i += 1
        i += 2
        # and the empty lines that led to it
        while out and out[-1] == "":
            out.pop()
        continue
    out.append(lines[i])
    i += 1
text = "\n".join(out).replace(directory, "DIR")
text = re.sub(r'"(start|end|delta)": "[^"]*"', r'"\1": "T"', text)
# copy's staging file on the controller, which dpctl does not have
text = re.sub(r', "src": "[^"]*/\.source"', "", text)
if sort_results:
    text = sorted_results(text)
sys.stdout.write(text)
