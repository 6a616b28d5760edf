#!/usr/bin/env python3
"""The bad-input sweep of issue 14: every route of server/openapi.json, every role, the classes
of hostile input (NUL, invalid UTF-8, overlong escapes, traversal, injection text, malformed and
wrong-typed JSON, huge bodies, Range abuse). Each request must get one JSON answer within the
time limit, never a 5xx, and a refused request (4xx) must leave the database as it was.

  hostile_sweep.py BASE_URL OPENAPI_JSON CONNINFO TOKENS_JSON
Prints the closing figures as one JSON line; exits 1 when any of them but `requests` is not 0.
"""
import http.client
import json
import socket
import subprocess
import sys
import time
import urllib.parse

base, spec_path, conninfo, tokens_path = sys.argv[1:5]
spec = json.load(open(spec_path))
tokens = json.load(open(tokens_path))
url = urllib.parse.urlparse(base)
TIME_LIMIT = 10.0
MAX_REQUESTS = 8000
MAX_SECONDS = 240

# The state a refusal must not touch: every table, but the failed-login record (a refused login
# is what it counts) and a token's last use (written on use, at most once a minute). One query
# over all tables, written once, run by one psql kept open.
TABLES = """
SELECT string_agg(format(CASE WHEN table_name = 'tokens'
  THEN '(SELECT md5(coalesce(string_agg((id, name, role, revoked_at, production_id)::text, '','' ORDER BY id), '''')) FROM %I)'
  ELSE '(SELECT md5(coalesce(string_agg(x::text, '','' ORDER BY x::text), '''')) FROM %I x)' END,
  table_name), ' || ')
FROM information_schema.tables
WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'login_failures'
"""
psql = subprocess.Popen(["psql", "-qtAX", conninfo], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        text=True, bufsize=1)


def sql(q):
    psql.stdin.write(" ".join(q.split()) + ";\n\\echo __end__\n")
    psql.stdin.flush()
    out = []
    for line in psql.stdout:
        if line.strip() == "__end__":
            return "\n".join(out)
        out.append(line.strip())


CHECKSUM = "SELECT md5(" + sql(TABLES) + ")"


def checksum():
    return sql(CHECKSUM)


PARAMS = ["1%00", "1%00x", "%ff", "%c0%ae%c0%ae", "..", "1%2f..%2f..%2fetc%2fpasswd",
          "99999999999999999999999", "-1", "0", "1%20OR%201%3d1", "%27%3b--", "1%0a", "%e2%80%ae1",
          "\xff", "999999"]
LONG_PARAM = "a" * 300
STRINGS = ["../../../../etc/passwd", "/etc/passwd", "\u0000", "a\u0000b", "'; DROP TABLE clips;--",
           "\n2026-01-01T00:00:00Z info forged", "x" * 100000, "\u202e", "."]
WRONG = [None, True, -1, 1e308, "1", [], {}, 99999999999999999999999]
BODIES = [b"", b"not json", b"[]", b"null", b"{", b'{"a":1}', b'{"x":"\xff\xfe"}',
          b'{"name":"a\\u0000b"}', b"\xef\xbb\xbf{}", b'{"a":' * 5000]
RANGES = ["bytes=999999999999-", "bytes=5-1", "bytes=-0", "bytes=0-0," * 400 + "0-1",
          "bytes=-99999999999999999999", "items=0-1", "bytes=0-18446744073709551616"]


def schema_props(op):
    """The JSON body's properties of an operation (resolving one $ref), or {}."""
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
    s = body.get("schema", {})
    if "$ref" in s:
        s = spec
        for part in body["schema"]["$ref"].lstrip("#/").split("/"):
            s = s.get(part, {})
    return s.get("properties", {})


class RawConnection(http.client.HTTPConnection):
    """Sends the request line's bytes as given (a raw 0xff in a path, as a hostile client may)."""
    def _encode_request(self, request):
        return request.encode("latin-1")


figures = {"requests": 0, "hangs": 0, "dropped": 0, "server_errors": 0, "not_json": 0,
           "state_changed_after_refusal": 0}
problems = []
started = time.monotonic()
baseline = checksum()


def send(method, path, body=None, headers=None, token=None):
    if figures["requests"] >= MAX_REQUESTS or time.monotonic() - started > MAX_SECONDS:
        return
    h = dict(headers or {})
    if token:
        h["Authorization"] = "Bearer " + token
    if body is not None and "Content-Type" not in h:
        h["Content-Type"] = "application/json"
    global baseline
    figures["requests"] += 1
    conn = RawConnection(url.hostname, url.port, timeout=TIME_LIMIT)
    what = f"{method} {path[:120]!r}"
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for k, v in h.items():
            conn.putheader(k, v)
        data = body if isinstance(body, bytes) else (body.encode() if body is not None else None)
        conn.putheader("Content-Length", str(len(data)) if data is not None else "0")
        conn.endheaders(data)
        r = conn.getresponse()
        text = r.read()
        status = r.status
    except TimeoutError:
        figures["hangs"] += 1
        problems.append(("hang", what))
        return
    except (ConnectionError, http.client.HTTPException, OSError) as e:
        figures["dropped"] += 1
        problems.append(("dropped", what, str(e)))
        return
    finally:
        conn.close()
    if status >= 500:
        figures["server_errors"] += 1
        problems.append(("5xx", what, status, text[:200]))
    ctype = r.getheader("Content-Type", "")
    if status >= 400 and method != "HEAD":    # a HEAD answer has no body, by definition
        try:
            j = json.loads(text)
            assert isinstance(j["error"]["code"], str) and isinstance(j["error"]["message"], str)
        except Exception:
            figures["not_json"] += 1
            problems.append(("not a JSON error", what, status, text[:200]))
        now = checksum()
        if now != baseline:
            figures["state_changed_after_refusal"] += 1
            problems.append(("state changed after a refusal", what, status))
            baseline = now
    elif status >= 400:
        now = checksum()
        if now != baseline:
            figures["state_changed_after_refusal"] += 1
            problems.append(("state changed after a refusal", what, status))
            baseline = now
    else:
        baseline = checksum()   # an accepted request may change things
        if "json" in ctype and method != "HEAD" and text:
            try:
                json.loads(text)
            except Exception:
                figures["not_json"] += 1
                problems.append(("invalid JSON", what, status, text[:200]))


roles = [("admin", tokens["admin"]), ("post", tokens["post"]), ("editor", tokens["editor"]),
         ("none", None)]
for pattern, item in spec["paths"].items():
    full = pattern if pattern.startswith("/api/") or pattern == "/metrics" else "/api/v1" + pattern
    for method, op in item.items():
        method = method.upper()
        if method not in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"):
            continue
        if full.endswith("/events/stream"):
            continue    # an event stream never ends by design; tests/e2e/test_events.c
        has_param = "{" in full
        for role, token in roles:
            values = PARAMS if role == "admin" else PARAMS[:4]
            for v in (values if has_param else [None]):
                path = full
                while "{" in path:
                    a, b = path.index("{"), path.index("}")
                    path = path[:a] + v + path[b + 1:]
                send(method, path, b"{}" if method in ("POST", "PUT", "PATCH") else None,
                     token=token)
            if has_param and role == "admin":
                send(method, full.replace("{", "").replace("}", "") .replace("id", LONG_PARAM),
                     token=token)
            real = full
            while "{" in real:
                a, b = real.index("{"), real.index("}")
                real = real[:a] + "1" + real[b + 1:]
            if method in ("POST", "PUT", "PATCH"):
                for body in (BODIES if role in ("admin", "post") else BODIES[:3]):
                    send(method, real, body, token=token)
                if role == "admin":
                    props = schema_props(op)
                    for name in props:
                        for w in WRONG:
                            send(method, real, json.dumps({name: w}), token=token)
                        for s in STRINGS:
                            send(method, real, json.dumps({name: s}), token=token)
                    send(method, real + "?name=..%2f..%2fx&format=%ff", b"{}", token=token)
            if method == "GET" and role in ("admin", "post"):
                for rg in RANGES:
                    send(method, real, headers={"Range": rg}, token=token)
            if method == "GET" and role == "admin":
                send(method, real + "?limit=-1&cursor=%ff&sort=..&before=1%00", token=token)
# Huge bodies, declared and chunked, on a route of each kind (buffered, streamed).
# Declared: as curl sends them, "Expect: 100-continue", so the 413 comes before the body. Chunked:
# the whole body is read and refused after it.
def send_big(path, chunked):
    figures["requests"] += 1
    what = f"POST {path} ({'chunked' if chunked else 'declared'} 9 MiB)"
    size = 9 * 1024 * 1024
    head = (f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {tokens['admin']}\r\n"
            "Content-Type: application/json\r\n" +
            ("Transfer-Encoding: chunked\r\n" if chunked else
             f"Content-Length: {size}\r\nExpect: 100-continue\r\n") + "\r\n")
    try:
        with socket.create_connection((url.hostname, url.port), timeout=TIME_LIMIT) as so:
            so.sendall(head.encode())
            if chunked:
                piece = b" " * (1 << 20)
                for _ in range(9):
                    so.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
                so.sendall(b"0\r\n\r\n")
            answer = b""
            while b"\r\n\r\n" not in answer:
                more = so.recv(65536)
                if not more:
                    break
                answer += more
    except TimeoutError:
        figures["hangs"] += 1
        problems.append(("hang", what))
        return
    except OSError as e:
        figures["dropped"] += 1
        problems.append(("dropped", what, str(e)))
        return
    if not answer.startswith(b"HTTP/1.1 413"):
        figures["dropped" if not answer else "not_json"] += 1
        problems.append(("no 413", what, answer[:200]))


for path in ("/api/v1/tokens", "/api/v1/luts?name=x", "/api/v1/looks/import", "/api/v1/webhooks"):
    send_big(path, False)
    send_big(path, True)
if checksum() != baseline:
    figures["state_changed_after_refusal"] += 1
    problems.append(("state changed after a huge body",))

figures["seconds"] = round(time.monotonic() - started, 1)
print(json.dumps(figures))
for p in problems[:40]:
    print("  ", p, file=sys.stderr)
bad = sum(v for k, v in figures.items() if k not in ("requests", "seconds"))
sys.exit(1 if bad else 0)
