/*
** cmd_assign.c — jiebang assign: 揭榜挂帅 pairings and talent placement.
*/
#include "cli.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static void progress(void *ctx, long done, long total) {
  cli_progress(jb_msg(JB_MSG_ASSIGN_PROGRESS), done, total);
}

int cmd_assign(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_ASSIGN);
  static const struct option lo[] = {{"list", required_argument, 0, 'l'},
                                     {"needs", required_argument, 0, 'n'},
                                     {"open", no_argument, 0, 'O'},
                                     {"targets", required_argument, 0, 'T'},
                                     {"fair", no_argument, 0, 'F'},
                                     {"min-score", required_argument, 0, 'm'},
                                     {"capacity", required_argument, 0, 'c'},
                                     {"capacities", required_argument, 0, 'C'},
                                     {"fix", required_argument, 0, 'x'},
                                     {"forbid", required_argument, 0, 'b'},
                                     {"program", required_argument, 0, 'p'},
                                     {"region", required_argument, 0, 'r'},
                                     {"candidates", required_argument, 0, 'k'},
                                     {"format", required_argument, 0, 'f'},
                                     {"output", required_argument, 0, 'o'},
                                     {"set", required_argument, 0, 'S'},
                                     {"weights", required_argument, 0, 'W'},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  jb_assign_opts o = {0};
  const char *format = "json", *outpath = NULL;
  cJSON *w = cJSON_CreateObject();
  int ch, code;
  o.min_score = -1;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "l:n:OT:Fm:c:C:x:b:p:r:k:f:o:S:W:h", lo, NULL)) != -1) {
    switch (ch) {
    case 'l': o.list = optarg; break;
    case 'n': o.needs_file = optarg; break;
    case 'O': o.open_needs = 1; break;
    case 'T': o.targets = optarg; break;
    case 'F': o.fair = 1; break;
    case 'm': {
      char *end = NULL;
      o.min_score = strtod(optarg, &end);
      if (!end || *end || o.min_score < 0 || o.min_score > 100) { cJSON_Delete(w); return cli_usage(usage, "%s", jb_msg(JB_MSG_ASSIGN_BAD_MIN_SCORE)); }
      break;
    }
    case 'c':
      if ((o.capacity = cli_parse_int(optarg, 1, 100)) < 0) { cJSON_Delete(w); return cli_usage(usage, "%s", jb_msg(JB_MSG_ASSIGN_BAD_CAPACITY)); }
      break;
    case 'C': o.capacities_file = optarg; break;
    case 'x': o.fix_file = optarg; break;
    case 'b': o.forbid_file = optarg; break;
    case 'p': o.program = optarg; break;
    case 'r': o.region = optarg; break;
    case 'k':
      if ((o.candidates = cli_parse_int(optarg, 1, 10000)) < 0) { cJSON_Delete(w); return cli_usage(usage, "%s", jb_msg(JB_MSG_ASSIGN_BAD_CANDIDATES)); }
      break;
    case 'f': format = optarg; break;
    case 'o': outpath = optarg; break;
    case 'S':
    case 'W':
      if ((code = cli_weight_option(w, ch, optarg))) { cJSON_Delete(w); return code; }
      break;
    case 'h': printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage); cJSON_Delete(w); return 0;
    default: cJSON_Delete(w); return cli_usage(usage, jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
    }
  }
  if (optind != argc) { cJSON_Delete(w); return cli_usage(usage, jb_msg(JB_MSG_CLI_UNEXPECTED_ARG), argv[optind]); }
  if (strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "md") && strcmp(format, "markdown") &&
      strcmp(format, "xlsx")) {
    cJSON_Delete(w);
    return cli_usage(usage, jb_msg(JB_MSG_CLI_OPT_CHOICES), "--format", "json, csv, md, xlsx");
  }
  if (!strcmp(format, "xlsx") && !outpath && cli_binary_to_tty()) {
    cJSON_Delete(w);
    return EXIT_USAGE;
  }
  o.weights = w;
  o.on_progress = progress;
  jb_db *db = NULL;
  if ((code = cli_open(c, CLI_OPEN_READONLY, &db))) { cJSON_Delete(w); return code; }
  cJSON *prop = NULL;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_assign(db, &o, &prop, &err);
  jb_db_close(db);
  cJSON_Delete(w);
  if (rc) return cli_fail(&err, rc);
  cli_out out;
  if ((code = cli_out_open(&out, outpath, !strcmp(format, "xlsx") ? CLI_OUT_RAW : 0))) {
    cJSON_Delete(prop);
    return code;
  }
  rc = jb_assign_render(prop, format, out.f, &err);
  int feasible = cJSON_IsTrue(cJSON_GetObjectItem(prop, "feasible"));
  cJSON_Delete(prop);
  /* an infeasible proposal is still written: it lists what to relax */
  if ((code = cli_out_close(&out, rc, &err))) return code;
  if (!feasible) {
    fprintf(stderr, "jiebang: %s\n", jb_msg(JB_MSG_ASSIGN_INFEASIBLE));
    return EXIT_DATA;
  }
  return 0;
}
