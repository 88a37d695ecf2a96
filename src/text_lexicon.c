/*
** text_lexicon.c — the domain lexicon: synonym groups across languages,
** domain terms, and the industry-chain taxonomy, read at run time from a
** directory (corpora/lexicon by default) so users extend it without a
** rebuild.
**
**   synonyms.txt   one group per line: "3D打印 | 增材制造 | additive manufacturing"
**   terms.txt      one term per line: 稻花鱼, 揭榜挂帅 ...
**   chains.tsv     chain<TAB>parent<TAB>priority<TAB>kw1;kw2;...
**   programs.tsv   program<TAB>description<TAB>eligibility (the names are the
**                  closed set an expert's "programs" are checked against)
**
** Every entry is keyed by its normalized form (the query-mode tokens joined
** by spaces), so "３Ｄ打印", "3d打印" and "3D打印" are one key.
*/
#include "jb_int.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct lex_entry {
  char *norm;     /* key */
  int group;      /* synonym group index, or -1 for a plain term */
  int ntoks;      /* tokens in norm */
} lex_entry;

typedef struct lex_group {
  char **members; /* original spellings */
  int n;
} lex_group;

struct jb_lexicon {
  char *dir;
  lex_entry *entries;   /* open-addressing hash table */
  int cap, count;
  lex_group *groups;
  int ngroups;
  int nterms;
  int max_toks;         /* longest entry in tokens, bounds the longest-match scan */
  jb_chain *chains;
  int nchains;
  char **programs;
  int nprograms;
  uint64_t hash;        /* of what the index depends on (not the programs) */
};

static uint32_t str_hash(const char *s) {
  return (uint32_t)jb_hash64(s, strlen(s), 0);
}

static lex_entry *lex_find(const jb_lexicon *lex, const char *norm) {
  if (!lex || !lex->cap) return NULL;
  uint32_t h = str_hash(norm) & (uint32_t)(lex->cap - 1);
  while (lex->entries[h].norm) {
    if (!strcmp(lex->entries[h].norm, norm)) return &lex->entries[h];
    h = (h + 1) & (uint32_t)(lex->cap - 1);
  }
  return NULL;
}

static int lex_grow(jb_lexicon *lex) {
  if (lex->count * 2 < lex->cap) return 0;
  int cap = lex->cap ? lex->cap * 2 : 256;
  lex_entry *e = calloc((size_t)cap, sizeof(*e));
  if (!e) return -1;
  for (int i = 0; i < lex->cap; i++) {
    if (!lex->entries[i].norm) continue;
    uint32_t h = str_hash(lex->entries[i].norm) & (uint32_t)(cap - 1);
    while (e[h].norm) h = (h + 1) & (uint32_t)(cap - 1);
    e[h] = lex->entries[i];
  }
  free(lex->entries);
  lex->entries = e;
  lex->cap = cap;
  return 0;
}

/* Adds a key; a term never overrides a synonym group (the group is richer). */
static int lex_add(jb_lexicon *lex, const char *norm, int group) {
  if (!*norm) return 0;
  lex_entry *old = lex_find(lex, norm);
  if (old) {
    if (old->group < 0 && group >= 0) old->group = group;
    return 0;
  }
  if (lex_grow(lex)) return -1;
  int ntoks = 1;
  for (const char *p = norm; *p; p++) ntoks += (*p == ' ');
  uint32_t h = str_hash(norm) & (uint32_t)(lex->cap - 1);
  while (lex->entries[h].norm) h = (h + 1) & (uint32_t)(lex->cap - 1);
  lex->entries[h].norm = jb_strdup(norm);
  if (!lex->entries[h].norm) return -1;
  lex->entries[h].group = group;
  lex->entries[h].ntoks = ntoks;
  lex->count++;
  if (ntoks > lex->max_toks) lex->max_toks = ntoks;
  return 0;
}

static char *trim(char *s) {
  while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n'))
    s[--n] = 0;
  return s;
}

/* Reads a text file line by line; cb gets each trimmed, non-comment line. */
typedef jb_status (*line_cb)(jb_lexicon *lex, jb_tokenizer *tok, char *line,
                             const char *path, long lineno, jb_error *err);

static jb_status read_lines(jb_lexicon *lex, jb_tokenizer *tok, const char *dir,
                            const char *name, line_cb cb, jb_error *err) {
  jb_buf path = {0};
  jb_buf_printf(&path, "%s/%s", dir, name);
  FILE *f = fopen(jb_buf_str(&path), "rb");
  if (!f) {
    jb_buf_free(&path);
    return JB_OK; /* a missing file is an empty one */
  }
  jb_status rc = JB_OK;
  char *line = NULL;
  size_t cap = 0;
  long lineno = 0;
  ssize_t got;
  while ((got = getline(&line, &cap, f)) >= 0) {
    lineno++;
    if (jb_utf8_invalid_at(line, (size_t)got) >= 0) {
      jb_err_at(err, JB_ERR_PARSE, path.p, lineno, NULL, "invalid UTF-8");
      rc = JB_ERR_PARSE;
      break;
    }
    char *s = line;
    if (lineno == 1 && !strncmp(s, "\xEF\xBB\xBF", 3)) s += 3;
    s = trim(s);
    if (!*s || *s == '#') continue;
    rc = cb(lex, tok, s, path.p, lineno, err);
    if (rc) break;
  }
  free(line);
  fclose(f);
  jb_buf_free(&path);
  return rc;
}

static jb_status nomem(jb_error *err) {
  jb_err_set(err, JB_ERR_NOMEM, "out of memory loading the lexicon");
  return JB_ERR_NOMEM;
}

static jb_status on_synonym(jb_lexicon *lex, jb_tokenizer *tok, char *line,
                            const char *path, long lineno, jb_error *err) {
  lex_group g = {0};
  jb_buf norm = {0};
  for (char *save = NULL, *m = strtok_r(line, "|", &save); m; m = strtok_r(NULL, "|", &save)) {
    m = trim(m);
    if (!*m) continue;
    char **mm = realloc(g.members, sizeof(char *) * (size_t)(g.n + 1));
    if (!mm) goto oom;
    g.members = mm;
    if (!(g.members[g.n] = jb_strdup(m))) goto oom;
    g.n++;
  }
  if (g.n < 2) {
    for (int i = 0; i < g.n; i++) free(g.members[i]);
    free(g.members);
    jb_err_at(err, JB_ERR_PARSE, path, lineno, NULL,
              "a synonym group needs two or more terms separated by '|'");
    return JB_ERR_PARSE;
  }
  lex_group *gs = realloc(lex->groups, sizeof(*gs) * (size_t)(lex->ngroups + 1));
  if (!gs) goto oom;
  lex->groups = gs;
  lex->groups[lex->ngroups] = g;
  for (int i = 0; i < g.n; i++) {
    jb_text_normalize(tok, g.members[i], (int)strlen(g.members[i]), &norm);
    if (lex_add(lex, jb_buf_str(&norm), lex->ngroups)) { lex->ngroups++; jb_buf_free(&norm); return nomem(err); }
    lex->hash = jb_hash64(g.members[i], strlen(g.members[i]), lex->hash);
  }
  lex->ngroups++;
  jb_buf_free(&norm);
  return JB_OK;
oom:
  for (int i = 0; i < g.n; i++) free(g.members[i]);
  free(g.members);
  jb_buf_free(&norm);
  return nomem(err);
}

static jb_status on_term(jb_lexicon *lex, jb_tokenizer *tok, char *line,
                         const char *path, long lineno, jb_error *err) {
  jb_buf norm = {0};
  char *tab = strchr(line, '\t');
  if (tab) *tab = 0;
  jb_text_normalize(tok, line, (int)strlen(line), &norm);
  int rc = lex_add(lex, jb_buf_str(&norm), -1);
  jb_buf_free(&norm);
  if (rc) return nomem(err);
  lex->nterms++;
  lex->hash = jb_hash64(line, strlen(line), lex->hash ^ 0x7465726dULL);
  return JB_OK;
}

static jb_status on_chain(jb_lexicon *lex, jb_tokenizer *tok, char *line,
                          const char *path, long lineno, jb_error *err) {
  char *col[4] = {0};
  int nc = 0;
  char *p = line;
  while (nc < 4) {
    col[nc++] = p;
    char *t = strchr(p, '\t');
    if (!t) break;
    *t = 0;
    p = t + 1;
  }
  if (!strcmp(trim(col[0]), "chain")) return JB_OK; /* header */
  if (nc < 3) {
    jb_err_at(err, JB_ERR_PARSE, path, lineno, NULL,
              "expected chain<TAB>parent<TAB>priority<TAB>keywords");
    return JB_ERR_PARSE;
  }
  char *end = NULL;
  errno = 0;
  long prio = strtol(trim(col[2]), &end, 10);
  if (errno || !end || *end || prio < 0 || prio > 100) {
    jb_err_at(err, JB_ERR_PARSE, path, lineno, "priority", "not a number 0-100: '%s'", col[2]);
    return JB_ERR_PARSE;
  }
  jb_chain *cs = realloc(lex->chains, sizeof(*cs) * (size_t)(lex->nchains + 1));
  if (!cs) return nomem(err);
  lex->chains = cs;
  jb_chain *c = &lex->chains[lex->nchains];
  memset(c, 0, sizeof(*c));
  c->name = jb_strdup(trim(col[0]));
  c->parent = jb_strdup(trim(col[1]));
  c->priority = (int)prio;
  lex->nchains++;
  if (!c->name || !c->parent) return nomem(err);
  lex->hash = jb_hash64(line, strlen(line), lex->hash ^ 0x636861ULL);
  jb_buf norm = {0};
  /* the chain's own name is always one of its keywords */
  char *kwline = nc > 3 ? col[3] : "";
  jb_buf all = {0};
  jb_buf_printf(&all, "%s;%s", c->name, kwline);
  for (char *save = NULL, *k = strtok_r(all.p, ";；", &save); k; k = strtok_r(NULL, ";；", &save)) {
    k = trim(k);
    if (!*k) continue;
    jb_text_normalize(tok, k, (int)strlen(k), &norm);
    if (!norm.n) continue;
    char **kk = realloc(c->keywords, sizeof(char *) * (size_t)(c->nkeywords + 1));
    if (!kk) { jb_buf_free(&norm); jb_buf_free(&all); return nomem(err); }
    c->keywords = kk;
    c->keywords[c->nkeywords++] = jb_strdup(norm.p);
  }
  jb_buf_free(&norm);
  jb_buf_free(&all);
  return JB_OK;
}

static jb_status on_program(jb_lexicon *lex, jb_tokenizer *tok, char *line,
                            const char *path, long lineno, jb_error *err) {
  char *tab = strchr(line, '\t');
  if (tab) *tab = 0;
  char *name = trim(line);
  if (!*name || !strcmp(name, "program")) return JB_OK; /* header */
  char **ps = realloc(lex->programs, sizeof(char *) * (size_t)(lex->nprograms + 1));
  if (!ps) return nomem(err);
  lex->programs = ps;
  if (!(lex->programs[lex->nprograms] = jb_strdup(name))) return nomem(err);
  lex->nprograms++;
  return JB_OK;
}

jb_status jb_lexicon_load(const char *dir, jb_tokenizer *tok, jb_lexicon **ppLex,
                          jb_error *err) {
  *ppLex = NULL;
  jb_lexicon *lex = calloc(1, sizeof(*lex));
  if (!lex) return nomem(err);
  lex->dir = jb_strdup(dir ? dir : "");
  jb_status rc = JB_OK;
  if (dir && *dir) {
    rc = read_lines(lex, tok, dir, "synonyms.txt", on_synonym, err);
    if (!rc) rc = read_lines(lex, tok, dir, "terms.txt", on_term, err);
    if (!rc) rc = read_lines(lex, tok, dir, "chains.tsv", on_chain, err);
    if (!rc) rc = read_lines(lex, tok, dir, "programs.tsv", on_program, err);
  }
  if (rc) {
    jb_lexicon_free(lex);
    return rc;
  }
  *ppLex = lex;
  return JB_OK;
}

void jb_lexicon_free(jb_lexicon *lex) {
  if (!lex) return;
  for (int i = 0; i < lex->cap; i++) free(lex->entries[i].norm);
  free(lex->entries);
  for (int i = 0; i < lex->ngroups; i++) {
    for (int j = 0; j < lex->groups[i].n; j++) free(lex->groups[i].members[j]);
    free(lex->groups[i].members);
  }
  free(lex->groups);
  for (int i = 0; i < lex->nchains; i++) {
    free(lex->chains[i].name);
    free(lex->chains[i].parent);
    for (int j = 0; j < lex->chains[i].nkeywords; j++) free(lex->chains[i].keywords[j]);
    free(lex->chains[i].keywords);
  }
  free(lex->chains);
  for (int i = 0; i < lex->nprograms; i++) free(lex->programs[i]);
  free(lex->programs);
  free(lex->dir);
  free(lex);
}

uint64_t jb_lexicon_hash(const jb_lexicon *lex) { return lex ? lex->hash : 0; }
const char *jb_lexicon_dir(const jb_lexicon *lex) { return lex ? lex->dir : ""; }
int jb_lexicon_nchains(const jb_lexicon *lex) { return lex ? lex->nchains : 0; }
int jb_lexicon_nterms(const jb_lexicon *lex) { return lex ? lex->nterms + lex->ngroups : 0; }

int jb_lexicon_nprograms(const jb_lexicon *lex) { return lex ? lex->nprograms : 0; }
const char *jb_lexicon_program(const jb_lexicon *lex, int i) {
  return (lex && i >= 0 && i < lex->nprograms) ? lex->programs[i] : NULL;
}

const jb_chain *jb_lexicon_chain(const jb_lexicon *lex, int i) {
  return (lex && i >= 0 && i < lex->nchains) ? &lex->chains[i] : NULL;
}

const jb_chain *jb_lexicon_find_chain(const jb_lexicon *lex, const char *name) {
  for (int i = 0; lex && i < lex->nchains; i++)
    if (!strcmp(lex->chains[i].name, name)) return &lex->chains[i];
  return NULL;
}

const char *jb_chain_resolve(const jb_lexicon *lex, const char *name) {
  static const char *const suffixes[] = {"产业链", "产业", "行业", "链"};
  char core[256];
  const char *p = name;
  while (*p == ' ') p++;
  snprintf(core, sizeof(core), "%s", p);
  size_t n = strlen(core);
  while (n && core[n - 1] == ' ') core[--n] = 0;
  for (int i = 0; lex && i < lex->nchains; i++)
    if (!strcasecmp(lex->chains[i].name, core)) return lex->chains[i].name;
  for (int s = 0; s < (int)(sizeof(suffixes) / sizeof(suffixes[0])); s++) {
    size_t k = strlen(suffixes[s]);
    if (n <= k || strcmp(core + n - k, suffixes[s])) continue;
    core[n - k] = 0;
    for (int i = 0; lex && i < lex->nchains; i++)
      if (!strcasecmp(lex->chains[i].name, core)) return lex->chains[i].name;
    core[n - k] = suffixes[s][0];
  }
  return NULL;
}

int jb_lexicon_synonyms(const jb_lexicon *lex, const char *norm,
                        const char *const **members) {
  lex_entry *e = lex_find(lex, norm);
  if (!e || e->group < 0) return 0;
  *members = (const char *const *)lex->groups[e->group].members;
  return lex->groups[e->group].n;
}

int jb_lexicon_longest(const jb_lexicon *lex, char **toks, int ntoks, int i,
                       char **normOut) {
  if (!lex || !lex->count) return 0;
  jb_buf key = {0};
  int best = 0;
  int maxj = i + lex->max_toks;
  if (maxj > ntoks) maxj = ntoks;
  for (int j = i; j < maxj; j++) {
    if (j > i) jb_buf_addc(&key, ' ');
    jb_buf_adds(&key, toks[j]);
    if (key.oom) break;
    if (lex_find(lex, key.p)) best = j - i + 1;
  }
  if (best && normOut) {
    jb_buf_reset(&key);
    for (int j = i; j < i + best; j++) {
      if (j > i) jb_buf_addc(&key, ' ');
      jb_buf_adds(&key, toks[j]);
    }
    *normOut = jb_strdup(jb_buf_str(&key));
  }
  jb_buf_free(&key);
  return best;
}
