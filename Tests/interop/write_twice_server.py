"""A keep-alive HTTP/1.1 server that writes each response in two segments, the way Python's
http.server (and many frameworks) do: the head with one send, the body with another, Nagle on.

Against such a server a client that delays its ACK of the head stalls ~40 ms per request on a
reused connection (Linux delayed ACK x the server's Nagle). Prints `listening PORT` on stdout,
serves until stdin closes. Only the standard library: no virtualenv needed.
"""
import http.server
import socket
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.reply()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.reply()

    def reply(self):
        body = b'{"ok":true,"padding":"' + b"x" * 200 + b'"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()  # first segment: the head
        self.wfile.write(body)  # second segment: the body

    def log_message(self, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    # Nagle stays on, as in the stock server: that is the condition under test.
    server.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("listening", server.server_address[1], flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
