/*
** cli_util.c — opening the database, errors, exit codes and output for the
** commands.
*/
#include "cli.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pwd.h>
#include <unistd.h>

int cli_exit_code(jb_status rc) {
  switch (rc) {
  case JB_OK: return EXIT_OK_;
  case JB_ERR_USAGE: return EXIT_USAGE;
  case JB_ERR_PARSE:
  case JB_ERR_INVALID: return EXIT_DATA;
  case JB_ERR_NOTFOUND: return EXIT_NOTFOUND;
  case JB_ERR_LIMIT: return EXIT_LIMIT;
  case JB_ERR_IO:
  case JB_ERR_DB:
  case JB_ERR_BUSY:
  case JB_ERR_STALE:
  case JB_ERR_CORRUPT: return EXIT_DB;
  default: return EXIT_FAILURE_;
  }
}

int cli_fail(const jb_error *err, jb_status rc) {
  const char *msg = err && err->message[0] ? err->message : jb_status_str(rc);
  fprintf(stderr, "jiebang: %s\n", msg);
  return cli_exit_code(rc);
}

int cli_usage(const char *usage, const char *fmt, ...) {
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    fputs("jiebang: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
  }
  fprintf(stderr, "usage: %s\n", usage);
  return EXIT_USAGE;
}

int cli_open(cli_ctx *c, int readonly, jb_db **ppDb) {
  jb_open_opts o = {0};
  o.readonly = readonly;
  o.lexicon_dir = c->lexicon_dir;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_db_open(c->db_path, &o, ppDb, &err);
  if (rc) return cli_fail(&err, rc);
  if (!readonly && jb_db_set_actor(*ppDb, c->user, c->command)) {
    jb_db_close(*ppDb);
    *ppDb = NULL;
    fputs("jiebang: out of memory\n", stderr);
    return EXIT_FAILURE_;
  }
  return 0;
}

/* A value as a person reads it: text as it is, anything else as JSON, cut
** at 120 bytes on a character boundary. */
static void print_value(const cJSON *v) {
  if (!v) {
    fputs("(absent)", stdout);
    return;
  }
  char *s = cJSON_IsString(v) ? NULL : cJSON_PrintUnformatted(v);
  const char *t = cJSON_IsString(v) ? v->valuestring : s ? s : "?";
  size_t n = strlen(t), cut = n > 120 ? 120 : n;
  while (cut < n && cut > 0 && ((unsigned char)t[cut] & 0xC0) == 0x80) cut--;
  fprintf(stdout, "%.*s%s", (int)cut, t, cut < n ? "…" : "");
  free(s);
}

void cli_print_diff(const cJSON *diff, const char *indent) {
  const cJSON *d;
  cJSON_ArrayForEach(d, diff) {
    printf("%s%s: ", indent, cJSON_GetObjectItem(d, "field")->valuestring);
    print_value(cJSON_GetObjectItem(d, "old"));
    fputs(" → ", stdout);
    print_value(cJSON_GetObjectItem(d, "new"));
    fputc('\n', stdout);
  }
}

int cli_print_changes(const cJSON *changes) {
  const cJSON *r;
  cJSON_ArrayForEach(r, changes) {
    char key[600];
    snprintf(key, sizeof(key), "%s", cJSON_GetObjectItem(r, "key")->valuestring);
    for (char *p = key; *p; p++)
      if (*p == '\t') *p = ' ';
    printf("%s %s: %s\n", cJSON_GetObjectItem(r, "kind")->valuestring, key, cJSON_GetObjectItem(r, "op")->valuestring);
    cli_print_diff(cJSON_GetObjectItem(r, "changes"), "  ");
  }
  return 0;
}

void cli_print_stats(const jb_import_stats *st, int dry_run) {
  fprintf(stderr, "jiebang: %s%ld read, %ld inserted, %ld updated, %ld unchanged, %ld invalid%s",
          dry_run ? "dry run, nothing stored: " : "", st->read, st->inserted, st->updated, st->unchanged,
          st->invalid, st->files_failed ? "; failed files were rolled back, nothing from them was stored" : "");
  if (st->history) fprintf(stderr, "; %ld history lines restored", st->history);
  if (st->first_change && st->first_change == st->last_change)
    fprintf(stderr, "; change %lld (undo: jiebang undo %lld)", st->first_change, st->first_change);
  else if (st->first_change)
    fprintf(stderr, "; changes %lld-%lld (one per file)", st->first_change, st->last_change);
  fputc('\n', stderr);
}

int cli_print_json(const cJSON *o, int pretty) {
  char *s = pretty ? cJSON_Print(o) : cJSON_PrintUnformatted(o);
  if (!s) {
    fputs("jiebang: out of memory\n", stderr);
    return EXIT_FAILURE_;
  }
  fputs(s, stdout);
  fputc('\n', stdout);
  free(s);
  return 0;
}

int cli_finish(int code) {
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "jiebang: error writing output: %s\n", strerror(errno));
    return code ? code : EXIT_FAILURE_;
  }
  return code;
}

int cli_parse_int(const char *s, int lo, int hi) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || !end || end == s || *end || v < lo || v > hi) return -1;
  return (int)v;
}

const char *cli_os_user(void) {
  struct passwd *pw = getpwuid(geteuid());
  if (pw && pw->pw_name && *pw->pw_name) return pw->pw_name;
  const char *u = getenv("USER");
  return u && *u ? u : "unknown";
}

char *cli_join_args(int argc, char **argv) {
  size_t n = 1;
  for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 1;
  char *s = malloc(n), *p = s;
  if (!s) return NULL;
  *p = 0;
  for (int i = 0; i < argc; i++) p += sprintf(p, "%s%s", i ? " " : "", argv[i]);
  return s;
}
