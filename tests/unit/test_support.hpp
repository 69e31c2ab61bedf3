// Helpers shared by the unit tests: temporary files that clean up after themselves, a UTF-8
// checker written independently of the code under test, and valid model values to vary.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include <unistd.h>

#include <doctest/doctest.h>

#include "store/model.hpp"
#include "tests/support/temp_path.hpp"
#include "store/store.hpp"

namespace hil::test {

inline void write_file(const std::filesystem::path& p, std::string_view text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
}

// Strict UTF-8 (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF.
inline bool is_valid_utf8(std::string_view s) {
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) { ++i; continue; }
        if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1Fu; }
        else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0Fu; }
        else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07u; }
        else return false;
        if (i + len > s.size()) return false;
        for (std::size_t k = 1; k < len; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3Fu);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF) return false;
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;
        i += len;
    }
    return true;
}

inline constexpr std::string_view k_datastore_a = "b3d1c5e2a4f6078e9d0c1b2a3f4e5d6c";
inline constexpr std::string_view k_datastore_b = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";

inline store::datastore make_datastore(std::string_view id, std::string name = "radiology") {
    store::datastore d;
    d.datastore_id = std::string(id);
    d.datastore_name = std::move(name);
    d.datastore_status = "ACTIVE";
    return d;
}

// TMPDIR set to `dir` for the helper's life (a store's scratch directory goes there), then
// put back as it was.
class scoped_tmpdir {
public:
    explicit scoped_tmpdir(const std::string& dir) {
        if (const char* v = std::getenv("TMPDIR")) saved_ = v;
        ::setenv("TMPDIR", dir.c_str(), 1);
    }
    scoped_tmpdir(const scoped_tmpdir&) = delete;
    scoped_tmpdir& operator=(const scoped_tmpdir&) = delete;
    ~scoped_tmpdir() {
        if (saved_) ::setenv("TMPDIR", saved_->c_str(), 1); else ::unsetenv("TMPDIR");
    }

private:
    std::optional<std::string> saved_;
};

// Datastores and jobs written as one merge load.
inline api::status upsert(store::store& s, std::vector<store::datastore> datastores, std::vector<store::import_job> jobs) {
    store::dataset data;
    data.datastores = std::move(datastores);
    data.jobs = std::move(jobs);
    return s.load(data);
}

inline store::import_job make_job(std::string_view datastore_id, std::string job_id) {
    store::import_job j;
    j.job_id = std::move(job_id);
    j.datastore_id = std::string(datastore_id);
    j.job_name = "ct-chest-batch-01";
    j.job_status = "COMPLETED";
    j.data_access_role_arn = "arn:aws:iam::123456789012:role/ImportRole";
    j.input_s3_uri = "s3://inbox/ct/";
    j.output_s3_uri = "s3://results/imports/";
    return j;
}

// The members of job "abc123" as both the fixture tests and the store tests write it.
inline void check_sample_job(const store::import_job& j, std::string_view datastore_id) {
    CHECK(j.job_id == "abc123");
    CHECK(j.datastore_id == datastore_id);
    CHECK(j.job_name == "ct-chest-batch-01");
    CHECK(j.job_status == "COMPLETED");
    CHECK(j.data_access_role_arn == "arn:aws:iam::123456789012:role/ImportRole");
    CHECK(j.input_s3_uri == "s3://inbox/ct/");
    CHECK(j.output_s3_uri == "s3://results/imports/");
    CHECK(j.submitted_at == api::epoch_millis{1700000000123});
    CHECK(j.ended_at == api::epoch_millis{1700000321500});
    CHECK(j.message == std::string("done"));
}

}  // namespace hil::test
