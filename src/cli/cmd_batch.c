/*
** cmd_batch.c — jiebang batch (--needs FILE | --open) [-k N] [--format jsonl|csv|trec]
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>




static void progress(void *ctx, long done, long total) {
  cli_progress(jb_msg(JB_MSG_BATCH_PROGRESS), done, total);
}

int cmd_batch(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_BATCH);
  static const struct option lo[] = {{"needs", required_argument, 0, 'n'},
                                     {"open", no_argument, 0, 'P'},
                                     {"type", required_argument, 0, 't'},
                                     {"format", required_argument, 0, 'f'},
                                     {"threads", required_argument, 0, 'T'},
                                     {"shard", required_argument, 0, 's'},
                                     {"tag", required_argument, 0, 'g'},
                                     {"set", required_argument, 0, 'S'},
                                     {"weights", required_argument, 0, 'W'},
                                     {"output", required_argument, 0, 'o'},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  jb_batch_opts o = {0};
  const char *outpath = NULL;
  cJSON *w = cJSON_CreateObject();
  int ch, code;
  o.k = 10;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "n:t:k:f:T:s:g:S:W:o:h", lo, NULL)) != -1) {
    switch (ch) {
    case 'n': o.needs_file = optarg; break;
    case 'P': o.open_needs = 1; break; /* --open only: -o is the output, as in every command */
    case 't': o.type = optarg; break;
    case 'k':
      if ((o.k = cli_parse_int(optarg, 0, 100000)) < 0) { cJSON_Delete(w); return cli_usage(usage, jb_msg(JB_MSG_CLI_OPT_RANGE), "-k", "0..100000"); }
      break;
    case 'f':
      if (!strcmp(optarg, "jsonl")) o.format = JB_BATCH_JSONL;
      else if (!strcmp(optarg, "csv")) o.format = JB_BATCH_CSV;
      else if (!strcmp(optarg, "trec")) o.format = JB_BATCH_TREC;
      else if (!strcmp(optarg, "xlsx")) o.format = JB_BATCH_XLSX;
      else { cJSON_Delete(w); return cli_usage(usage, jb_msg(JB_MSG_FORMAT_UNKNOWN), optarg, "jsonl, csv, trec, xlsx"); }
      break;
    case 'T':
      if ((o.threads = cli_parse_int(optarg, 1, 64)) < 0) { cJSON_Delete(w); return cli_usage(usage, jb_msg(JB_MSG_CLI_OPT_RANGE), "--threads", "1..64"); }
      break;
    case 's':
      if (sscanf(optarg, "%d/%d", &o.shard_index, &o.shard_count) != 2 || o.shard_count < 1 ||
          o.shard_index < 1 || o.shard_index > o.shard_count) {
        cJSON_Delete(w);
        return cli_usage(usage, jb_msg(JB_MSG_CLI_OPT_RANGE), "--shard", "I/N, 1 <= I <= N");
      }
      break;
    case 'g': o.run_tag = optarg; break;
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
  int xlsx = o.format == JB_BATCH_XLSX;
  if (xlsx && !outpath && cli_binary_to_tty()) {
    cJSON_Delete(w);
    return EXIT_USAGE;
  }
  o.weights = w;
  o.on_progress = progress;
  jb_db *db = NULL;
  if ((code = cli_open(c, CLI_OPEN_READONLY, &db))) { cJSON_Delete(w); return code; }
  jb_error err;
  jb_error_clear(&err);
  cli_out out;
  if ((code = cli_out_open(&out, outpath, xlsx ? CLI_OUT_RAW : 0))) {
    jb_db_close(db);
    cJSON_Delete(w);
    return code;
  }
  jb_status rc = jb_batch(db, &o, out.f, &err);
  jb_db_close(db);
  cJSON_Delete(w);
  return cli_out_close(&out, rc, &err);
}
