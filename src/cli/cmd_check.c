/*
** cmd_check.c — jiebang check need ID | --json FILE|- | --all
** Intake quality of a need (flags and suggestions) or of the whole database.
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "jiebang check need ID | --json FILE (or - for stdin) | --all   [--format text|json]\n"
    "  Flags what makes a need hard to match (too short, no technical content, no chain,\n"
    "  missing owner/deadline/contact, duplicates) and suggests keywords and a chain.\n"
    "  --all reports needs without candidates, experts without evidence, achievements\n"
    "  never matched, duplicate groups, experts who declined twice or more and needs still\n"
    "  open past their deadline (expired). Exit 0 when nothing needs fixing, 3 otherwise.";

static void print_need_text(const cJSON *r) {
  const cJSON *need = cJSON_GetObjectItem(r, "need");
  printf("%s: %s\n", cJSON_IsString(need) ? need->valuestring : jb_msg(JB_MSG_VAL_NEED),
         jb_msg(cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")) ? JB_MSG_CHECK_OK : JB_MSG_CHECK_NEEDS_WORK));
  const cJSON *f;
  cJSON_ArrayForEach(f, cJSON_GetObjectItem(r, "flags"))
  printf("  [%s] %s: %s\n", cJSON_GetObjectItem(f, "severity")->valuestring, cJSON_GetObjectItem(f, "code")->valuestring,
         cJSON_GetObjectItem(f, "message")->valuestring);
  const cJSON *s = cJSON_GetObjectItem(r, "suggestions"), *e;
  const char *lists[] = {"keywords", "chains"};
  for (int i = 0; i < 2; i++) {
    const cJSON *a = cJSON_GetObjectItem(s, lists[i]);
    if (!cJSON_GetArraySize(a)) continue;
    printf("  %s", jb_msg(i ? JB_MSG_CHECK_SUGGESTED_CHAINS : JB_MSG_CHECK_SUGGESTED_KEYWORDS));
    cJSON_ArrayForEach(e, a) printf(" %s", e->valuestring);
    printf("\n");
  }
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(s, "similar_needs"))
  printf(jb_msg(JB_MSG_CHECK_SIMILAR), cJSON_GetObjectItem(e, "id")->valuestring, cJSON_GetObjectItem(e, "title")->valuestring,
         cJSON_GetObjectItem(e, "similarity")->valuedouble);
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(s, "top_candidates"))
  printf(jb_msg(JB_MSG_CHECK_CANDIDATE), jb_value_label(cJSON_GetObjectItem(e, "type")->valuestring),
         cJSON_GetObjectItem(e, "id")->valuestring, cJSON_GetObjectItem(e, "name")->valuestring,
         cJSON_GetObjectItem(e, "score")->valuedouble);
}

static void print_all_text(const cJSON *r) {
  const cJSON *sum = cJSON_GetObjectItem(r, "summary"), *e;
  cJSON_ArrayForEach(e, sum) printf("%-28s %d\n", e->string, e->valueint);
  const char *lists[] = {"needs_without_candidates", "vague_needs", "expired_needs"};
  for (int i = 0; i < 3; i++) {
    const cJSON *a = cJSON_GetObjectItem(r, lists[i]);
    if (cJSON_GetArraySize(a)) printf("\n%s:\n", lists[i]);
    cJSON_ArrayForEach(e, a) printf("  %s %s\n", cJSON_GetObjectItem(e, "id")->valuestring,
                                    cJSON_GetObjectItem(e, "title")->valuestring);
  }
  const cJSON *g;
  if (cJSON_GetArraySize(cJSON_GetObjectItem(r, "repeated_declines"))) printf("\nrepeated_declines:\n");
  cJSON_ArrayForEach(e, cJSON_GetObjectItem(r, "repeated_declines")) {
    printf("  %s %s declined %d:", cJSON_GetObjectItem(e, "expert")->valuestring,
           cJSON_GetObjectItem(e, "name")->valuestring, (int)cJSON_GetObjectItem(e, "count")->valuedouble);
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(e, "needs")) printf(" %s", g->valuestring);
    printf("\n");
  }
  if (cJSON_GetArraySize(cJSON_GetObjectItem(r, "duplicate_groups"))) printf("\nduplicate_groups:\n");
  cJSON_ArrayForEach(g, cJSON_GetObjectItem(r, "duplicate_groups")) {
    printf(" ");
    cJSON_ArrayForEach(e, g) printf(" %s", e->valuestring);
    printf("\n");
  }
}

int cmd_check(cli_ctx *c, int argc, char **argv) {
  static const struct option lo[] = {{"json", required_argument, 0, 'j'},
                                     {"all", no_argument, 0, 'a'},
                                     {"format", required_argument, 0, 'f'},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  jb_check_opts o = {0};
  const char *jsonpath = NULL;
  int json = 0, format_given = 0, ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "j:af:h", lo, NULL)) != -1) {
    switch (ch) {
    case 'j': jsonpath = optarg; break;
    case 'a': o.all = 1; break;
    case 'f':
      format_given = 1;
      if (!strcmp(optarg, "json")) json = 1;
      else if (strcmp(optarg, "text")) return cli_usage(usage, "--format is text or json");
      break;
    case 'h': printf("usage: %s\n", usage); return 0;
    default: return cli_usage(usage, NULL);
    }
  }
  int rest = argc - optind;
  if (rest == 2 && !strcmp(argv[optind], "need")) o.need_id = argv[optind + 1];
  else if (rest != 0) return cli_usage(usage, "unexpected argument '%s'", argv[optind]);
  cJSON *rec = NULL;
  if (jsonpath) {
    int rcode = 0;
    char *text = cli_read_file(jsonpath, 64u << 20, &rcode);
    if (!text) return rcode;
    rec = cJSON_Parse(text);
    free(text);
    if (!cJSON_IsObject(rec)) {
      cJSON_Delete(rec);
      fprintf(stderr, "jiebang: %s: expected one JSON need object\n", jsonpath);
      return EXIT_DATA;
    }
    if (jb_json_duplicate_key(rec)) {
      fprintf(stderr, "jiebang: %s: key '%s' appears twice in one object\n", jsonpath, jb_json_duplicate_key(rec));
      cJSON_Delete(rec);
      return EXIT_DATA;
    }
    o.need = rec;
    if (!format_given) json = 1; /* a record in, a record out, unless text was asked */
  }
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_READONLY, &db);
  if (code) { cJSON_Delete(rec); return code; }
  cJSON *out = NULL;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_check(db, &o, &out, &err);
  jb_db_close(db);
  cJSON_Delete(rec);
  if (rc) return cli_fail(&err, rc);
  if (json) code = cli_print_json(out, 0);
  else if (o.all) print_all_text(out);
  else print_need_text(out);
  int ok = o.all || cJSON_IsTrue(cJSON_GetObjectItem(out, "ok"));
  cJSON_Delete(out);
  return code ? code : (ok ? 0 : EXIT_DATA);
}
