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
#include <time.h>
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
  case JB_ERR_INTERRUPTED: return EXIT_INTERRUPTED;
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

int cli_open(cli_ctx *c, int mode, jb_db **ppDb) {
  jb_open_opts o = {0};
  o.readonly = mode == CLI_OPEN_READONLY;
  o.no_create = mode != CLI_OPEN_CREATE;
  o.lexicon_dir = c->no_lexicon ? "" : c->lexicon_dir;
  o.require_lexicon = !c->no_lexicon;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_db_open(c->db_path, &o, ppDb, &err);
  if (rc == JB_ERR_NOTFOUND) {
    /* say where we looked and why there, and how to make one */
    char abs[4096];
    if (!getcwd(abs, sizeof(abs))) snprintf(abs, sizeof(abs), ".");
    fprintf(stderr, "jiebang: %s\n", err.message);
    fprintf(stderr, jb_msg(c->db_from ? JB_MSG_DB_LOOKED_OPT : JB_MSG_DB_LOOKED_DEFAULT),
            c->db_from ? c->db_from : abs);
    fputc('\n', stderr);
    return cli_exit_code(rc);
  }
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

int cli_binary_to_tty(void) {
  if (!isatty(1)) return 0;
  fprintf(stderr, "jiebang: %s\n", jb_msg(JB_MSG_XLSX_TO_TERMINAL));
  return 1;
}

static int progress_always, open_line;

void cli_progress_end(void) {
  if (open_line) fputc('\n', stderr);
  open_line = 0;
}
void cli_progress_always(void) { progress_always = 1; }

/* Seconds between progress lines when stderr is not a terminal: often
** enough to show a long import is alive, rare enough for a log. */
#define PROGRESS_EVERY 5.0

void cli_progress(const char *what, long done, long total) {
  static struct timespec last;
  static int started, printed;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  if (!started) {
    started = 1;
    last = now;
  }
  if (isatty(2) && !progress_always) {
    fputs("\rjiebang: ", stderr);
    fprintf(stderr, what, done, total);
    open_line = done != total;
    if (!open_line) fputc('\n', stderr);
    return;
  }
  double since = (double)(now.tv_sec - last.tv_sec) + (double)(now.tv_nsec - last.tv_nsec) / 1e9;
  if (since < (progress_always ? 1.0 : PROGRESS_EVERY) && done != total) return;
  if (done == total && !printed) return; /* a short run needs no line */
  last = now;
  printed = 1;
  fputs("jiebang: ", stderr);
  fprintf(stderr, what, done, total);
  fputc('\n', stderr);
}

int cli_parse_int(const char *s, int lo, int hi) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || !end || end == s || *end || v < lo || v > hi) return -1;
  return (int)v;
}
