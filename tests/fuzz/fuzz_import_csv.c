/*
** fuzz_import_csv.c — arbitrary bytes as a needs.csv file through
** jb_import_files (plain, --skip-invalid, --encoding GB18030) into a
** database with one org; the database must stay intact (jb_db_check).
** The checks are in fuzz_import.c, shared with the other import harness.
*/
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  jbf_import_input("needs.csv", data, size);
  return 0;
}
