"""A code-flow app whose sign-in starts from a link at an uncommon path (/go), so `mockidp init
--observe` finds no login route to drive and waits for a person's sign-in. Standard library only.

/ shows the link; /go redirects to AuthKit's authorize endpoint with redirect_uri /back; /back
exchanges the code (POST /user_management/authenticate) and answers 200. It keeps no session.
Environment: PORT, WORKOS_BASE_URL, WORKOS_CLIENT_ID, WORKOS_API_KEY.
"""
import json
import os
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT = int(os.environ["PORT"])
BASE = os.environ["WORKOS_BASE_URL"].rstrip("/")
CLIENT_ID = os.environ["WORKOS_CLIENT_ID"]
API_KEY = os.environ["WORKOS_API_KEY"]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/go":
            location = BASE + "/user_management/authorize?" + urllib.parse.urlencode({
                "client_id": CLIENT_ID, "redirect_uri": f"http://127.0.0.1:{PORT}/back", "response_type": "code",
                "provider": "authkit", "state": "s"})
            return self.answer(302, b"", [("Location", location)])
        if url.path == "/back":
            body = json.dumps({"client_id": CLIENT_ID, "client_secret": API_KEY, "grant_type": "authorization_code",
                               "code": query.get("code", [""])[0]}).encode()
            request = urllib.request.Request(BASE + "/user_management/authenticate", body, {"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    response.read()
            except Exception:
                return self.answer(401, b"sign-in failed")
            return self.answer(200, b"signed in")
        return self.answer(200, b"<a href='/go'>Sign in</a>", [("Content-Type", "text/html")])


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
