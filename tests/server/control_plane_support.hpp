// Helpers shared by the control-plane operation tests (create/get/list/delete datastore,
// start/list import jobs, tags): a server on a manual clock with one keep-alive connection,
// request bodies, and small readers of JSON answers.
//
//   cp_server s;                                   // no data, default lifecycle
//   const auto ds = active_datastore(s, "name");   // CreateDatastore + GetDatastore until ACTIVE
//   const auto job = start_job(s, ds);             // StartDICOMImportJob, answers its jobId
//   s.clock().advance(1000);
//
// Each test builds its own server, so nothing leaks between tests.
#pragma once

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/clock.hpp"
#include "server/config.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/test_server.hpp"

namespace hil::test {

namespace http = server::http;
using header_list = std::vector<std::pair<std::string, std::string>>;

// 2025-11-29T08:00:00Z: where every cp_server's clock starts.
inline constexpr api::epoch_millis k_t0 = 1'764'403'200'000;
inline constexpr std::string_view k_account = "123456789012";
inline constexpr std::string_view k_role = "arn:aws:iam::123456789012:role/ImportRole";

// Documented patterns, as validation messages quote them.
inline constexpr std::string_view k_name_pattern = "[A-Za-z0-9._/#-]+";
inline constexpr std::string_view k_token_pattern = "[A-Za-z0-9._-]+";
inline constexpr std::string_view k_datastore_id_pattern = "[0-9a-z]{32}";
inline constexpr std::string_view k_tag_key_pattern = "(?!aws:)[a-zA-Z+-=._:/]+";
inline constexpr std::string_view k_arn_pattern =
    "arn:aws((-us-gov)|(-iso)|(-iso-b)|(-cn))?:medical-imaging:[a-z0-9-]+:[0-9]{12}:datastore/[0-9a-z]{32}(/imageset/"
    "[0-9a-z]{32})?";

// test_config() logging warnings only: no data, the default lifecycle, control API open.
server::config cp_config();
// The same with the built-in sample scenario.
server::config cp_sample_config();

class cp_server {
public:
    explicit cp_server(server::config cfg = cp_config(), std::string_view fixtures_json = {});

    api::manual_clock& clock() { return clock_; }
    unsigned short port() const { return server_.port(); }

    response get(std::string_view target, const header_list& h = {});
    response post(std::string_view target, std::string body, const header_list& h = {});
    response del(std::string_view target, const header_list& h = {});
    response call(http::verb method, std::string_view target, std::string body, const header_list& h);

private:
    api::manual_clock clock_{k_t0};  // first: the server reads it until it stops
    test_server server_;
    http_client client_;
};

// An Authorization header whose SigV4 credential scope names `region` (not verified).
header_list in_region(std::string_view region, std::string_view access_key_id = "AKIDEXAMPLE");

// Epoch milliseconds as the wire writes them: seconds, with up to three decimals, no trailing zeros.
std::string secs(api::epoch_millis t);

// Every byte but A-Z a-z 0-9 - . _ ~ as %XX, as the SDKs encode a label.
std::string percent_encode(std::string_view s);

std::string datastore_arn(std::string_view datastore_id, std::string_view region = "us-east-1",
                          std::string_view account = k_account);
// /tags/<the ARN percent-encoded as one segment>
std::string tags_target(std::string_view arn);
std::string datastore_target(std::string_view datastore_id);
std::string start_target(std::string_view datastore_id);
std::string list_jobs_target(std::string_view datastore_id, std::string_view query = {});

// "1 validation error detected: Value '<value>' at '<member>' failed to satisfy constraint: <constraint>"
std::string one_violation(std::string_view member, std::string_view value, std::string_view constraint);

// {"k0":"v0",...,"k<n-1>":"v<n-1>"} (keys `prefix` + index).
std::string tags_json(std::size_t n, std::string_view prefix = "k");

// A fresh client token, unique within the process.
std::string fresh_token();

// CreateDatastore with this body; REQUIREs 200 and answers the new datastore's id.
std::string create_datastore_with(cp_server& s, std::string body, const header_list& h = {});
// CreateDatastore {"datastoreName": name, "clientToken": <fresh>}.
std::string create_datastore(cp_server& s, std::string_view name, const header_list& h = {});
// GetDatastore until it answers ACTIVE (at most five polls); REQUIREs that it does.
void wait_active(cp_server& s, std::string_view datastore_id, const header_list& h = {});
std::string active_datastore(cp_server& s, std::string_view name, const header_list& h = {});

// A StartDICOMImportJob body. `extra` are raw JSON members appended, e.g. R"("jobName":"j")".
std::string start_body(std::string_view client_token, std::string_view input = "s3://in-bucket/dicom/",
                       std::string_view output = "s3://out-bucket/results/", std::string_view extra = {});
// StartDICOMImportJob with a fresh token; REQUIREs 200 and answers the jobId.
std::string start_job(cp_server& s, std::string_view datastore_id, std::string_view input = "s3://in-bucket/dicom/",
                      const header_list& h = {});

// The JSON body; fails the test when it is not a JSON object.
rapidjson::Document body_of(const response& res);
// The string at a JSON pointer ("/datastoreProperties/datastoreStatus"); REQUIREs one.
std::string string_at(const response& res, const char* pointer);
// The nextToken of a list answer, or nothing.
std::optional<std::string> next_token_of(const response& res);
// `member` of each object of the array `array`, in order.
std::vector<std::string> ids_in(const response& res, const char* array, const char* member);

// Every page of a list from `target` (which may already carry query parameters), maxResults
// `page_size`, following nextToken; REQUIREs 200 on each page. Answers the ids in order and
// how many pages it took.
struct walk_result {
    std::vector<std::string> ids;
    std::size_t pages = 0;
};
walk_result walk(cp_server& s, std::string_view target, int page_size, const char* array, const char* member,
                 const header_list& h = {});

}  // namespace hil::test
