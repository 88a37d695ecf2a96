/*
** test.h — a minimal test harness: CHECK() records a failure with the input
** that failed and goes on; test_main() prints "N passed, N failed".
*/
#ifndef JB_TEST_H
#define JB_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int t_pass, t_fail;
static const char *t_case = "";

#define CHECK(cond, ...)                                                        \
  do {                                                                          \
    if (cond) {                                                                 \
      t_pass++;                                                                 \
    } else {                                                                    \
      t_fail++;                                                                 \
      fprintf(stderr, "FAIL %s (%s:%d): %s: ", t_case, __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                             \
      fputc('\n', stderr);                                                      \
    }                                                                           \
  } while (0)

#define TEST(name) static void name(void)
#define RUN(name)                                                               \
  do {                                                                          \
    t_case = #name;                                                             \
    name();                                                                     \
  } while (0)

static inline int test_report(void) {
  printf("%d passed, %d failed\n", t_pass, t_fail);
  return t_fail ? 1 : 0;
}

#define JB_ARRAY_LEN_T(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* Paths handed in by CMake. */
#ifndef SOURCE_DIR
#define SOURCE_DIR "."
#endif

#endif
