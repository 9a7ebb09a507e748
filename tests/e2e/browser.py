#!/usr/bin/env python3
"""browser.py - drives headless Chromium through chromedriver (W3C WebDriver,
Python's standard library only) over the console's pages.

    browser.py SCRIPT.json OUTDIR

SCRIPT.json is a list of steps:
    {"go": URL, "wait": PAGE, "expect": [TEXT...], "shot": NAME, "allow": [STATUS...]}
    {"login": URL, "token": TOKEN}
    {"lang": "en" or "zh", "base": URL}
"lang" loads URL and sets the page language the console keeps (the
reader's switch, in localStorage) for the steps after; the browser itself
asks for Chinese (--lang=zh-CN).  A "go" step with "chinese": true also
lists every English phrase (two words or more) in the page's own words,
outside data (class "data" or "mono", pre, code, inputs) and outside
quoted commands ('strata answer'), and fails if there is one.
Each "go" loads URL, waits until the page says it rendered PAGE
(body[data-loaded]), checks that every TEXT is in the page's text, saves a
screenshot OUTDIR/NAME.png, and checks that no request of the page failed
(an HTTP status of 400 or more not listed in "allow", or a network error)
and that the console logged no error.  Prints one line per step; exits 1 at
the first failure, naming it.
"""
import base64
import json
import os
import re
import threading
import subprocess
import sys
import time
import urllib.request


class Driver:
    def __init__(self):
        # the port chromedriver binds itself and says (--port=0): a port picked here and bound there
        # later could be taken in between by a console or another test's driver, and then this
        # session would talk to theirs
        self.proc = subprocess.Popen(["chromedriver", "--port=0"], stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        self.port = None
        for line in self.proc.stdout:
            m = re.search(r"started successfully on port (\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        if not self.port:
            raise SystemExit("chromedriver did not start")
        # the rest of what it says is drained, so that it never blocks on a full pipe
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()
        self.base = "http://127.0.0.1:%d" % self.port
        for _ in range(100):
            try:
                self.call("GET", "/status")
                break
            except OSError:
                time.sleep(0.1)
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1366,768", "--lang=zh-CN", "--no-first-run"],
            },
            "goog:loggingPrefs": {"browser": "ALL", "performance": "ALL"},
        }}}
        self.sid = self.call("POST", "/session", caps)["value"]["sessionId"]

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())

    def s(self, method, path, body=None):
        return self.call(method, "/session/%s%s" % (self.sid, path), body)["value"]

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def logs(self, kind):
        return self.s("POST", "/se/log", {"type": kind})

    def quit(self):
        try:
            self.s("DELETE", "")
        finally:
            self.proc.kill()


def failed_requests(perf, allow):
    bad = []
    for entry in perf:
        m = json.loads(entry["message"])["message"]
        p = m.get("params", {})
        if m["method"] == "Network.responseReceived":
            st = p["response"]["status"]
            if st >= 400 and st not in allow:
                bad.append("%s %d" % (p["response"]["url"], st))
        elif m["method"] == "Network.loadingFailed" and not p.get("canceled"):
            bad.append("%s: %s" % (p.get("requestId"), p.get("errorText")))
    return bad


# the page's own words: text outside data, quoted commands taken out
PAGE_WORDS = """
var out = [];
var w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (var n = w.nextNode(); n; n = w.nextNode()) {
    var p = n.parentElement;
    if (p && p.closest('.data, .mono, pre, code, script, style, input, textarea, noscript')) continue;
    if (n.nodeValue.trim()) out.push(n.nodeValue);
}
return out;
"""
ENGLISH = re.compile(r"[A-Za-z]{2,}(?: [A-Za-z]{2,})+")


def english_phrases(texts):
    found = []
    for t in texts:
        t = re.sub(r"'[^']*'|“[^”]*”", "", t)	# a quoted command, in either typography
        found += ENGLISH.findall(t)
    return sorted(set(found))


def main():
    steps = json.load(open(sys.argv[1], encoding="utf-8"))
    out = sys.argv[2]
    os.makedirs(out, exist_ok=True)
    d = Driver()
    try:
        for n, st in enumerate(steps, 1):
            if "login" in st:
                d.s("POST", "/url", {"url": st["login"]})
                # the form for this node: an officer's name and passphrase, or the token
                field = "officer" if "officer" in st else "token"
                deadline = time.time() + 20
                while not d.js("var f = document.querySelector('main form');"
                               " return document.body.dataset.loaded === 'login' && !!f && !!f.elements[arguments[0]];", field):
                    if time.time() > deadline:
                        raise SystemExit("step %d: the login page did not render a form with '%s': %s"
                                         % (n, field, d.js("return document.getElementById('main').innerText")))
                    time.sleep(0.1)
                if "officer" in st:
                    d.js("var f = document.querySelector('main form'); f.elements.officer.value = arguments[0]; "
                         "f.elements.passphrase.value = arguments[1]; f.requestSubmit();", st["officer"], st["passphrase"])
                else:
                    d.js("var f = document.querySelector('main form'); f.elements.token.value = arguments[0]; f.requestSubmit();",
                         st["token"])
                deadline = time.time() + 20
                while not re.search(r"(Log out|退出登录)$", d.js("return document.getElementById('session').innerText")):
                    if time.time() > deadline:
                        raise SystemExit("step %d: login did not succeed: %s" % (n, d.js("return document.getElementById('main').innerText")))
                    time.sleep(0.1)
                d.logs("browser"), d.logs("performance")
                print("ok login")
                continue
            if "lang" in st:
                d.s("POST", "/url", {"url": st["base"]})
                d.js("localStorage.setItem('strata.lang', arguments[0])", st["lang"])
                d.s("POST", "/refresh", {})	# the page reads it as it loads
                print("ok lang %s" % st["lang"])
                continue
            if st.get("static"):
                # a page without the console's script (an evidence report): loaded when the browser says so
                d.s("POST", "/url", {"url": st["go"]})
                st["wait"] = "complete"
                loaded = "return document.readyState"
            else:
                d.js("document.body.dataset.loaded = ''")
                d.s("POST", "/url", {"url": st["go"]})
                loaded = "return document.body.dataset.loaded || ''"
            deadline = time.time() + 30
            while d.js(loaded) != st["wait"]:
                if time.time() > deadline:
                    raise SystemExit("step %d (%s): the page did not render '%s'" % (n, st["go"], st["wait"]))
                time.sleep(0.1)
            for act in st.get("click", []):
                d.js("document.body.dataset.clicked = ''; var b = Array.from(document.querySelectorAll('button')).find(x => x.textContent.startsWith(arguments[0])); b.click();", act)
            # an officer's change: its button opens a form for the reason and the passphrase
            for a in st.get("act", []):
                found = d.js("var b = Array.from(document.querySelectorAll('.action > button')).find(x => x.textContent === arguments[0]);"
                             " if (!b) return false; b.click(); return true;", a["button"])
                if not found:
                    raise SystemExit("step %d (%s): no '%s' button" % (n, st["go"], a["button"]))
                d.js("var f = document.querySelector('.action form.act'); if (f.elements.reason) f.elements.reason.value = arguments[0];"
                     " f.elements.passphrase.value = arguments[1]; f.requestSubmit();", a.get("reason", ""), a["passphrase"])
            text = d.js("return document.body.innerText")
            present = [t for t in st.get("absent", []) if t in d.js("return Array.from(document.querySelectorAll('button')).map(b => b.textContent).join('\\n')").split("\n")]
            if present:
                raise SystemExit("step %d (%s): buttons that should not be there: %s" % (n, st["go"], present))
            deadline = time.time() + 30
            missing = [t for t in st.get("expect", []) if t not in text]
            while missing and time.time() < deadline:
                time.sleep(0.2)
                text = d.js("return document.body.innerText")
                missing = [t for t in st.get("expect", []) if t not in text]
            if missing:
                raise SystemExit("step %d (%s): not on the page: %s\n--- page:\n%s" % (n, st["go"], missing, text[:3000]))
            if st.get("chinese"):
                english = english_phrases(d.js(PAGE_WORDS))
                if english:
                    raise SystemExit("step %d (%s): English on a Chinese page: %s" % (n, st["go"], english))
                if 'lang="zh-CN"' not in d.js("return document.documentElement.outerHTML.slice(0, 200)"):
                    raise SystemExit("step %d (%s): the page does not say it is Chinese (html lang)" % (n, st["go"]))
            png = base64.b64decode(d.s("GET", "/screenshot"))
            with open(os.path.join(out, st["shot"] + ".png"), "wb") as f:
                f.write(png)
            errors = [e["message"] for e in d.logs("browser") if e["level"] == "SEVERE"]
            allow = st.get("allow", [])
            errors = [e for e in errors if not any(" %d " % a in e or "status of %d" % a in e for a in allow)]
            if errors:
                raise SystemExit("step %d (%s): the console logged errors: %s" % (n, st["go"], errors))
            bad = failed_requests(d.logs("performance"), allow)
            if bad:
                raise SystemExit("step %d (%s): requests failed: %s" % (n, st["go"], bad))
            print("ok %s: %s (%d bytes of screenshot)" % (st["shot"], ", ".join(st.get("expect", [])), len(png)))
    finally:
        d.quit()


if __name__ == "__main__":
    main()
