/*
** io_text.c — characters that must not reach a terminal as they are, and
** the one function that neutralises them in text output.
**
** A record's title is shown by `search` on a staff member's terminal. ESC
** starts a control sequence (retitle the window, clear the screen, in some
** terminals write files), BEL rings, C1 controls (U+0080-U+009F) are 8-bit
** forms of the same, and the bidirectional overrides, embeddings and
** isolates (U+202A-U+202E, U+2066-U+2069; "Trojan Source") reorder what is
** shown so that text reads differently from what it is. Marks (U+200E,
** U+200F, U+061C) reorder less but are invisible: also neutralised.
**
** Neutralised means written as the six ASCII characters \uXXXX. That is
** visible in a terminal, and it is the same JSON value as the raw
** character inside a JSON string, so a JSON or JSON Lines output stays
** exactly the same data (an export through stdout loses nothing). Raw
** control characters never appear in JSON outside strings. TAB, LF and CR
** pass: every text format needs them, and they move the cursor only.
*/
#include "jb_int.h"
#include <string.h>

int jb_char_is_unsafe(uint32_t cp) {
  if (cp < 0x20) return cp != '\t' && cp != '\n' && cp != '\r';
  if (cp == 0x7F) return 1;
  if (cp >= 0x80 && cp <= 0x9F) return 1;               /* C1 controls */
  if (cp == 0x061C || cp == 0x200E || cp == 0x200F) return 1; /* marks */
  if (cp >= 0x202A && cp <= 0x202E) return 1;           /* embeddings, overrides */
  if (cp >= 0x2066 && cp <= 0x2069) return 1;           /* isolates */
  return 0;
}

int jb_char_refused_at_import(uint32_t cp, int multiline) {
  /* C1 controls and the bidi marks occur in real published data (mojibake
  ** in titles of the rap set, U+200E in scifact abstracts): refusing them
  ** would refuse whole real files; they are neutralised on output instead.
  ** What cannot be legitimate text is refused: C0 controls (TAB, LF and CR
  ** only in multi-line fields), DEL, and the overrides/embeddings/isolates
  ** that reorder displayed text. */
  if (cp < 0x20) return !(multiline && (cp == '\t' || cp == '\n' || cp == '\r'));
  if (cp == 0x7F) return 1;
  if (cp >= 0x202A && cp <= 0x202E) return 1;
  if (cp >= 0x2066 && cp <= 0x2069) return 1;
  return 0;
}

long jb_text_refused_at(const char *s, size_t n, int multiline, uint32_t *cpOut) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < n) {
    uint32_t cp;
    int l = jb_utf8_decode(p + i, n - i, &cp);
    if (!l) { i++; continue; } /* invalid UTF-8 is reported by its own check */
    if (jb_char_refused_at_import(cp, multiline)) {
      if (cpOut) *cpOut = cp;
      return (long)i;
    }
    i += (size_t)l;
  }
  return -1;
}

/* Length of a UTF-8 sequence that starts at p[0] but is cut by the end of
** the buffer (p[0..n) is a valid prefix), or 0 when it is complete or not
** UTF-8 at all. */
static size_t cut_sequence(const unsigned char *p, size_t n) {
  size_t want = (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
  if (want <= n) return 0;
  for (size_t i = 1; i < n; i++)
    if ((p[i] & 0xC0) != 0x80) return 0;
  return n;
}

size_t jb_text_neutralize(const char *s, size_t n, int final, jb_buf *out) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, run = 0; /* bytes p[run..i) are copied as they are */
  while (i < n) {
    if (p[i] >= 0x20 && p[i] < 0x7F) { i++; continue; } /* ASCII fast path */
    uint32_t cp;
    int l = jb_utf8_decode(p + i, n - i, &cp);
    if (!l) {
      if (!final && cut_sequence(p + i, n - i)) break; /* rest comes with the next call */
      i++; /* not UTF-8: passed through (a legacy encoding is not ours to change) */
      continue;
    }
    if (!jb_char_is_unsafe(cp)) { i += (size_t)l; continue; }
    jb_buf_add(out, s + run, i - run);
    jb_buf_printf(out, "\\u%04x", (unsigned)cp);
    i += (size_t)l;
    run = i;
  }
  jb_buf_add(out, s + run, i - run);
  return i;
}

char *jb_text_safe_dup(const char *s) {
  jb_buf b = {0};
  if (!s) return NULL;
  jb_text_neutralize(s, strlen(s), 1, &b);
  if (b.oom) {
    jb_buf_free(&b);
    return NULL;
  }
  return b.p ? b.p : jb_strdup("");
}

size_t jb_text_safe_fwrite(FILE *out, const char *s, size_t n, int final) {
  /* one bounded buffer per call: the stdout filter calls this per flush */
  jb_buf b = {0};
  size_t done = 0;
  while (done < n) {
    size_t piece = n - done < 65536 ? n - done : 65536;
    jb_buf_reset(&b);
    size_t used = jb_text_neutralize(s + done, piece, final && done + piece == n, &b);
    if (b.oom) break;
    if (b.n && fwrite(b.p, 1, b.n, out) != b.n) break;
    done += used;
    if (used < piece) {
      /* a sequence cut by the piece's end: retry it with what follows */
      if (done + (piece - used) < n) continue;
      break;
    }
  }
  jb_buf_free(&b);
  return done;
}

void jb_md_text(jb_buf *b, const char *s) {
  /* Markdown and the HTML inside it: every character with a meaning is
  ** backslash-escaped (CommonMark: any ASCII punctuation may be), so "<script>"
  ** stays text and "|" cannot split a table cell; line breaks would end a
  ** table row or start a block, so they become spaces. */
  for (; s && *s; s++) {
    if (*s == '\n' || *s == '\r' || *s == '\t') {
      jb_buf_addc(b, ' ');
      continue;
    }
    if (strchr("\\`*_[]<>|#~&!", *s)) jb_buf_addc(b, '\\');
    jb_buf_addc(b, *s);
  }
}

const char *jb_id_problem(const char *s) {
  /* An id is typed back by staff, written into TREC runs (split on spaces)
  ** and CSV cells: spaces (ASCII, no-break, ideographic, the U+2000 block)
  ** and invisible characters (zero width, BOM) would split it or make two
  ** ids look the same; controls and bidi characters are never text. */
  const unsigned char *p = (const unsigned char *)s;
  size_t n = s ? strlen(s) : 0;
  if (!n) return "an id may not be empty";
  for (size_t i = 0; i < n;) {
    uint32_t cp = 0;
    int l = jb_utf8_decode(p + i, n - i, &cp);
    if (!l) return "an id must be valid UTF-8";
    if (jb_char_is_unsafe(cp) || cp == '\t' || cp == '\n' || cp == '\r')
      return "an id may not contain control or bidi characters";
    if (cp == ' ' || cp == 0xA0 || cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200F) || cp == 0x2028 ||
        cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x2060 || cp == 0xFEFF || cp == 0x1680)
      return "an id may not contain spaces or invisible characters (TREC and CSV output, and staff "
             "typing it, would split it or miss it)";
    i += (size_t)l;
  }
  return NULL;
}
