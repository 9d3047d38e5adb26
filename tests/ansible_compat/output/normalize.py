"""Make ansible-playbook's and dpctl's output comparable: drop ansible-core
2.19's `[ERROR]` excerpt blocks (dpctl prints the fatal line only), blank
out times, drop copy's staging path, and write the playbook's directory as DIR."""
import re
import sys

directory = sys.argv[1]
lines = sys.stdin.read().split("\n")
out = []
i = 0
while i < len(lines):
    if lines[i].startswith("[ERROR]: "):
        # the block ends with the caret line and one empty line
        while i < len(lines) and "^ column" not in lines[i]:
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
sys.stdout.write(text)
