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
  return 0;
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

void cli_file_report(void *ctx, const jb_file_report *r) {
  int only_problems = ctx ? *(const int *)ctx : 0;
  int bad = !strcmp(r->status, "garbage") || !strcmp(r->status, "no_text");
  if (only_problems && !bad) return;
  char where[600] = "";
  if (r->source) snprintf(where, sizeof(where), "%s:%ld: ", r->source, r->line);
  char pages[32] = "";
  if (r->pages) snprintf(pages, sizeof(pages), ", %d pages", r->pages);
  fprintf(stderr, "jiebang: %s%s: %s (%s, %ld bytes%s): ", where, r->record, r->file, r->format, r->size, pages);
  if (!strcmp(r->status, "no_text"))
    fprintf(stderr, "no text layer (a scan?): nothing indexed; attach a text version\n");
  else if (!strcmp(r->status, "garbage"))
    fprintf(stderr, "font-encoding garbage, not words (%ld letters): nothing indexed\n", r->dropped);
  else if (!strcmp(r->status, "partial"))
    fprintf(stderr, "%ld letters indexed, %ld letters of font-encoding garbage dropped\n", r->chars, r->dropped);
  else
    fprintf(stderr, "%ld letters indexed%s%s\n", r->chars, !strcmp(r->status, "unchanged") ? " (unchanged: not extracted again)" : "",
            r->truncated ? " (text cut at the per-file limit)" : "");
}
