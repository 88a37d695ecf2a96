#!/usr/bin/env python3
"""zh_text_test.py JIEBANG [--show] — in the default language (Chinese),
what a person reads contains no English words from the program.

Every command's text, CSV, Markdown and HTML output (and help, usage and
common error messages) is run on the bundled corpus with its free-text fields
scrubbed of Latin letters, so that any English word left in the output came
from the program, not from a record. Allowed: record ids and closed-set
values' own ids where a record names them, option names (--format), file
names and formats, and the short ALLOWED list below (names of formats,
programs and standards that Chinese text writes in Latin letters too).
--show prints every output scanned.
"""
import getpass, glob, json, os, re, shutil, subprocess, sys, tempfile

JB = os.path.abspath(sys.argv[1])
SHOW = "--show" in sys.argv
SRC = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Written in Latin letters in Chinese text as well; each with its reason.
ALLOWED = {
    "jiebang",                                  # the program's name
    "JSON", "Lines", "CSV", "Excel", "HTML", "Markdown", "PDF", "Word",  # formats by name
    "xlsx", "xls", "jsonl", "csv", "md", "html", "json", "trec", "txt", "tsv",
    "docx", "pdf", "text", "fods",               # --format values and file types
    "UTF", "BOM", "GBK", "GB", "Unicode", "XML", "zip", "SQLite", "FTS",  # encodings, formats
    "zh", "en",                                  # --lang values
    "Ctrl", "TLS", "nginx", "caddy", "IP", "HTTP", "HTTPS", "LibreOffice", "WPS",
    "SHA", "LP", "BM", "TREC",                   # names of methods
    "MPa",                                       # units in examples
    "AUC", "TSV", "sha",                         # a measure, a format, sha256
    "Real", "Cookie", "Secure",                  # X-Real-IP, a header's name; a cookie's flag
    # words a person types as the command's syntax (jiebang get need ID)
    "need", "expert", "achievement", "org", "evidence", "list", "letter", "sheet",
    "add", "passwd", "disable", "admin", "staff", "viewer", "orgs", "chains",
    "open", "paired", "closed", "all", "yes", "no", "ok", "reject",
    "lead", "member", "accept", "role",          # the --fix file's columns and values, as typed
}
# words of the syntax above are allowed only in help and usage texts
SYNTAX = {"need", "expert", "achievement", "org", "evidence", "list", "letter", "sheet",
          "add", "passwd", "disable", "admin", "staff", "viewer", "orgs", "chains",
          "open", "paired", "closed", "all", "yes", "no", "ok", "reject",
          "lead", "member", "accept", "role",
          # command names, and record field names (which stay English: docs/records.md)
          "import", "export", "search", "attach", "match", "batch", "assign", "demands", "check", "get",
          "publish", "template", "stats", "web", "user", "serve", "reindex", "integrity",
          "set", "outcome", "history", "revert", "undo", "delete", "report", "progress", "learn", "changes",
          "team_size", "team", "size", "file", "type", "status",
          # an outcome's states and fields, typed as they are (jiebang outcome --help)
          "proposed", "contacted", "accepted", "declined", "signed", "completed", "abandoned",
          "date", "reason", "value", "contract", "no", "by", "note", "null", "conflict"}

# record field names (docs/records.md): they stay English
FIELDS = ["type", "id", "org", "title", "text", "keywords", "chains", "budget", "deadline", "created",
          "status", "list", "team_size", "contact", "name", "rank", "fields", "bio", "programs", "region",
          "capacity", "papers", "kind", "maturity", "expert", "year", "note", "description", "parent",
          "file", "abstract", "venue", "patent_no"]

FREE = {"text", "title", "keywords", "bio", "fields", "abstract", "note", "name",
        "description", "rank", "patent_no", "email", "phone"}


def scrub(v, key):
    """Latin letters in free text become 甲, so that English in the output
    can only come from the program."""
    if isinstance(v, dict):
        return {k: scrub(x, k) for k, x in v.items()}
    if isinstance(v, list):
        return [scrub(x, key) for x in v]
    if isinstance(v, str) and key in FREE:
        return re.sub(r"[A-Za-z]+", "甲", v)
    return v


def main():
    tmp = tempfile.mkdtemp(prefix="zhtext")
    try:
        return run(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(tmp):
    ids = {getpass.getuser()}                    # who made a change, in history
    corpus = os.path.join(tmp, "corpus")
    os.mkdir(corpus)
    for f in sorted(glob.glob(os.path.join(SRC, "corpora/chenxi/*.jsonl"))):
        with open(f, encoding="utf-8") as i, open(os.path.join(corpus, os.path.basename(f)), "w",
                                                    encoding="utf-8") as o:
            for line in i:
                r = scrub(json.loads(line), "")
                for k in ("id", "org", "expert", "parent"):
                    if isinstance(r.get(k), str):
                        ids.add(r[k])
                for p in r.get("papers", []):
                    ids.add(p["id"])
                o.write(json.dumps(r, ensure_ascii=False) + "\n")
    env = dict(os.environ)
    env.pop("JIEBANG_LANG", None)
    env["JIEBANG_DB"] = os.path.join(tmp, "t.db")
    env["JIEBANG_LEXICON"] = os.path.join(SRC, "corpora/lexicon")

    def jb(*args, stdin=None):
        p = subprocess.run([JB, *args], cwd=tmp, env=env, input=stdin, capture_output=True)
        return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")

    rc, out, err = jb("import", *sorted(glob.glob(os.path.join(corpus, "*.jsonl"))))
    if rc:
        print("import failed:", err)
        return 1
    with open(os.path.join(tmp, "forbid.csv"), "w") as f:
        f.write("need,expert\nneed-0058,exp-0044\n")
    with open(os.path.join(tmp, "fix.csv"), "w") as f:
        f.write("need,expert,role,accept\nneed-0059,exp-0044,lead,是\nneed-0060,exp-0044,lead,是\n"
                "need-0061,exp-0044,lead,是\n")
    with open(os.path.join(tmp, "bad.csv"), "w") as f:
        f.write("编号,需求名称,所属企业,状态\nb-1,测试,org-chenyou,开房\n")
    lst = "2021揭榜挂帅"
    cases = [
        # (name, args, stdin, is_help)
        ("help", ["--help"], None, True),
        ("no command", [], None, True),
        ("unknown command", ["导出表格"], None, True),
        ("stats", ["stats"], None, False),
        ("get need", ["get", "need", "need-0058"], None, False),
        ("get expert", ["get", "expert", "exp-0044", "--with-contacts"], None, False),
        ("get achievement", ["get", "achievement", "ach-0024"], None, False),
        ("get org", ["get", "org", "org-hunau"], None, False),
        ("get missing", ["get", "need", "need-9999"], None, False),
        ("search", ["search", "油茶", "采收", "-k", "5"], None, False),
        ("search any", ["search", "油茶", "飞机发动机", "-k", "3"], None, False),
        ("match need", ["match", "need", "need-0058", "-k", "5", "--why-not", "exp-0003"], None, False),
        ("match why-not below", ["match", "need", "need-0058", "-k", "3", "--why-not", "exp-0200"], None, False),
        ("match why-not listed", ["match", "need", "need-0058", "-k", "3", "--why-not", "exp-0044"], None, False),
        ("match why-not same org", ["match", "need", "need-0058", "--why-not", "exp-0043"], None, False),
        ("match why-not missing", ["match", "need", "need-0058", "--why-not", "无此人"], None, False),
        ("match text", ["match", "--text", "油茶果烘干设备", "-k", "3"], None, False),
        ("match expert", ["match", "expert", "exp-0044", "-k", "3"], None, False),
        ("match achievement", ["match", "achievement", "ach-0024", "-k", "3"], None, False),
        ("check need", ["check", "need", "need-0058"], None, False),
        ("check short", ["check", "--json", "-", "--format", "text"], '{"title":"希望专家帮助提升产品质量"}', False),
        ("check all", ["check", "--all"], None, False),
        ("assign md", ["assign", "--list", lst, "--format", "md"], None, False),
        ("assign csv", ["assign", "--list", lst, "--format", "csv"], None, False),
        ("assign forbid", ["assign", "--list", lst, "--format", "md", "--forbid", "forbid.csv",
                           "--min-score", "0.3"], None, False),
        ("assign infeasible", ["assign", "--list", lst, "--format", "md", "--fix", "fix.csv",
                               "--capacity", "1"], None, False),
        ("assign targets", ["assign", "--targets", "orgs", "--program", "科技特派员", "--format", "md"], None, False),
        ("batch csv", ["batch", "--open", "-k", "2", "--format", "csv", "--threads", "1"], None, False),
        ("demands md", ["demands", "--format", "md", "--date", "2021-05-01"], None, False),
        ("demands csv", ["demands", "--format", "csv", "--date", "2021-05-01"], None, False),
        ("demands html", ["demands", "--format", "html", "--date", "2021-05-01"], None, False),
        ("demands expired", ["demands", "--format", "md", "--include-expired", "--chain", "油茶"], None, False),
        ("publish list", ["publish", "list", lst], None, False),
        ("publish letter", ["publish", "letter", "need-0058", "exp-0044"], None, False),
        ("publish sheet", ["publish", "sheet", "org-daohuayu"], None, False),
        ("template csv", ["template", "need", "--format", "csv"], None, False),
        ("import bad", ["import", "bad.csv"], None, False),
        ("user list", ["user", "list"], None, False),
        ("integrity", ["integrity"], None, False),
        ("bad format", ["demands", "--format", "pdf"], None, False),
        ("bad option", ["search", "--frob", "x"], None, True),
        # the lifecycle commands (issue 13)
        ("set dry run", ["set", "--dry-run", "need", "need-0058", "budget=200"], None, False),
        ("set bad", ["set", "need", "need-0058", "预算"], None, False),
        # these show the command lines recorded with each change: syntax
        ("history", ["history", "need", "need-0058"], None, True),
        ("changes", ["changes", "-n", "3"], None, True),
        ("report progress md", ["report", "progress", "--year", "2021", "--format", "md"], None, False),
    ]
    for cmd in ("import", "export", "search", "attach", "match", "batch", "assign", "demands", "check",
                "get", "publish", "template", "stats", "web", "user", "serve", "reindex", "integrity",
                "set", "outcome", "history", "revert", "undo", "delete", "report", "learn", "changes"):
        cases.append((cmd + " --help", [cmd, "--help"], None, True))
    bad = {}
    for name, args, stdin, is_help in cases:
        rc, out, err = jb(*args, stdin=stdin.encode() if stdin else None)
        text = out + "\n" + err
        if SHOW:
            print("=== %s (exit %d)\n%s" % (name, rc, text))
        for word, line in english(text, ids, is_help):
            bad.setdefault(word, (name, line.strip()[:160]))
    for word, (name, line) in sorted(bad.items()):
        print("FAIL: %s: English word '%s' in: %s" % (name, word, line))
    print("%d passed, %d failed" % (len(cases) - len({v[0] for v in bad.values()}),
                                    len({v[0] for v in bad.values()})))
    return 1 if bad else 0


def english(text, ids, is_help):
    """(word, line) for each English word a person would read in text."""
    text = re.sub(r"(?is)<(style|script)\b.*?</\1>", " ", text)
    text = re.sub(r"<[^>]*>", " ", text)
    text = re.sub(r"&[a-z]+;|&#\d+;", " ", text)
    for line in text.splitlines():
        scan = line
        scan = re.sub(r"--[A-Za-z][A-Za-z-]*", " ", scan)          # option names
        scan = re.sub(r"\S+@\S+", " ", scan)                       # e-mail addresses
        scan = re.sub(r"[\w./-]*\.(jsonl|csv|xlsx|tsv|txt|md|html|json|db|pdf|docx)\b", " ", scan)
        scan = re.sub(r"(/[\w.-]+)+/?", " ", scan)                 # paths
        scan = re.sub(r"\b(common|dup|profile)-?\d+\b", " ", scan)   # ids the program makes
        scan = re.sub(r"\b[a-z]+-\d+\b", " ", scan)                  # ids a user typed (need-9999)
        scan = re.sub(r"\$?\b[A-Z][A-Z0-9]*_[A-Z0-9_]+\b", " ", scan)  # environment variables
        scan = re.sub(r"\b[0-9a-f]{12,}\b", " ", scan)                # hashes
        # a record field's name beside its Chinese label: 截止日期（deadline）
        scan = re.sub(r"[（(](%s)[）)]" % "|".join(FIELDS), " ", scan)
        # a closed set's accepted input words, each with its meaning: open（开放）
        scan = re.sub(r"\b[a-z_]+（[^）]*）", " ", scan)
        if is_help:
            scan = re.sub(r"\{[^{}]*\}", " ", scan)                  # JSON examples
            scan = re.sub(r"\b[a-z_]+=", " ", scan)                   # field=value arguments
        for tok in re.findall(r"[A-Za-z][A-Za-z0-9_-]*", scan):
            if tok in ids or tok.rstrip("-") in ids:
                continue
            for w in re.findall(r"[A-Za-z]{2,}", tok):
                if (w in ALLOWED and w not in SYNTAX) or (is_help and w in SYNTAX):
                    continue
                yield w, line


if __name__ == "__main__":
    sys.exit(main())
