#!/usr/bin/env python3
"""End-to-end check of the igsim executable (ctest: igsim.executable_smoke).

Starts `igsim --port 0`, waits for its ready line, fetches the home page
over HTTP and a profile over HTTPS (trusting only the certificate igsim
wrote), repeats one fetch with curl when curl is installed, then sends
SIGTERM and expects a clean exit. Usage: run_igsim.py PATH_TO_IGSIM
"""
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import urllib.request

READY = re.compile(r"^igsim listening http=127\.0\.0\.1:(\d+) https=127\.0\.0\.1:(\d+) cert=(\S+)$")


def fail(message):
    print("FAIL:", message, file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) != 2:
        fail("usage: run_igsim.py PATH_TO_IGSIM")
    work = tempfile.mkdtemp(prefix="igsim-smoke-")
    cert = os.path.join(work, "cert.pem")
    proc = subprocess.Popen(
        [sys.argv[1], "--port", "0", "--cert-out", cert, "--allow-anonymous", "--users", "3", "--seed", "5"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # readline blocks until igsim prints the line (or exits); ctest's
        # TIMEOUT bounds the whole script.
        line = proc.stdout.readline().strip()
        match = READY.match(line)
        if not match:
            fail("unexpected ready line: %r (stderr: %s)" % (line, proc.stderr.read() if proc.poll() is not None else ""))
        http_port, https_port, cert_path = int(match.group(1)), int(match.group(2)), match.group(3)
        if cert_path != cert or not open(cert).read().startswith("-----BEGIN CERTIFICATE-----"):
            fail("certificate not written to --cert-out")

        with urllib.request.urlopen("http://127.0.0.1:%d/" % http_port, timeout=10) as r:
            cookies = r.headers.get_all("Set-Cookie")
            if r.status != 200 or not any(c.startswith("csrftoken=") for c in cookies):
                fail("GET / did not set csrftoken")

        world = json.load(urllib.request.urlopen("http://127.0.0.1:%d/__igsim/world" % http_port, timeout=10))
        username = world["users"][0]["username"]
        context = ssl.create_default_context(cafile=cert)  # verifies the chain and "localhost"
        request = urllib.request.Request(
            "https://localhost:%d/api/v1/users/web_profile_info/?username=%s" % (https_port, username),
            headers={"X-IG-App-ID": "936619743392459"})
        with urllib.request.urlopen(request, context=context, timeout=10) as r:
            body = json.load(r)
            if body["data"]["user"]["username"] != username:
                fail("profile for the wrong user")

        curl = shutil.which("curl")
        if curl:
            out = subprocess.run(
                [curl, "-sS", "--cacert", cert, "-H", "X-IG-App-ID: 1",
                 "https://localhost:%d/api/v1/users/web_profile_info/?username=%s" % (https_port, username)],
                capture_output=True, text=True, timeout=20)
            if out.returncode != 0 or json.loads(out.stdout)["status"] != "ok":
                fail("curl fetch failed: %s %s" % (out.returncode, out.stderr))
        else:
            print("curl not installed: skipped the curl fetch")

        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=15)
        stderr = proc.stderr.read()
        if code != 0 or "stopped" not in stderr:
            fail("exit code %s after SIGTERM, stderr: %s" % (code, stderr))
        print("igsim executable: ok")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
