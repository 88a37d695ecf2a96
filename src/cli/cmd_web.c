/*
** cmd_web.c — jiebang web [--listen ADDR:PORT]: the staff workbench in a
** browser (src/web/). Accounts come from `jiebang user`.
*/
#include "cli.h"
#include "web.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "jiebang web [--listen 127.0.0.1:8080] [--threads N] [--behind-tls] [--idle-minutes M] [--absolute-hours H]\n"
    "  serves the workbench (工作台) until Ctrl-C; add accounts with 'jiebang user add NAME --role admin'.\n"
    "  --behind-tls: a TLS reverse proxy (nginx, caddy) is in front: cookies get Secure and the client\n"
    "  address comes from its X-Real-IP header. Without it, listen on 127.0.0.1 or the office network only.";

int cmd_web(cli_ctx *c, int argc, char **argv) {
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
      if ((o.threads = cli_parse_int(optarg, 1, 64)) < 0) return cli_usage(usage, "--threads: 1..64");
      break;
    case 'i':
      if ((o.idle_minutes = cli_parse_int(optarg, 1, 24 * 60)) < 0) return cli_usage(usage, "--idle-minutes: 1..1440");
      break;
    case 'a':
      if ((o.absolute_hours = cli_parse_int(optarg, 1, 24 * 7)) < 0) return cli_usage(usage, "--absolute-hours: 1..168");
      break;
    case 'h': printf("usage: %s\n", usage); return 0;
    default: return cli_usage(usage, NULL);
    }
  }
  if (optind != argc) return cli_usage(usage, "unexpected argument '%s'", argv[optind]);
  return web_run(&o);
}
