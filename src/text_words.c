/*
** text_words.c — Chinese words for what a person reads, and for the word
** boundaries the scorer respects.
**
** The index keeps overlapping CJK bigrams (they find every 2+ character
** substring: recall), but a bigram is not a word: 蛋清 inside 洁蛋清洗, 气温
** inside 废气温度, 选与茶籽干 as a "matched term". Words come from friso
** (Debian libfriso-dev + friso-dict: a C segmenter, mmseg complex mode, whose
** dictionary accepts words at run time; see ../shared/notes/chinese-text.md)
** with the domain lexicon's terms added as user words, so that the lexicon
** decides first (稻花鱼, 揭榜挂帅, 无抗 stay whole) and friso's 180,000-word
** dictionary after. ICU was the alternative; it cannot take user words.
**
** The dictionary (23 MB, ~75 ms) is loaded on first use, once per lexicon,
** and then only read: threads share it, each call uses its own friso task.
** Without friso's dictionary on the machine (friso-dict not installed) the
** segmenter still knows the lexicon's terms; every other CJK run is then
** one character per word, which the callers treat as "no word here".
*/
#include "jb_int.h"
#include <friso/friso.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Where friso-dict puts the UTF-8 dictionary and its list of files. */
#define JB_FRISO_DICT_DIR "/usr/share/friso/dict/UTF-8/"

struct jb_words {
  char *key;      /* the lexicon directory and its files' sizes and times */
  struct jb_words *next;
  friso_t friso;
  friso_config_t config;
  int has_dict;   /* friso's own dictionary was found */
  char **user;    /* the lexicon's words (lower-cased), sorted */
  int nuser, capuser;
};

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void add_word(jb_words *w, const char *s, size_t n) {
  while (n && (*s == ' ' || *s == '\t')) s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) n--;
  if (n < 4 || n > 60 || !((unsigned char)s[0] >= 0x80 || (unsigned char)s[n - 1] >= 0x80)) return;
  char *word = jb_strndup(s, n); /* friso keeps the pointer: owned by its dictionary */
  if (!word) return;
  /* lower-case Latin letters: friso folds them before looking words up (3D打印 -> 3d打印) */
  for (char *p = word; *p; p++)
    if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
  if (w->nuser == w->capuser) {
    int cap = w->capuser ? w->capuser * 2 : 256;
    char **v = realloc(w->user, sizeof(char *) * (size_t)cap);
    if (!v) {
      free(word);
      return;
    }
    w->user = v;
    w->capuser = cap;
  }
  if (!(w->user[w->nuser++] = jb_strdup(word))) w->nuser--;
  if (friso_dic_match(w->friso->dic, __LEX_CJK_WORDS__, word)) {
    free(word);
    return;
  }
  friso_dic_add(w->friso->dic, __LEX_CJK_WORDS__, word, NULL);
}

/* The lexicon's terms, synonyms and chain keywords, as user words. */
static void add_lexicon_words(jb_words *w, const char *dir) {
  static const struct { const char *file; const char *seps; int column; } files[] = {
      {"terms.txt", "\n", 0}, {"synonyms.txt", "|", 0}, {"chains.tsv", ";", 3}};
  for (int i = 0; dir && i < JB_ARRAY_LEN(files); i++) {
    jb_buf path = {0};
    jb_buf_printf(&path, "%s/%s", dir, files[i].file);
    FILE *f = fopen(jb_buf_str(&path), "rb");
    jb_buf_free(&path);
    if (!f) continue;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) >= 0) {
      if (line[0] == '#') continue;
      char *p = line;
      for (int c = 0; c < files[i].column && p; c++) p = strchr(p, '\t') ? strchr(p, '\t') + 1 : NULL;
      if (!p) continue;
      p[strcspn(p, files[i].column ? "\t\r\n" : "\r\n")] = 0;
      for (char *q = p;;) {
        size_t k = strcspn(q, files[i].seps);
        add_word(w, q, k);
        if (!q[k]) break;
        q += k + 1;
      }
    }
    free(line);
    fclose(f);
  }
}

static jb_words *words_new(const char *lexdir) {
  jb_words *w = calloc(1, sizeof(*w));
  if (!w || !(w->friso = friso_new()) || !(w->config = friso_new_config())) {
    if (w && w->friso) friso_free(w->friso);
    free(w);
    return NULL;
  }
  friso_init_config(w->config);
  friso_set_mode(w->config, __FRISO_COMPLEX_MODE__);
  /* words as written: no synonyms appended, no second segmentation, no
  ** guessed person names */
  w->config->add_syn = 0;
  w->config->en_sseg = 0;
  w->config->r_name = 0;
  w->config->clr_stw = 0;
  w->friso->dic = friso_dic_new();
  /* The words table starts at 31 slots and is rehashed as it grows to
  ** 180,000 words; made its final size at once, the load takes ~20% less.
  ** Only the table's length changes: the same words, the same lookups. */
  friso_hash_t h = w->friso->dic ? w->friso->dic[__LEX_CJK_WORDS__] : NULL;
  hash_entry_t *table = h && h->size == 0 ? calloc(524287, sizeof(hash_entry_t)) : NULL; /* a prime */
  if (table) {
    free(h->table);
    h->table = table;
    h->length = 524287;
    h->threshold = (uint_t)(h->length * h->factor);
  }
  FILE *probe = fopen(JB_FRISO_DICT_DIR "friso.lex.ini", "rb");
  if (probe) {
    fclose(probe);
    friso_dic_load_from_ifile(w->friso, w->config, JB_FRISO_DICT_DIR, w->config->max_len * 3);
    w->has_dict = friso_all_dic_size(w->friso->dic) > 0;
  }
  add_lexicon_words(w, lexdir);
  jb_qsort(w->user, (size_t)w->nuser, sizeof(char *), cmp_str);
  return w;
}

int jb_words_is_lexicon(const jb_words *w, const char *s, int n) {
  if (!w || n <= 0 || n > 60) return 0;
  char key[64];
  for (int i = 0; i < n; i++) key[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
  key[n] = 0;
  const char *k = key;
  return w->nuser && bsearch(&k, w->user, (size_t)w->nuser, sizeof(char *), cmp_str) != NULL;
}

/* the process's segmenters, see jb_words_get */
static pthread_mutex_t words_mu = PTHREAD_MUTEX_INITIALIZER;
static jb_words *words_kept;

void jb_words_free(jb_words *w) {
  if (!w) return;
  pthread_mutex_lock(&words_mu);
  int kept = 0;
  for (const jb_words *k = words_kept; k && !kept; k = k->next) kept = k == w;
  pthread_mutex_unlock(&words_mu);
  if (kept) return; /* the process's, see jb_words_get */
  friso_free(w->friso); /* frees the dictionary and the words added to it */
  friso_free_config(w->config);
  for (int i = 0; i < w->nuser; i++) free(w->user[i]);
  free(w->user);
  free(w->key);
  free(w);
}

/* Segmenters are made once per process and lexicon, and kept to its end:
** loading friso's dictionary is most of a fresh `match` process's time
** (~250 ms here, freeing it another ~40 ms at exit), and a process that
** opens the database again (web's connection pool, serve, tests) shares
** one instead of loading one per connection. A lexicon is the same when
** its directory and its files' sizes and modification times are. */

static char *words_key(const char *lexdir) {
  static const char *const files[] = {"terms.txt", "synonyms.txt", "chains.tsv"};
  jb_buf k = {0}, path = {0};
  jb_buf_printf(&k, "%s", lexdir ? lexdir : "");
  for (int i = 0; lexdir && i < JB_ARRAY_LEN(files); i++) {
    struct stat st;
    jb_buf_reset(&path);
    jb_buf_printf(&path, "%s/%s", lexdir, files[i]);
    if (stat(jb_buf_str(&path), &st)) memset(&st, 0, sizeof(st));
    jb_buf_printf(&k, "\n%lld %lld.%09ld", (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  }
  jb_buf_free(&path);
  return k.p;
}

const jb_words *jb_words_get(jb_words **slot, const char *lexdir) {
  pthread_mutex_lock(&words_mu);
  if (!*slot) {
    char *key = words_key(lexdir);
    jb_words *w = words_kept;
    while (w && key && strcmp(w->key, key)) w = w->next;
    if (!w && key && (w = words_new(lexdir))) {
      w->key = key;
      key = NULL;
      w->next = words_kept;
      words_kept = w;
    }
    free(key);
    *slot = w;
  }
  jb_words *w = *slot;
  pthread_mutex_unlock(&words_mu);
  return w;
}

static void *words_load(void *lex) {
  jb_lexicon_words(lex);
  return NULL;
}

int jb_words_preload(const jb_lexicon *lex, pthread_t *th) {
  return lex && !pthread_create(th, NULL, words_load, (void *)lex);
}

int jb_words_have_dictionary(const jb_words *w) { return w && w->has_dict; }

int jb_words_split(const jb_words *w, const char *text, int n, void *ctx, jb_word_cb cb) {
  if (!w || !text || n <= 0) return 0;
  /* friso reads a NUL-terminated string and may write into its task only */
  char *copy = jb_strndup(text, (size_t)n);
  friso_task_t t = copy ? friso_new_task() : NULL;
  if (!t) {
    free(copy);
    return -1;
  }
  friso_set_text(t, copy);
  int rc = 0;
  while (!rc && w->config->next_token(w->friso, w->config, t) != NULL) {
    int start = t->token->offset, len = t->token->rlen;
    if (start < 0 || len <= 0 || start + len > n) continue;
    rc = cb(ctx, start, start + len);
  }
  friso_free_task(t);
  free(copy);
  return rc;
}
