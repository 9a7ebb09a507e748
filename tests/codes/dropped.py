#!/usr/bin/env python3
"""dropped.py SRCDIR: the error codes strata's functions return are kept.

Flags each `if (COND) goto LABEL;` or `if (COND) return STRATA_...;` whose
COND tests a call of a strata_ function `< 0` without keeping its result:
the caller then returns a code of its own (STRATA_ERROR), and the one the
callee chose (EBUSY for a held lock, EVERIFY for a bad signature,
ENOTFOUND) is lost on the way to the exit status.  Write instead
`if ((error = strata_f(...)) < 0) goto done;` or `return error;`.

Not flagged: a `goto` in a function that returns no error variable (it
returns a pointer or an HTTP status: it has no code to keep), and the
functions whose only failure is memory (strata_buf_*, strata_array_grow,
strata_digest_*, strata_hmac_*, strata_enc_*, strata_json_put_*), whose
code is always STRATA_ERROR.  Prints one line per site, file:line and the
callee; exits 1 if any."""
import os
import re
import sys

OOM = re.compile(r"strata_(buf_|array_grow|digest_|hmac_|enc_|json_put_)")
BODY = re.compile(r"\s*(\{\s*)?(goto\s+\w+;|return\s+(STRATA_\w+|-1)\s*;)")


def closing(s, i):
    """index after the parenthesis that closes the one opened before i"""
    depth = 1
    while depth and i < len(s):
        if s[i] == "(":
            depth += 1
        elif s[i] == ")":
            depth -= 1
        i += 1
    return i


def sites(path):
    s = open(path, encoding="utf-8").read()
    for m in re.finditer(r"\bif\s*\(", s):
        end = closing(s, m.end())
        cond = s[m.end():end - 1]
        body = BODY.match(s, end)
        if not body:
            continue
        if body.group(2).startswith("goto"):
            fstart = s.rfind("\n{\n", 0, m.start())
            fend = s.find("\n}\n", m.start())
            if not re.search(r"return (error|rc);", s[fstart:fend]):
                continue
        j = 0
        while (k := cond.find("strata_", j)) >= 0:
            call = re.match(r"strata_\w+\s*\(", cond[k:])
            if not call or (k and (cond[k - 1].isalnum() or cond[k - 1] == "_")):
                j = k + 7
                continue
            a = closing(cond, k + call.end())
            name = call.group(0).rstrip("( ")
            if re.match(r"\s*<\s*0", cond[a:]) and not re.search(r"=\s*$", cond[:k]) and not OOM.match(name):
                yield s.count("\n", 0, m.start()) + 1, name
            j = a


def main():
    top = sys.argv[1]
    found = []
    for d, _, files in os.walk(os.path.join(top, "src")):
        for f in sorted(files):
            if f.endswith(".c"):
                p = os.path.join(d, f)
                found += ["%s:%d: %s" % (os.path.relpath(p, top), line, name) for line, name in sites(p)]
    print("1..1")
    for f in found:
        print("# " + f)
    if found:
        print("not ok 1 - %d call(s) whose error code is dropped: keep it ((error = f(...)) < 0)" % len(found))
        return 1
    print("ok 1 - every strata_ call tested for failure keeps its error code")
    return 0


sys.exit(main())
