#!/usr/bin/env python3
"""Instructions per request of `mockidp serve`, counted by callgrind, for two builds side by side.

Wall-clock figures on a shared 2-core VM move by more than 10 % between identical runs; the
instruction count of the same binary and requests repeats to a few parts in a thousand. So a
before/after of the request path reads this, next to `mockidp bench`.

    python3 Tests/perf/instructions.py BEFORE_BINARY AFTER_BINARY

Each binary is copied without debug info (valgrind 3.19 cannot read the DWARF 5 that Swift
writes), started on port 0 under callgrind, driven over loopback with one keep-alive
connection, and stopped with SIGTERM. A run with no requests is the baseline that the
per-request figures subtract; it includes start-up and exit.
"""
import http.client, json, os, re, shutil, subprocess, sys, tempfile, urllib.parse

CLIENT_ID = "client_01KDXYS8R8A5ZQ5Y2TE3G0GSD4"  # the mock's default client
API_KEY = "sk_test_mockidp_local_only"


def stripped(binary, folder):
    copy = os.path.join(folder, os.path.basename(os.path.dirname(os.path.abspath(binary))) + "-" + str(len(os.listdir(folder))))
    subprocess.run(["strip", "-g", "-o", copy, binary], check=True)
    return copy


def instructions(binary, work, count, folder):
    out = os.path.join(folder, "callgrind.out")
    process = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary, "serve", "--port", "0",
                                "--log", "off", "--auto-approve"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip()
        if not line.startswith("listening on "):
            raise SystemExit(f"{binary} did not start: {line!r}")
        url = urllib.parse.urlparse(line.removeprefix("listening on "))
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=120)
        work(connection, count)
        connection.close()
    finally:
        process.terminate()
        stderr = process.communicate(timeout=120)[1]
    found = re.search(r"Collected : (\d+)", stderr)
    if not found:
        raise SystemExit(f"callgrind printed no total for {binary}:\n{stderr[-2000:]}")
    return int(found.group(1))


def health(connection, count):
    for _ in range(count):
        connection.request("GET", "/health")
        assert connection.getresponse().read()


def jwks(connection, count):
    for _ in range(count):
        connection.request("GET", f"/sso/jwks/{CLIENT_ID}")
        response = connection.getresponse()
        response.read()
        assert response.status == 200


def login(connection, count):
    query = urllib.parse.urlencode({"client_id": CLIENT_ID, "redirect_uri": "http://localhost:3000/callback", "response_type": "code",
                                    "provider": "authkit", "state": "s", "login_hint": "alice@acme.test"})
    for _ in range(count):
        connection.request("GET", "/user_management/authorize?" + query)
        response = connection.getresponse()
        response.read()
        code = urllib.parse.parse_qs(urllib.parse.urlparse(response.getheader("Location")).query)["code"][0]
        body = json.dumps({"grant_type": "authorization_code", "client_id": CLIENT_ID, "client_secret": API_KEY, "code": code})
        connection.request("POST", "/user_management/authenticate", body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        assert response.status == 200


def main():
    if len(sys.argv) != 3 or not shutil.which("valgrind"):
        raise SystemExit("usage: instructions.py BEFORE_BINARY AFTER_BINARY (needs valgrind and strip)")
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        figures = []
        for binary in sys.argv[1:]:
            copy = stripped(binary, folder)
            baseline = instructions(copy, lambda c, n: None, 0, folder)
            figure = {"start-up, idle and exit": baseline}
            for label, work, count in (("GET /health", health, 2000), ("GET /sso/jwks/{client_id}", jwks, 2000),
                                       ("headless login (authorize + authenticate)", login, 300)):
                figure[label + ", per request"] = (instructions(copy, work, count, folder) - baseline) / count
            figures.append(figure)
        print("| instructions (callgrind) | before | after | change |\n|---|---|---|---|")
        for key in figures[0]:
            before, after = figures[0][key], figures[1][key]
            print(f"| {key} | {before:,.0f} | {after:,.0f} | {(after - before) / before * 100:+.1f} % |")


if __name__ == "__main__":
    main()
