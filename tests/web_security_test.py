#!/usr/bin/env python3
"""web_security_test.py BASE_URL — the workbench's security, tested from the
outside over HTTP: authentication, roles, CSRF, throttling, cookie flags and
CSP, path traversal, body and depth limits, and a slow client that must not
block others. Passwords come from the environment (STAFF_PW, VIEWER_PW)."""
import http.client, json, os, socket, sys, threading, time, urllib.parse

base = urllib.parse.urlparse(sys.argv[1])
HOST, PORT = base.hostname, base.port
passed = failed = 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, file=sys.stderr)


def req(method, path, body=None, headers=None, raw=None):
    c = http.client.HTTPConnection(HOST, PORT, timeout=30)
    h = dict(headers or {})
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None and "Content-Type" not in h:
        h["Content-Type"] = "application/json"
    c.request(method, path, body=data, headers=h)
    r = c.getresponse()
    out = (r.status, dict(r.getheaders()), r.read())
    c.close()
    return out


def login(name, pw):
    st, hd, body = req("POST", "/auth/login", {"name": name, "password": pw})
    if st != 200:
        return st, None, None, hd
    cookie = hd["Set-Cookie"].split(";")[0]
    return st, cookie, json.loads(body)["csrf"], hd


def api(op, body, cookie, csrf, **extra):
    h = {"Cookie": cookie}
    if csrf:
        h["X-CSRF-Token"] = csrf
    h.update(extra)
    st, _, b = req("POST", "/api/" + op, body, h)
    return st, b


# unauthenticated: only the page and its assets
ok(req("GET", "/")[0] == 200, "the login page is public")
ok(req("GET", "/assets/app.js")[0] == 200, "assets are public")
ok(req("POST", "/api/search", {"query": "油茶"})[0] == 401, "API without a session: 401")
ok(req("GET", "/auth/me")[0] == 401, "/auth/me without a session: 401")
ok(req("GET", "/print/demands")[0] == 401, "print view without a session: 401")
ok(req("POST", "/api/search", {"query": "x"}, {"Cookie": "jb_session=" + "0" * 64})[0] == 401, "forged session: 401")

# headers: CSP without inline script, cookie flags
st, hd, _ = req("GET", "/")
csp = hd.get("Content-Security-Policy", "")
ok("script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0], "CSP forbids inline script")
ok("frame-ancestors 'none'" in csp and hd.get("X-Content-Type-Options") == "nosniff", "framing and sniffing refused")
st, cookie, csrf, hd = login("staff1", os.environ["STAFF_PW"])
ok(st == 200, "staff logs in")
sc = hd.get("Set-Cookie", "")
ok("HttpOnly" in sc and "SameSite=Strict" in sc and "Path=/" in sc, "session cookie is HttpOnly; SameSite=Strict: " + sc)
ok(json.loads(req("GET", "/auth/me", headers={"Cookie": cookie})[2])["role"] == "staff", "/auth/me names the role")

# CSRF: every POST needs the session's token
ok(api("search", {"query": "油茶"}, cookie, None)[0] == 403, "POST without CSRF token: 403")
ok(api("search", {"query": "油茶"}, cookie, "f" * 64)[0] == 403, "POST with a wrong CSRF token: 403")
ok(api("search", {"query": "油茶"}, cookie, csrf)[0] == 200, "POST with the token: 200")
st, _, _ = req("POST", "/api/search", raw=b"query=x", headers={"Cookie": cookie, "X-CSRF-Token": csrf,
                                                                  "Content-Type": "application/x-www-form-urlencoded"})
ok(st == 415, "a form post (what another site can send) is refused: %d" % st)
ok(req("POST", "/auth/logout", {}, {"Cookie": cookie})[0] == 403, "logout without the token: 403")

# roles: staff records one need; only admins import anything else
need = {"type": "need", "id": "need-sec1", "org": "org-jinlong", "title": "安全测试需求：锰矿粉冷压球团",
        "text": "进口锰矿粉直接入炉导致透气性差，希望建设冷压球团线。"}
ok(api("import", {"records": [need]}, cookie, csrf)[0] == 200, "staff records a need")
ok(api("import", {"records": [{"type": "org", "id": "org-x", "name": "x", "kind": "enterprise"}]}, cookie, csrf)[0] == 403,
   "staff cannot import an org")
ok(api("import", {"records": [need, dict(need, id="need-sec2")]}, cookie, csrf)[0] == 403, "staff cannot bulk import")
ok(api("import", {"name": "needs.jsonl", "text": json.dumps(need)}, cookie, csrf)[0] == 403, "staff cannot upload a file")
ok(req("POST", "/admin/users", {"action": "list"}, {"Cookie": cookie, "X-CSRF-Token": csrf})[0] == 403,
   "staff cannot manage users")
ok(api("nosuchop", {}, cookie, csrf)[0] == 404, "unknown op: 404")
ok(api("../stats", {}, cookie, csrf)[0] == 404, "odd op name: 404")

st, vcookie, vcsrf, _ = login("viewer1", os.environ["VIEWER_PW"])
ok(st == 200, "viewer logs in")
ok(api("search", {"query": "油茶"}, vcookie, vcsrf)[0] == 200, "viewer reads")
st, b = api("import", {"records": [dict(need, id="need-sec3")]}, vcookie, vcsrf)
ok(st == 403 and "只读" in json.loads(b)["error"]["message"], "viewer's change: 403 with a reason")
ok(api("get", {"type": "need", "record": "need-sec3"}, vcookie, vcsrf)[0] == 404, "nothing was stored for the viewer")
st, b = api("get", {"type": "need", "record": "need-0058", "with_contacts": True}, vcookie, vcsrf)
ok(st == 200 and "contact" not in json.loads(b)["result"], "a viewer gets no contacts, even when asking")
st, b = api("get", {"type": "need", "record": "need-0058", "with_contacts": True}, cookie, csrf)
ok(st == 200 and "contact" in json.loads(b)["result"], "staff get the contact they call")

# limits: body size, JSON depth, not JSON
st, _, _ = req("POST", "/api/search", raw=b'{"query":"' + b"a" * (9 << 20) + b'"}',
               headers={"Cookie": cookie, "X-CSRF-Token": csrf, "Content-Type": "application/json"})
ok(st == 413, "a 9 MB body: 413 (%d)" % st)
deep = "[" * 5000 + "]" * 5000
st, _, b = req("POST", "/api/search", raw=('{"query":"x","z":%s}' % deep).encode(),
               headers={"Cookie": cookie, "X-CSRF-Token": csrf, "Content-Type": "application/json"})
ok(st == 400 and "嵌套" in b.decode(), "JSON nested 5000 deep: 400 (%d)" % st)
st, _, _ = req("POST", "/api/search", raw=b"{not json", headers={"Cookie": cookie, "X-CSRF-Token": csrf,
                                                                  "Content-Type": "application/json"})
ok(st == 400, "malformed JSON: 400")
st, _, b = req("POST", "/auth/login", raw=b'{"name":"a","password":"' + b"x" * 10000 + b'"}')
ok(st == 413, "an oversized login body: 413 (%d)" % st)

# static routes: the embedded table only
for p in ["/assets/../../../../etc/passwd", "/assets/%2e%2e/%2e%2e/etc/passwd", "/assets/..%2fweb.h", "/assets//etc/passwd",
          "/assets/..\\..\\etc\\passwd"]:
    c = http.client.HTTPConnection(HOST, PORT, timeout=10)
    c.putrequest("GET", p, skip_host=False)
    c.endheaders()
    r = c.getresponse()
    body = r.read()
    ok(r.status in (400, 404) and b"root:" not in body, "traversal %s refused (%d)" % (p, r.status))
    c.close()
ok(req("GET", "/assets/nope.js")[0] == 404, "a missing asset: 404")
ok(req("PUT", "/api/search", {"query": "x"}, {"Cookie": cookie})[0] == 405, "PUT: 405")

# login throttling, per account: the 6th wrong password in a row waits
codes = [login("throttled1", "wrong-%d" % i)[0] for i in range(7)]
ok(codes[:5] == [401] * 5 and codes[5] == 429 and codes[6] == 429, "throttled after 5 failures: %s" % codes)
ok(login("throttled1", os.environ["THROTTLED_PW"])[0] == 429, "even the right password waits while throttled")
ok(login("staff1", os.environ["STAFF_PW"])[0] == 200, "another account is not throttled")

# a slow client cannot block others: 30 connections that send half a request
slow = []
for i in range(30):
    s = socket.create_connection((HOST, PORT))
    s.sendall(b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n")
    slow.append(s)
t0 = time.time()
st, _ = api("search", {"query": "油茶"}, cookie, csrf)
ok(st == 200 and time.time() - t0 < 2, "served in %.2f s beside 30 half-open connections" % (time.time() - t0))
# and many parallel requests all succeed
res = []
def worker():
    res.append(api("match", {"need": "need-0058", "k": 5}, cookie, csrf)[0])
th = [threading.Thread(target=worker) for _ in range(16)]
[t.start() for t in th]
[t.join() for t in th]
ok(res.count(200) == 16, "16 parallel matches: %s" % res)
for s in slow:
    s.close()

# a disabled account loses its session at once; logout ends a session
st, c2, t2, _ = login("staff2", os.environ["STAFF_PW"])
ok(st == 200, "staff2 logs in")
os.system("%s --db %s user disable staff2 2>/dev/null" % (os.environ["JB"], os.environ["JIEBANG_DB"]))
ok(api("search", {"query": "x"}, c2, t2)[0] == 401, "disabled while logged in: 401")
ok(req("POST", "/auth/logout", {}, {"Cookie": cookie, "X-CSRF-Token": csrf})[0] == 200, "logout")
ok(api("search", {"query": "x"}, cookie, csrf)[0] == 401, "the old cookie is dead after logout")

# the change above is in the audit trail with the staff member's name
st, acookie, acsrf, _ = login("admin", os.environ["ADMIN_PW"])
st, _, b = req("POST", "/admin/audit", {}, {"Cookie": acookie, "X-CSRF-Token": acsrf})
audit = json.loads(b)["result"]
ok(any(a["user"] == "staff1" and a["op"] == "import" and "need-sec1" in json.dumps(a["detail"]) for a in audit),
   "audit names staff1 and need-sec1")
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
