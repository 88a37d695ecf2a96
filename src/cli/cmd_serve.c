/*
** cmd_serve.c — jiebang serve: the JSON protocol over stdin/stdout.
** One request per line; one response per line, flushed after each, so a
** client can talk to it through a pipe.
*/
#include "cli.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A request line longer than this is answered with an error and skipped:
** it bounds the memory one request can take. */
#define SERVE_MAX_LINE (4 << 20)

/* Reads one request line (without its end) into *buf, keeping at most
** SERVE_MAX_LINE bytes: the rest of a longer line is read and dropped as it
** comes, so an endless line costs no memory (getline() would hold all of
** it). Returns 1 with *n and *toolong set, 0 at the end of input, -1 when
** out of memory (the line is dropped too). NUL bytes are kept: the protocol
** reports them. */
static int read_request(FILE *in, char **buf, size_t *cap, size_t *n, int *toolong) {
  int ch, any = 0, nomem = 0;
  *n = 0;
  *toolong = 0;
  while ((ch = getc_unlocked(in)) != EOF) {
    any = 1;
    if (ch == '\n') break;
    if (*toolong || nomem) continue;
    if (*n == SERVE_MAX_LINE) {
      *toolong = 1;
      continue;
    }
    if (*n + 1 >= *cap) {
      size_t nc = *cap ? *cap * 2 : 4096;
      if (nc > SERVE_MAX_LINE + 1) nc = SERVE_MAX_LINE + 1;
      char *nb = realloc(*buf, nc);
      if (!nb) {
        nomem = 1;
        continue;
      }
      *buf = nb;
      *cap = nc;
    }
    (*buf)[(*n)++] = (char)ch;
  }
  if (!any) return 0;
  if (*buf) (*buf)[*n] = 0;
  return nomem ? -1 : 1;
}

static cJSON *error_line(const char *code, const char *message) {
  cJSON *resp = cJSON_CreateObject();
  cJSON_AddNullToObject(resp, "id");
  cJSON_AddBoolToObject(resp, "ok", 0);
  cJSON *e = cJSON_AddObjectToObject(resp, "error");
  cJSON_AddStringToObject(e, "code", code);
  cJSON_AddStringToObject(e, "message", message);
  return resp;
}

int cmd_serve(cli_ctx *c, int argc, char **argv) {
  if (argc > 1) {
    printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), jb_msg(JB_MSG_USAGE_SERVE));
    return strcmp(argv[1], "--help") ? EXIT_USAGE : 0;
  }
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_CREATE, &db);
  if (code) return code;
  char *line = NULL;
  size_t cap = 0, n = 0;
  int got, toolong;
  while ((got = read_request(stdin, &line, &cap, &n, &toolong)) != 0) {
    cJSON *resp;
    if (got < 0) {
      resp = error_line(jb_status_name(JB_ERR_NOMEM), "out of memory reading the request");
    } else if (toolong) {
      resp = error_line(jb_status_name(JB_ERR_LIMIT), "request line longer than 4 MiB");
    } else {
      while (n > 0 && line[n - 1] == '\r') line[--n] = 0;
      size_t i = 0;
      while (i < n && (line[i] == ' ' || line[i] == '\t')) i++;
      if (i == n) continue;
      resp = jb_serve_line(db, line, n);
    }
    if (!resp) {
      fputs("{\"id\":null,\"ok\":false,\"error\":{\"code\":\"nomem\",\"message\":\"out of memory\"}}\n", stdout);
    } else {
      cli_print_json(resp, 0);
      cJSON_Delete(resp);
    }
    if (fflush(stdout) != 0) break; /* the client went away */
    /* a big request leaves a big buffer: give it back */
    if (cap > (1 << 20)) {
      free(line);
      line = NULL;
      cap = 0;
    }
  }
  int bad = ferror(stdin);
  free(line);
  jb_db_close(db);
  if (bad) {
    fputs("jiebang: serve: error reading requests\n", stderr);
    return EXIT_DB;
  }
  return 0;
}
