#!/usr/bin/env python3
"""
unmarked.py POT SRCDIR FILE... - the text in C sources a person would read
that is not marked for translation.

A string literal (adjacent literals joined) reads as text when it holds two
words of letters with a space between.  It is marked when xgettext, run with
po/Makevars' keywords, took it: the POT names its file and line.  Text that
no person reads (SQL, file formats, protocol lines, names) is listed in
po/not-translated with the reason: "call NAME" for every literal argument
of a function, "FILE REGEX" for literals of one file ("*": any); everything else unmarked is printed, one
per line as FILE:LINE: "TEXT", and the exit status is 1.
"""
import re
import sys

ESC = {'n': '\n', 't': '\t', 'r': '\r', '\\': '\\', '"': '"', "'": "'", 'a': '\a', '0': '\0'}


def unescape(s):
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c != '\\':
            out.append(c)
            i += 1
            continue
        n = s[i + 1]
        if n == 'x':
            m = re.match(r'[0-9a-fA-F]+', s[i + 2:])
            out.append(chr(int(m.group(0), 16)))
            i += 2 + len(m.group(0))
        elif n in '01234567':
            m = re.match(r'[0-7]{1,3}', s[i + 1:])
            out.append(chr(int(m.group(0), 8)))
            i += 1 + len(m.group(0))
        else:
            out.append(ESC.get(n, n))
            i += 2
    return ''.join(out)


def pot_entries(path):
    """(file, line) -> set of msgids (and plurals), from a POT's #: lines."""
    marked, locs, cur, field = {}, [], None, None
    text = open(path, encoding='utf-8').read().split('\n')
    for line in text + ['']:
        if line.startswith('#:'):
            for loc in line[2:].split():
                f, _, ln = loc.rpartition(':')
                locs.append((f, int(ln)))
        elif line.startswith('msgid ') or line.startswith('msgid_plural '):
            if line.startswith('msgid ') and cur is not None:
                pass
            key = line.split(' ', 1)[1]
            cur = (cur or []) + [unescape(key[1:-1])]
        elif line.startswith('"') and cur is not None:
            cur[-1] += unescape(line[1:-1])
        elif line.startswith('msgstr'):
            for loc in locs:
                marked.setdefault(loc, set()).update(cur or [])
            locs, cur = [], None
    return marked


TOKEN = re.compile(r'\\\n|//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|\n|[A-Za-z_]\w*|\S', re.S)
WORDS = re.compile(r'[A-Za-z]{2,} [A-Za-z]{2,}')


def literals(path):
    """
    (line, text, call) of each run of adjacent string literals (PRI macros
    between them kept as <PRIxx>); call names the function whose argument
    it is ('' outside any call).
    """
    src = open(path, encoding='utf-8', errors='surrogateescape').read()
    line, run, start, out = 1, None, 0, []
    calls, prev, prev2, usage = [], '', '', False
    for m in TOKEN.finditer(src):
        t = m.group(0)
        if t.startswith('"'):
            if run is None:
                run, start = [], line
                # a command's syntax (#define USAGE "..."): not a sentence
                usage = prev2 == 'define' and re.fullmatch(r'\w*USAGE\w*', prev) is not None
            run.append(unescape(t[1:-1]))
        elif run is not None and re.fullmatch(r'PRI[a-zA-Z0-9]+', t):
            run.append('<%s>' % t)
        elif t != '\n' and not t.startswith('/') and t != '\\\n':
            if run is not None:
                if not usage:
                    out.append((start, ''.join(run), calls[-1] if calls else ''))
                run, usage = None, False
        if t == '(':
            calls.append(prev if re.fullmatch(r'[A-Za-z_]\w*', prev) else '')
        elif t == ')' and calls:
            calls.pop()
        elif t in (';', '{', '}'):
            calls = []
        if t not in ('\n', '\\\n') and not t.startswith('/') and not t.startswith('"'):
            prev2, prev = prev, t
        line += t.count('\n')
    if run is not None:
        out.append((start, ''.join(run), ''))
    return out


def main():
    pot, srcdir, files = sys.argv[1], sys.argv[2], sys.argv[3:]
    marked = pot_entries(pot)
    allowed, quiet = [], set()
    for ln in open(srcdir + '/po/not-translated', encoding='utf-8'):
        ln = ln.rstrip('\n')
        if ln and not ln.startswith('#'):
            f, _, pattern = ln.partition(' ')
            if f == 'call':
                quiet.add(pattern)
            else:
                allowed.append((f, re.compile(pattern)))
    bad = 0
    for f in files:
        for line, text, call in literals(srcdir + '/' + f):
            if not WORDS.search(text) or call in quiet:
                continue
            if text in marked.get((f, line), ()):
                continue
            if any(af in (f, '*') and rx.search(text) for af, rx in allowed):
                continue
            print('%s:%d: "%s"' % (f, line, text.replace('\n', '\\n')[:120]))
            bad += 1
    if bad:
        print('%d unmarked message(s): mark them _() or N_(), or list them in po/not-translated with why' % bad)
    return 1 if bad else 0


sys.exit(main())
