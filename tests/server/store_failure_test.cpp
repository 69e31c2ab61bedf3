// A failing database is a 500 InternalServerException, never a 404, and the server lives on.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <string>

#include "tests/support/expect.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/test_server.hpp"

namespace hil::test {
namespace {

// Runs `sql` on the database file from a second connection, as another process would.
void exec_sql(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
    const std::string message = err ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    REQUIRE_MESSAGE(rc == SQLITE_OK, sql << ": " << message);
}

TEST_CASE("an SQLite failure answers 500 InternalServerException and the server keeps serving") {
    temp_path db("hil-server-db", ".sqlite");
    auto cfg = test_config();
    cfg.empty = false;
    cfg.db_path = db.str();
    test_server srv(cfg);
    http_client c(srv.port());
    const auto target = job_target(sample_datastore, sample_completed_job);
    REQUIRE(c.get(target).result_int() == 200);

    exec_sql(db.str(), "ALTER TABLE import_jobs RENAME TO import_jobs_away");
    const auto failed = c.get(target);
    check_error_prefix(failed, 500, "InternalServerException", "SQLite");
    CHECK(error_message(failed).find("import_jobs") != std::string::npos);
    // Unknown jobs too: the lookup fails before "not found" could be decided.
    CHECK(c.get(job_target(sample_datastore, "abc")).result_int() == 500);

    // Same connection, still served; and served correctly again once the table is back.
    exec_sql(db.str(), "ALTER TABLE import_jobs_away RENAME TO import_jobs");
    CHECK(c.get("/_emulator/health").result_int() == 200);
    CHECK(c.get(target).result_int() == 200);

    srv.stop();
    CHECK(srv.log_text().find("500 InternalServerException") != std::string::npos);
}

}  // namespace
}  // namespace hil::test
