// request_journal as the router feeds it: what an entry keeps of each call, byte for byte
// (heads, bodies, their cuts and flags), whichever way the journal stores it inside.
#include "server/request_journal.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <sstream>
#include <string>

#include "api/operations.hpp"
#include "server/router.hpp"
#include "test_support.hpp"

namespace {

namespace http = boost::beast::http;
using hil::server::request;

constexpr hil::api::epoch_millis k_now = 1700000000123;  // Tue, 14 Nov 2023 22:13:20.123 GMT
const std::string k_job_prefix = "/getDICOMImportJob/datastore/" + std::string(hil::test::k_datastore_a) + "/job/";

class counting_ids final : public hil::server::request_id_source {
public:
    std::string next() override { return "req-" + std::to_string(++n_); }

private:
    int n_ = 0;
};

// A router that journals into `journal`, with GetDICOMImportJob answering by job id.
struct fixture {
    explicit fixture(std::size_t capacity = 16) : journal(capacity) {
        router.add(hil::api::ops::get_dicom_import_job,
                   [this](const hil::server::call& c) -> hil::api::result<hil::server::reply> {
                       const auto job = c.label("jobId");
                       // As a hit of the answer cache answers: bytes shared, not the reply's own.
                       if (job.starts_with("shared")) {
                           hil::server::reply r;
                           const auto& text = job == "sharedlong" ? shared_long : shared_short;
                           r.shared_body = {text, *text};
                           if (job == "sharedbinary") r.content_type = "application/octet-stream";
                           return r;
                       }
                       if (job == "missing") return hil::api::error::resource_not_found("Import job missing not found");
                       if (job == "binary") {
                           return hil::server::reply{206, std::string("\0\x01\xFF", 3), "image/jph", {{"Content-Encoding", "gzip"}}};
                       }
                       if (job == "long") return hil::server::reply{200, std::string(5000, 'x'), "text/plain", {}};
                       if (job == "headers") {
                           return hil::server::reply{200, "{}", "application/json; charset=utf-8", {{"X-One", "1"}, {"X-Two", "two"}}};
                       }
                       return hil::server::reply{200, R"({"ok":true})"};
                   });
        router.add(hil::api::ops::create_datastore, [](const hil::server::call&) -> hil::api::result<hil::server::reply> {
            return hil::server::reply{200, "{}"};
        });
    }

    // Routes `req` and gives back the entry the journal made of it.
    hil::server::journal_entry route(const request& req) {
        (void)router.route_request(req);
        const auto all = journal.query({});
        REQUIRE_FALSE(all.empty());
        auto e = journal.find(all.back().sequence);
        REQUIRE(e);
        return *e;
    }

    std::shared_ptr<const std::string> shared_short = std::make_shared<const std::string>(R"({"ok":true})");
    std::shared_ptr<const std::string> shared_long = std::make_shared<const std::string>(5000, 'x');
    hil::api::manual_clock clock{k_now};
    counting_ids ids;
    hil::store::fault_rules faults;
    std::ostringstream log_text;
    hil::server::logger log{hil::server::log_level::info, log_text};
    hil::server::request_journal journal;
    hil::server::router router{clock, ids, faults, log, extras()};

    hil::server::router_extras extras() {
        hil::server::router_extras x;
        x.journal = &journal;
        return x;
    }
};

request get(const std::string& target, unsigned version = 11) {
    request req{http::verb::get, target, version};
    req.insert("Host", "127.0.0.1:4566");
    return req;
}

constexpr std::string_view k_date = "Date: Tue, 14 Nov 2023 22:13:20 GMT";

}  // namespace

TEST_CASE("journal keeps a hit's request and answer as they went over the wire") {
    fixture f;
    auto req = get(k_job_prefix + "j1?x=1");
    req.insert("X-Test-Header", "seen");
    req.insert("x-test-header", "twice");
    const auto e = f.route(req);
    CHECK(e.sequence == 1);
    CHECK(e.time == k_now);
    CHECK(e.request_id == "req-1");
    CHECK(e.method == "GET");
    CHECK(e.path == k_job_prefix + "j1");
    CHECK(e.operation == "GetDICOMImportJob");
    REQUIRE(e.labels.size() == 2);
    CHECK(e.labels[0].first == "datastoreId");
    CHECK(e.labels[0].second == hil::test::k_datastore_a);
    CHECK(e.labels[1].first == "jobId");
    CHECK(e.labels[1].second == "j1");
    CHECK(e.status == 200);
    CHECK(e.error_type.empty());
    CHECK(e.fault_id.empty());
    CHECK(e.request.head == "GET " + k_job_prefix + "j1?x=1 HTTP/1.1\nHost: 127.0.0.1:4566\nX-Test-Header: seen\nx-test-header: twice");
    CHECK_FALSE(e.request.head_truncated);
    CHECK(e.request.body.empty());
    CHECK(e.request.body_size == 0);
    CHECK_FALSE(e.request.body_binary);
    CHECK(e.response.head == "HTTP/1.1 200 OK\nContent-Type: application/json\nx-amzn-RequestId: req-1\n" +
                                 std::string(k_date) + "\nContent-Length: 11");
    CHECK_FALSE(e.response.head_truncated);
    CHECK(e.response.body == R"({"ok":true})");
    CHECK(e.response.body_size == 11);
    CHECK_FALSE(e.response.body_binary);
}

TEST_CASE("journal keeps an error's type, an HTTP/1.0 call, the handler's own fields") {
    fixture f;
    const auto missing = f.route(get(k_job_prefix + "missing", 10));
    CHECK(missing.status == 404);
    CHECK(missing.error_type == "ResourceNotFoundException");
    CHECK(missing.request.head == "GET " + k_job_prefix + "missing HTTP/1.0\nHost: 127.0.0.1:4566");
    CHECK(missing.response.head.rfind("HTTP/1.0 404 Not Found\nx-amzn-ErrorType: ResourceNotFoundException\n"
                                      "Content-Type: application/json\nx-amzn-RequestId: req-1\n", 0) == 0);
    CHECK(missing.response.body.find("Import job missing not found") != std::string::npos);

    const auto headers = f.route(get(k_job_prefix + "headers"));
    CHECK(headers.response.head == "HTTP/1.1 200 OK\nX-One: 1\nX-Two: two\nContent-Type: application/json; charset=utf-8\n"
                                   "x-amzn-RequestId: req-2\n" + std::string(k_date) + "\nContent-Length: 2");
    CHECK(headers.response.body == "{}");
}

TEST_CASE("journal keeps the start of a long text body and none of a binary one") {
    fixture f;
    const auto binary = f.route(get(k_job_prefix + "binary"));
    CHECK(binary.status == 206);
    CHECK(binary.response.body.empty());
    CHECK(binary.response.body_size == 3);
    CHECK(binary.response.body_binary);
    CHECK(binary.response.head.find("\nContent-Encoding: gzip\n") != std::string::npos);

    const auto long_body = f.route(get(k_job_prefix + "long"));
    CHECK(long_body.response.body == std::string(hil::server::k_kept_body_bytes, 'x'));
    CHECK(long_body.response.body_size == 5000);
    CHECK_FALSE(long_body.response.body_binary);

    request post{http::verb::post, "/datastore", 11};
    post.insert("Content-Type", "application/json");
    post.body() = R"({"datastoreName":"d1"})";
    post.prepare_payload();
    const auto created = f.route(post);
    CHECK(created.operation == "CreateDatastore");
    CHECK(created.request.head == "POST /datastore HTTP/1.1\nContent-Type: application/json\nContent-Length: 22");
    CHECK(created.request.body == R"({"datastoreName":"d1"})");
    CHECK(created.request.body_size == 22);
    CHECK_FALSE(created.request.body_binary);

    post.set("Content-Type", "application/octet-stream");
    const auto octets = f.route(post);
    CHECK(octets.request.body.empty());
    CHECK(octets.request.body_size == 22);
    CHECK(octets.request.body_binary);
}

TEST_CASE("journal cuts a head past k_kept_head_bytes, and the method, path and labels past k_kept_text_bytes") {
    fixture f;
    auto req = get(k_job_prefix + "big");
    const std::string big(9000, 'v');
    req.insert("X-Big", big);
    req.insert("X-After", "gone");
    const auto e = f.route(req);
    const std::string whole = "GET " + k_job_prefix + "big HTTP/1.1\nHost: 127.0.0.1:4566\nX-Big: " + big + "\nX-After: gone";
    CHECK(e.request.head == whole.substr(0, hil::server::k_kept_head_bytes));
    CHECK(e.request.head_truncated);
    CHECK_FALSE(e.response.head_truncated);

    // Many small fields: a head cut in its fields' count, not in one long value.
    auto many = get(k_job_prefix + "many");
    std::string many_whole = "GET " + k_job_prefix + "many HTTP/1.1\nHost: 127.0.0.1:4566";
    for (int i = 0; i < 1000; ++i) {
        many.insert("X-" + std::to_string(i), "v");
        many_whole += "\nX-" + std::to_string(i) + ": v";
    }
    const auto m = f.route(many);
    CHECK(m.request.head == many_whole.substr(0, hil::server::k_kept_head_bytes));
    CHECK(m.request.head_truncated);

    // A job id past k_kept_text_bytes: kept with one byte more, so the reader can say it was cut.
    const std::string long_job(300, 'a');
    const auto cut = f.route(get(k_job_prefix + long_job));
    CHECK(cut.path == (k_job_prefix + long_job).substr(0, hil::server::k_kept_text_bytes + 1));
    REQUIRE(cut.labels.size() == 2);
    CHECK(cut.labels[1].second == long_job.substr(0, hil::server::k_kept_text_bytes + 1));
    CHECK(cut.request.head == "GET " + k_job_prefix + long_job + " HTTP/1.1\nHost: 127.0.0.1:4566");
}

TEST_CASE("journal: a percent-encoded label is kept decoded, the path and head as sent") {
    fixture f;
    const auto e = f.route(get(k_job_prefix + "j%31"));
    CHECK(e.path == k_job_prefix + "j%31");
    REQUIRE(e.labels.size() == 2);
    CHECK(e.labels[1].second == "j1");
    CHECK(e.request.head == "GET " + k_job_prefix + "j%31 HTTP/1.1\nHost: 127.0.0.1:4566");
}

TEST_CASE("journal: the ring's slots, reused as it turns, keep each entry's own text") {
    fixture f(3);
    for (int i = 0; i < 10; ++i) {
        // Entries of different sizes, so a reused slot's text is longer or shorter than before.
        const std::string job = i % 2 ? "long" : "j" + std::string(static_cast<std::size_t>(i) * 3, 'k');
        auto req = get(k_job_prefix + job);
        req.insert("X-Round", std::to_string(i));
        const auto e = f.route(req);
        CHECK(e.sequence == static_cast<std::uint64_t>(i + 1));
        CHECK(e.labels[1].second == job);
        CHECK(e.request.head == "GET " + k_job_prefix + job + " HTTP/1.1\nHost: 127.0.0.1:4566\nX-Round: " + std::to_string(i));
        CHECK(e.response.body_size == (i % 2 ? 5000u : 11u));
    }
    const auto all = f.journal.query({});
    REQUIRE(all.size() == 3);
    CHECK(all[0].sequence == 8);
    CHECK(all[2].request_id == "req-10");
}

TEST_CASE("journal: a shared answer body is kept as a share, and read back as a copy would be") {
    fixture f(2);
    const auto own = f.route(get(k_job_prefix + "j1"));
    const auto shared = f.route(get(k_job_prefix + "shared"));
    // One share the fixture's, one the journal's: the response that held a third is gone.
    CHECK(f.shared_short.use_count() == 2);
    CHECK(shared.response.body == own.response.body);
    CHECK(shared.response.body == R"({"ok":true})");
    CHECK(shared.response.body_size == 11);
    CHECK_FALSE(shared.response.body_binary);
    CHECK(shared.response.head == "HTTP/1.1 200 OK\nContent-Type: application/json\nx-amzn-RequestId: req-2\n" +
                                      std::string(k_date) + "\nContent-Length: 11");
    // Read again through a listing's find: the same.
    const auto again = f.journal.find(shared.sequence);
    REQUIRE(again);
    CHECK(again->response.body == R"({"ok":true})");

    SUBCASE("one longer than k_kept_body_bytes is shared while the budget has room, and read back cut") {
        // The budget of a ring of two: 2 x k_kept_body_bytes, for the shares' whole bodies.
        const auto long_shared = f.route(get(k_job_prefix + "sharedlong"));
        CHECK(long_shared.response.body == std::string(hil::server::k_kept_body_bytes, 'x'));
        CHECK(long_shared.response.body_size == 5000);
        CHECK(f.shared_long.use_count() == 2);
        // A second one would pass it (5,000 + 5,000 > 8 KiB): cut and copied, as an own body is.
        const auto copied = f.route(get(k_job_prefix + "sharedlong"));
        CHECK(copied.response.body == std::string(hil::server::k_kept_body_bytes, 'x'));
        CHECK(copied.response.body_size == 5000);
        CHECK(f.shared_long.use_count() == 2);
        // Its slot freed the short share; the ring turns, the long share goes and its room comes back.
        CHECK(f.shared_short.use_count() == 1);
        (void)f.route(get(k_job_prefix + "j2"));
        CHECK(f.shared_long.use_count() == 1);
        (void)f.route(get(k_job_prefix + "sharedlong"));
        CHECK(f.shared_long.use_count() == 2);
    }
    SUBCASE("a binary one is not kept") {
        const auto binary = f.route(get(k_job_prefix + "sharedbinary"));
        CHECK(binary.response.body.empty());
        CHECK(binary.response.body_size == 11);
        CHECK(binary.response.body_binary);
        // The ring of two still holds "shared"; this entry holds nothing of the bytes.
        CHECK(f.shared_short.use_count() == 2);
    }
    SUBCASE("the share is dropped when the ring reuses the slot, or the journal is cleared") {
        (void)f.route(get(k_job_prefix + "j2"));
        CHECK(f.shared_short.use_count() == 2);  // the ring of two: j2 replaced j1
        (void)f.route(get(k_job_prefix + "j3"));
        CHECK(f.shared_short.use_count() == 1);
        (void)f.route(get(k_job_prefix + "shared"));
        CHECK(f.shared_short.use_count() == 2);
        f.journal.clear();
        CHECK(f.shared_short.use_count() == 1);
    }
    SUBCASE("an entry given as a journal_entry in a slot that held a share drops it") {
        (void)f.route(get(k_job_prefix + "j2"));  // the slot of "shared" is next
        hil::server::journal_entry given;
        given.request_id = "given";
        given.response.body = "own";
        f.journal.record(given);
        CHECK(given.response.body == R"({"ok":true})");  // the replaced entry, as it was
        CHECK(f.shared_short.use_count() == 1);
        const auto all = f.journal.query({});
        REQUIRE(all.size() == 2);
        const auto kept = f.journal.find(all.back().sequence);
        REQUIRE(kept);
        CHECK(kept->response.body == "own");
    }
}
