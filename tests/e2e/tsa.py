#!/usr/bin/env python3
"""tsa.py DIR NAME: a timestamp authority (RFC 3161) for the tests, on
127.0.0.1: stock `openssl ts -reply` behind a small HTTP server.

Makes DIR/ca.pem (its root), DIR/tsa.pem and their keys (EC P-256: OpenSSL
3.0's TS signing does not take Ed25519) the first time, then serves POSTs of
application/timestamp-query; writes the port it listens on to DIR/port."""
import http.server
import os
import subprocess
import sys
import tempfile

d, name = os.path.abspath(sys.argv[1]), sys.argv[2]
os.makedirs(d, exist_ok=True)


def run(*args):
    subprocess.run(args, cwd=d, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if not os.path.exists(os.path.join(d, "tsa.pem")):
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run("openssl", "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "3650",
        "-subj", "/CN=%s root" % name, "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign")
    run("openssl", "req", *ec, "-keyout", "tsa.key", "-out", "tsa.csr", "-subj", "/CN=%s" % name)
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("extendedKeyUsage=critical,timeStamping\nkeyUsage=critical,digitalSignature\n")
    run("openssl", "x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "tsa.pem", "-days", "3650", "-extfile", "ext.cnf")
    with open(os.path.join(d, "tsa.cnf"), "w") as f:
        f.write("""[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = %(d)s/serial
crypto_device = builtin
signer_cert = %(d)s/tsa.pem
certs = %(d)s/tsa.pem
signer_key = %(d)s/tsa.key
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = no
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""" % {"d": d})
    with open(os.path.join(d, "serial"), "w") as f:
        f.write("01\n")


class TSA(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        q = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with tempfile.TemporaryDirectory() as t:
            with open(os.path.join(t, "q.tsq"), "wb") as f:
                f.write(q)
            r = subprocess.run(["openssl", "ts", "-reply", "-config", os.path.join(d, "tsa.cnf"),
                                "-queryfile", os.path.join(t, "q.tsq"), "-out", os.path.join(t, "r.tsr")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            body = open(os.path.join(t, "r.tsr"), "rb").read() if r.returncode == 0 else b""
        self.send_response(200 if body else 400)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


srv = http.server.HTTPServer(("127.0.0.1", 0), TSA)
with open(os.path.join(d, "port.tmp"), "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(os.path.join(d, "port.tmp"), os.path.join(d, "port"))
print("serving on 127.0.0.1:%d" % srv.server_address[1], flush=True)
srv.serve_forever()
