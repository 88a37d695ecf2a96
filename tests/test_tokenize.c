/*
** test_tokenize.c — the tokenizer: CJK bigrams and unigrams, folding,
** stemming, words with digits, exact offsets, hostile bytes.
*/
#include "jiebang.h"
#include "test.h"

typedef struct toks {
  char out[4096];
  const char *src;
  int offsets_ok;
} toks;

/* Renders tokens as "tok@start-end" ("+" prefix when colocated), and checks
** that every offset pair lies inside the text on character boundaries. */
static int collect(void *ctx, int tflags, const char *tok, int ntok, int s, int e) {
  toks *t = ctx;
  char one[256];
  snprintf(one, sizeof(one), "%s%s%.*s", t->out[0] ? " " : "", (tflags & JB_TOKEN_COLOCATED) ? "+" : "",
           ntok, tok);
  strncat(t->out, one, sizeof(t->out) - strlen(t->out) - 1);
  int len = (int)strlen(t->src);
  if (s < 0 || e > len || s >= e || ((unsigned char)t->src[s] & 0xC0) == 0x80 ||
      (e < len && ((unsigned char)t->src[e] & 0xC0) == 0x80))
    t->offsets_ok = 0;
  return 0;
}

static jb_tokenizer *tk;

static const char *run(int mode, const char *text) {
  static toks t;
  memset(&t, 0, sizeof(t));
  t.src = text;
  t.offsets_ok = 1;
  jb_tokenize(tk, mode, text, (int)strlen(text), &t, collect);
  CHECK(t.offsets_ok, "offsets inside character boundaries for '%s'", text);
  return t.out;
}

static void expect(int mode, const char *text, const char *want) {
  const char *got = run(mode, text);
  CHECK(!strcmp(got, want), "input '%s' (%s): got '%s', want '%s'", text,
        mode == JB_TOKENIZE_QUERY ? "query" : "document", got, want);
}

TEST(cjk_bigrams) {
  expect(JB_TOKENIZE_QUERY, "无抗蛋鸡", "无抗 抗蛋 蛋鸡");
  expect(JB_TOKENIZE_DOCUMENT, "无抗蛋鸡", "无抗 +无 抗蛋 +抗 蛋鸡 +蛋 +鸡");
  expect(JB_TOKENIZE_QUERY, "茶", "茶");
  expect(JB_TOKENIZE_DOCUMENT, "茶", "茶");
  /* 科技 is findable inside 中南林业科技大学 */
  const char *d = run(JB_TOKENIZE_DOCUMENT, "中南林业科技大学");
  CHECK(strstr(d, "科技") != NULL, "科技 in '%s'", d);
}

TEST(mixed_scripts) {
  expect(JB_TOKENIZE_QUERY, "3D打印", "3d 打印");
  expect(JB_TOKENIZE_QUERY, "3DP砂型打印", "3dp 砂型 型打 打印");
  expect(JB_TOKENIZE_QUERY, "GB/T 1234", "gb t 1234");
  expect(JB_TOKENIZE_QUERY, "C919 C++ C# 0.5mm", "c919 c++ c# 0.5mm");
  /* found by fuzzing: a run of '+' once overflowed the word buffer */
  expect(JB_TOKENIZE_QUERY, "c+++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++", "c++");
}

TEST(folding_and_stemming) {
  expect(JB_TOKENIZE_QUERY, "３Ｄ打印", "3d 打印");
  expect(JB_TOKENIZE_QUERY, "ＡＢＣ　Printing", "abc print");
  expect(JB_TOKENIZE_QUERY, "printing printed prints", "print print print");
  expect(JB_TOKENIZE_QUERY, "Café NAÏVE", "cafe naiv");
  expect(JB_TOKENIZE_QUERY, "additive manufacturing", "addit manufactur");
}

static int span_of_3d(void *ctx, int f, const char *tok, int n, int st, int en) {
  int *out = ctx;
  if (n == 2 && !memcmp(tok, "3d", 2)) {
    out[0] = st;
    out[1] = en;
  }
  return 0;
}

TEST(fullwidth_offsets) {
  const char *s = "油茶：３Ｄ打印";
  int span[2] = {-1, -1};
  jb_tokenize(tk, JB_TOKENIZE_QUERY, s, (int)strlen(s), span, span_of_3d);
  CHECK(span[0] == 9 && span[1] == 15, "３Ｄ at bytes 9-15 of '%s', got %d-%d", s, span[0], span[1]);
}

static int count_tokens(void *ctx, int f, const char *tok, int n, int st, int en) {
  (*(long *)ctx)++;
  return 0;
}

TEST(hostile_input) {
  /* invalid UTF-8, NUL-free control bytes, lone continuation bytes */
  const char bad[] = "\xff\xfe\x80油\xe6\xb2茶\xc0\xaf abc\x01\x02";
  run(JB_TOKENIZE_DOCUMENT, bad);
  /* a 1 MB word is cut, not copied whole */
  size_t n = 1 << 20;
  char *big = malloc(n + 1);
  memset(big, 'a', n);
  big[n] = 0;
  toks t;
  memset(&t, 0, sizeof(t));
  t.src = big;
  t.offsets_ok = 1;
  jb_tokenize(tk, JB_TOKENIZE_QUERY, big, (int)n, &t, collect);
  CHECK(strlen(t.out) <= 64, "long word cut to 64 bytes, got %zu", strlen(t.out));
  /* a long CJK run streams */
  char *cjk = malloc(3 * 100000 + 1);
  for (int i = 0; i < 100000; i++) memcpy(cjk + 3 * i, "茶", 3);
  cjk[3 * 100000] = 0;
  long count = 0;
  jb_tokenize(tk, JB_TOKENIZE_QUERY, cjk, 3 * 100000, &count, count_tokens);
  CHECK(count == 99999, "100000-character run gives 99999 bigrams, got %ld", count);
  expect(JB_TOKENIZE_QUERY, "", "");
  expect(JB_TOKENIZE_QUERY, "+++ *** \"\" ", "");
  free(big);
  free(cjk);
}

int main(void) {
  if (jb_tokenizer_new(&tk) != JB_OK) return 2;
  RUN(cjk_bigrams);
  RUN(mixed_scripts);
  RUN(folding_and_stemming);
  RUN(fullwidth_offsets);
  RUN(hostile_input);
  jb_tokenizer_free(tk);
  return test_report();
}
