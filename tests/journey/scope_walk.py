#!/usr/bin/env python3
"""The walk of tests/journey/scope.sh: every GET route of the OpenAPI document, with tokens
serving production Alpha, checked for Bravo's things and for host paths.

    scope_walk.py URL OPENAPI TOKENS.json ALPHA.json BRAVO.json HOSTDIR

Prints one line per finding that held; on any failure prints them all to stderr and exits 1."""
import json
import re
import sys
import urllib.error
import urllib.request

url, openapi, tokens_f, alpha_f, bravo_f, hostdir = sys.argv[1:7]
tokens = json.load(open(tokens_f))
alpha = json.load(open(alpha_f))
bravo = json.load(open(bravo_f))
paths = [p for p, v in json.load(open(openapi))["paths"].items() if "get" in v]
# Reports are PDF unless asked otherwise: their text forms too, where names and paths can be read.
paths += [p + q for p in paths if p.endswith("/report") for q in ("?format=html", "?format=csv")]

# The first segment after /api/v1/ of a path with an id after it, and the kind of that id.
KINDS = {"clips": "clip", "cards": "card", "days": "day", "files": "file",
         "renditions": "rendition", "jobs": "job", "luts": "lut", "productions": "production"}
# Paths that never end on their own; the API's own description (its examples name B001).
STREAMS = {"/api/v1/events/stream"}
STATIC = {"/api/v1/openapi.json"}
failures = []
held = []


def get(path, who, timeout=20):
    req = urllib.request.Request(url + path, headers={"Authorization": "Bearer " + tokens[who]})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except TimeoutError:
        return 0, b""


def stream(who):
    req = urllib.request.Request(url + "/api/v1/events/stream?since=0",
                                 headers={"Authorization": "Bearer " + tokens[who]})
    body = b""
    try:
        with urllib.request.urlopen(req, timeout=3) as r:
            while True:
                chunk = r.read1(65536)
                if not chunk:
                    break
                body += chunk
    except (TimeoutError, OSError):
        pass
    return body


def kind_of(path):
    m = re.match(r"^/api/v1/([a-z-]+)/\{id\}", path)
    return KINDS.get(m.group(1)) if m else None


def fill(path, ids):
    return path.replace("{id}", str(ids[kind_of(path)])).replace("{n}", "0")


def bravo_in(body):
    """What of Bravo's a response shows: its names, or an item naming one of its ids."""
    text = body.decode("utf-8", "replace")
    found = [m for m in ("Bravo", "B001") if m in text]
    try:
        doc = json.loads(text)
    except ValueError:
        return found
    fields = {"clip_id": "clip", "card_id": "card", "day_id": "day", "production_id": "production",
              "rendition_id": "rendition", "file_id": "file"}

    def walk(v):
        if isinstance(v, dict):
            st, sid = v.get("subject_type"), v.get("subject_id")
            if isinstance(st, str) and st in bravo and sid == bravo[st]:
                found.append("%s %s" % (st, sid))
            for k, kind in fields.items():
                if v.get(k) == bravo[kind]:
                    found.append("%s=%s" % (k, v[k]))
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
    walk(doc)
    return found


def check_paths(who, path, body):
    if hostdir.encode() in body:
        i = body.index(hostdir.encode())
        failures.append("%s reads a host path in GET %s: ...%s..." % (
            who, path, body[max(0, i - 60):i + 60].decode("utf-8", "replace")))


scoped = ("editor_alpha", "post_alpha")
n_404 = n_seen = n_lists = n_skipped = n_paths = 0
for path in paths:
    if path in STREAMS or path in STATIC or not path.startswith("/api/v1/"):
        continue
    if "{" in path and kind_of(path) is None:
        # webhooks, uploads, volumes: their own rules; id 1 (volume 1 holds both productions'
        # copies) still shows nothing of Bravo's
        n_skipped += 1
        for who in scoped:
            s, b = get(path.replace("{id}", "1"), who)
            leak = bravo_in(b)
            if leak:
                failures.append("%s GET %s: %d, shows Bravo's %s" % (
                    who, path.replace("{id}", "1"), s, sorted(set(leak))[:5]))
        continue
    if "{" in path:
        for who in scoped:
            sa, ba = get(fill(path, bravo), "admin")
            s, b = get(fill(path, bravo), who)
            if s == 403:
                continue        # the role may not call it at all
            if sa != 404 and s != 404:
                failures.append("%s GET %s (Bravo's): %d, not 404: %s" % (
                    who, fill(path, bravo), s, b[:200]))
            elif sa != 404:
                n_404 += 1
            sa, _ = get(fill(path, alpha), "admin")
            s, b = get(fill(path, alpha), who)
            if s == 403:
                continue        # refused to the role by the settings (originals)
            if sa == 200 and s != 200:
                failures.append("%s GET %s (Alpha's): %d, the admin got 200: %s" % (
                    who, fill(path, alpha), s, b[:200]))
            elif s == 200:
                n_seen += 1
                leak = bravo_in(b)
                if leak:
                    failures.append("%s GET %s shows Bravo's %s" % (who, fill(path, alpha), leak))
        for who in ("editor_alpha", "editor_all"):
            for ids in (alpha, bravo) if who == "editor_all" else (alpha,):
                s, b = get(fill(path, ids), who)
                check_paths(who, fill(path, ids), b)
                n_paths += 1
        continue
    for who in scoped:
        s, b = get(path, who)
        if s == 403:
            continue
        n_lists += 1
        leak = bravo_in(b)
        if leak:
            failures.append("%s GET %s shows Bravo's %s" % (who, path, sorted(set(leak))[:5]))
    for who in ("editor_alpha", "editor_all"):
        s, b = get(path, who)
        check_paths(who, path, b)
        n_paths += 1

# The lists are not empty for Alpha: the walk would prove nothing otherwise.
for path, marker in (("/api/v1/clips", b"A001C001"), ("/api/v1/cards", b"A001R1AB"),
                     ("/api/v1/renditions", b"A001C001"), ("/api/v1/dailies", b"A001C001"),
                     ("/api/v1/productions", b"Alpha"), ("/api/v1/jobs", b"Alpha"),
                     ("/api/v1/events", b'"subject_id":%d' % alpha["clip"]),
                     ("/api/v1/days", b'"id":%d' % alpha["day"]),
                     ("/api/v1/luts", b"show")):
    s, b = get(path, "editor_alpha")
    if marker not in b.replace(b" ", b""):
        failures.append("editor_alpha GET %s: %d, Alpha's %s not in %s" % (path, s, marker, b[:300]))

# The event stream, from the first event on.
for who in scoped + ("editor_all",):
    body = stream(who)
    ev = [json.loads(line[6:]) for line in body.decode("utf-8", "replace").splitlines()
          if line.startswith("data: ")]
    if not any(e.get("subject_type") == "clip" and e.get("subject_id") == alpha["clip"] for e in ev):
        failures.append("%s: the event stream has no event of Alpha's clip (%d events)" % (who, len(ev)))
    if who in scoped:
        leak = bravo_in(json.dumps({"items": ev}).encode())
        if leak:
            failures.append("%s: the event stream shows Bravo's %s" % (who, sorted(set(leak))[:5]))
    else:
        check_paths(who, "/api/v1/events/stream", body)
    n_paths += who.startswith("editor")

# The admin does read the host paths the check looks for: the check can see them.
s, b = get("/api/v1/jobs", "admin")
if hostdir.encode() not in b:
    failures.append("the admin's /api/v1/jobs names no host path: the path check proves nothing")

if failures:
    print("%d failures" % len(failures))
    for f in failures:
        print(f, file=sys.stderr)
    sys.exit(1)
print("tokens serving Alpha: %d GETs of Bravo's clips, cards, days, files, renditions, jobs, "
      "LUTs and production answered 404 (the admin's 200 or other), %d of Alpha's answered "
      "200 without a thing of Bravo's" % (n_404, n_seen))
print("tokens serving Alpha: %d list GETs and the event stream show nothing of Bravo's, and "
      "every list shows Alpha's (%d id routes left to their own rules)" % (n_lists, n_skipped))
print("editors (serving Alpha, and every production): %d GET answers and the event stream name "
      "no host path; the admin's do" % n_paths)
