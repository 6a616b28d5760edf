# A webhook receiver on loopback for the shell tests (tests/cli/lib.sh: cli_hook): every POST
# body is appended to FILE, one a line, and answered 204.
#   python3 hook_receiver.py PORT FILE
import http.server
import sys


class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with open(sys.argv[2], "ab") as f:
            f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(204)
        self.end_headers()

    def log_message(self, *a):
        pass


http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
