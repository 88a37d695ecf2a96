/*
** cmd_web.c — jiebang web [--listen ADDR:PORT]: the staff workbench in a
** browser (src/web/). Accounts come from `jiebang user`.
*/
#include "cli.h"
#include "web.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The expiry in seconds from the environment (tests wait seconds, not
** minutes), or `dflt` when it is not set; -1 when it is set but not 1..1e6. */
static int env_seconds(const char *name, int dflt) {
  const char *v = getenv(name);
  if (!v || !*v) return dflt;
  return cli_parse_int(v, 1, 1000000);
}

int cmd_web(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_WEB);
  static const struct option lo[] = {{"listen", required_argument, 0, 'l'},
                                     {"threads", required_argument, 0, 't'},
                                     {"behind-tls", no_argument, 0, 's'},
                                     {"idle-minutes", required_argument, 0, 'i'},
                                     {"absolute-hours", required_argument, 0, 'a'},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  web_opts o = {0};
  o.db_path = c->db_path;
  o.lexicon_dir = c->lexicon_dir;
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
    switch (ch) {
    case 'l': o.listen = optarg; break;
    case 's': o.behind_tls = 1; break;
    case 't':
      if ((o.threads = cli_parse_int(optarg, 1, 64)) < 0) return cli_usage(usage, jb_msg(JB_MSG_CLI_OPT_RANGE), "--threads", "1..64");
      break;
    case 'i':
      if ((o.idle_seconds = cli_parse_int(optarg, 1, 24 * 60)) < 0) return cli_usage(usage, jb_msg(JB_MSG_CLI_OPT_RANGE), "--idle-minutes", "1..1440");
      o.idle_seconds *= 60;
      break;
    case 'a':
      if ((o.absolute_seconds = cli_parse_int(optarg, 1, 24 * 7)) < 0) return cli_usage(usage, jb_msg(JB_MSG_CLI_OPT_RANGE), "--absolute-hours", "1..168");
      o.absolute_seconds *= 3600;
      break;
    case 'h': printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage); return 0;
    default: return cli_usage(usage, jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
    }
  }
  if (optind != argc) return cli_usage(usage, jb_msg(JB_MSG_CLI_UNEXPECTED_ARG), argv[optind]);
  if ((o.idle_seconds = env_seconds("JIEBANG_WEB_IDLE_SECONDS", o.idle_seconds)) < 0)
    return cli_usage(usage, jb_msg(JB_MSG_CLI_OPT_RANGE), "JIEBANG_WEB_IDLE_SECONDS", "1..1000000");
  if ((o.absolute_seconds = env_seconds("JIEBANG_WEB_ABSOLUTE_SECONDS", o.absolute_seconds)) < 0)
    return cli_usage(usage, jb_msg(JB_MSG_CLI_OPT_RANGE), "JIEBANG_WEB_ABSOLUTE_SECONDS", "1..1000000");
  return web_run(&o);
}
