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

int cmd_serve(cli_ctx *c, int argc, char **argv) {
  if (argc > 1) {
    printf("usage: jiebang serve\n  reads one JSON request per line on stdin: "
           "{\"id\":1,\"op\":\"search\",\"query\":\"油茶\"}; {\"op\":\"ops\"} lists the ops.\n");
    return strcmp(argv[1], "--help") ? EXIT_USAGE : 0;
  }
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_CREATE, &db);
  if (code) return code;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, stdin)) >= 0) {
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
    size_t i = 0;
    while (i < (size_t)n && (line[i] == ' ' || line[i] == '\t')) i++;
    if (i == (size_t)n) continue;
    cJSON *resp;
    if (n > SERVE_MAX_LINE) {
      resp = cJSON_CreateObject();
      cJSON_AddNullToObject(resp, "id");
      cJSON_AddBoolToObject(resp, "ok", 0);
      cJSON *e = cJSON_AddObjectToObject(resp, "error");
      cJSON_AddStringToObject(e, "code", jb_status_name(JB_ERR_LIMIT));
      cJSON_AddStringToObject(e, "message", "request line longer than 4 MiB");
    } else {
      resp = jb_serve_line(db, line, (size_t)n);
    }
    if (!resp) {
      fputs("{\"id\":null,\"ok\":false,\"error\":{\"code\":\"nomem\",\"message\":\"out of memory\"}}\n", stdout);
    } else {
      cli_print_json(resp, 0);
      cJSON_Delete(resp);
    }
    if (fflush(stdout) != 0) break; /* the client went away */
    /* a huge line leaves a huge buffer: give it back */
    if (cap > (1 << 20)) {
      free(line);
      line = NULL;
      cap = 0;
    }
  }
  free(line);
  jb_db_close(db);
  return 0;
}
