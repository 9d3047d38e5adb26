#!/usr/bin/env python3
"""A tree digest (type, mode, size, sha256 prefix / link target) relative to ROOT, as the Rust test computes it."""
import hashlib, os, stat, sys
root = sys.argv[1]
out = []
for dirpath, dirnames, filenames in os.walk(root):
    dirnames.sort()
    for name in sorted(dirnames + filenames):
        p = os.path.join(dirpath, name)
        rel = os.path.relpath(p, root)
        st = os.lstat(p)
        mode = oct(stat.S_IMODE(st.st_mode))[2:]
        if stat.S_ISLNK(st.st_mode):
            out.append(f"l {rel} -> {os.readlink(p).replace(root, 'ROOT')}")
        elif stat.S_ISDIR(st.st_mode):
            out.append(f"d {mode} {rel}")
        else:
            h = hashlib.sha256(open(p, 'rb').read()).hexdigest()[:16]
            out.append(f"f {mode} {st.st_size} {h} {rel}")
print("\n".join(sorted(out)))
