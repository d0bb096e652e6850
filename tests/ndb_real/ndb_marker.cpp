// NDB API writer and reader for the real-NDB tests (issue 27): the SQL node's part without an SQL node.
//   ndb_marker write CONNECTSTRING MARKER [ROWS]   create table clustersec/marker if absent, write ROWS rows holding MARKER
//   ndb_marker count CONNECTSTRING MARKER          scan the table, print "rows=N marker_rows=M"
//   ndb_marker drop CONNECTSTRING -                drop the table (before ndb_restore -m brings it back)
// NDB_TLS_SEARCH_PATH (environment): the TLS search path (ndb-api-* key and certificate), with TLS required towards
// the management server (mgm_tls_level 1); unset, the connection is made without calling configure_tls().
// Exit 0 on success, 2 on an NDB error (printed), 64 on bad usage.
#include <NdbApi.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

static int ndb_fail(const char *what, const NdbError &e) {
  std::fprintf(stderr, "ndb_marker: %s: %d %s\n", what, e.code, e.message);
  return 2;
}

static int run(const std::string &mode, const char *connect, const char *marker, int rows) {
  Ndb_cluster_connection conn(connect);
  const char *tls_path = std::getenv("NDB_TLS_SEARCH_PATH");
  if (tls_path != nullptr && tls_path[0] != '\0') conn.configure_tls(tls_path, 1);
  if (conn.connect(12, 5, 1) != 0) {
    std::fprintf(stderr, "ndb_marker: cannot connect to the management server %s\n", connect);
    return 2;
  }
  if (conn.wait_until_ready(60, 30) != 0) {
    std::fprintf(stderr, "ndb_marker: data nodes not ready in 60 s\n");
    return 2;
  }
  Ndb ndb(&conn, "clustersec");
  if (ndb.init() != 0) return ndb_fail("init", ndb.getNdbError());
  NdbDictionary::Dictionary *dict = ndb.getDictionary();
  const NdbDictionary::Table *table = dict->getTable("marker");
  if (mode == "write") {
    if (table == nullptr) {
      NdbDictionary::Table t("marker");
      NdbDictionary::Column id("id");
      id.setType(NdbDictionary::Column::Unsigned);
      id.setPrimaryKey(true);
      t.addColumn(id);
      NdbDictionary::Column payload("payload");
      payload.setType(NdbDictionary::Column::Varbinary);
      payload.setLength(255);
      payload.setNullable(false);
      t.addColumn(payload);
      if (dict->createTable(t) != 0) return ndb_fail("createTable", dict->getNdbError());
      table = dict->getTable("marker");
      if (table == nullptr) return ndb_fail("getTable", dict->getNdbError());
    }
    for (int start = 0; start < rows; start += 100) {
      NdbTransaction *trans = ndb.startTransaction();
      if (trans == nullptr) return ndb_fail("startTransaction", ndb.getNdbError());
      for (int i = start; i < rows && i < start + 100; i++) {
        char text[254];
        int n = std::snprintf(text, sizeof(text), "%s row %d", marker, i);
        if (n < 0 || n > 250) n = 250;
        char value[256];
        value[0] = static_cast<char>(n);
        std::memcpy(value + 1, text, n);
        NdbOperation *op = trans->getNdbOperation(table);
        if (op == nullptr || op->writeTuple() != 0 || op->equal("id", static_cast<Uint32>(i)) != 0 ||
            op->setValue("payload", value) != 0)
          return ndb_fail("operation", trans->getNdbError());
      }
      if (trans->execute(NdbTransaction::Commit) != 0) return ndb_fail("commit", trans->getNdbError());
      ndb.closeTransaction(trans);
    }
    std::printf("written=%d\n", rows);
    return 0;
  }
  if (mode == "drop") {
    if (table != nullptr && dict->dropTable("marker") != 0) return ndb_fail("dropTable", dict->getNdbError());
    std::printf("dropped=%d\n", table != nullptr ? 1 : 0);
    return 0;
  }
  if (mode == "count") {
    if (table == nullptr) {
      std::printf("rows=0 marker_rows=0 table=absent\n");
      return 0;
    }
    NdbTransaction *trans = ndb.startTransaction();
    if (trans == nullptr) return ndb_fail("startTransaction", ndb.getNdbError());
    NdbScanOperation *scan = trans->getNdbScanOperation(table);
    if (scan == nullptr || scan->readTuples(NdbOperation::LM_CommittedRead) != 0)
      return ndb_fail("scan", trans->getNdbError());
    NdbRecAttr *payload = scan->getValue("payload");
    if (payload == nullptr || trans->execute(NdbTransaction::NoCommit) != 0)
      return ndb_fail("execute", trans->getNdbError());
    long total = 0, with_marker = 0;
    size_t mlen = std::strlen(marker);
    int rc;
    while ((rc = scan->nextResult(true)) == 0) {
      total++;
      const unsigned char *v = reinterpret_cast<const unsigned char *>(payload->aRef());
      std::string text(reinterpret_cast<const char *>(v + 1), v[0]);
      if (mlen > 0 && text.find(marker) != std::string::npos) with_marker++;
    }
    if (rc != 1) return ndb_fail("nextResult", trans->getNdbError());
    ndb.closeTransaction(trans);
    std::printf("rows=%ld marker_rows=%ld\n", total, with_marker);
    return 0;
  }
  std::fprintf(stderr, "ndb_marker: unknown mode %s\n", mode.c_str());
  return 64;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: ndb_marker write|count CONNECTSTRING MARKER [ROWS]\n");
    return 64;
  }
  int rows = argc > 4 ? std::atoi(argv[4]) : 200;
  ndb_init();
  int rc = run(argv[1], argv[2], argv[3], rows);
  ndb_end(0);
  return rc;
}
