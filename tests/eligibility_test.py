#!/usr/bin/env python3
"""eligibility_test.py — no output of jiebang ever proposes a candidate that
a need's exclusion rules forbid.

The rules are re-derived here from the raw records, independently of the
engine (it would not do to ask the engine which candidates it excludes):

  same institution   the candidate is, works for, or (an achievement) is owned
                     by an organization under the same host as an owner of
                     the need (an org's host chain is followed to its top);
  declared conflict  the expert declared a conflict with an organization of
                     an owner's institution;
  inventor           an achievement whose inventor falls under either rule;
  no capacity        an expert with capacity 0 (every path but assign, which
                     takes capacities as a constraint and must not use them
                     either, so it is checked there too);
  via                an institution shown "via" an expert: that expert must
                     be eligible too.

Owners: a need's org; a demand-list row also stands for its duplicates (their
orgs); a common need for all its members; an enterprise placement target
for itself.

Every output path is exercised: match (forward for every need, reverse for
every expert and achievement), batch (--open and --needs FILE), assign (open
needs, each list, enterprise targets), demands (per need and per common
need), check (top candidates) — on the CLI and through serve.

usage: eligibility_test.py JIEBANG [--corpus DIR] [--random SEED] [--workdir DIR]
With --random, the bundled corpus' texts are kept and every relation is
redrawn: employers, hosts, inventors, owners, declared conflicts,
collaborations and capacities.
"""
import argparse
import glob
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile


def read_corpus(d):
    recs = []
    for f in sorted(glob.glob(os.path.join(d, "*.jsonl"))):
        base = os.path.basename(f)
        for line in open(f, encoding="utf-8"):
            line = line.strip()
            if not line:
                continue
            r = json.loads(line)
            if "type" not in r:
                for k, t in (("organization", "org"), ("expert", "expert"), ("achievement", "achievement"),
                             ("need", "need"), ("relation", "conflict")):
                    if base.startswith(k):
                        r["type"] = t
            recs.append(r)
    return recs


def randomize(recs, seed):
    """Same texts, relations redrawn at random."""
    rnd = random.Random(seed)
    orgs = [r for r in recs if r["type"] == "org"]
    experts = [r for r in recs if r["type"] == "expert"]
    oids = [o["id"] for o in orgs]
    inst = [o["id"] for o in orgs if o.get("kind") in ("university", "institute", "hospital")]
    ents = [o["id"] for o in orgs if o.get("kind") == "enterprise"]
    for o in orgs:
        o.pop("parent", None)
        r = rnd.random()
        if o.get("kind") == "platform" or r < 0.15:
            cand = [x for x in (inst if o.get("kind") == "platform" else oids) if x != o["id"]]
            # a host chain of two levels now and then; no cycles (hosts come from a fixed order)
            cand = [x for x in cand if oids.index(x) < oids.index(o["id"])] or cand[:1]
            if cand and rnd.random() < 0.9:
                o["parent"] = rnd.choice(cand)
    # break any cycle the draw made
    parent = {o["id"]: o.get("parent") for o in orgs}
    for o in orgs:
        seen, x = set(), o["id"]
        while x and x not in seen:
            seen.add(x)
            x = parent.get(x)
        if x:
            o.pop("parent", None)
            parent[o["id"]] = None
    for e in experts:
        # employers: often an enterprise, so that "same organization" bites
        e["org"] = rnd.choice(ents if rnd.random() < 0.3 else oids)
        e["capacity"] = rnd.choice([0, 1, 1, 2, 3])
    eids = [e["id"] for e in experts]
    for r in recs:
        if r["type"] == "achievement":
            r["expert"] = rnd.choice(eids) if rnd.random() < 0.7 else None
            if r["expert"] is None:
                r.pop("expert")
            r["org"] = rnd.choice(oids) if rnd.random() < 0.6 else None
            if r["org"] is None:
                r.pop("org")
        elif r["type"] == "need":
            r["org"] = rnd.choice(ents + oids[:3])
    recs = [r for r in recs if r["type"] not in ("conflict", "collaboration")]
    pairs = set()
    for e in eids:
        for _ in range(rnd.choice([0, 0, 1, 2, 4])):
            pairs.add(("conflict", e, rnd.choice(ents + oids)))
        if rnd.random() < 0.3:
            pairs.add(("collaboration", e, rnd.choice(ents)))
    for kind, e, o in sorted(pairs):
        recs.append({"type": kind, "expert": e, "org": o, "note": "随机生成的关系", "year": 2020})
    return recs


class Oracle:
    def __init__(self, recs):
        self.org = {r["id"]: r for r in recs if r["type"] == "org"}
        self.expert = {r["id"]: r for r in recs if r["type"] == "expert"}
        self.ach = {r["id"]: r for r in recs if r["type"] == "achievement"}
        self.need = {r["id"]: r for r in recs if r["type"] == "need"}
        self.conf = {}
        for r in recs:
            if r["type"] == "conflict":
                self.conf.setdefault(r["expert"], []).append(r["org"])

    def root(self, o):
        seen = set()
        while o and o not in seen:
            seen.add(o)
            p = self.org.get(o, {}).get("parent")
            if not p:
                break
            o = p
        return o

    def roots(self, owners):
        return {self.root(o) for o in owners if o}

    def expert_conflict(self, e, R):
        x = self.expert.get(e)
        if x is None:
            return "unknown expert"
        if x.get("org") and self.root(x["org"]) in R:
            return "same institution (%s)" % x["org"]
        for c in self.conf.get(e, []):
            if self.root(c) in R:
                return "declared conflict with %s" % c
        return None

    def why(self, typ, cid, owners, capacity=True):
        """The rule a proposal breaks, or None."""
        R = self.roots(owners)
        if typ == "expert":
            w = self.expert_conflict(cid, R) if R else None
            if w:
                return w
            if capacity and int(self.expert.get(cid, {}).get("capacity", 1)) <= 0:
                return "capacity 0"
            return None
        if not R:
            return None
        if typ == "achievement":
            a = self.ach.get(cid, {})
            inv = a.get("expert")
            owner = a.get("org") or (self.expert.get(inv, {}).get("org") if inv else None)
            if owner and self.root(owner) in R:
                return "owned by %s" % owner
            if inv and self.expert_conflict(inv, R):
                return "inventor %s: %s" % (inv, self.expert_conflict(inv, R))
            return None
        if typ in ("org", "institution"):
            return "same institution" if self.root(cid) in R else None
        return None


class Run:
    def __init__(self, jb, db, oracle):
        self.jb, self.db, self.o = jb, db, oracle
        self.fail = []
        self.checked = {}

    def cli(self, *args):
        p = subprocess.run([self.jb, "--db", self.db] + list(args), capture_output=True, text=True)
        if p.returncode not in (0, 3):
            raise SystemExit("jiebang %s: exit %d: %s" % (" ".join(args), p.returncode, p.stderr[-500:]))
        return p.stdout

    def expect(self, path, need, typ, cid, owners, capacity=True, via=None):
        self.checked[path] = self.checked.get(path, 0) + 1
        w = self.o.why(typ, cid, owners, capacity)
        if w:
            self.fail.append("%s: %s proposes %s %s (owners %s): %s" % (path, need, typ, cid, sorted(owners), w))
        if via:
            self.expect(path + " via", need, "expert", via, owners, capacity)

    def owners_of(self, nid):
        n = self.o.need.get(nid)
        return {n["org"]} if n and n.get("org") else set()

    # -- forward match: every need, CLI and serve
    def match_results(self, path, nid, out):
        for r in out.get("results", []):
            via = (r.get("via") or {}).get("expert")
            self.expect(path, nid, r["type"], r["id"], self.owners_of(nid), via=via)

    def serve(self, reqs):
        p = subprocess.run([self.jb, "--db", self.db, "serve"], input="\n".join(json.dumps(r) for r in reqs) + "\n",
                           capture_output=True, text=True)
        outs = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
        if len(outs) != len(reqs):
            raise SystemExit("serve: %d responses to %d requests: %s" % (len(outs), len(reqs), p.stderr[-300:]))
        return outs

    def all_paths(self, workdir):
        o = self.o
        needs = sorted(o.need)
        open_needs = [n for n in needs if o.need[n].get("status", "open") == "open"]
        # the CLI on a fifth of the needs (and the leak of issue 11); serve on all of them
        for nid in sorted(set(needs[::5]) | ({"need-0067"} & set(needs))):
            self.match_results("match need (cli)", nid, json.loads(self.cli("match", "need", nid, "-k", "25", "--json")))
        reqs = [{"id": i, "op": "match", "need": nid, "k": 25} for i, nid in enumerate(needs)]
        for nid, resp in zip(needs, self.serve(reqs)):
            self.match_results("match need (serve)", nid, resp.get("result", {}))
        # reverse: needs proposed to each expert and achievement
        for typ, ids in (("expert", sorted(o.expert)), ("achievement", sorted(o.ach))):
            reqs = [{"id": i, "op": "match", typ: x, "k": 20} for i, x in enumerate(ids)]
            for x, resp in zip(ids, self.serve(reqs)):
                for r in resp.get("result", {}).get("results", []):
                    self.expect("match %s (reverse)" % typ, r["id"], typ, x, self.owners_of(r["id"]))
        # batch: the stored open needs and a file of need records
        for line in self.cli("batch", "--open", "--format", "jsonl", "-k", "25").splitlines():
            b = json.loads(line)
            for r in b["results"]:
                self.expect("batch --open", b["need"], r["type"], r["id"], self.owners_of(b["need"]))
        nf = os.path.join(workdir, "needs-file.jsonl")
        with open(nf, "w", encoding="utf-8") as f:
            for nid in needs:
                f.write(json.dumps(o.need[nid], ensure_ascii=False) + "\n")
        for line in self.cli("batch", "--needs", nf, "--format", "jsonl", "-k", "25").splitlines():
            b = json.loads(line)
            for r in b["results"]:
                self.expect("batch --needs", b["need"], r["type"], r["id"], self.owners_of(b["need"]))
        # assign: leads and members; enterprise targets
        lists = sorted({o.need[n].get("list") for n in open_needs if o.need[n].get("list")})
        runs = [["--open"]] + [["--list", l] for l in lists] + [["--targets", "orgs"]]
        for args in runs:
            out = json.loads(self.cli("assign", *args, "--format", "json", "--min-score", "0"))
            for p in out.get("pairs", []):
                if "need" in p:
                    self.expect("assign " + args[0], p["need"], "expert", p["expert"], self.owners_of(p["need"]))
                else:
                    self.expect("assign " + args[0], p["target"], "expert", p["expert"], {p["target"]})
        for resp in self.serve([{"id": 1, "op": "assign", "open": True}]):
            for p in resp.get("result", {}).get("pairs", []):
                self.expect("assign (serve)", p["need"], "expert", p["expert"], self.owners_of(p["need"]))
        # demands: per need (with its duplicates) and per common need
        dl = json.loads(self.cli("demands", "--format", "json", "-k", "10"))
        sv = self.serve([{"id": 1, "op": "demands", "k": 10}])[0].get("result", {})
        for path, d in (("demands", dl), ("demands (serve)", sv)):
            for ch in d.get("chains", []):
                for n in ch.get("needs", []):
                    owners = self.owners_of(n["id"]) | {x.get("org") for x in n.get("duplicates", []) if x.get("org")}
                    for e in n.get("experts", []):
                        self.expect(path + " need", n["id"], "expert", e["id"], owners)
                    for a in n.get("achievements", []):
                        self.expect(path + " need", n["id"], "achievement", a["id"], owners)
                for c in ch.get("common_needs", []):
                    owners = set()
                    for m in c.get("needs", []):
                        owners |= self.owners_of(m)
                    owners |= {x["id"] for x in c.get("orgs", []) if x.get("id")}
                    for e in c.get("experts", []):
                        self.expect(path + " common need", c["id"], "expert", e["id"], owners)
                    for a in c.get("achievements", []):
                        self.expect(path + " common need", c["id"], "achievement", a["id"], owners)
        # check: the top candidates it suggests
        reqs = [{"id": i, "op": "check", "need": nid} for i, nid in enumerate(needs)]
        for nid, resp in zip(needs, self.serve(reqs)):
            for x in resp.get("result", {}).get("suggestions", {}).get("top_candidates", []):
                self.expect("check", nid, x["type"], x["id"], self.owners_of(nid))
        for nid in needs[::10]:
            out = json.loads(self.cli("check", "need", nid, "--format", "json"))
            for x in out.get("suggestions", {}).get("top_candidates", []):
                self.expect("check (cli)", nid, x["type"], x["id"], self.owners_of(nid))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("jiebang")
    ap.add_argument("--corpus", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "corpora",
                                                     "chenxi"))
    ap.add_argument("--random", type=int, default=None)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    recs = read_corpus(a.corpus)
    label = "corpus %s" % a.corpus
    if a.random is not None:
        recs = randomize(recs, a.random)
        label = "random relations, seed %d" % a.random
    work = a.workdir or tempfile.mkdtemp(prefix="jb-elig-")
    os.makedirs(work, exist_ok=True)
    db = os.path.join(work, "elig.db")
    for f in glob.glob(db + "*"):
        os.remove(f)
    data = os.path.join(work, "records.jsonl")
    with open(data, "w", encoding="utf-8") as f:
        order = {"org": 0, "expert": 1, "achievement": 2, "need": 3, "conflict": 4, "collaboration": 4}
        for r in sorted(recs, key=lambda r: order.get(r["type"], 5)):
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    p = subprocess.run([a.jiebang, "--db", db, "import", data], capture_output=True, text=True)
    if p.returncode:
        raise SystemExit("import failed: %s" % p.stderr[-500:])
    run = Run(a.jiebang, db, Oracle(recs))
    run.all_paths(work)
    for path in sorted(run.checked):
        print("  %-28s %6d proposals checked" % (path, run.checked[path]))
    if not a.workdir:
        shutil.rmtree(work, ignore_errors=True)
    if run.fail:
        print("%s: %d proposals break an exclusion rule, e.g.:" % (label, len(run.fail)))
        for f in run.fail[:25]:
            print("  " + f)
        return 1
    print("%s: every proposal on every path obeys the exclusion rules" % label)
    return 0


if __name__ == "__main__":
    sys.exit(main())
