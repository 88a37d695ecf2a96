/*
** cmd_search.c — jiebang search QUERY [--type T] [-k N] [--json]
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static void print_text(const cJSON *out) {
  const cJSON *res = cJSON_GetObjectItem(out, "results");
  const char *mode = cJSON_GetObjectItem(out, "mode")->valuestring;
  int n = cJSON_GetArraySize(res);
  if (!n) {
    printf("%s\n", jb_msg(JB_MSG_SEARCH_NONE));
    return;
  }
  if (!strcmp(mode, "any")) printf("%s\n", jb_msg(JB_MSG_SEARCH_ANY));
  int i = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, res) {
    printf("%2d. [%s] %s  %s  (%.2f)\n", ++i, jb_value_label(cJSON_GetObjectItem(r, "type")->valuestring),
           cJSON_GetObjectItem(r, "id")->valuestring, cJSON_GetObjectItem(r, "name")->valuestring,
           cJSON_GetObjectItem(r, "score")->valuedouble);
    const cJSON *ev = cJSON_GetObjectItem(r, "evidence");
    const cJSON *evt = ev ? cJSON_GetObjectItem(ev, "title") : NULL;
    if (cJSON_IsString(evt)) printf("    %s%s\n", jb_msg(JB_MSG_WHY_EVIDENCE), evt->valuestring);
    const cJSON *file = cJSON_GetObjectItem(r, "file");
    if (cJSON_IsString(file)) printf("    file: %s\n", file->valuestring);
    printf("    %s: %s\n", jb_value_label(cJSON_GetObjectItem(r, "matched_in")->valuestring),
           cJSON_GetObjectItem(r, "snippet")->valuestring);
  }
}

int cmd_search(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_SEARCH);
  static const struct option lo[] = {{"type", required_argument, 0, 't'},
                                     {"json", no_argument, 0, 'j'},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  jb_search_opts o = {0};
  int json = 0, ch;
  o.k = 10;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "t:k:jh", lo, NULL)) != -1) {
    switch (ch) {
    case 't': o.type = optarg; break;
    case 'k':
      if ((o.k = cli_parse_int(optarg, 1, 1000)) < 0) return cli_usage(usage, jb_msg(JB_MSG_CLI_OPT_RANGE), "-k", "1..1000");
      break;
    case 'j': json = 1; break;
    case 'h': printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage); return 0;
    default: return cli_usage(usage, jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
    }
  }
  if (optind >= argc) return cli_usage(usage, "%s", jb_msg(JB_MSG_CLI_NO_QUERY));
  /* the query is all remaining words, as typed */
  size_t len = 1;
  for (int i = optind; i < argc; i++) len += strlen(argv[i]) + 1;
  char *q = calloc(1, len);
  if (!q) return EXIT_FAILURE_;
  for (int i = optind; i < argc; i++) {
    if (i > optind) strcat(q, " ");
    strcat(q, argv[i]);
  }
  o.query = q;
  if (!json) {
    o.mark_open = "\x1b[1m";
    o.mark_close = "\x1b[0m";
    if (!isatty(1)) { o.mark_open = "["; o.mark_close = "]"; }
  }
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_READONLY, &db);
  if (code) { free(q); return code; }
  cJSON *out = NULL;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_search(db, &o, &out, &err);
  jb_db_close(db);
  free(q);
  if (rc) return cli_fail(&err, rc);
  if (json) code = cli_print_json(out, 0);
  else print_text(out);
  cJSON_Delete(out);
  return code;
}
