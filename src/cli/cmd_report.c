/*
** cmd_report.c — jiebang report progress [--year Y] [--format md|html|json|csv]
**                [--targets FILE] [--as-of DATE] [--stale-days N] [-o FILE]
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>


int cmd_report(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_REPORT);
  static const struct option lo[] = {{"year", required_argument, 0, 'y'},   {"format", required_argument, 0, 'f'},
                                     {"targets", required_argument, 0, 't'}, {"as-of", required_argument, 0, 'a'},
                                     {"stale-days", required_argument, 0, 's'}, {"output", required_argument, 0, 'o'},
                                     {"help", no_argument, 0, 'h'},           {0, 0, 0, 0}};
  jb_progress_opts o = {0};
  const char *format = "md", *outpath = NULL;
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "y:f:t:a:s:o:h", lo, NULL)) != -1) {
    switch (ch) {
    case 'y':
      if ((o.year = cli_parse_int(optarg, 1900, 2200)) < 0) return cli_usage(usage, "--year: a year such as 2021");
      break;
    case 'f': format = optarg; break;
    case 't': o.targets_file = optarg; break;
    case 'a':
      if (strlen(optarg) != 10) return cli_usage(usage, "--as-of: YYYY-MM-DD");
      o.as_of = optarg;
      break;
    case 's':
      if ((o.stale_days = cli_parse_int(optarg, 1, 3650)) < 0) return cli_usage(usage, "--stale-days: 1..3650");
      break;
    case 'o': outpath = optarg; break;
    case 'h': printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage); return 0;
    default: return cli_usage(usage, jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
    }
  }
  if (optind >= argc || strcmp(argv[optind], "progress")) return cli_usage(usage, "the report is: progress");
  if (optind + 1 != argc) return cli_usage(usage, "unexpected argument '%s'", argv[optind + 1]);
  if (strcmp(format, "md") && strcmp(format, "html") && strcmp(format, "json") && strcmp(format, "csv"))
    return cli_usage(usage, "--format: md, html, json or csv");
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_READONLY, &db);
  if (code) return code;
  jb_error err;
  jb_error_clear(&err);
  cJSON *r = NULL;
  jb_status rc = jb_progress(db, &o, &r, &err);
  jb_db_close(db);
  if (rc) return cli_fail(&err, rc);
  cli_out out;
  if ((code = cli_out_open(&out, outpath, 0))) {
    cJSON_Delete(r);
    return code;
  }
  rc = jb_progress_render(r, format, out.f, &err);
  cJSON_Delete(r);
  /* a failed report leaves an older file as it was */
  return cli_out_close(&out, rc, &err);
}
