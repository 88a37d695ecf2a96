/*
** cmd_learn.c — jiebang learn [--since DATE] [-o weights.json] [--weights F] [--set N=V] [--json]
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>


static void print_boosts(const char *what, const cJSON *b) {
  printf(jb_msg(JB_MSG_LEARN_BOOSTS), what, cJSON_GetObjectItem(b, "chain")->valuedouble,
         cJSON_GetObjectItem(b, "region")->valuedouble, cJSON_GetObjectItem(b, "program")->valuedouble);
}

int cmd_learn(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_LEARN);
  static const struct option lo[] = {{"since", required_argument, 0, 's'},  {"output", required_argument, 0, 'o'},
                                     {"folds", required_argument, 0, 'k'},  {"weights", required_argument, 0, 'W'},
                                     {"set", required_argument, 0, 'S'},    {"json", no_argument, 0, 'j'},
                                     {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
  jb_learn_opts o = {0};
  const char *outpath = NULL;
  int json = 0, ch, code = 0;
  cJSON *w = cJSON_CreateObject();
  optind = 1;
  while ((ch = getopt_long(argc, argv, "s:o:k:W:S:jh", lo, NULL)) != -1 && !code) {
    switch (ch) {
    case 's': o.since = optarg; break;
    case 'o': outpath = optarg; break;
    case 'k':
      if ((o.folds = cli_parse_int(optarg, 2, 20)) < 0) code = cli_usage(usage, "--folds: 2..20");
      break;
    case 'W':
    case 'S': code = cli_weight_option(w, ch, optarg); break;
    case 'j': json = 1; break;
    case 'h': printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage); cJSON_Delete(w); return 0;
    default: code = cli_usage(usage, jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
    }
  }
  if (!code && optind != argc) code = cli_usage(usage, "unexpected argument '%s'", argv[optind]);
  jb_db *db = NULL;
  if (!code) code = cli_open(c, CLI_OPEN_READONLY, &db);
  if (code) {
    cJSON_Delete(w);
    return code;
  }
  o.weights = w;
  jb_error err;
  jb_error_clear(&err);
  cJSON *r = NULL;
  jb_status rc = jb_learn(db, &o, &r, &err);
  jb_db_close(db);
  cJSON_Delete(w);
  if (rc) return cli_fail(&err, rc);
  int better = cJSON_IsTrue(cJSON_GetObjectItem(r, "better"));
  if (json) code = cli_print_json(r, 0);
  else {
    printf(jb_msg(JB_MSG_LEARN_OUTCOMES), (int)cJSON_GetObjectItem(r, "outcomes")->valuedouble,
           (int)cJSON_GetObjectItem(r, "good")->valuedouble, (int)cJSON_GetObjectItem(r, "declined")->valuedouble,
           (int)cJSON_GetObjectItem(r, "not_scored")->valuedouble);
    print_boosts(jb_msg(JB_MSG_LEARN_IN_FORCE), cJSON_GetObjectItem(r, "default"));
    const cJSON *l = cJSON_GetObjectItem(r, "learned"), *h = cJSON_GetObjectItem(r, "held_out");
    if (l) print_boosts(jb_msg(JB_MSG_LEARN_LEARNED), l);
    if (h)
      printf(jb_msg(JB_MSG_LEARN_HELD_OUT), (int)cJSON_GetObjectItem(h, "folds")->valuedouble,
             cJSON_GetObjectItem(h, "auc_default")->valuedouble, cJSON_GetObjectItem(h, "auc_learned")->valuedouble,
             cJSON_GetObjectItem(h, "logloss_default")->valuedouble, cJSON_GetObjectItem(h, "logloss_learned")->valuedouble);
  }
  if (!better) {
    cli_say(jb_msg(JB_MSG_LEARN_NOT_WRITTEN), cJSON_GetObjectItem(r, "reason")->valuestring);
    cJSON_Delete(r);
    return code ? code : EXIT_DATA;
  }
  if (outpath) {
    cli_out out;
    char *s = cJSON_Print(cJSON_GetObjectItem(r, "weights"));
    int wc = s ? cli_out_open(&out, outpath, 0) : EXIT_FAILURE_;
    if (!wc) {
      /* a write error is found and reported by cli_out_close, as for every command */
      fprintf(out.f, "%s\n", s);
      wc = cli_out_close(&out, JB_OK, NULL);
    }
    cJSON_free(s);
    if (wc) {
      cJSON_Delete(r);
      return wc;
    }
    cli_say(jb_msg(JB_MSG_LEARN_WRITTEN), outpath, outpath);
  }
  cJSON_Delete(r);
  return code;
}
