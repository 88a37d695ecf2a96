#!/usr/bin/env python3
# bench/match_latency.py DB NEEDS.jsonl — p50/p99 of 200 `match need` requests (k=10) through one
# `jiebang serve` process, after one warm-up request (which loads or builds the match index).
import json, subprocess, sys, time, statistics
db, needs = sys.argv[1], sys.argv[2]
ids = [json.loads(l)['id'] for l in open(needs)][:200]
p = subprocess.Popen([__import__('os').environ.get('JIEBANG', __import__('os').path.join(__import__('os').path.dirname(__import__('os').path.abspath(__file__)), '..', 'build', 'jiebang')), '--db', db, 'serve'], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
def ask(req):
    t = time.perf_counter(); p.stdin.write(json.dumps(req) + '\n'); p.stdin.flush(); line = p.stdout.readline(); return (time.perf_counter() - t) * 1000, line
w, _ = ask({'op': 'match', 'need': ids[0], 'k': 10})
ms = [ask({'op': 'match', 'need': x, 'k': 10})[0] for x in ids]
ms.sort()
print(f'warm-up {w:.0f} ms; match p50 {ms[len(ms)//2]:.1f} ms p99 {ms[int(len(ms)*0.99)-1]:.1f} ms (n={len(ms)})')
p.stdin.close(); p.wait()
