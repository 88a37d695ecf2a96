/*
** test_ooxml.c — zip members read with bounds, XML events with local names,
** and the hostile packages: zip bombs, lying sizes, DOCTYPEs, damage.
*/
#include "test.h"
#include "ooxml.h"
#include <zip.h>

/* A zip archive in memory with the given members (name, content pairs);
** returns a malloc'd buffer. */
static char *make_zip(const char *const *members, int n, size_t *outn) {
  zip_error_t ze;
  zip_error_init(&ze);
  zip_source_t *buf = zip_source_buffer_create(NULL, 0, 0, &ze);
  zip_source_keep(buf);
  zip_t *za = zip_open_from_source(buf, ZIP_TRUNCATE, &ze);
  for (int i = 0; i < n; i++) {
    zip_source_t *s = zip_source_buffer(za, members[2 * i + 1], strlen(members[2 * i + 1]), 0);
    zip_file_add(za, members[2 * i], s, ZIP_FL_OVERWRITE);
  }
  zip_close(za);
  zip_source_open(buf);
  zip_source_seek(buf, 0, SEEK_END);
  zip_int64_t size = zip_source_tell(buf);
  zip_source_seek(buf, 0, SEEK_SET);
  char *out = malloc((size_t)size);
  zip_source_read(buf, out, (zip_uint64_t)size);
  zip_source_close(buf);
  zip_source_free(buf);
  *outn = (size_t)size;
  return out;
}

typedef struct collect {
  jb_buf text;
  jb_buf names;
  int stop_at_p; /* stop with JB_ERR_LIMIT at the first <p> */
} collect;

static int c_start(void *ctx, const char *name, const char **attrs) {
  collect *c = ctx;
  jb_buf_printf(&c->names, "<%s", name);
  const char *v = jb_xml_attr(attrs, "id");
  if (v) jb_buf_printf(&c->names, " id=%s", v);
  jb_buf_adds(&c->names, ">");
  return c->stop_at_p && !strcmp(name, "p") ? JB_ERR_LIMIT : 0;
}
static int c_end(void *ctx, const char *name) { return 0; }
static int c_text(void *ctx, const char *s, int n) {
  jb_buf_add(&((collect *)ctx)->text, s, (size_t)n);
  return 0;
}

static const char docx_xml[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
    "<w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" "
    "xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
    "<w:body><w:p r:id=\"rId7\"><w:r><w:t>油茶</w:t></w:r><w:r><w:t xml:space=\"preserve\"> 低产林&amp;改造</w:t></w:r></w:p></w:body></w:document>";

TEST(read_and_parse) {
  const char *m[] = {"word/document.xml", docx_xml, "[Content_Types].xml", "<Types/>"};
  size_t n;
  char *zipbytes = make_zip(m, 2, &n);
  jb_zip *z = NULL;
  jb_error err;
  jb_error_clear(&err);
  CHECK(jb_zip_open_mem(zipbytes, n, "a.docx", &z, &err) == JB_OK, "%s", err.message);
  CHECK(jb_zip_has(z, "word/document.xml") && !jb_zip_has(z, "xl/workbook.xml"), "has");
  char *p = NULL;
  size_t pn = 0;
  CHECK(jb_zip_read(z, "word/document.xml", 0, &p, &pn, &err) == JB_OK && pn == strlen(docx_xml) &&
            !strcmp(p, docx_xml), "read whole member");
  free(p);
  CHECK(jb_zip_read(z, "word/document.xml", 100, &p, &pn, &err) == JB_ERR_LIMIT, "bounded: %s", err.message);
  CHECK(jb_zip_read(z, "nope.xml", 0, &p, &pn, &err) == JB_ERR_NOTFOUND && strstr(err.message, "nope.xml"),
        "missing member named: %s", err.message);
  collect c = {0};
  jb_xml_handler h = {c_start, c_end, c_text, &c};
  CHECK(jb_zip_parse_xml(z, "word/document.xml", 0, &h, &err) == JB_OK, "%s", err.message);
  CHECK(!strcmp(jb_buf_str(&c.text), "油茶 低产林&改造"), "text: %s", jb_buf_str(&c.text));
  CHECK(!strcmp(jb_buf_str(&c.names), "<document><body><p id=rId7><r><t><r><t>"), "local names: %s",
        jb_buf_str(&c.names));
  /* a callback stops the parse with its status */
  collect c2 = {0};
  c2.stop_at_p = 1;
  jb_xml_handler h2 = {c_start, NULL, c_text, &c2};
  CHECK(jb_zip_parse_xml(z, "word/document.xml", 0, &h2, &err) == JB_ERR_LIMIT, "callback stops");
  jb_buf_free(&c.text);
  jb_buf_free(&c.names);
  jb_buf_free(&c2.text);
  jb_buf_free(&c2.names);
  jb_zip_close(z);
  free(zipbytes);
}

TEST(hostile) {
  jb_error err;
  jb_zip *z = NULL;
  /* not a zip at all */
  CHECK(jb_zip_open_mem("hello, world", 12, "x.xlsx", &z, &err) == JB_ERR_PARSE && !z &&
            strstr(err.message, "x.xlsx"), "not a zip: %s", err.message);
  CHECK(jb_zip_open("/nonexistent/x.xlsx", &z, &err) == JB_ERR_IO, "missing file: %s", err.message);
  /* a zip bomb: 16 MiB of one byte deflates about 1000:1 */
  size_t big = (size_t)16 << 20;
  char *bomb = malloc(big + 1);
  memset(bomb, 'a', big);
  bomb[big] = 0;
  const char *m[] = {"xl/worksheets/sheet1.xml", bomb};
  size_t n;
  char *zipbytes = make_zip(m, 1, &n);
  free(bomb);
  CHECK(jb_zip_open_mem(zipbytes, n, "bomb.xlsx", &z, &err) == JB_OK, "%s", err.message);
  char *p = NULL;
  size_t pn;
  jb_status rc = jb_zip_read(z, "xl/worksheets/sheet1.xml", 0, &p, &pn, &err);
  CHECK(rc == JB_ERR_LIMIT && !p && strstr(err.message, "sheet1.xml"), "bomb refused: %d %s", rc, err.message);
  jb_zip_close(z);
  free(zipbytes);
  /* DOCTYPE with entities: refused before anything expands */
  const char *lol = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><l>&b;</l>";
  collect c = {0};
  jb_xml_handler h = {c_start, c_end, c_text, &c};
  CHECK(jb_xml_parse(lol, strlen(lol), "lol.xml", &h, &err) == JB_ERR_PARSE && strstr(err.message, "DOCTYPE"),
        "doctype: %s", err.message);
  CHECK(c.text.n == 0, "nothing expanded");
  const char *bad = "<a><b></a>";
  CHECK(jb_xml_parse(bad, strlen(bad), "bad.xml", &h, &err) == JB_ERR_PARSE && strstr(err.message, "bad.xml"),
        "malformed: %s", err.message);
  jb_buf_free(&c.text);
  jb_buf_free(&c.names);
  /* damaged archive: flip bytes inside the compressed data */
  const char *m2[] = {"word/document.xml", docx_xml};
  zipbytes = make_zip(m2, 1, &n);
  for (size_t i = 60; i < 90 && i < n; i++) zipbytes[i] ^= 0x5a;
  if (jb_zip_open_mem(zipbytes, n, "broken.docx", &z, &err) == JB_OK) {
    rc = jb_zip_read(z, "word/document.xml", 0, &p, &pn, &err);
    CHECK(rc == JB_ERR_PARSE || rc == JB_ERR_LIMIT, "damage detected: %d", rc);
    if (!rc) free(p);
    jb_zip_close(z);
  }
  free(zipbytes);
}

int main(void) {
  jb_lang_set(JB_LANG_EN);
  RUN(read_and_parse);
  RUN(hostile);
  return test_report();
}
