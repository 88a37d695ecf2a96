/*
** cmd_demands.c — jiebang demands: the demand list (需求清单) for technology
** transfer, as JSON, CSV (Excel), Markdown or a printable HTML report.
*/
#include "cli.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static int parse_threshold(const char *s, double *out) {
  char *end = NULL;
  double v = strtod(s, &end);
  if (!end || end == s || *end || v <= 0 || v > 1) return -1;
  *out = v;
  return 0;
}

int cmd_demands(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_DEMANDS);
  static const struct option lo[] = {{"format", required_argument, 0, 'f'},
                                     {"output", required_argument, 0, 'o'},
                                     {"chain", required_argument, 0, 'c'},
                                     {"since", required_argument, 0, 's'},
                                     {"status", required_argument, 0, 'S'},
                                     {"org", required_argument, 0, 'O'},
                                     {"duplicate", required_argument, 0, 'd'},
                                     {"common", required_argument, 0, 'm'},
                                     {"min-orgs", required_argument, 0, 'n'},
                                     {"with-contacts", no_argument, 0, 'C'},
                                     {"include-expired", no_argument, 0, 'E'},
                                     {"title", required_argument, 0, 't'},
                                     {"date", required_argument, 0, 'D'},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  jb_demand_opts o = {0};
  const char *format = "md", *outpath = NULL;
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "f:o:c:s:S:O:k:d:m:n:CEt:D:h", lo, NULL)) != -1) {
    switch (ch) {
    case 'f': format = optarg; break;
    case 'o': outpath = optarg; break;
    case 'c': o.chain = optarg; break;
    case 'E': o.include_expired = 1; break;
    case 's': o.since = optarg; break;
    case 'S': o.status = optarg; break;
    case 'O': o.org = optarg; break;
    case 'k':
      if ((o.k = cli_parse_int(optarg, 1, 20)) < 0) return cli_usage(usage, jb_msg(JB_MSG_CLI_OPT_RANGE), "-k", "1..20");
      break;
    case 'd':
      if (parse_threshold(optarg, &o.dup_threshold)) return cli_usage(usage, jb_msg(JB_MSG_CLI_OPT_RANGE), "--duplicate", "(0, 1]");
      break;
    case 'm':
      if (parse_threshold(optarg, &o.common_threshold)) return cli_usage(usage, jb_msg(JB_MSG_CLI_OPT_RANGE), "--common", "(0, 1]");
      break;
    case 'n':
      if ((o.min_orgs = cli_parse_int(optarg, 1, 1000)) < 0) return cli_usage(usage, jb_msg(JB_MSG_CLI_OPT_RANGE), "--min-orgs", "1..1000");
      break;
    case 'C': o.with_contacts = 1; break;
    case 't': o.title = optarg; break;
    case 'D': o.date = optarg; break;
    case 'h': printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage); return 0;
    default: return cli_usage(usage, jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
    }
  }
  if (optind != argc) return cli_usage(usage, jb_msg(JB_MSG_CLI_UNEXPECTED_ARG), argv[optind]);
  if (o.status && strcmp(o.status, "open") && strcmp(o.status, "paired") && strcmp(o.status, "closed") &&
      strcmp(o.status, "all"))
    return cli_usage(usage, jb_msg(JB_MSG_CLI_OPT_CHOICES), "--status", "open, paired, closed, all");
  int xlsx = !strcmp(format, "xlsx");
  if (xlsx && !outpath && cli_binary_to_tty()) return EXIT_USAGE;
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_READONLY, &db);
  if (code) return code;
  cJSON *list = NULL;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_demands(db, &o, &list, &err);
  jb_db_close(db);
  if (rc) return cli_fail(&err, rc);
  cli_out out;
  if ((code = cli_out_open(&out, outpath, xlsx ? CLI_OUT_RAW : 0))) {
    cJSON_Delete(list);
    return code;
  }
  rc = jb_demand_render(list, format, out.f, &err);
  cJSON_Delete(list);
  return cli_out_close(&out, rc, &err);
}
