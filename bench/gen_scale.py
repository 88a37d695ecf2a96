#!/usr/bin/env python3
"""bench/gen_scale.py — deterministic synthetic corpora for the scale benchmark.

    python3 bench/gen_scale.py --items 100000 --needs 10000 --out /tmp/jb-scale/100k
    python3 bench/gen_scale.py --items 1000000 --needs 1000 --out /tmp/jb-scale/1m --jobs 2

Writes OUT/organizations.jsonl, OUT/experts.jsonl, OUT/achievements.jsonl,
OUT/needs.jsonl in jiebang's import format (docs/records.md) and
OUT/manifest.json (parameters and sizes). Same arguments, same bytes: every
chunk of 2,000 records draws from its own generator seeded by (seed, kind,
chunk), so the output does not depend on --jobs.

Text is made at run time from the public evaluation sets in ../shared/eval
(csl: Chinese abstracts, titles and keywords; scifact and rap: English
abstracts): they are split into sentences and clauses and recombined; nothing
of them is stored in the project. Items are topically coherent: each item
picks a topic document (popularity is skewed, as real fields are) and draws
most of its sentences, titles and keywords from that document's nearest
neighbours (tf-idf cosine over words / CJK bigrams), a few from the
neighbours' neighbours and a few from anywhere. Vocabulary keeps growing with
the corpus, as in real data: each record gets coined terms (new Chinese
compounds from keyword halves, letter-digit model codes) drawn from a
Zipf-distributed pool whose size grows with --items; numbers in sentences are
perturbed.

Mix: about 60% of topics Chinese, 40% English; Chinese experts also have
English papers (and the reverse), bios and templates mix both scripts. About
60% of items are experts (1-8 evidence documents: paper/patent/project, each
title + abstract + year), 40% achievements (title, text, keywords); ~2.5 KB of
text per item on average. Needs: title, text, keywords, owned by enterprises.
Python 3 standard library only.
"""
import argparse
import bisect
import json
import math
import multiprocessing as mp
import os
import random
import re
import sys
import time
import zlib

CHUNK = 2000
ZH_SHARE = 0.6
EXPERT_SHARE = 60  # percent of item indices that are experts

# ----------------------------------------------------------------- sources

ZH_SENT_RE = re.compile(r"(?<=[。！？；;!?])|(?<=[^\d\s.])\.(?!\d)")
EN_SENT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])|(?<=[a-z0-9)\]]\.)(?=[A-Z][a-z])")
ZH_CLAUSE_RE = re.compile(r"[，,]")
CJK_RE = re.compile(r"[\u4e00-\u9fff]+")
WORD_RE = re.compile(r"[A-Za-z][A-Za-z-]{2,}")
NUM_RE = re.compile(r"\d+(?:\.\d+)?")
EN_STOP = set("""a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each few for from
further had has have having he her here hers him his how i if in into is it its itself just may me
might more most must my no nor not now of off on once only or other our ours out over own same shall
she should so some such than that the their theirs them then there these they this those through
thus to too under until up upon us very was we were what when where which while who whom whose why
will with within without would you your et al via however therefore whether although either neither
yet using used use based study studies result results show showed shown found method methods paper
propose proposed approach new two one three first second well high low may might data analysis
different among significant significantly including associated compared both increase increased
model models work present provide provides important role effect effects level levels""".split())


def zh_sentences(text):
    out = []
    for s in ZH_SENT_RE.split(text or ""):
        s = s.strip()
        if not s:
            continue
        if s[-1] in ".;；":
            s = s[:-1] + "。"
        elif s[-1] not in "。！？!?":
            s += "。"
        if 8 <= len(s) <= 300:
            out.append(s)
    return out


def en_sentences(text):
    out = []
    for s in EN_SENT_RE.split(text or ""):
        s = s.strip()
        if 30 <= len(s) <= 600:
            out.append(s)
    return out


def cjk_bigrams(text):
    grams = []
    for run in CJK_RE.findall(text or ""):
        grams.extend(run[i:i + 2] for i in range(len(run) - 1))
    return grams


def en_words(text):
    out = []
    for w in WORD_RE.findall(text or ""):
        w = w.lower().strip("-")
        if len(w) < 3 or w in EN_STOP:
            continue
        if w.endswith("s") and len(w) > 4 and not w.endswith("ss"):
            w = w[:-1]
        out.append(w)
    return out


class Doc:
    __slots__ = ("lang", "title", "sents", "clauses", "keywords", "terms", "nb")

    def __init__(self, lang, title, sents, keywords):
        self.lang = lang
        self.title = title
        self.sents = sents
        self.keywords = keywords
        self.clauses = []
        self.terms = None
        self.nb = []


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


def load_sources(eval_dir):
    zh, en = [], []
    seen = set()
    csl = os.path.join(eval_dir, "csl")
    for name in ("items.jsonl", "needs.jsonl"):
        p = os.path.join(csl, name)
        if not os.path.exists(p):
            continue
        for r in read_jsonl(p):
            t = (r.get("title") or "").strip()
            if not t or t in seen:
                continue
            seen.add(t)
            d = Doc("zh", t, zh_sentences(r.get("text")), [k for k in r.get("keywords") or [] if k])
            for s in d.sents:
                parts = [c.strip() for c in ZH_CLAUSE_RE.split(s.rstrip("。！？!?")) if len(c.strip()) >= 4]
                d.clauses.extend(parts)
            zh.append(d)

    def add_en(title, text):
        t = (title or "").strip()
        key = t.lower()
        if not t or key in seen:
            return
        seen.add(key)
        en.append(Doc("en", t.rstrip("."), en_sentences(text), []))

    p = os.path.join(eval_dir, "scifact", "items.jsonl")
    if os.path.exists(p):
        for r in read_jsonl(p):
            add_en(r.get("title"), r.get("text"))
    rap = os.path.join(eval_dir, "rap")
    if os.path.isdir(rap):
        for v in sorted(os.listdir(rap)):
            p = os.path.join(rap, v, "items.jsonl")
            if os.path.exists(p):
                for r in read_jsonl(p):
                    for pp in r.get("papers") or []:
                        add_en(pp.get("title"), pp.get("abstract"))
        p = os.path.join(rap, "needs.jsonl")
        if os.path.exists(p):
            for r in read_jsonl(p):
                add_en(r.get("title"), r.get("text"))
    if len(zh) < 20 or len(en) < 20:
        sys.exit("gen_scale: too little source text in %s (need csl, scifact, rap)" % eval_dir)
    return zh, en


def build_terms(docs, lang):
    """tf-idf term weights per doc; English docs also get derived keywords."""
    df = {}
    raw = []
    for d in docs:
        text = d.title + " " + " ".join(d.sents) + " " + " ".join(d.keywords)
        toks = cjk_bigrams(text) if lang == "zh" else en_words(text)
        tf = {}
        for t in toks:
            tf[t] = tf.get(t, 0) + 1
        raw.append(tf)
        for t in tf:
            df[t] = df.get(t, 0) + 1
    n = len(docs)
    for d, tf in zip(docs, raw):
        w = {t: (1 + math.log(c)) * math.log(1 + n / df[t]) for t, c in tf.items() if df[t] >= 2}
        d.terms = w
    if lang == "en":
        # keyword phrases: adjacent content words (surface form, acronyms kept)
        # shared with a few other documents, and the strongest single words
        pdf = {}
        pairs_of = []
        for d in docs:
            ws = kw_words(d.title + ". " + " ".join(d.sents))
            ps = {}
            for (a, ka), (b, kb) in zip(ws, ws[1:]):
                if a and b and ka != kb:
                    key = ka + " " + kb
                    if key not in ps:
                        ps[key] = [0, a + " " + b]
                    ps[key][0] += 1
            surf = {}
            for a, ka in ws:
                if ka:
                    stem = ka[:-1] if ka.endswith("s") and len(ka) > 4 and not ka.endswith("ss") else ka
                    surf.setdefault(stem, a)
            pairs_of.append((ps, surf))
            for p in ps:
                pdf[p] = pdf.get(p, 0) + 1
        for d, (ps, surf) in zip(docs, pairs_of):
            cand = [(c * math.log(1 + n / pdf[p]), surf) for p, (c, surf) in ps.items()
                    if 3 <= pdf[p] <= n // 30 and (c >= 2 or pdf[p] >= 4)]
            cand.sort(reverse=True)
            kws = [p for _, p in cand[:4]]
            words = sorted(((w, surf[t]) for t, w in d.terms.items() if len(t) >= 6 and t in surf), reverse=True)
            kws += [t for _, t in words[:6 - len(kws)]]
            d.keywords = kws[:6]


EN_GENERIC = set("""even potential limit type vitro vivo within novel recent recently factor factors
specific similar several further major total patient patients human humans cell cells group groups
increase decrease higher lower large small however whereas across overall response responses
activity activities function functions process processes system systems change changes during
number numbers multiple general important critical common known unknown single early late""".split())


def kw_words(text):
    """(surface, key) per word; (None, None) for a break (stopword, number, punctuation)."""
    out = []
    for tok in re.findall(r"[A-Za-z][A-Za-z0-9-]*|[^A-Za-z\s]+", text):
        if not tok[0].isalpha():
            out.append((None, None))
            continue
        low = tok.lower()
        if len(low) < 4 or low in EN_STOP or low in EN_GENERIC:
            out.append((None, None))
            continue
        surf = tok if (tok.isupper() and len(tok) <= 6) else low
        out.append((surf, low))
    return out


def build_neighbours(docs, k=15, qterms=12, maxdf=250):
    post = {}
    for i, d in enumerate(docs):
        for t, w in d.terms.items():
            post.setdefault(t, []).append((i, w))
    norms = [math.sqrt(sum(w * w for w in d.terms.values())) or 1.0 for d in docs]
    for i, d in enumerate(docs):
        top = sorted(d.terms.items(), key=lambda x: -x[1])[:qterms]
        acc = {}
        for t, w in top:
            p = post[t]
            if len(p) > maxdf:
                continue
            for j, wj in p:
                if j != i:
                    acc[j] = acc.get(j, 0.0) + w * wj
        best = sorted(acc.items(), key=lambda x: -x[1] / norms[x[0]])[:k]
        d.nb = [j for j, _ in best]
    for d in docs:
        d.terms = None  # not needed any more


# --------------------------------------------------------------- the world

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红建文辉力鹏飞宇浩凯健俊帆帅旭宁波斌昊然志国庆春晓燕雪琳亮成林海峰坤振东南立新卫晨阳光荣"
RANKS = ["教授", "副教授", "研究员", "副研究员", "高级工程师", "正高级工程师", "讲师", "工程师", "助理研究员"]
REGIONS = ["湖南省/怀化市/辰溪县", "湖南省/怀化市/溆浦县", "湖南省/怀化市/沅陵县", "湖南省/怀化市/鹤城区",
           "湖南省/怀化市", "湖南省/长沙市", "湖南省/湘潭市", "湖南省/株洲市", "湖南省/常德市", "湖南省/邵阳市",
           "湖南省/吉首市", "湖北省/武汉市", "广东省/广州市", "广东省/深圳市", "北京市", "上海市", "江苏省/南京市",
           "浙江省/杭州市", "四川省/成都市", "陕西省/西安市"]
CITY_NAMES = ["辰溪", "溆浦", "怀化", "长沙", "湘潭", "株洲", "常德", "邵阳", "湘西", "岳阳", "衡阳", "益阳", "郴州", "永州", "娄底", "张家界"]
ENT_SUFFIX = ["科技有限公司", "实业有限公司", "新材料股份有限公司", "农业开发有限公司", "生物科技有限公司",
              "智能装备有限公司", "化工有限责任公司", "食品有限公司", "电子有限公司", "建材有限公司", "医药有限公司"]
UNI_SUFFIX = ["大学", "理工大学", "农业大学", "师范大学", "科技大学", "医科大学", "工业职业技术学院", "学院"]
INST_SUFFIX = ["农业科学研究院", "林业科学研究院", "工业技术研究院", "产业技术研究院", "材料研究所", "生物技术研究所"]
PLAT_SUBKIND = ["国家工程技术研究中心", "省级工程技术研究中心", "重点实验室", "星创天地", "新型研发机构", "创新联合体"]
PROGRAMS = [["科技特派员"], ["三区人才"], ["湖湘青年英才"], ["五溪英才"], ["科技特派员", "三区人才"], ["靶向引才"]]
ACH_KINDS = ["patent", "technology", "product", "variety", "standard"]
MATURITY = ["研发", "小试", "中试", "小批量", "产业化"]
ZH_PATENT_T = ["一种{a}的{b}方法", "一种基于{a}的{b}装置", "{a}{b}系统及其控制方法", "一种{a}用{b}及其制备方法"]
ZH_PROJECT_T = ["{a}关键技术研究与示范", "{a}与{b}集成应用", "基于{a}的{b}技术开发", "{a}产业化关键技术"]
ZH_NEED_T = ["{a}关键技术攻关", "{a}工艺优化与{b}", "{a}技术难题", "{a}质量提升", "{a}智能化改造",
             "{a}检测方法研究", "{a}技术需求", "{a}与{b}协同攻关"]
EN_NEED_T = ["Improving {a} for {b}", "Low-cost {a} in production", "{A} for small and medium enterprises",
             "Scaling up {a}", "Reliable {a} under field conditions"]
ZH_BIO = ["长期从事{a}、{b}等方向的研究与技术推广，主持省部级项目{n}项。",
          "主要研究方向为{a}与{b}，在{c}方面积累了丰富经验。",
          "近年来围绕{a}开展产学研合作，服务{place}等地企业{n}家。"]
ZH_COIN_S = ["研制了{t}，并在{place}开展了示范应用。", "围绕{t}开展了{k}研究。", "形成了{t}等关键技术，",
             "项目开发的{t}已在企业中试。"]
EN_COIN_S = ["We also developed the {t} prototype for {k}.", "The {t} system was evaluated in field trials.",
             "A {t} module was integrated with {k}."]
ZH_NEED_OPEN = ["企业目前在{a}方面存在瓶颈，", "我公司{a}生产线面临以下问题：", "现有{a}工艺存在效率低、成本高的问题。"]
ZH_NEED_CLOSE = ["希望与高校院所合作，解决{a}问题，形成可推广的技术方案。", "拟以揭榜挂帅方式征集{a}解决方案，",
                 "要求在两年内完成{a}中试验证。"]
EN_NEED_OPEN = ["Our plant needs a solution for {a}.", "We are looking for expertise in {a}."]
EN_NEED_CLOSE = ["We seek a partner to deliver a pilot within two years.", "A validated method for {a} is required."]
NEED_LISTS = ["2021揭榜挂帅", "2022揭榜挂帅", "2023揭榜挂帅", "县域科技需求库"]


def load_chains(repo):
    p = os.path.join(repo, "corpora", "lexicon", "chains.tsv")
    names = []
    try:
        with open(p, encoding="utf-8") as f:
            next(f)
            for line in f:
                c = line.split("\t")[0].strip()
                if c:
                    names.append(c)
    except OSError:
        pass
    return names or ["现代农业", "新材料", "智能制造", "生物医药"]


def mix(x):
    """64-bit integer hash (splitmix64 finaliser)."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


def is_expert(i, seed):
    return mix(i * 1000003 + seed) % 100 < EXPERT_SHARE


class World:
    """Everything the chunk workers share (built once, read-only)."""

    def __init__(self, args):
        self.seed = args.seed
        self.items = args.items
        zh, en = load_sources(args.eval)
        build_terms(zh, "zh")
        build_terms(en, "en")
        build_neighbours(zh)
        build_neighbours(en)
        self.docs = {"zh": zh, "en": en}
        # topic popularity: a fixed shuffled order, then skewed picks
        self.order = {}
        for lang, docs in self.docs.items():
            o = list(range(len(docs)))
            random.Random("%d:order:%s" % (args.seed, lang)).shuffle(o)
            self.order[lang] = o
        self.zh_kw = sorted({k for d in zh for k in d.keywords if 2 <= len(k) <= 8 and CJK_RE.fullmatch(k)})
        self.en_kw = sorted({k for d in en for k in d.keywords})
        self.zh_titles = [d.title for d in zh]
        self.chains = load_chains(args.repo)
        self.coin_pool = 200 + args.items // 2
        self.zipf_cdf = None
        self.orgs = self.make_orgs(args.orgs)
        self.ents = [o["id"] for o in self.orgs if o["kind"] == "enterprise"]
        self.insts = [o for o in self.orgs if o["kind"] != "enterprise"]

    # -- orgs
    def make_orgs(self, n):
        rng = random.Random("%d:orgs" % self.seed)
        orgs, names = [], set()
        kinds = (["enterprise"] * 45 + ["university"] * 25 + ["institute"] * 18 + ["platform"] * 8 +
                 ["hospital"] * 4)
        unis = []
        for i in range(n):
            kind = kinds[i % len(kinds)]
            city = rng.choice(CITY_NAMES)
            for _ in range(20):
                if kind == "enterprise":
                    name = city + rng.choice(self.zh_kw)[:4] + rng.choice(ENT_SUFFIX)
                elif kind == "university":
                    name = city + rng.choice(UNI_SUFFIX)
                elif kind == "institute":
                    name = city + "市" + rng.choice(INST_SUFFIX)
                elif kind == "platform":
                    name = rng.choice(self.zh_kw)[:4] + rng.choice(PLAT_SUBKIND)
                else:
                    name = city + "市第%d人民医院" % rng.randint(1, 9)
                if name not in names:
                    break
                name += "（%d）" % i
            names.add(name)
            region = rng.choice(REGIONS[:5]) if kind == "enterprise" and rng.random() < 0.7 else rng.choice(REGIONS)
            topic = rng.randrange(len(self.docs["zh"]))
            d = self.docs["zh"][topic]
            o = {"type": "org", "id": "org-%04d" % i, "name": name, "kind": kind, "region": region,
                 "chains": [self.chains[mix(topic) % len(self.chains)]],
                 "keywords": d.keywords[:4],
                 "description": "".join(d.sents[:2]) or d.title}
            if kind == "platform":
                o["subkind"] = rng.choice(PLAT_SUBKIND)
                if unis:
                    o["parent"] = rng.choice(unis)
            if kind == "university":
                unis.append(o["id"])
            orgs.append(o)
        return orgs


W = None  # the world, in each worker


def init_worker(world):
    global W
    W = world


class Gen:
    """One chunk's generator: all randomness from its own seeded Random."""

    def __init__(self, key):
        self.r = random.Random(key)

    def topic(self, lang):
        docs = W.docs[lang]
        o = W.order[lang]
        return o[int(len(o) * self.r.random() ** 1.6)]

    def near(self, lang, t):
        """A document near topic t: itself, a close neighbour, a further one, or noise."""
        docs = W.docs[lang]
        x = self.r.random()
        d = docs[t]
        nb = d.nb
        if x < 0.30 or not nb:
            return d
        if x < 0.85:
            return docs[nb[int(min(5, len(nb)) * self.r.random())]]
        if x < 0.96:
            return docs[nb[int(len(nb) * self.r.random())]]
        if x < 0.99:
            n1 = docs[self.r.choice(nb[:5])]
            return docs[self.r.choice(n1.nb[:5])] if n1.nb else n1
        return self.r.choice(docs)

    def sentence(self, lang, t):
        r = self.r
        for _ in range(6):
            d = self.near(lang, t)
            if d.sents:
                break
        else:
            d = W.docs[lang][t]
            if not d.sents:
                d = r.choice([x for x in W.docs[lang][:50] if x.sents])
        if lang == "zh" and r.random() < 0.4:
            d2 = self.near(lang, t)
            cl = d.clauses + d2.clauses
            if len(cl) >= 2:
                k = r.randint(2, min(4, len(cl)))
                s = "，".join(r.sample(cl, k)) + "。"
            else:
                s = r.choice(d.sents)
        else:
            s = r.choice(d.sents)
        if r.random() < 0.3:
            s = NUM_RE.sub(lambda m: str(r.randint(2, 999)) if "." not in m.group() else "%.1f" % (r.random() * 100), s, count=2)
        return s

    def text(self, lang, t, n):
        out = []
        for _ in range(n + 3):
            s = self.sentence(lang, t)
            if s not in out:
                out.append(s)
            if len(out) == n:
                break
        return ("" if lang == "zh" else " ").join(out)

    def close(self, lang, t):
        """The topic document or one of its three nearest: for titles and keywords."""
        d = W.docs[lang][t]
        x = self.r.random()
        if x < 0.5 or not d.nb:
            return d
        if x < 0.9:
            return W.docs[lang][d.nb[int(min(3, len(d.nb)) * self.r.random())]]
        return self.near(lang, t)

    def keywords(self, lang, t, n):
        out = []
        for _ in range(n * 3):
            d = self.close(lang, t)
            if d.keywords:
                k = self.r.choice(d.keywords)
                if k not in out:
                    out.append(k)
            if len(out) >= n:
                break
        return out

    def title(self, lang, t):
        return self.close(lang, t).title

    def coined(self, lang):
        """A term from a pool that grows with the corpus, Zipf-distributed."""
        r = self.r
        # inverse-CDF of 1/rank on [1, pool]: rank = pool ** u
        rank = int(W.coin_pool ** r.random())
        h = mix(rank * 31 + (1 if lang == "zh" else 2))
        if lang == "zh" and W.zh_kw:
            a = W.zh_kw[h % len(W.zh_kw)]
            b = W.zh_kw[(h >> 21) % len(W.zh_kw)]
            suffix = ["", "技术", "装置", "工艺", "系统", "材料"][(h >> 42) % 6]
            return a[:2] + b[-2:] + suffix
        letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
        return "%s%s%d" % (letters[h % 23], letters[(h >> 8) % 23], 100 + (h >> 16) % 9900)

    def coin_sentence(self, lang, t):
        k = (self.keywords(lang, t, 1) or [""])[0]
        if lang == "zh":
            return self.r.choice(ZH_COIN_S).format(t=self.coined("zh"), k=k, place=self.r.choice(CITY_NAMES))
        return self.r.choice(EN_COIN_S).format(t=self.coined("en"), k=k)

    def other_lang(self, lang, t):
        """The paired topic in the other language (a stable pseudo-translation)."""
        o = "en" if lang == "zh" else "zh"
        return o, mix(t * 7919 + 17) % len(W.docs[o])

    def name(self):
        r = self.r
        return r.choice(SURNAMES) + "".join(r.choice(GIVEN) for _ in range(r.choice((1, 2, 2))))

    def year(self):
        return 2024 - int(20 * self.r.random() ** 1.8)

    # -- records
    def expert(self, i):
        r = self.r
        lang = "zh" if r.random() < ZH_SHARE else "en"
        t = self.topic(lang)
        inst = r.choice(W.insts)
        kws = self.keywords(lang, t, r.randint(3, 6))
        zk = kws if lang == "zh" else self.keywords(*self.other_lang(lang, t), 2) + kws[:2]
        zk = zk or ["技术"]
        bio = r.choice(ZH_BIO).format(a=zk[0], b=zk[-1], c=r.choice(zk), n=r.randint(2, 12),
                                      place=r.choice(CITY_NAMES))
        if r.random() < 0.5:
            bio += self.sentence(lang, t)
        rec = {"type": "expert", "id": "exp-%07d" % i, "name": self.name(), "org": inst["id"],
               "rank": r.choice(RANKS), "fields": kws[:r.randint(1, 2)], "keywords": kws, "bio": bio,
               "region": inst["region"], "capacity": r.choice((0, 1, 1, 1, 2, 2, 3)) if r.random() < 0.98 else 0}
        if r.random() < 0.25:
            rec["programs"] = r.choice(PROGRAMS)
        if r.random() < 0.3:
            rec["contact"] = {"phone": "13%09d" % r.randrange(10 ** 9), "email": "e%d@example.edu.cn" % i}
        papers = []
        npapers = min(8, 1 + int(r.expovariate(1 / 2.2)))
        for j in range(npapers):
            pl, pt = lang, t
            if r.random() < 0.2:
                pl, pt = self.other_lang(lang, t)
            x = r.random()
            kind = "paper" if x < 0.7 else "patent" if x < 0.85 else "project"
            if kind != "paper" and pl == "zh":
                k2 = self.keywords(pl, pt, 2) + ["技术", "材料"]
                tmpl = ZH_PATENT_T if kind == "patent" else ZH_PROJECT_T
                title = r.choice(tmpl).format(a=k2[0], b=k2[1])
            else:
                title = self.title(pl, pt)
            abstract = self.text(pl, pt, r.randint(3, 7))
            if r.random() < 0.3:
                abstract += ("" if pl == "zh" else " ") + self.coin_sentence(pl, pt)
            papers.append({"id": "%s-%07d-%d" % ({"paper": "p", "patent": "pt", "project": "pj"}[kind], i, j + 1),
                           "kind": kind, "title": title, "abstract": abstract, "year": self.year()})
        rec["papers"] = papers
        return rec

    def achievement(self, i):
        r = self.r
        lang = "zh" if r.random() < ZH_SHARE else "en"
        t = self.topic(lang)
        kind = r.choice(ACH_KINDS)
        kws = self.keywords(lang, t, r.randint(3, 6))
        if lang == "zh" and kind in ("patent", "technology", "product") and r.random() < 0.6:
            k2 = kws + ["技术", "装置"]
            title = r.choice(ZH_PATENT_T).format(a=k2[0], b=k2[1])
        else:
            title = self.title(lang, t)
        text = self.text(lang, t, r.randint(6, 14))
        if r.random() < 0.5:
            text += ("" if lang == "zh" else " ") + self.coin_sentence(lang, t)
        if r.random() < 0.3:
            kws.append(self.coined(lang))
        if lang == "en" and r.random() < 0.4:
            kws += self.keywords(*self.other_lang(lang, t), 1)
        rec = {"type": "achievement", "id": "ach-%07d" % i, "title": title, "text": text, "keywords": kws,
               "kind": kind, "maturity": r.choice(MATURITY), "year": self.year()}
        org = r.choice(W.orgs)
        rec["org"] = org["id"]
        if kind == "patent":
            rec["patent_no"] = "ZL%d1%07d.%d" % (r.randint(2010, 2023), r.randrange(10 ** 7), r.randrange(10))
        if r.random() < 0.3:
            j = r.randrange(W.items)
            for _ in range(64):
                if is_expert(j, W.seed):
                    rec["expert"] = "exp-%07d" % j
                    break
                j = (j + 1) % W.items
        if r.random() < 0.3:
            rec["chains"] = [W.chains[mix(t * 3 + (lang == "en")) % len(W.chains)]]
        return rec

    def need(self, i):
        r = self.r
        lang = "zh" if r.random() < ZH_SHARE else "en"
        t = self.topic(lang)
        kws = self.keywords(lang, t, r.randint(3, 5)) or [self.title(lang, t)[:6]]
        a = kws[0]
        b = kws[-1]
        if lang == "zh":
            title = r.choice(ZH_NEED_T).format(a=a, b=b) if r.random() < 0.6 else self.title(lang, t)
            text = (r.choice(ZH_NEED_OPEN).format(a=a) + self.text(lang, t, r.randint(2, 4)) +
                    r.choice(ZH_NEED_CLOSE).format(a=b))
        else:
            title = (r.choice(EN_NEED_T).format(a=a, b=b, A=a[:1].upper() + a[1:]) if r.random() < 0.4
                     else self.title(lang, t))
            text = (r.choice(EN_NEED_OPEN).format(a=a) + " " + self.text(lang, t, r.randint(2, 4)) + " " +
                    r.choice(EN_NEED_CLOSE).format(a=b))
        if r.random() < 0.15:
            text += ("" if lang == "zh" else " ") + self.coin_sentence(lang, t)
        rec = {"type": "need", "id": "need-%06d" % i, "org": r.choice(W.ents), "title": title, "text": text,
               "keywords": kws, "budget": r.choice((10, 20, 30, 50, 80, 100, 200)),
               "deadline": "%d-%02d-28" % (r.randint(2022, 2026), r.randint(1, 12)),
               "status": "open" if r.random() < 0.9 else r.choice(("paired", "closed")),
               "team_size": r.randint(0, 4), "created": "%d-%02d-%02d" % (r.randint(2020, 2024), r.randint(1, 12), r.randint(1, 28))}
        if r.random() < 0.3:
            rec["list"] = r.choice(NEED_LISTS)
        if r.random() < 0.4:
            rec["chains"] = [W.chains[mix(t * 3 + (lang == "en")) % len(W.chains)]]
        if r.random() < 0.5:
            rec["contact"] = {"name": self.name()[0] + "工", "phone": "0745-%07d" % r.randrange(10 ** 7)}
        return rec


def text_bytes(rec):
    n = 0
    for k in ("title", "text", "bio", "description"):
        n += len((rec.get(k) or "").encode())
    for k in ("keywords", "fields"):
        n += sum(len(x.encode()) for x in rec.get(k) or [])
    for p in rec.get("papers") or []:
        n += len(p["title"].encode()) + len(p["abstract"].encode())
    return n


def dumps(rec):
    return json.dumps(rec, ensure_ascii=False, separators=(",", ":"))


def item_chunk(c):
    lo, hi = c * CHUNK, min(W.items, (c + 1) * CHUNK)
    ge = Gen("%d:items:%d" % (W.seed, c))
    ex, ac = [], []
    tb = 0
    for i in range(lo, hi):
        if is_expert(i, W.seed):
            rec = ge.expert(i)
            ex.append(dumps(rec))
        else:
            rec = ge.achievement(i)
            ac.append(dumps(rec))
        tb += text_bytes(rec)
    return "\n".join(ex) + ("\n" if ex else ""), "\n".join(ac) + ("\n" if ac else ""), len(ex), len(ac), tb


def need_chunk(args):
    c, n = args
    lo, hi = c * CHUNK, min(n, (c + 1) * CHUNK)
    ge = Gen("%d:needs:%d" % (W.seed, c))
    out = [dumps(ge.need(i)) for i in range(lo, hi)]
    return "\n".join(out) + ("\n" if out else "")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=10000, help="experts + achievements (default 10000)")
    ap.add_argument("--needs", type=int, default=1000, help="needs (default 1000)")
    ap.add_argument("--orgs", type=int, default=300, help="organizations (default 300)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--eval", default=os.environ.get("JIEBANG_EVAL", os.path.join(repo, "..", "shared", "eval")),
                    help="the evaluation sets to draw text from (default ../shared/eval)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes (output does not depend on it)")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args()
    args.repo = repo
    if args.items < 1 or args.needs < 0:
        ap.error("--items must be >= 1 and --needs >= 0")
    t0 = time.time()
    world = World(args)
    if not args.quiet:
        print("gen_scale: %d zh + %d en source documents, neighbours built in %.1fs" %
              (len(world.docs["zh"]), len(world.docs["en"]), time.time() - t0), file=sys.stderr)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "organizations.jsonl"), "w", encoding="utf-8") as f:
        for o in world.orgs:
            f.write(dumps(o) + "\n")
    nchunks = (args.items + CHUNK - 1) // CHUNK
    nexp = nach = tbytes = 0
    jobs = max(1, args.jobs)
    ctx = mp.get_context("fork")
    pool = ctx.Pool(jobs, initializer=init_worker, initargs=(world,)) if jobs > 1 else None
    if not pool:
        init_worker(world)
    imap = (lambda f, it: pool.imap(f, it, chunksize=1)) if pool else map
    try:
        with open(os.path.join(args.out, "experts.jsonl"), "w", encoding="utf-8") as fe, \
                open(os.path.join(args.out, "achievements.jsonl"), "w", encoding="utf-8") as fa:
            for c, (e, a, ne, na, tb) in enumerate(imap(item_chunk, range(nchunks))):
                fe.write(e)
                fa.write(a)
                nexp += ne
                nach += na
                tbytes += tb
                if not args.quiet and (c + 1) % 25 == 0:
                    print("gen_scale: %d/%d items, %.0f items/s" % ((c + 1) * CHUNK, args.items,
                          (c + 1) * CHUNK / (time.time() - t0)), file=sys.stderr)
        with open(os.path.join(args.out, "needs.jsonl"), "w", encoding="utf-8") as fn:
            for s in imap(need_chunk, [(c, args.needs) for c in range((args.needs + CHUNK - 1) // CHUNK)]):
                fn.write(s)
    finally:
        if pool:
            pool.close()
            pool.join()
    sizes = {n: os.path.getsize(os.path.join(args.out, n)) for n in
             ("organizations.jsonl", "experts.jsonl", "achievements.jsonl", "needs.jsonl")}
    manifest = {"items": args.items, "experts": nexp, "achievements": nach, "needs": args.needs,
                "orgs": len(world.orgs), "seed": args.seed, "text_bytes": tbytes,
                "text_bytes_per_item": round(tbytes / max(1, args.items)), "file_bytes": sizes,
                "generator": "bench/gen_scale.py", "seconds": round(time.time() - t0, 1)}
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    if not args.quiet:
        print("gen_scale: %d experts, %d achievements, %d needs, %d orgs; %.0f text bytes/item; %.1fs -> %s" %
              (nexp, nach, args.needs, len(world.orgs), tbytes / max(1, args.items), time.time() - t0, args.out),
              file=sys.stderr)


if __name__ == "__main__":
    main()
