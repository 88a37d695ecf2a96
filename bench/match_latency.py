#!/usr/bin/env python3
"""bench/match_latency.py DB NEEDS.jsonl [N] — p50/p99 of N (default 200) `match need`
requests (k=10) through one `jiebang serve` process, after one warm-up request (which
loads or builds the match index). JIEBANG=/path/to/jiebang picks another build."""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    db, needs = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    exe = os.environ.get("JIEBANG", os.path.join(HERE, "..", "build", "jiebang"))
    ids = [json.loads(line)["id"] for line in open(needs, encoding="utf-8")][:n]
    p = subprocess.Popen([exe, "--db", db, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(req):
        t = time.perf_counter()
        p.stdin.write(json.dumps(req) + "\n")
        p.stdin.flush()
        line = p.stdout.readline()
        if not json.loads(line).get("ok", True):
            sys.exit("request failed: " + line)
        return (time.perf_counter() - t) * 1000

    warm = ask({"op": "match", "need": ids[0], "k": 10})
    ms = sorted(ask({"op": "match", "need": x, "k": 10}) for x in ids)
    print(f"warm-up {warm:.0f} ms; match p50 {ms[len(ms) // 2]:.1f} ms p99 {ms[max(0, int(len(ms) * 0.99) - 1)]:.1f} ms (n={len(ms)})")
    p.stdin.close()
    p.wait()


if __name__ == "__main__":
    main()
