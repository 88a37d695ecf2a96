/*
** check.c — intake quality: what makes a need hard to match, and what to
** suggest; and a health report over the whole database.
**
** Staff turn vague enterprise requests into needs experts can act on. A
** need is hard to match when it is short, names no parameters, materials,
** processes, defects or targets, sits in no industry chain, or repeats an
** existing need; it is hard to act on without an owner, a deadline or a
** contact. Messages are in Chinese: they are shown to the staff and
** enterprises filling in the form; codes are stable English names.
*/
#include "need.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Below this many characters (title and text) a need says too little. */
#define CHECK_MIN_CHARS 30
/* Technical signals wanted: numbers with units, domain terms, cue words. */
#define CHECK_MIN_SIGNALS 2

/* Words that mark concrete technical content in a need. */
static const char *const cue_words[] = {
    "工艺", "参数", "温度", "湿度", "压力", "含量", "浓度", "强度", "硬度", "精度", "纯度", "缺陷",
    "合格率", "良品率", "成品率", "出油率", "产量", "亩产", "能耗", "电耗", "损耗", "损失", "成本", "效率",
    "配方", "材料", "原料", "设备", "装备", "检测", "指标", "标准", "病害", "虫害", "死亡率", "存活率",
    "发病率", "堵塞", "开裂", "变形", "气孔", "杂质", "残留", "粉尘", "废水", "排放", "腐蚀", "寿命",
    "粒度", "细度", "水分", "含水率", "酸价", "提取", "纯化", "发酵", "烘干", "干燥", "保鲜", "储藏",
    "parameter", "defect", "yield", "temperature", "strength", "process", "material"};

/* Units after a number that make it a parameter: 18%, 120℃, 3 mm ... */
static const char *const units[] = {"%", "％", "℃", "°C", "mm", "cm", "μm", "um", "nm", "MPa", "kPa", "Pa",
                                    "kg", "g", "mg", "t", "吨", "万元", "元", "亩", "米", "公里", "小时", "h",
                                    "min", "天", "年", "kW", "kWh", "度", "V", "A", "Hz", "ppm", "mg/kg",
                                    "m³", "m3", "L", "ml", "个", "台", "倍", "批", "项", "只", "尾", "头"};

static int count_chars(const char *s) {
  int n = 0;
  for (; s && *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

/* Numbers followed by a unit (or a percentage) in s. */
static int count_parameters(const char *s) {
  int n = 0;
  for (const char *p = s; p && *p;) {
    if (*p >= '0' && *p <= '9') {
      while ((*p >= '0' && *p <= '9') || *p == '.' || *p == ',') p++;
      while (*p == ' ') p++;
      for (int u = 0; u < JB_ARRAY_LEN(units); u++)
        if (!strncmp(p, units[u], strlen(units[u]))) {
          n++;
          break;
        }
    } else {
      p++;
    }
  }
  return n;
}

typedef struct lex_hits {
  jb_db *db;
  const char *text;
  char **toks;
  int *start, *end;
  int n, cap;
} lex_hits;

static int lex_tok_cb(void *ctx, int tflags, const char *tok, int ntok, int s, int e) {
  lex_hits *h = ctx;
  if (h->n == h->cap) {
    int cap = h->cap ? h->cap * 2 : 64;
    char **t = realloc(h->toks, sizeof(char *) * (size_t)cap);
    if (!t) return 1;
    h->toks = t;
    int *a = realloc(h->start, sizeof(int) * (size_t)cap);
    if (!a) return 1;
    h->start = a;
    int *b = realloc(h->end, sizeof(int) * (size_t)cap);
    if (!b) return 1;
    h->end = b;
    h->cap = cap;
  }
  h->toks[h->n] = jb_strndup(tok, (size_t)ntok);
  h->start[h->n] = s;
  h->end[h->n] = e;
  h->n++;
  return 0;
}

/* Domain terms of the lexicon found in text, as written there (caller owns
** the array). */
static cJSON *lexicon_terms(jb_db *db, const char *text) {
  cJSON *out = cJSON_CreateArray();
  if (!text || !*text) return out;
  lex_hits h = {db, text, NULL, NULL, NULL, 0, 0};
  jb_tokenize(db->tok, JB_TOKENIZE_QUERY, text, (int)strlen(text), &h, lex_tok_cb);
  for (int i = 0; i < h.n;) {
    int len = jb_lexicon_longest(db->lex, h.toks, h.n, i, NULL);
    if (!len) {
      i++;
      continue;
    }
    char *surface = jb_strndup(text + h.start[i], (size_t)(h.end[i + len - 1] - h.start[i]));
    int dup = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, out) dup |= !strcmp(e->valuestring, surface);
    if (!dup && cJSON_GetArraySize(out) < 12) cJSON_AddItemToArray(out, cJSON_CreateString(surface));
    free(surface);
    i += len;
  }
  for (int i = 0; i < h.n; i++) free(h.toks[i]);
  free(h.toks);
  free(h.start);
  free(h.end);
  return out;
}

static void flag(cJSON *flags, const char *code, const char *severity, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void flag(cJSON *flags, const char *code, const char *severity, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  cJSON *f = cJSON_CreateObject();
  cJSON_AddStringToObject(f, "code", code);
  cJSON_AddStringToObject(f, "severity", severity);
  cJSON_AddStringToObject(f, "message", msg);
  cJSON_AddItemToArray(flags, f);
}

static const char *sget(const cJSON *o, const char *k) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(j) && *j->valuestring ? j->valuestring : NULL;
}

/* The best three candidates the need may be offered (through need.c: its
** owner's exclusions apply), and a flag when there is none. -1: out of memory. */
static int top_candidates(jb_db *db, jb_match_index *mx, const mx_weights *w, const cJSON *need, cJSON *sug,
                          cJSON *flags) {
  mx_scratch *scr = mx_scratch_take(mx);
  if (!scr) return 0; /* as before: no suggestion rather than a failed check */
  nd_need q;
  if (nd_from_json(db, mx, need, 1, &q)) {
    nd_free(&q);
    mx_scratch_give(mx, scr);
    return -1;
  }
  mx_hit *hits = NULL;
  int nh = mx_score_need(db, mx, scr, db->tok, w, &q, 1u << MX_EXPERT | 1u << MX_ACHIEVEMENT | 1u << MX_ORG, 0, 1,
                         &hits);
  int listed = 0;
  cJSON *top = cJSON_AddArrayToObject(sug, "top_candidates");
  for (int i = 0; i < nh; i++) {
    if (nd_excluded(mx, &q, hits[i].unit, ND_ALL, NULL) || listed++ >= 3) continue;
    const mx_unit *u = &mx->units[hits[i].unit];
    cJSON *x = cJSON_CreateObject();
    cJSON_AddStringToObject(x, "type", mx_type_name((mx_type)u->type));
    cJSON_AddStringToObject(x, "id", u->id);
    cJSON_AddStringToObject(x, "name", u->name ? u->name : u->id);
    cJSON_AddNumberToObject(x, "score", round(hits[i].score * 1000) / 1000);
    cJSON_AddItemToArray(top, x);
  }
  cJSON_AddNumberToObject(sug, "candidates_above_floor", listed);
  if (!listed) flag(flags, "no_candidates", "warning", "库中没有达到最低匹配分的专家、成果或机构，请补充技术细节或扩充专家库");
  nd_free(&q);
  mx_scratch_give(mx, scr);
  return 0;
}

/* Checks one need given as a record (from the database or not stored). */
static jb_status check_need(jb_db *db, jb_match_index *mx, const mx_weights *w, const float *norms,
                            const cJSON *need, int candidates, cJSON **ppOut) {
  const char *id = sget(need, "id"), *title = sget(need, "title"), *text = sget(need, "text");
  const cJSON *keywords = cJSON_GetObjectItemCaseSensitive(need, "keywords");
  if (keywords && !cJSON_IsArray(keywords)) keywords = NULL;
  cJSON *out = cJSON_CreateObject();
  id ? cJSON_AddStringToObject(out, "need", id) : cJSON_AddNullToObject(out, "need");
  cJSON *flags = cJSON_AddArrayToObject(out, "flags");
  cJSON *sug = cJSON_AddObjectToObject(out, "suggestions");
  jb_buf all = {0};
  jb_buf_printf(&all, "%s。%s", title ? title : "", text ? text : "");
  const cJSON *k;
  cJSON_ArrayForEach(k, keywords) if (cJSON_IsString(k)) jb_buf_printf(&all, "。%s", k->valuestring);
  const char *body = jb_buf_str(&all);

  /* length and concreteness */
  int chars = count_chars(title) + count_chars(text);
  if (!title) flag(flags, "no_title", "error", "缺少需求名称");
  if (chars < CHECK_MIN_CHARS)
    flag(flags, "too_short", "warning", "需求描述过短（%d字），请写明现状、具体问题、目标指标和希望的合作方式", chars);
  int params = count_parameters(body);
  cJSON *terms = lexicon_terms(db, body);
  int cues = 0;
  for (int i = 0; i < JB_ARRAY_LEN(cue_words); i++) cues += strstr(body, cue_words[i]) != NULL;
  int signals = params + cJSON_GetArraySize(terms) + cues;
  cJSON *sig = cJSON_AddObjectToObject(out, "signals");
  cJSON_AddNumberToObject(sig, "characters", chars);
  cJSON_AddNumberToObject(sig, "parameters", params);
  cJSON_AddNumberToObject(sig, "domain_terms", cJSON_GetArraySize(terms));
  cJSON_AddNumberToObject(sig, "technical_words", cues);
  if (signals < CHECK_MIN_SIGNALS)
    flag(flags, "no_technical_content", "warning",
         "缺少具体技术内容：没有参数、材料、工艺、缺陷或目标指标（例如“出油率由18%%提高到22%%”“砂型抗拉强度≥1.2MPa”），专家难以判断能否解决");
  else if (!params)
    flag(flags, "no_parameters", "info", "建议补充量化指标（现状数值与目标数值），便于专家评估和验收");

  /* chain */
  const cJSON *chains = cJSON_GetObjectItemCaseSensitive(need, "chains");
  int has_chain = cJSON_IsArray(chains) && cJSON_GetArraySize(chains) > 0;
  uint64_t inferred = mx_chains_in_text(db, db->tok, body);
  cJSON *sc = cJSON_AddArrayToObject(sug, "chains");
  for (int i = 0; i < jb_lexicon_nchains(db->lex) && i < 64; i++)
    if (inferred >> i & 1) cJSON_AddItemToArray(sc, cJSON_CreateString(jb_lexicon_chain(db->lex, i)->name));
  if (!has_chain && !inferred) flag(flags, "no_chain", "warning", "未标明所属产业链，且从描述中无法判断");
  else if (!has_chain) flag(flags, "chain_not_set", "info", "未标明所属产业链，建议按描述归入建议的产业链");

  /* owner, deadline, contact */
  if (!sget(need, "org")) flag(flags, "missing_owner", "warning", "缺少需求企业（org）");
  if (!sget(need, "deadline")) flag(flags, "missing_deadline", "info", "缺少期望完成时间（deadline）");
  if (!cJSON_GetObjectItemCaseSensitive(need, "contact")) flag(flags, "missing_contact", "info", "缺少联系人及联系方式");

  /* suggested keywords: the domain terms it uses, besides those it lists */
  cJSON *sk = cJSON_AddArrayToObject(sug, "keywords");
  const cJSON *t;
  cJSON_ArrayForEach(t, terms) {
    int listed = 0;
    cJSON_ArrayForEach(k, keywords) listed |= cJSON_IsString(k) && !strcmp(k->valuestring, t->valuestring);
    if (!listed) cJSON_AddItemToArray(sk, cJSON_CreateString(t->valuestring));
  }
  cJSON_Delete(terms);

  /* duplicates of existing needs */
  dm_vec v = {0};
  cJSON *sim = cJSON_AddArrayToObject(sug, "similar_needs");
  if (mx->demand.ndocs && dm_vec_of_text(mx, db->tok, w, title, keywords, text, &v) == 0) {
    float *s = calloc(mx->demand.ndocs, sizeof(float));
    uint32_t *touched = malloc(sizeof(uint32_t) * mx->demand.ndocs), nt = 0;
    if (s && touched) {
      dm_similar(mx, &v, norms, s, touched, &nt);
      for (int round_ = 0; round_ < 3; round_++) {
        int best = -1;
        for (uint32_t i = 0; i < nt; i++) {
          uint32_t d = touched[i];
          const mx_unit *u = &mx->units[mx->demand.docs[d].unit];
          if (id && !strcmp(u->id, id)) continue;
          if (s[d] >= 0.2f && (best < 0 || s[d] > s[best])) best = (int)d;
        }
        if (best < 0) break;
        const mx_unit *u = &mx->units[mx->demand.docs[best].unit];
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "id", u->id);
        cJSON_AddStringToObject(x, "title", u->name ? u->name : "");
        cJSON_AddNumberToObject(x, "similarity", round(s[best] * 1000) / 1000);
        cJSON_AddItemToArray(sim, x);
        if (s[best] >= JB_DEMAND_DUPLICATE)
          flag(flags, "duplicate", "warning", "与已有需求 %s「%s」高度相似（%.2f），可能重复提交", u->id,
               u->name ? u->name : "", s[best]);
        s[best] = -1;
      }
    }
    free(s);
    free(touched);
  }
  dm_vec_free(&v);

  /* can the matcher find anyone? */
  if (candidates && top_candidates(db, mx, w, need, sug, flags)) {
    cJSON_Delete(out);
    jb_buf_free(&all);
    return JB_ERR_NOMEM;
  }
  int errors = 0;
  const cJSON *f;
  cJSON_ArrayForEach(f, flags) errors += strcmp(cJSON_GetObjectItem(f, "severity")->valuestring, "info") != 0;
  cJSON_AddBoolToObject(out, "ok", errors == 0);
  jb_buf_free(&all);
  *ppOut = out;
  return JB_OK;
}

static jb_status load_need_json(jb_db *db, const char *id, cJSON **out, jb_error *err) {
  return jb_db_get(db, "need", id, 1, out, err);
}

/* The whole database: what keeps needs, experts and achievements from
** meeting. */
static jb_status check_all(jb_db *db, jb_match_index *mx, const mx_weights *w, const float *norms,
                           cJSON **ppOut, jb_error *err) {
  cJSON *out = cJSON_CreateObject();
  cJSON *nocand = cJSON_AddArrayToObject(out, "needs_without_candidates");
  cJSON *vague = cJSON_AddArrayToObject(out, "vague_needs");
  cJSON *noev = cJSON_AddArrayToObject(out, "experts_without_evidence");
  cJSON *never = cJSON_AddArrayToObject(out, "achievements_never_matched");
  cJSON *dups = cJSON_AddArrayToObject(out, "duplicate_groups");
  uint8_t *matched = calloc(mx->nunits ? mx->nunits : 1, 1);
  int *group = malloc(sizeof(int) * (mx->demand.ndocs ? mx->demand.ndocs : 1));
  float *s = calloc(mx->demand.ndocs ? mx->demand.ndocs : 1, sizeof(float));
  uint32_t *touched = malloc(sizeof(uint32_t) * (mx->demand.ndocs ? mx->demand.ndocs : 1));
  mx_scratch *scr = mx_scratch_take(mx);
  jb_status rc = (matched && group && s && touched && scr) ? JB_OK : JB_ERR_NOMEM;
  dm_vec v = {0};
  for (uint32_t d = 0; d < mx->demand.ndocs; d++) group[d] = (int)d;
  for (uint32_t ui = 0; ui < mx->nunits && !rc; ui++) {
    const mx_unit *u = &mx->units[ui];
    if (u->type == MX_EXPERT && u->ndocs == 0) cJSON_AddItemToArray(noev, cJSON_CreateString(u->id));
    if (u->type != MX_NEED) continue;
    /* near-duplicates: union of pairs above the threshold */
    uint32_t nt = 0;
    if (dm_vec_of_doc(mx, u->doc0, &v)) { rc = JB_ERR_NOMEM; break; }
    dm_similar(mx, &v, norms, s, touched, &nt);
    for (uint32_t i = 0; i < nt; i++) {
      uint32_t d = touched[i];
      if (d != u->doc0 && s[d] >= JB_DEMAND_DUPLICATE) {
        int a = (int)u->doc0, b = (int)d;
        while (group[a] != a) a = group[a];
        while (group[b] != b) b = group[b];
        if (a != b) group[a > b ? a : b] = a < b ? a : b;
      }
      s[d] = 0;
    }
    if (!u->open) continue;
    cJSON *rec = NULL;
    if (load_need_json(db, u->id, &rec, err)) { rc = err->code; break; }
    cJSON *one = NULL;
    check_need(db, mx, w, norms, rec, 1, &one);
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(one, "flags")) {
      const char *code = cJSON_GetObjectItem(f, "code")->valuestring;
      cJSON *x = NULL;
      if (!strcmp(code, "no_candidates")) x = nocand;
      else if (!strcmp(code, "no_technical_content")) x = vague;
      if (x) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "id", u->id);
        cJSON_AddStringToObject(e, "title", u->name ? u->name : "");
        cJSON_AddItemToArray(x, e);
      }
    }
    cJSON_Delete(one);
    cJSON_Delete(rec);
    /* achievements in this open need's top ten */
    /* the need by its title only, as before: a cheap, stable probe */
    nd_need q;
    if ((rc = nd_load(db, mx, u->id, &q, err))) break;
    free(q.text);
    q.text = NULL;
    cJSON_Delete(q.keywords);
    q.keywords = NULL;
    mx_hit *hits = NULL;
    int nh = mx_score_need(db, mx, scr, db->tok, w, &q, 1u << MX_ACHIEVEMENT, 10, 1, &hits);
    for (int i = 0, n = 0; i < nh && n < 10; i++)
      if (!nd_excluded(mx, &q, hits[i].unit, ND_ALL, NULL)) matched[hits[i].unit] = 1, n++;
    nd_free(&q);
  }
  for (uint32_t ui = 0; ui < mx->nunits && !rc; ui++)
    if (mx->units[ui].type == MX_ACHIEVEMENT && !matched[ui])
      cJSON_AddItemToArray(never, cJSON_CreateString(mx->units[ui].id));
  for (uint32_t d = 0; d < mx->demand.ndocs && !rc; d++) {
    int root = (int)d;
    while (group[root] != root) root = group[root];
    if (root != (int)d || 0) continue;
    cJSON *g = NULL;
    for (uint32_t e = d + 1; e < mx->demand.ndocs; e++) {
      int r = (int)e;
      while (group[r] != r) r = group[r];
      if (r != (int)d) continue;
      if (!g) {
        g = cJSON_CreateArray();
        cJSON_AddItemToArray(g, cJSON_CreateString(mx->units[mx->demand.docs[d].unit].id));
      }
      cJSON_AddItemToArray(g, cJSON_CreateString(mx->units[mx->demand.docs[e].unit].id));
    }
    if (g) cJSON_AddItemToArray(dups, g);
  }
  dm_vec_free(&v);
  mx_scratch_give(mx, scr);
  free(matched);
  free(group);
  free(s);
  free(touched);
  if (rc) {
    cJSON_Delete(out);
    if (rc == JB_ERR_NOMEM) jb_err_set(err, rc, "out of memory checking the database");
    return rc;
  }
  cJSON *sum = cJSON_AddObjectToObject(out, "summary");
  cJSON_AddNumberToObject(sum, "needs_without_candidates", cJSON_GetArraySize(nocand));
  cJSON_AddNumberToObject(sum, "vague_needs", cJSON_GetArraySize(vague));
  cJSON_AddNumberToObject(sum, "experts_without_evidence", cJSON_GetArraySize(noev));
  cJSON_AddNumberToObject(sum, "achievements_never_matched", cJSON_GetArraySize(never));
  cJSON_AddNumberToObject(sum, "duplicate_groups", cJSON_GetArraySize(dups));
  if ((rc = jb_outcome_audit(db, out, err))) {
    cJSON_Delete(out);
    return rc;
  }
  *ppOut = out;
  return JB_OK;
}

jb_status jb_check(jb_db *db, const jb_check_opts *o, cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  int given = !!o->need_id + !!o->need + !!o->all;
  if (given != 1) {
    jb_err_set(err, JB_ERR_USAGE, "check one need (an id or a record) or the whole database");
    return JB_ERR_USAGE;
  }
  if (o->need && !cJSON_IsObject(o->need)) {
    jb_err_set(err, JB_ERR_USAGE, "a need to check is a JSON object like an imported need record");
    return JB_ERR_USAGE;
  }
  mx_weights w;
  mx_weights_default(&w);
  jb_match_index *mx = NULL;
  jb_status rc = mx_get_checked(db, &w, &mx, err);
  if (rc) return rc;
  const float *norms = dm_norms(mx);
  if (!norms) {
    jb_err_set(err, JB_ERR_NOMEM, "out of memory");
    return JB_ERR_NOMEM;
  }
  if (o->all) {
    rc = check_all(db, mx, &w, norms, ppOut, err);
  } else {
    cJSON *rec = NULL;
    if (o->need_id) rc = load_need_json(db, o->need_id, &rec, err);
    if (!rc) rc = check_need(db, mx, &w, norms, o->need ? o->need : rec, !o->no_candidates, ppOut);
    cJSON_Delete(rec);
  }
  return rc;
}
