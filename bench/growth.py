#!/usr/bin/env python3
"""bench/growth.py RESULTS.json... — how cost grows with the number of items.

Reads the results.json that bench/scale writes (WORK/results.json) for runs at
several sizes (e.g. 10k, 100k, 1M items) and prints, per size, the costs per
item and per need, and each one's growth from the previous size divided by
the growth in items: 1.0 is linear, below 1 better than linear.

    bench/growth.py /tmp/jiebang-scale/run-10000-1000/results.json \\
                    /tmp/jiebang-scale/run-100000-10000/results.json \\
                    /tmp/jiebang-scale/run-1m/results.json
"""
import json
import statistics
import sys


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(len(v) * p))] if v else float("nan")


def row(r):
    items = r["items"]
    imp, batch, serve = r.get("import", {}), r.get("batch", {}), r.get("serve", {})
    out = {
        "items": items,
        "import cpu us/item": imp.get("cpu", float("nan")) / items * 1e6,
        "import wall us/item": imp.get("s", float("nan")) / items * 1e6,
        "db bytes/item": imp.get("db_bytes", float("nan")) / items,
        "index build ms": serve.get("first_ms", float("nan")),
        "match p50 ms": statistics.median(serve["match_ms"]) if serve.get("match_ms") else float("nan"),
        "match p99 ms": pct(serve.get("match_ms", []), 0.99),
        "batch cpu ms/need": batch.get("cpu", float("nan")) / max(1, batch.get("needs_with_results") or r["needs"]) * 1e3,
        "batch rss MB": batch.get("rss_kb", float("nan")) / 1e3,
    }
    bi = r.get("baseline_import") or {}
    if bi.get("cpu"):
        out["import cpu vs trigram"] = imp.get("cpu", float("nan")) / bi["cpu"]
    return out


def main():
    runs = sorted((json.load(open(p)) for p in sys.argv[1:]), key=lambda r: r["items"])
    if not runs:
        sys.exit(__doc__)
    rows = [row(r) for r in runs]
    keys = [k for k in rows[0] if k != "items"]
    print("%-24s" % "per item / per need" + "".join("%16s" % f"{r['items']:,} items" for r in rows))
    for k in keys:
        print("%-24s" % k + "".join("%16.2f" % r.get(k, float("nan")) for r in rows))
    print()
    print("growth from the previous size, divided by the growth in items (1.0 = linear in items);")
    print("for per-item costs, the growth itself (1.0 = the same cost per item)")
    for k in ("match p50 ms", "match p99 ms", "batch cpu ms/need", "index build ms", "batch rss MB"):
        print("%-24s" % k + "%16s" % "-" + "".join("%16.2f" % ((b[k] / a[k]) / (b["items"] / a["items"]))
                                                  for a, b in zip(rows, rows[1:])))
    for k in ("import cpu us/item", "db bytes/item"):
        print("%-24s" % k + "%16s" % "-" + "".join("%16.2f" % (b[k] / a[k]) for a, b in zip(rows, rows[1:])))


if __name__ == "__main__":
    main()
