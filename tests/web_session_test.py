#!/usr/bin/env python3
"""web_session_test.py BASE_URL IDLE_S ABSOLUTE_S — session expiry and
per-address login throttling, against a `jiebang web` started with
JIEBANG_WEB_IDLE_SECONDS=IDLE_S and JIEBANG_WEB_ABSOLUTE_SECONDS=ABSOLUTE_S
(web_test.sh starts one apart from the main server, so that the address it
throttles here throttles nothing else). Passwords from the environment."""
import http.client, json, os, socket, sys, time, urllib.parse

base = urllib.parse.urlparse(sys.argv[1])
HOST, PORT = base.hostname, base.port
IDLE, ABSOLUTE = int(sys.argv[2]), int(sys.argv[3])
passed = failed = 0


def ok(cond, what):
    global passed, failed
    if cond:
        passed += 1
    else:
        failed += 1
        print("FAIL:", what, file=sys.stderr)


def req(method, path, body=None, headers=None):
    c = http.client.HTTPConnection(HOST, PORT, timeout=30)
    h = dict(headers or {})
    h["Content-Type"] = "application/json"
    c.request(method, path, body=json.dumps(body).encode() if body is not None else None, headers=h)
    r = c.getresponse()
    out = (r.status, dict(r.getheaders()), r.read())
    c.close()
    return out


def login(name, pw):
    st, hd, body = req("POST", "/auth/login", {"name": name, "password": pw})
    if st != 200:
        return st, None, None
    return st, hd["Set-Cookie"].split(";")[0], json.loads(body)["csrf"]


def me(cookie):
    return req("GET", "/auth/me", headers={"Cookie": cookie})[0]


def search(cookie, csrf):
    st, _, b = req("POST", "/api/search", {"query": "油茶", "k": 1}, {"Cookie": cookie, "X-CSRF-Token": csrf})
    return st, b


t_start = time.time()
while True:  # started beside the main server: wait until it listens
    try:
        socket.create_connection((HOST, PORT)).close()
        break
    except OSError:
        if time.time() - t_start > 20:
            sys.exit("FAIL: the short-session server did not start")
        time.sleep(0.05)

# idle expiry: requests closer together than IDLE keep the session alive;
# a pause longer than IDLE ends it, and the answer tells the person to log in
st, cookie, csrf = login("staff1", os.environ["STAFF_PW"])
ok(st == 200, "staff1 logs in")
alive = []
for _ in range(3):
    time.sleep(IDLE / 2.0)
    alive.append(me(cookie))
ok(alive == [200] * 3, "requests every IDLE/2 s keep the session (%s)" % alive)
time.sleep(IDLE + 1.5)
st, b = search(cookie, csrf)
ok(st == 401 and "登录" in b.decode(), "after %d s idle the session is over: %d %s" % (IDLE + 1, st, b[:80]))
ok(me(cookie) == 401, "and stays over")
st, c2, t2 = login("staff1", os.environ["STAFF_PW"])
ok(st == 200 and search(c2, t2)[0] == 200, "logging in again works")

# absolute expiry: a session in constant use still ends ABSOLUTE s after login
st, cookie, csrf = login("staff1", os.environ["STAFF_PW"])
t0 = time.time()
codes = []
while time.time() - t0 < ABSOLUTE + 2.5:
    codes.append((round(time.time() - t0, 1), me(cookie)))
    time.sleep(min(0.8, IDLE / 2.0))
early = [c for t, c in codes if t < ABSOLUTE - 1]
late = [c for t, c in codes if t > ABSOLUTE + 1.2]
ok(early and all(c == 200 for c in early), "in use before ABSOLUTE s: %s" % codes)
ok(late and all(c == 401 for c in late), "over after ABSOLUTE s however busy: %s" % codes)

# per-address throttling: 20 failures from one address, each for another
# name (so that no account is throttled), then every login from it waits —
# even a right password for an account that never failed
codes = [login("nobody-%d" % i, "wrong")[0] for i in range(20)]
ok(codes == [401] * 20, "20 failures, each under its own name, are plain refusals: %s" % codes)
st, _, _ = login("staff1", os.environ["STAFF_PW"])
ok(st == 429, "the 21st login from the same address waits, whatever the account: %d" % st)
st, _, b = req("POST", "/auth/login", {"name": "viewer1", "password": os.environ["VIEWER_PW"]})
ok(st == 429 and "秒后再试" in b.decode(), "and is told how long, in Chinese: %s" % b.decode()[:80])
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
