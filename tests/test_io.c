/*
** test_io.c — the output safety pieces every writer uses: the atomic file
** writer (whole or not at all, exclusive temporary files), the CSV cell
** rule (OWASP formula injection) and the terminal text neutraliser.
*/
#define _GNU_SOURCE
#include "util.h"
#include "jb_int.h"
#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  static char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof(buf) - 1, f);
  fclose(f);
  buf[n] = 0;
  return buf;
}

static void spit(const char *path, const char *s) {
  FILE *f = fopen(path, "wb");
  fputs(s, f);
  fclose(f);
}

/* Files in the test directory whose name contains `part`. */
static int count_files(const char *part) {
  DIR *d = opendir(t_tmpdir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (strstr(e->d_name, part)) n++;
  if (d) closedir(d);
  return n;
}

TEST(outfile_commit_replaces_whole) {
  const char *p = tmp_path("out.txt");
  spit(p, "old content\n");
  jb_outfile *o = NULL;
  jb_error err;
  CHECK(jb_outfile_open(p, &o, &err) == JB_OK, "open: %s", err.message);
  fputs("new ", jb_outfile_stream(o));
  CHECK(!strcmp(slurp(p), "old content\n"), "target untouched before commit: '%s'", slurp(p));
  CHECK(count_files(".out.txt.jb-") == 1, "one hidden temporary file while writing");
  fputs("content\n", jb_outfile_stream(o));
  CHECK(jb_outfile_commit(o, &err) == JB_OK, "commit: %s", err.message);
  CHECK(!strcmp(slurp(p), "new content\n"), "committed: '%s'", slurp(p));
  CHECK(count_files(".out.txt.jb-") == 0, "no temporary file left");
}

TEST(outfile_abort_keeps_target) {
  const char *p = tmp_path("keep.txt");
  spit(p, "precious\n");
  jb_outfile *o = NULL;
  jb_error err;
  CHECK(jb_outfile_open(p, &o, &err) == JB_OK, "open: %s", err.message);
  fputs("half a rep", jb_outfile_stream(o));
  jb_outfile_abort(o);
  CHECK(!strcmp(slurp(p), "precious\n"), "aborted: target unchanged");
  CHECK(count_files(".keep.txt.jb-") == 0, "temporary file removed");
  jb_outfile_abort(NULL);
}

TEST(outfile_abort_all) {
  /* what the CLI's SIGINT/SIGTERM handler calls: a child with a file half
  ** written removes its temporary file and the target stays whole (the
  ** signal itself is tested end to end in reliability_test.sh) */
  const char *p = tmp_path("sig.txt");
  spit(p, "before\n");
  pid_t pid = fork();
  if (pid == 0) {
    jb_outfile *o = NULL;
    if (jb_outfile_open(p, &o, NULL)) _exit(3);
    fputs("partial", jb_outfile_stream(o));
    fflush(jb_outfile_stream(o));
    jb_outfile_abort_all();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child ran");
  CHECK(!strcmp(slurp(p), "before\n"), "target unchanged");
  CHECK(count_files(".sig.txt.jb-") == 0, "jb_outfile_abort_all removed the temporary file");
}

TEST(outfile_errors) {
  jb_outfile *o = NULL;
  jb_error err;
  CHECK(jb_outfile_open(tmp_path("no/such/dir/x"), &o, &err) == JB_ERR_IO && !o, "missing directory: %s",
        err.message);
  CHECK(strstr(err.message, "no/such/dir/x"), "the message names the file: %s", err.message);
  CHECK(jb_outfile_open(t_tmpdir, &o, &err) == JB_ERR_IO, "a directory is refused");
  CHECK(jb_outfile_open("", &o, &err) == JB_ERR_USAGE, "an empty name is refused");
  /* a read-only file is not replaced behind the user's back (unless root,
  ** who may write it anyway) */
  const char *ro = tmp_path("ro.txt");
  spit(ro, "ro\n");
  chmod(ro, 0444);
  if (geteuid() != 0) {
    CHECK(jb_outfile_open(ro, &o, &err) == JB_ERR_IO, "read-only target refused");
    CHECK(!strcmp(slurp(ro), "ro\n"), "read-only target unchanged");
  }
  /* permissions of a replaced file are kept */
  const char *pm = tmp_path("mode.txt");
  spit(pm, "x");
  chmod(pm, 0640);
  CHECK(jb_outfile_write(pm, "y", 1, &err) == JB_OK, "write: %s", err.message);
  struct stat st;
  stat(pm, &st);
  CHECK((st.st_mode & 0777) == 0640, "mode kept: %o", (unsigned)(st.st_mode & 0777));
}

TEST(outfile_symlinks) {
  /* a symlinked target is followed: its destination is replaced, the link stays */
  const char *dest = tmp_path("dest.txt"), *link = tmp_path("link.txt");
  spit(dest, "old");
  CHECK(symlink(dest, link) == 0, "symlink: %s", strerror(errno));
  jb_error err;
  CHECK(jb_outfile_write(link, "new", 3, &err) == JB_OK, "write through link: %s", err.message);
  CHECK(!strcmp(slurp(dest), "new"), "destination replaced");
  struct stat ls;
  CHECK(lstat(link, &ls) == 0 && S_ISLNK(ls.st_mode), "the link is still a link");
  /* a non-regular target (a character device) is written directly */
  CHECK(jb_outfile_write("/dev/null", "z", 1, &err) == JB_OK, "/dev/null: %s", err.message);
  struct stat dn;
  CHECK(stat("/dev/null", &dn) == 0 && S_ISCHR(dn.st_mode), "/dev/null still a device");
}

TEST(csv_cells) {
  static const char *const danger[] = {"=HYPERLINK(\"http://evil.example/\",\"点击\")", "+cmd|' /C calc'!A0",
                                       "-2+3", "@SUM(A1)", "\tx", "\rx"};
  for (int i = 0; i < JB_ARRAY_LEN_T(danger); i++) {
    CHECK(jb_cell_is_formula(danger[i]), "dangerous: %s", danger[i]);
    jb_buf b = {0};
    jb_csv_field(&b, danger[i], JB_CSV_FIRST);
    CHECK(b.p[0] == '"' && b.p[1] == '\'', "neutralised with an apostrophe: %s", b.p);
    jb_buf_free(&b);
  }
  static const char *const safe[] = {"", "油茶", "a=b", " =1", "'quoted"};
  for (int i = 0; i < JB_ARRAY_LEN_T(safe); i++) CHECK(!jb_cell_is_formula(safe[i]), "safe: '%s'", safe[i]);
  CHECK(!jb_cell_is_formula(NULL), "NULL is safe");
  jb_buf b = {0};
  jb_csv_field(&b, "a\"b", JB_CSV_FIRST);
  jb_csv_field(&b, "-0.5", JB_CSV_NUMBER);
  jb_csv_field(&b, "-0.5", 0);
  CHECK(!strcmp(jb_buf_str(&b), "\"a\"\"b\",\"-0.5\",\"'-0.5\""), "quoting and numbers: %s", b.p);
  jb_buf_free(&b);
}

static char *neutral(const char *s, size_t n) {
  jb_buf b = {0};
  size_t used = jb_text_neutralize(s, n, 1, &b);
  CHECK(used == n, "all consumed at the end");
  return b.p ? b.p : jb_strdup("");
}

TEST(text_neutralize) {
  char *o = neutral("a\x1b]0;pwned\x07\x1b[2Jb", 16);
  CHECK(!strcmp(o, "a\\u001b]0;pwned\\u0007\\u001b[2Jb"), "ESC and BEL: %s", o);
  free(o);
  o = neutral("x\xe2\x80\xaey \xc2\x9b z", 10);
  CHECK(!strcmp(o, "x\\u202ey \\u009b z"), "U+202E and C1 CSI: %s", o);
  free(o);
  o = neutral("油茶\t\r\n", 9);
  CHECK(!strcmp(o, "油茶\t\r\n"), "text, TAB, CR, LF unchanged: %s", o);
  free(o);
  o = neutral("\xff\xfe", 2);
  CHECK(!strcmp(o, "\xff\xfe"), "bytes that are not UTF-8 pass unchanged");
  free(o);
  /* a sequence cut by the end of a buffer waits for its rest */
  jb_buf b = {0};
  const char *s = "ab\xe2\x80";
  size_t used = jb_text_neutralize(s, 4, 0, &b);
  CHECK(used == 2 && !strcmp(jb_buf_str(&b), "ab"), "cut U+202E kept back: used %zu", used);
  jb_buf_free(&b);
  /* JSON stays the same value: \u202e inside a string */
  const char json[] = "{\"t\":\"a\xe2\x80\xae\"}";
  o = neutral(json, sizeof(json) - 1);
  cJSON *a = cJSON_Parse(o), *bj = cJSON_Parse(json);
  CHECK(a && bj && cJSON_Compare(a, bj, 1), "neutralised JSON is the same value: %s", o);
  cJSON_Delete(a);
  cJSON_Delete(bj);
  free(o);
  /* what import refuses */
  uint32_t cp = 0;
  CHECK(jb_text_refused_at("ab\x1b", 3, 1, &cp) == 2 && cp == 0x1b, "ESC refused");
  CHECK(jb_text_refused_at("a\xe2\x80\xae", 4, 1, &cp) == 1 && cp == 0x202e, "U+202E refused");
  CHECK(jb_text_refused_at("a\tb\nc", 5, 1, NULL) < 0, "TAB, LF in a multi-line field");
  CHECK(jb_text_refused_at("a\tb", 3, 0, NULL) == 1, "TAB refused in a one-line field");
}

TEST(md_escape) {
  jb_buf b = {0};
  jb_md_text(&b, "<script>alert(1)</script>|x\n# h");
  CHECK(!strcmp(jb_buf_str(&b), "\\<script\\>alert(1)\\</script\\>\\|x \\# h"), "markdown: %s", b.p);
  jb_buf_free(&b);
}

int main(void) {
  RUN(outfile_commit_replaces_whole);
  RUN(outfile_abort_keeps_target);
  RUN(outfile_abort_all);
  RUN(outfile_errors);
  RUN(outfile_symlinks);
  RUN(csv_cells);
  RUN(text_neutralize);
  RUN(md_escape);
  return test_report();
}
