/*
** cmd_match.c — jiebang match need ID | --text "…" | expert ID | achievement ID
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Reads overrides from a JSON file and --set pairs into one object. */
static int add_setting(cJSON *w, const char *kv) {
  const char *eq = strchr(kv, '=');
  if (!eq || eq == kv) return -1;
  char *end = NULL;
  double v = strtod(eq + 1, &end);
  if (!end || end == eq + 1 || *end) return -1;
  char name[64];
  snprintf(name, sizeof(name), "%.*s", (int)(eq - kv), kv);
  cJSON_DeleteItemFromObjectCaseSensitive(w, name);
  cJSON_AddNumberToObject(w, name, v);
  return 0;
}

static int cli_load_weights(cJSON **w, const char *file) {
  int code = 0;
  char *buf = cli_read_file(file, 1 << 20, &code);
  if (!buf) return code;
  cJSON *j = cJSON_Parse(buf);
  free(buf);
  if (!cJSON_IsObject(j) || jb_json_duplicate_key(j)) {
    if (cJSON_IsObject(j)) fprintf(stderr, "jiebang: %s: weight '%s' is given twice\n", file, jb_json_duplicate_key(j));
    else fprintf(stderr, "jiebang: %s: expected a JSON object of weight: number\n", file);
    cJSON_Delete(j);
    return EXIT_USAGE;
  }
  cJSON *e;
  cJSON_ArrayForEach(e, j) {
    cJSON_DeleteItemFromObjectCaseSensitive(*w, e->string);
    cJSON_AddItemToObject(*w, e->string, cJSON_Duplicate(e, 1));
  }
  cJSON_Delete(j);
  return 0;
}

int cli_weight_option(cJSON *w, int ch, const char *arg) {
  if (ch == 'W') return cli_load_weights(&w, arg);
  if (add_setting(w, arg)) {
    fprintf(stderr, "jiebang: --set takes NAME=NUMBER, got '%s'\n", arg);
    return EXIT_USAGE;
  }
  return 0;
}

static void print_weights_help(void) {
  cJSON *d = jb_match_default_weights();
  const cJSON *e;
  printf("weights (override with --set NAME=VALUE or --weights FILE.json):\n");
  cJSON_ArrayForEach(e, d) printf("  %-16s %-8g %s\n", e->string, cJSON_GetObjectItem(e, "default")->valuedouble,
                                  cJSON_GetObjectItem(e, "what")->valuestring);
  cJSON_Delete(d);
}

static void print_text(const cJSON *out) {
  const cJSON *q = cJSON_GetObjectItem(out, "query");
  const cJSON *t = cJSON_GetObjectItem(q, "title");
  const cJSON *need = cJSON_GetObjectItem(q, "need");
  if (need) printf(jb_msg(JB_MSG_MATCH_HEAD_NEED), need->valuestring, t ? t->valuestring : "");
  else if (cJSON_GetObjectItem(q, "text")) printf(jb_msg(JB_MSG_MATCH_HEAD_TEXT), cJSON_GetObjectItem(q, "text")->valuestring);
  else printf(jb_msg(JB_MSG_MATCH_HEAD_REVERSE), cJSON_GetObjectItem(q, "name")->valuestring);
  const cJSON *res = cJSON_GetObjectItem(out, "results"), *r;
  if (!cJSON_GetArraySize(res)) printf("%s\n", jb_msg(JB_MSG_MATCH_NONE));
  cJSON_ArrayForEach(r, res) {
    printf(jb_msg(JB_MSG_MATCH_ROW), cJSON_GetObjectItem(r, "rank")->valueint,
           jb_value_label(cJSON_GetObjectItem(r, "type")->valuestring), cJSON_GetObjectItem(r, "id")->valuestring,
           cJSON_GetObjectItem(r, "name")->valuestring, cJSON_GetObjectItem(r, "score")->valuedouble);
    const cJSON *org = cJSON_GetObjectItem(r, "org"), *orgn = cJSON_GetObjectItem(r, "org_name");
    if (org) printf("  (%s)", orgn ? orgn->valuestring : org->valuestring);
    const cJSON *rfn = cJSON_GetObjectItem(r, "rank_for_need");
    if (rfn) printf(jb_msg(JB_MSG_MATCH_RANK_FOR_NEED), rfn->valueint);
    printf("\n");
    const cJSON *comp = cJSON_GetObjectItem(r, "components"), *c;
    if (comp) {
      printf("    %s", jb_msg(JB_MSG_MATCH_COMPONENTS));
      cJSON_ArrayForEach(c, comp) printf(" %s=%.3g", jb_value_label(c->string), c->valuedouble);
      printf("\n");
    }
    const cJSON *via = cJSON_GetObjectItem(r, "via");
    if (via) printf(jb_msg(JB_MSG_MATCH_VIA), cJSON_GetObjectItem(via, "expert")->valuestring,
                    cJSON_GetObjectItem(via, "name")->valuestring);
    const cJSON *terms = cJSON_GetObjectItem(r, "terms");
    if (cJSON_GetArraySize(terms)) {
      printf("    %s", jb_msg(JB_MSG_MATCH_MATCHED));
      cJSON_ArrayForEach(c, terms) printf(" %s(%.3f)%s", cJSON_GetObjectItem(c, "term")->valuestring,
                                          cJSON_GetObjectItem(c, "weight")->valuedouble,
                                          cJSON_GetObjectItem(c, "feedback") ? "*" : "");
      printf("\n");
    }
    const cJSON *ev = cJSON_GetObjectItem(r, "evidence");
    if (ev) {
      const cJSON *y = cJSON_GetObjectItem(ev, "year");
      printf(jb_msg(JB_MSG_MATCH_EVIDENCE), jb_value_label(cJSON_GetObjectItem(ev, "kind")->valuestring),
             cJSON_GetObjectItem(ev, "id")->valuestring, y ? " " : "", y ? y->valuedouble : 0.0,
             cJSON_GetObjectItem(ev, "title")->valuestring);
      const char *sn = cJSON_GetObjectItem(ev, "snippet")->valuestring;
      const cJSON *file = cJSON_GetObjectItem(ev, "file");
      if (cJSON_IsString(file))
        printf(jb_msg(JB_MSG_MATCH_FILE), file->valuestring,
               cJSON_GetObjectItem(ev, "snippet_from") ? jb_msg(JB_MSG_MATCH_FILE_PASSAGE) : "");
      if (*sn) printf("      %s\n", sn);
    }
    const cJSON *note = cJSON_GetObjectItem(r, "note");
    if (note) printf(jb_msg(JB_MSG_MATCH_NOTE), note->valuestring);
    const cJSON *conf = cJSON_GetObjectItem(r, "conflict");
    if (conf) printf(jb_msg(JB_MSG_MATCH_CONFLICT), conf->valuestring);
  }
  const cJSON *ex = cJSON_GetObjectItem(out, "excluded");
  if (cJSON_GetArraySize(ex)) {
    printf("\n%s\n", jb_msg(JB_MSG_MATCH_LEFT_OUT));
    cJSON_ArrayForEach(r, ex) printf("  [%s] %s %s (%.3f): %s\n", jb_value_label(cJSON_GetObjectItem(r, "type")->valuestring),
                                     cJSON_GetObjectItem(r, "id")->valuestring,
                                     cJSON_GetObjectItem(r, "name")->valuestring,
                                     cJSON_GetObjectItem(r, "score")->valuedouble,
                                     cJSON_GetObjectItem(r, "reason")->valuestring);
  }
  const cJSON *wn = cJSON_GetObjectItem(out, "why_not");
  if (wn) {
    const cJSON *nm = cJSON_GetObjectItem(wn, "name");
    printf(jb_msg(JB_MSG_MATCH_WHY_NOT), cJSON_GetObjectItem(wn, "id")->valuestring, nm ? " " : "",
           nm ? nm->valuestring : "", cJSON_GetObjectItem(wn, "reason")->valuestring);
  }
  if (cJSON_GetArraySize(res)) printf("\n%s\n", jb_msg(JB_MSG_MATCH_FEEDBACK_NOTE));
}

int cmd_match(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_MATCH);
  static const struct option lo[] = {{"text", required_argument, 0, 'x'},
                                     {"type", required_argument, 0, 't'},
                                     {"why-not", required_argument, 0, 'y'},
                                     {"json", no_argument, 0, 'j'},
                                     {"set", required_argument, 0, 'S'},
                                     {"weights", required_argument, 0, 'W'},
                                     {"weights-help", no_argument, 0, 'H'},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  jb_match_opts o = {0};
  int json = 0, ch, code;
  cJSON *w = cJSON_CreateObject();
  o.k = 10;
  o.explain = 1;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "x:t:k:y:jS:W:Hh", lo, NULL)) != -1) {
    switch (ch) {
    case 'x': o.text = optarg; break;
    case 't': o.type = optarg; break;
    case 'k':
      if ((o.k = cli_parse_int(optarg, 1, 1000)) < 0) { cJSON_Delete(w); return cli_usage(usage, jb_msg(JB_MSG_CLI_OPT_RANGE), "-k", "1..1000"); }
      break;
    case 'y': o.why_not = optarg; break;
    case 'j': json = 1; break;
    case 'S':
    case 'W':
      if ((code = cli_weight_option(w, ch, optarg))) { cJSON_Delete(w); return code; }
      break;
    case 'H': print_weights_help(); cJSON_Delete(w); return 0;
    case 'h': printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage); cJSON_Delete(w); return 0;
    default: cJSON_Delete(w); return cli_usage(usage, jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
    }
  }
  int rest = argc - optind;
  if (o.text ? rest != 0 : rest != 2) {
    cJSON_Delete(w);
    return cli_usage(usage, "%s", jb_msg(JB_MSG_CLI_MATCH_WHAT));
  }
  if (!o.text) {
    const char *what = argv[optind], *id = argv[optind + 1];
    if (!strcmp(what, "need")) o.need_id = id;
    else if (!strcmp(what, "expert")) o.expert_id = id;
    else if (!strcmp(what, "achievement")) o.achievement_id = id;
    else {
      cJSON_Delete(w);
      return cli_usage(usage, jb_msg(JB_MSG_CLI_UNKNOWN_KIND), what, "need, expert, achievement");
    }
  }
  o.weights = w;
  jb_db *db = NULL;
  if ((code = cli_open(c, CLI_OPEN_READONLY, &db))) { cJSON_Delete(w); return code; }
  cJSON *out = NULL;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_match(db, &o, &out, &err);
  jb_db_close(db);
  cJSON_Delete(w);
  if (rc) return cli_fail(&err, rc);
  if (json) code = cli_print_json(out, 0);
  else print_text(out);
  cJSON_Delete(out);
  return code;
}
