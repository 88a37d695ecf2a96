#!/usr/bin/env python3
"""bench/web_load.py — load on the web workbench, loopback only, bounded.

    python3 bench/web_load.py [--jiebang build/jiebang] [--corpus corpora/chenxi]
        [--db DB] [--sessions 50] [--seconds 60] [--threads 4] [--no-import]
        [--warm-up S]

Copies (or imports) a database into a temporary directory, adds a bench
account, starts `jiebang web` on a free 127.0.0.1 port, and runs SESSIONS
concurrent logged-in sessions for SECONDS, each repeating at random:
  search     POST /api/search (an expert/need query)
  match      POST /api/match  (a need, k 10)
  need page  what the need page asks for: get + check + match (k 30), timed
             together as the person waits for them
while another process imports records into the same database over and over
(`jiebang import`, a fresh batch of needs each time: real writes, each one
making the match index stale). Prints per kind: requests, errors, p50, p95,
p99 (ms), and the server's RSS before, after a warm-up, and at the end.
With --warm-up S the sessions click for S seconds first, counted apart
(one line, "warm-up"), so that the table shows the server after every
database connection has mapped its match index (at 100k items that is
seconds per connection, and the first clicks wait for it).
Everything stays on 127.0.0.1 and stops after S + SECONDS.
"""
import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

QUERIES = ["油茶", "油茶 采收 机械", "稻花鱼 苗种", "锰矿 球团", "罗汉果 提取", "烘干 热泵", "3D打印", "智能制造 质检",
           "中药材 种植", "camellia oleifera", "deep learning", "soil remediation", "铁合金", "无人机 植保"]


def rss_kb(pid, field="VmRSS"):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_s(pid):
    """User + system CPU seconds of a process so far."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(v, p):
    if not v:
        return float("nan")
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


class Session:
    def __init__(self, port, user, pw):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        st, hd, body = self.post("/auth/login", {"name": user, "password": pw}, login=True)
        if st != 200:
            raise RuntimeError("login failed: %d %s" % (st, body[:200]))
        self.cookie = hd["Set-Cookie"].split(";")[0]
        self.csrf = json.loads(body)["csrf"]

    def post(self, path, body, login=False):
        h = {"Content-Type": "application/json"}
        if not login:
            h["Cookie"] = self.cookie
            h["X-CSRF-Token"] = self.csrf
        for attempt in range(2):
            try:
                self.c.request("POST", path, body=json.dumps(body).encode(), headers=h)
                r = self.c.getresponse()
                return r.status, dict(r.getheaders()), r.read()
            except (http.client.HTTPException, OSError):
                # a keep-alive connection the server closed (idle timeout): once more on a new one
                self.c.close()
                self.c = http.client.HTTPConnection(self.c.host, self.c.port, timeout=60)
                if attempt:
                    raise
        return 0, {}, b""


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jiebang", default=os.path.join(repo, "build", "jiebang"))
    ap.add_argument("--corpus", default=os.path.join(repo, "corpora", "chenxi"))
    ap.add_argument("--db", help="an existing database to copy instead of importing the corpus")
    ap.add_argument("--sessions", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--threads", type=int, default=4, help="the server's database connections")
    ap.add_argument("--no-import", action="store_true", help="no import running beside the load")
    ap.add_argument("--warm-up", type=int, default=0, help="seconds of clicks before the measured ones, counted apart")
    a = ap.parse_args()
    if a.sessions > 200 or a.seconds + a.warm_up > 600:
        sys.exit("bounded: at most 200 sessions and 600 s")
    jb = os.path.abspath(a.jiebang)
    tmp = tempfile.mkdtemp(prefix="jb-webload-")
    db = os.path.join(tmp, "bench.db")
    env = dict(os.environ, JIEBANG_DB=db)
    server = importer = None
    stop = threading.Event()
    try:
        if a.db:
            for ext in ("", ".mx", ".mx.needs"):
                if os.path.exists(a.db + ext):
                    shutil.copy(a.db + ext, db + ext)
        else:
            files = sorted(os.path.join(a.corpus, f) for f in os.listdir(a.corpus) if f.endswith(".jsonl"))
            subprocess.run([jb, "import", "-q"] + files, env=env, check=True)
        pw = "bench-password-1"
        subprocess.run([jb, "user", "add", "bench", "--role", "staff"], input=pw + "\n", text=True, env=env,
                       check=True, stderr=subprocess.DEVNULL)
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        t0 = time.time()
        server = subprocess.Popen([jb, "web", "--listen", "127.0.0.1:%d" % port, "--threads", str(a.threads)], env=env,
                                  stderr=subprocess.DEVNULL)
        while True:
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                if time.time() - t0 > 30:
                    sys.exit("the server did not start")
                time.sleep(0.01)
        started = time.time() - t0
        rss0 = rss_kb(server.pid)
        # need ids to ask for: the open ones
        probe = Session(port, "bench", pw)
        _, _, body = probe.post("/api/needs", {"status": "open"})
        needs = [n["id"] for n in json.loads(body)["result"]["needs"]]
        rss_samples = []

        cpu_mark = {}
        warm_lat = []
        measure_from = time.time() + a.warm_up
        deadline = measure_from + a.seconds

        anon = []  # the heap's part of RSS (the rest is the mapped index files)

        def sample():
            while not stop.is_set():
                anon.append((time.time(), rss_kb(server.pid, "RssAnon")))
                if "from" not in cpu_mark and time.time() >= measure_from:
                    cpu_mark["from"] = (time.time(), cpu_s(server.pid))
                rss_samples.append((time.time(), rss_kb(server.pid)))
                stop.wait(1)
        sampler = threading.Thread(target=sample)
        sampler.start()

        if not a.no_import:
            def import_loop():
                n = 0
                while not stop.is_set():
                    path = os.path.join(tmp, "batch.jsonl")
                    with open(path, "w") as f:
                        for i in range(200):
                            f.write(json.dumps({"type": "need", "id": "need-load-%d" % i, "title": "负载测试需求 %d-%d 油茶烘干" % (n, i),
                                                "text": "第%d轮：油茶籽烘干含水率≤9%%，日处理%d吨，热泵或生物质热源。" % (n, 10 + i % 30),
                                                "status": "closed"}, ensure_ascii=False) + "\n")
                    t = time.time()
                    subprocess.run([jb, "import", "-q", path], env=env, stderr=subprocess.DEVNULL)
                    import_s.append(time.time() - t)
                    n += 1
                    stop.wait(2)
                importer_runs.append(n)
            importer_runs = []
            import_s = []
            importer = threading.Thread(target=import_loop)
            importer.start()

        lat = {"search": [], "match": [], "need page": []}
        errs = {k: 0 for k in lat}
        lock = threading.Lock()

        def session(i):
            rnd = random.Random(i)
            try:
                ss = Session(port, "bench", pw)
            except Exception:
                with lock:
                    errs["search"] += 1
                return
            while time.time() < deadline:
                kind = rnd.choice(["search", "match", "need page"])
                nid = rnd.choice(needs)
                t = time.time()
                ok = True
                try:
                    if kind == "search":
                        ok = ss.post("/api/search", {"query": rnd.choice(QUERIES), "k": 20})[0] == 200
                    elif kind == "match":
                        ok = ss.post("/api/match", {"need": nid, "k": 10})[0] == 200
                    else:
                        for op, body in (("get", {"type": "need", "record": nid, "with_contacts": True}),
                                         ("check", {"need": nid, "candidates": False}), ("match", {"need": nid, "k": 30})):
                            ok = ss.post("/api/" + op, body)[0] == 200 and ok
                except Exception:
                    ok = False
                dt = (time.time() - t) * 1000
                with lock:
                    if not ok:
                        errs[kind] += 1
                    elif t < measure_from:
                        warm_lat.append(dt)
                    else:
                        lat[kind].append(dt)
                # a person reads before the next click: 0.2-1 s
                time.sleep(rnd.uniform(0.2, 1.0))

        th = [threading.Thread(target=session, args=(i,)) for i in range(a.sessions)]
        for t in th:
            t.start()
        for t in th:
            t.join()
        stop.set()
        if importer:
            importer.join()
        rss1 = rss_kb(server.pid)
        cpu_end = (time.time(), cpu_s(server.pid))
        sampler.join()
        # "warm": a quarter of the way in, when every database connection has
        # built its match index and every thread its malloc arena
        t_warm = measure_from + a.seconds / 4.0
        rss_warm = next((r for t, r in rss_samples if t >= t_warm), rss1)
        rss_peak = max(r for _, r in rss_samples)
        out = subprocess.run([jb, "stats", "--json"], env=env, capture_output=True, text=True)
        counts = json.loads(out.stdout) if out.returncode == 0 else {}
        print("jiebang web load: %d sessions, %d s, %d database connections, %d needs / %d experts / %d achievements; "
              "%s; %d cores (load avg %.1f)" % (a.sessions, a.seconds, a.threads, counts.get("needs", 0),
                                                 counts.get("experts", 0), counts.get("achievements", 0),
                                                 "import beside it: %d runs of 200 records (%.1f s median, %.1f s max)" % (
                                                     importer_runs[0], pct(import_s, 50), max(import_s or [0]))
                                                 if not a.no_import else "no import beside it",
                                                 os.cpu_count(), os.getloadavg()[0]))
        print("started (listening) in %.3f s" % started)
        print("%-10s %9s %7s %9s %9s %9s" % ("kind", "requests", "errors", "p50 ms", "p95 ms", "p99 ms"))
        if a.warm_up:
            print("%-10s %9d %7s %9.1f %9.1f %9.1f   (the first %d s, all kinds, not below)" % (
                "warm-up", len(warm_lat), "", pct(warm_lat, 50), pct(warm_lat, 95), pct(warm_lat, 99), a.warm_up))
        for k in lat:
            print("%-10s %9d %7d %9.1f %9.1f %9.1f" % (k, len(lat[k]), errs[k], pct(lat[k], 50), pct(lat[k], 95),
                                                       pct(lat[k], 99)))
        print("server RSS: %.0f MB at start, %.0f MB a quarter of the way in, %.0f MB at the end (peak %.0f MB)" % (
            rss0 / 1024, rss_warm / 1024, rss1 / 1024, rss_peak / 1024))
        anon_warm = next((r for t, r in anon if t >= t_warm), anon[-1][1] if anon else 0)
        print("of which heap (RssAnon): %.0f MB a quarter of the way in, %.0f MB at the end; the rest is the "
              "mapped index files (RssFile)" % (anon_warm / 1024, rss_kb(server.pid, "RssAnon") / 1024))
        if "from" in cpu_mark:
            (t0c, c0), (t1c, c1) = cpu_mark["from"], cpu_end
            print("server CPU: %.1f s in the %.0f s measured (%.2f cores of %d)" % (c1 - c0, t1c - t0c,
                                                                                 (c1 - c0) / (t1c - t0c), os.cpu_count()))
        return 1 if sum(errs.values()) else 0
    finally:
        stop.set()
        if server:
            server.terminate()
            server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
