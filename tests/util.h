/*
** util.h — helpers shared by the engine test suites: temporary databases,
** the bundled corpus, capturing exports.
*/
#ifndef JB_TEST_UTIL_H
#define JB_TEST_UTIL_H

#include "jiebang.h"
#include "test.h"
#include <dirent.h>
#include <unistd.h>

static char t_tmpdir[256];

static inline const char *tmp_path(const char *name) {
  static char buf[8][512];
  static int slot;
  if (!t_tmpdir[0]) {
    snprintf(t_tmpdir, sizeof(t_tmpdir), "%s/jbtest-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(t_tmpdir)) { perror("mkdtemp"); exit(2); }
  }
  slot = (slot + 1) % 8;
  snprintf(buf[slot], sizeof(buf[slot]), "%s/%s", t_tmpdir, name);
  return buf[slot];
}

static inline jb_db *open_db(const char *name, int fresh) {
  const char *p = tmp_path(name);
  if (fresh) {
    char x[600];
    unlink(p);
    snprintf(x, sizeof(x), "%s-wal", p); unlink(x);
    snprintf(x, sizeof(x), "%s-shm", p); unlink(x);
    snprintf(x, sizeof(x), "%s.mx", p); unlink(x);
  }
  jb_db *db = NULL;
  jb_error err;
  jb_open_opts o = {0};
  o.lexicon_dir = SOURCE_DIR "/corpora/lexicon";
  if (jb_db_open(p, &o, &db, &err) != JB_OK) {
    fprintf(stderr, "cannot open %s: %s\n", p, err.message);
    exit(2);
  }
  return db;
}

/* The bundled corpus files, sorted as a shell glob would list them. */
static inline int corpus_files(char paths[][512], int max) {
  DIR *d = opendir(SOURCE_DIR "/corpora/chenxi");
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)) && n < max) {
    size_t l = strlen(e->d_name);
    if (l > 6 && !strcmp(e->d_name + l - 6, ".jsonl"))
      snprintf(paths[n++], 512, "%s/corpora/chenxi/%s", SOURCE_DIR, e->d_name);
  }
  if (d) closedir(d);
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && strcmp(paths[j - 1], paths[j]) > 0; j--) {
      char t[512];
      memcpy(t, paths[j], 512);
      memcpy(paths[j], paths[j - 1], 512);
      memcpy(paths[j - 1], t, 512);
    }
  return n;
}

static inline jb_status import_corpus(jb_db *db, jb_import_stats *st) {
  char paths[16][512];
  const char *pp[16];
  int n = corpus_files(paths, 16);
  for (int i = 0; i < n; i++) pp[i] = paths[i];
  jb_error err;
  jb_status rc = jb_import_files(db, pp, n, NULL, st, &err);
  if (rc) fprintf(stderr, "import_corpus: %s\n", err.message);
  return rc;
}

/* The whole database as exported JSON Lines, contacts included (caller frees). */
static inline char *export_all(jb_db *db) {
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  jb_error err;
  if (jb_export(db, f, JB_EXPORT_WITH_CONTACTS, &err) != JB_OK) fprintf(stderr, "export: %s\n", err.message);
  fclose(f);
  return buf;
}

static inline char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  size_t got = fread(b, 1, (size_t)n, f);
  b[got] = 0;
  fclose(f);
  return b;
}

static inline void write_file(const char *path, const char *s) {
  FILE *f = fopen(path, "wb");
  fputs(s, f);
  fclose(f);
}

#endif
