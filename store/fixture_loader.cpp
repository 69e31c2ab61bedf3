#include "store/fixture_loader.hpp"

#include <rapidjson/document.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <array>
#include <iterator>
#include <span>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <unordered_map>
#include <sstream>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "api/operations.hpp"
#include "api/shapes.hpp"
#include "api/json_validation.hpp"
#include "store/fixture_codec.hpp"
#include "store/json_reader.hpp"
#include "store/progression.hpp"

namespace hil::store {
namespace {

namespace fs = std::filesystem;
using namespace fixture_json;
using namespace fixture_codec;

std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < offset; ++i) {
        if (text[i] == '\n') { ++line; column = 1; } else { ++column; }
    }
    return {line, column};
}

api::error fixture_error(std::string_view source, std::string_view place, std::string_view reason) {
    return api::error::validation("fixture " + std::string(source) + ": " + std::string(place) + ": " + std::string(reason));
}

// Gives the heap's free pages back to the system after a big load, whose parse trees and
// job copies would otherwise stay in the resident set for the life of the process.
void release_free_memory() {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

// Reads a file in chunks, as RapidJSON's input stream: a fixture is never held whole.
class chunked_file_stream {
public:
    using Ch = char;
    explicit chunked_file_stream(std::FILE* f) : file_(f) { refill(); }
    Ch Peek() const { return at_ < end_ ? buffer_[at_] : '\0'; }
    Ch Take() {
        if (at_ >= end_) return '\0';
        const Ch c = buffer_[at_++];
        if (at_ == end_) refill();
        return c;
    }
    std::size_t Tell() const { return consumed_ + at_; }
    bool failed() const { return std::ferror(file_) != 0; }
    // Not an output stream.
    Ch* PutBegin() { return nullptr; }
    void Put(Ch) {}
    void Flush() {}
    std::size_t PutEnd(Ch*) { return 0; }

private:
    void refill() {
        consumed_ += end_;
        at_ = 0;
        end_ = std::fread(buffer_.data(), 1, buffer_.size(), file_);
    }
    std::FILE* file_;
    std::array<char, 1 << 16> buffer_{};
    std::size_t at_ = 0, end_ = 0, consumed_ = 0;
};

// What streaming one document reports for each item of its top-level "jobs" array: the item
// as its own small JSON value, and its index. The value dies after the call.
using job_item_sink = std::function<void(const json& item, std::size_t index)>;

// Builds the document as RapidJSON's Document would, but for the items of the top-level
// "jobs" array: each is built alone (in a small pool reused item after item), given to the
// sink and dropped, and the array stays empty in the document.
class streaming_builder : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, streaming_builder> {
public:
    streaming_builder(rapidjson::Document& rest, const job_item_sink& sink) : rest_(rest), sink_(sink) {}

    bool Null() { return push(json(rapidjson::kNullType)); }
    bool Bool(bool b) { return push(json(b)); }
    bool Int(int i) { return push(json(i)); }
    bool Uint(unsigned u) { return push(json(u)); }
    bool Int64(std::int64_t i) { return push(json(i)); }
    bool Uint64(std::uint64_t u) { return push(json(u)); }
    bool Double(double d) { return push(json(d)); }
    bool String(const char* str, rapidjson::SizeType length, bool) { return push(json(str, length, allocator())); }
    bool Key(const char* str, rapidjson::SizeType length, bool copy) {
        if (depth_ == 1 && !in_jobs_) {
            top_keys_.emplace_back(str, length);
            next_is_jobs_ = std::string_view(str, length) == "jobs";
        }
        stack_.emplace_back(str, length, allocator());
        (void)copy;
        return true;
    }
    bool StartObject() { return open(); }
    bool StartArray() {
        if (depth_ == 1 && next_is_jobs_ && !in_jobs_) {  // the jobs array: its items go to the sink
            next_is_jobs_ = false;
            in_jobs_ = true;
            ++depth_;
            jobs_depth_ = depth_;
            return true;
        }
        return open();
    }
    bool EndObject(rapidjson::SizeType members) {
        json object(rapidjson::kObjectType);
        auto& a = allocator();
        const std::size_t first = stack_.size() - 2 * std::size_t{members};
        for (std::size_t i = first; i < stack_.size(); i += 2) object.AddMember(stack_[i], stack_[i + 1], a);
        stack_.resize(first);
        --depth_;
        return push(std::move(object));
    }
    bool EndArray(rapidjson::SizeType items) {
        if (in_jobs_ && depth_ == jobs_depth_) {  // the jobs array ends: it stays in the document, empty
            in_jobs_ = false;
            --depth_;
            return push(json(rapidjson::kArrayType));
        }
        json array(rapidjson::kArrayType);
        auto& a = allocator();
        array.Reserve(items, a);
        const std::size_t first = stack_.size() - items;
        for (std::size_t i = first; i < stack_.size(); ++i) array.PushBack(stack_[i], a);
        stack_.resize(first);
        --depth_;
        return push(std::move(array));
    }

    // After a successful parse: the document (every member but the jobs' items) becomes `rest`.
    void finish() {
        if (!stack_.empty()) static_cast<json&>(rest_).Swap(stack_.front());
        stack_.clear();
    }
    // The top-level members' names in the order of the text.
    const std::vector<std::string>& top_keys() const { return top_keys_; }

private:
    rapidjson::MemoryPoolAllocator<>& allocator() {
        return in_jobs_ && depth_ >= jobs_depth_ ? item_pool_ : rest_.GetAllocator();
    }
    bool open() {
        if (depth_ == 1) next_is_jobs_ = false;
        ++depth_;
        return true;
    }
    bool push(json v) {
        if (depth_ == 1 && !in_jobs_) next_is_jobs_ = false;
        stack_.push_back(std::move(v));
        if (in_jobs_ && depth_ == jobs_depth_) {  // one item is whole
            sink_(stack_.back(), next_job_++);
            stack_.pop_back();
            item_pool_.Clear();
        }
        return true;
    }

    rapidjson::Document& rest_;
    const job_item_sink& sink_;
    std::vector<json> stack_;  // values being built; an object's are name, value, name, value...
    std::vector<std::string> top_keys_;
    rapidjson::MemoryPoolAllocator<> item_pool_;
    int depth_ = 0;            // containers open
    int jobs_depth_ = 0;       // depth_ inside the jobs array
    bool in_jobs_ = false;
    bool next_is_jobs_ = false;  // the top-level member whose value comes next is "jobs"
    std::size_t next_job_ = 0;
};

constexpr unsigned k_parse_flags = rapidjson::kParseValidateEncodingFlag;

api::error malformed(std::string_view source, std::pair<std::size_t, std::size_t> line_column, rapidjson::ParseErrorCode code) {
    return fixture_error(source, "line " + std::to_string(line_column.first) + ", column " + std::to_string(line_column.second),
                         std::string("malformed JSON: ") + rapidjson::GetParseError_En(code));
}

// What one document's jobs came to while it streamed: the first problem among them (a lone
// surrogate wins over a validation failure, as in a document checked whole).
struct streamed_jobs {
    std::optional<fixture_problem> surrogate;
    std::optional<fixture_problem> invalid;
    std::size_t count = 0;
};

// Every member of a document but the jobs, read and validated in the order of a whole
// document's check; `jobs` is called where the jobs would be read (and throws their problem).
template <class ReadJobs>
fixture_document read_document(const json& doc, std::string_view source, api::epoch_millis now, ReadJobs&& jobs) {
    fixture_document out;
    out.source = std::string(source);
    const object_reader top(doc, "", {"$schema", "accountId", "region", "datastores", "jobs", "importRules",
                                      "imports", "faults", "credentials", "policies"});
    top.optional_string("$schema");  // for editors (fixtures/schema.json): only its type is checked
    const auto account = top.optional("accountId", api::aws_account_id_shape);
    const auto region = read_region(top, "region", true);
    const scope defaults{account.value_or(std::string(k_default_account)), region.value_or(std::string(k_default_region))};
    for_each_item(top, "datastores", [&](const json& v, const place& p) { out.datastores.push_back(read_datastore(v, p, now, defaults)); });
    for_each_item(top, "importRules", [&](const json& v, const place& p) { out.import_rules.push_back(read_import_rule(v, p)); });
    jobs(top, out);
    for_each_item(top, "imports", [&](const json& v, const place& p) {
        out.imports.push_back({read_seeded_import(v, p, defaults.account_id), "fixture " + std::string(source) + ": " + p.str()});
    });
    for_each_item(top, "faults", [&](const json& v, const place& p) {
        auto f = read_fault(v, p);
        // A document that names its namespace scripts faults for that namespace alone.
        if (!f.account_id) f.account_id = account;
        if (!f.region && region && !region->empty()) f.region = region;
        out.faults.push_back(std::move(f));
    });
    for_each_item(top, "credentials", [&](const json& v, const place& p) { out.credentials.push_back(read_credential(v, p)); });
    for_each_item(top, "policies", [&](const json& v, const place& p) { out.policies.push_back(read_policy(v, p)); });
    return out;
}

// Whether the lone surrogate at `pointer` (of the document without its jobs' items) comes
// before the jobs in the text: the top-level members are compared by their order there.
bool comes_before_jobs(const std::string& pointer, const std::vector<std::string>& top_keys) {
    for (const auto& k : top_keys) {
        if (k == "jobs") return false;
        const std::string head = "/" + api::display_value(k);
        if (pointer == head || pointer.starts_with(head + "/")) return true;
    }
    return false;
}

// Parses one document from `in` (a RapidJSON input stream, positioned after any BOM), giving
// each valid job to `on_job` as it is read. `line_column` turns an error offset into a line
// and column. Errors as parse_fixture's, named and placed as for the whole document.
template <class Stream, class LineColumn>
api::result<fixture_document> stream_document(Stream& in, std::string_view source, api::epoch_millis now,
                                              const std::function<void(import_job&&, std::size_t)>& on_job,
                                              LineColumn&& line_column) {
    streamed_jobs jobs;
    const job_item_sink sink = [&](const json& item, std::size_t index) {
        jobs.count = index + 1;
        if (jobs.surrogate) return;
        const place at("/jobs", index);
        if (const auto inner = api::find_lone_surrogate(item)) {
            jobs.surrogate = fixture_problem{at.str() + *inner, "a string holds a lone UTF-16 surrogate (\\uD800 to \\uDFFF unpaired)"};
            return;
        }
        if (jobs.invalid) return;
        try {
            on_job(read_job(item, at, now), index);
        } catch (fixture_problem& p) {
            jobs.invalid = std::move(p);
        }
    };
    rapidjson::Document rest;
    streaming_builder builder(rest, sink);
    rapidjson::Reader reader;
    const auto parsed = reader.Parse<k_parse_flags>(in, builder);
    if (parsed.IsError()) return malformed(source, line_column(parsed.Offset()), parsed.Code());
    builder.finish();
    const auto rest_surrogate = api::find_lone_surrogate(rest);
    if (rest_surrogate && (!jobs.surrogate || comes_before_jobs(*rest_surrogate, builder.top_keys()))) {
        return fixture_error(source, rest_surrogate->empty() ? "/" : *rest_surrogate,
                             "a string holds a lone UTF-16 surrogate (\\uD800 to \\uDFFF unpaired)");
    }
    if (jobs.surrogate) return fixture_error(source, jobs.surrogate->pointer, jobs.surrogate->reason);
    try {
        auto out = read_document(rest, source, now, [&](const object_reader& top, fixture_document&) {
            for_each_item(top, "jobs", [](const json&, const place&) {});  // its type only: the items were read
            if (jobs.invalid) throw *jobs.invalid;
        });
        out.streamed_jobs = jobs.count;
        return out;
    } catch (const fixture_problem& p) {
        return fixture_error(source, p.pointer.empty() ? "/" : p.pointer, p.reason);
    }
}

// A document held in memory, streamed as one (the same BOM handling as Document::Parse).
api::result<fixture_document> stream_text(std::string_view text, std::string_view source, api::epoch_millis now,
                                          const std::function<void(import_job&&, std::size_t)>& on_job) {
    rapidjson::MemoryStream bytes(text.data(), text.size());
    rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> in(bytes);
    return stream_document(in, source, now, on_job, [&](std::size_t offset) { return line_and_column(text, offset); });
}

// A file, read in chunks. The line and column of an error are counted by reading it again.
// Messages name `source`; the file's own failures are refusals of `source` (a fixture file
// named by the user), or, with `read_failure`, that error (a body spooled by the server).
api::result<fixture_document> stream_file(const fs::path& path, std::string_view source, api::epoch_millis now,
                                          const std::function<void(import_job&&, std::size_t)>& on_job,
                                          const std::optional<api::error>& read_failure = std::nullopt) {
    const std::string name = path.string();
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(name.c_str(), "rb"), &std::fclose);
    if (!file) return read_failure ? *read_failure : fixture_error(source, "file", "cannot be read");
    chunked_file_stream in(file.get());
    // As EncodedInputStream<UTF8, MemoryStream> does for a document in memory.
    for (const unsigned bom : {0xEFu, 0xBBu, 0xBFu}) {
        if (static_cast<unsigned char>(in.Peek()) == bom) in.Take();
    }
    auto out = stream_document(in, source, now, on_job, [&](std::size_t offset) {
        std::ifstream again(path, std::ios::binary);
        std::size_t line = 1, column = 1;
        char c;
        for (std::size_t i = 0; i < offset && again.get(c); ++i) {
            if (c == '\n') { ++line; column = 1; } else { ++column; }
        }
        return std::pair{line, column};
    });
    if (in.failed()) return read_failure ? *read_failure : fixture_error(source, "file", "read failed");
    return out;
}

}  // namespace

api::result<fixture_document> parse_fixture(std::string_view text, std::string_view source, api::epoch_millis now) {
    std::vector<import_job> jobs;
    auto out = stream_text(text, source, now, [&](import_job&& j, std::size_t) { jobs.push_back(std::move(j)); });
    if (!out) return out;
    out.value().jobs = std::move(jobs);
    out.value().streamed_jobs = 0;
    return out;
}

namespace {

// Items as the control API takes them: one object, an array of them, or {"<member>": [...]}.
template <class Read>
auto parse_items(std::string_view text, std::string_view source, std::string_view member, Read read)
    -> api::result<std::vector<decltype(read(std::declval<const json&>(), place("")))>> {
    using item = decltype(read(std::declval<const json&>(), place("")));
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
    if (doc.HasParseError()) {
        const auto [line, column] = line_and_column(text, doc.GetErrorOffset());
        return fixture_error(source, "line " + std::to_string(line) + ", column " + std::to_string(column),
                             std::string("malformed JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()));
    }
    if (const auto at = api::find_lone_surrogate(doc)) {
        return fixture_error(source, at->empty() ? "/" : *at, "a string holds a lone UTF-16 surrogate (\\uD800 to \\uDFFF unpaired)");
    }
    std::vector<item> items;
    try {
        if (doc.IsObject() && doc.HasMember(rapidjson::StringRef(member.data(), member.size()))) {
            const object_reader top(doc, "", {member});
            for_each_item(top, member, [&](const json& v, const place& p) { items.push_back(read(v, p)); });
        } else if (doc.IsArray()) {
            for (rapidjson::SizeType i = 0; i < doc.Size(); ++i) items.push_back(read(doc[i], "/" + std::to_string(i)));
        } else {
            items.push_back(read(doc, ""));
        }
    } catch (const fixture_problem& p) {
        return fixture_error(source, p.pointer.empty() ? "/" : p.pointer, p.reason);
    }
    return items;
}

}  // namespace

api::result<std::vector<fault_rule>> parse_fault_rules(std::string_view text, std::string_view source) {
    return parse_items(text, source, "faults", read_fault);
}

api::result<std::vector<credential>> parse_credentials(std::string_view text, std::string_view source) {
    return parse_items(text, source, "credentials", read_credential);
}

api::result<std::vector<access_policy>> parse_policies(std::string_view text, std::string_view source) {
    return parse_items(text, source, "policies", read_policy);
}

namespace {

// The files `path` names: itself, or a folder's *.json files but schema.json, in name order.
api::result<std::vector<fs::path>> fixture_files(const std::string& path) {
    std::error_code ec;
    const fs::path p(path);
    const auto status = fs::status(p, ec);
    if (ec || !fs::exists(status)) return fixture_error(path, "path", "does not exist");
    std::vector<fs::path> files;
    if (fs::is_directory(status)) {
        for (const auto& entry : fs::directory_iterator(p, ec)) {
            // schema.json is the JSON Schema editors check the fixtures with (fixtures/schema.json),
            // so that it can sit beside the files it describes.
            if (entry.is_regular_file() && entry.path().extension() == ".json" &&
                entry.path().filename() != k_schema_file_name) {
                files.push_back(entry.path());
            }
        }
        if (ec) return fixture_error(path, "folder", "cannot be listed: " + ec.message());
        std::sort(files.begin(), files.end());
        if (files.empty()) return fixture_error(path, "folder", "holds no *.json files");
    } else {
        files.push_back(p);
    }
    return files;
}

}  // namespace

api::result<std::vector<fixture_document>> read_fixture_path(const std::string& path, api::epoch_millis now) {
    auto files = fixture_files(path);
    if (!files) return files.err();
    std::vector<fixture_document> docs;
    for (const auto& f : files.value()) {
        std::vector<import_job> jobs;
        auto d = stream_file(f, f.string(), now, [&](import_job&& j, std::size_t) { jobs.push_back(std::move(j)); });
        if (!d) return d.err();
        d.value().jobs = std::move(jobs);
        d.value().streamed_jobs = 0;
        docs.push_back(std::move(d).value());
    }
    return docs;
}

namespace {

// The jobs of a load as 64-bit fingerprints of (datastore, job id): 8 to 16 bytes a job,
// where an exact index of the ids took about 80 MB for a million (the load's peak RSS). A
// fingerprint seen again only makes a suspect, which the session checks exactly against the
// jobs the load has staged (store::loader::first_staged); a false suspect costs one scan of
// them, and comes about once in 10^7 loads of a million jobs.
class job_fingerprints {
public:
    // Records `fp`; true when it was recorded before.
    bool seen_before(std::uint64_t fp) {
        if (fp == 0) fp = 1;  // 0 marks an empty slot
        if (4 * (count_ + 1) > 3 * slots_.size()) grow();
        const std::size_t mask = slots_.size() - 1;
        for (std::size_t i = fp & mask;; i = (i + 1) & mask) {
            if (slots_[i] == 0) {
                slots_[i] = fp;
                ++count_;
                return false;
            }
            if (slots_[i] == fp) return true;
        }
    }

    static std::uint64_t of(std::uint32_t datastore, std::string_view job_id) {
        // splitmix64's finaliser, so that the low bits the table indexes by are mixed too.
        std::uint64_t x = std::hash<std::string_view>{}(job_id) ^ (datastore * 0x9e3779b97f4a7c15ULL);
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
        return x ^ (x >> 31);
    }

private:
    void grow() {
        std::vector<std::uint64_t> bigger(std::max<std::size_t>(1024, slots_.size() * 2), 0);
        const std::size_t mask = bigger.size() - 1;
        for (const std::uint64_t fp : slots_) {
            if (fp == 0) continue;
            std::size_t i = fp & mask;
            while (bigger[i] != 0) i = (i + 1) & mask;
            bigger[i] = fp;
        }
        slots_ = std::move(bigger);
    }
    std::vector<std::uint64_t> slots_;
    std::size_t count_ = 0;
};

// Where each staged job came from: runs of consecutive jobs of one document, by arrival
// number (1 for the load's first job, as store::loader counts them).
class arrival_places {
public:
    struct place {
        std::uint32_t document;
        std::uint64_t index;
    };
    void add(std::uint64_t arrival, std::uint32_t document, std::uint64_t index) {
        if (runs_.empty() || runs_.back().document != document ||
            runs_.back().first_index + (arrival - runs_.back().first_arrival) != index) {
            runs_.push_back({arrival, document, index});
        }
    }
    // REQUIRES: `arrival` was added.
    place of(std::uint64_t arrival) const {
        auto it = std::upper_bound(runs_.begin(), runs_.end(), arrival,
                                   [](std::uint64_t a, const run& r) { return a < r.first_arrival; });
        --it;
        return {it->document, it->first_index + (arrival - it->first_arrival)};
    }

private:
    struct run {
        std::uint64_t first_arrival;
        std::uint32_t document;
        std::uint64_t first_index;
    };
    std::vector<run> runs_;
};

// One load of fixture documents: jobs go into the store as they are read, everything that
// needs all documents is checked at the end (finish), in the order a load of whole
// documents checks it, so that the same fixture fails with the same message.
class fixture_session {
public:
    fixture_session(const fixture_target& target, load_mode mode, store::loader& rows)
        : target_(target), mode_(mode), rows_(rows) {}

    // Each document's jobs, in order, before the next document's.
    void add_job(std::uint32_t document, import_job&& j, std::size_t index) {
        if (problem_ || failure_) return;  // the load fails anyway: nothing more to write
        const std::uint32_t ds = datastore_number(j.datastore_id, document, index);
        if (jobs_.seen_before(job_fingerprints::of(ds, j.job_id))) {
            auto first = rows_.first_staged(j.datastore_id, j.job_id);
            if (!first) {
                failure_ = first.err();
                return;
            }
            if (first.value()) {
                problem_ = job_problem{document, index, duplicate_of(j, places_.of(*first.value()))};
                return;
            }
        }
        if (auto s = rows_.add_job(j); !s) {
            failure_ = s.err();
            return;
        }
        places_.add(++arrivals_, document, index);
    }

    // The checks that need every document, then the rest of the rows, the commit, and the
    // fault rules and access book. `documents` hold what is not streamed (no jobs, or jobs
    // to add first).
    api::status finish(std::vector<fixture_document>& documents);

    std::vector<std::string> sources;  // per document number: where it came from, for messages

private:
    struct job_problem {
        std::uint32_t document;
        std::uint64_t index;
        std::string message;  // the reason; the pointer is /jobs/<index>/...
    };
    struct referenced_datastore {
        std::string id;
        std::uint32_t document;  // its first job
        std::uint64_t index;
    };

    std::uint32_t datastore_number(const std::string& id, std::uint32_t document, std::size_t index) {
        // Jobs come in runs of a few datastores: the last few answer most look-ups.
        if (last_ < datastores_.size() && datastores_[last_].id == id) return static_cast<std::uint32_t>(last_);
        const auto [it, fresh] = numbers_.try_emplace(id, static_cast<std::uint32_t>(datastores_.size()));
        if (fresh) datastores_.push_back({id, document, index});
        last_ = it->second;
        return it->second;
    }
    std::string duplicate_of(const import_job& j, arrival_places::place first) const {
        return "job " + j.job_id + " of datastore " + j.datastore_id + " is already declared at " + sources[first.document] +
               " /jobs/" + std::to_string(first.index);
    }

    const fixture_target& target_;
    load_mode mode_;
    store::loader& rows_;
    job_fingerprints jobs_;
    arrival_places places_;
    std::uint64_t arrivals_ = 0;  // jobs staged so far
    std::vector<referenced_datastore> datastores_;
    std::unordered_map<std::string, std::uint32_t> numbers_;
    std::size_t last_ = static_cast<std::size_t>(-1);
    std::optional<job_problem> problem_;     // the first duplicate job
    std::optional<api::error> failure_;      // a store failure while writing
};

api::status fixture_session::finish(std::vector<fixture_document>& documents) {
    for (std::uint32_t n = 0; n < documents.size(); ++n) {
        auto& doc = documents[n];
        for (std::size_t i = 0; i < doc.jobs.size(); ++i) add_job(n, std::move(doc.jobs[i]), i);
        doc.jobs = {};
    }
    if (failure_) return *failure_;
    fault_rules& faults = target_.faults;
    std::map<std::string, std::string, std::less<>> datastore_places;
    std::map<std::string, std::string, std::less<>> fault_places;
    std::map<std::string, std::string, std::less<>> policy_places;
    std::vector<credential> credentials;
    std::vector<access_policy> policies;
    if (mode_ == load_mode::merge) {
        for (const auto& existing : target_.access.policies()) policy_places.emplace(existing.id, "the running policies");
    }
    for (const auto& doc : documents) {
        for (std::size_t i = 0; i < doc.policies.size(); ++i) {
            const auto& p = doc.policies[i];
            if (!p.id.empty()) {
                const std::string pointer = "/policies/" + std::to_string(i);
                const auto [it, fresh] = policy_places.emplace(p.id, doc.source + " " + pointer);
                if (!fresh) return fixture_error(doc.source, pointer + "/id", "policy id " + p.id + " is already used by " + it->second);
            }
            policies.push_back(p);
        }
        credentials.insert(credentials.end(), doc.credentials.begin(), doc.credentials.end());
    }
    for (const auto& doc : documents) {
        for (std::size_t i = 0; i < doc.datastores.size(); ++i) {
            const auto& d = doc.datastores[i];
            const std::string pointer = "/datastores/" + std::to_string(i);
            const auto [it, fresh] = datastore_places.emplace(d.datastore_id, doc.source + " " + pointer);
            if (!fresh) return fixture_error(doc.source, pointer + "/datastoreId",
                                             "datastore " + d.datastore_id + " is already declared at " + it->second);
            if (mode_ == load_mode::merge) {
                // Ids are unique across namespaces: one suite's fixture must not take over another's datastore.
                auto stored = rows_.datastore_namespace(d.datastore_id);
                if (!stored) return stored.err();
                if (const auto& ns = stored.value(); ns && (ns->account_id != d.account_id || ns->region != d.region)) {
                    return fixture_error(doc.source, pointer + "/datastoreId",
                                         "datastore " + d.datastore_id + " already exists in account " + ns->account_id +
                                             (ns->region.empty() ? std::string(", seen from every region")
                                                                 : ", region " + ns->region) +
                                             "; a datastore id belongs to one namespace");
                }
            }
        }
    }
    // The first job whose datastore is neither declared nor (merging) stored, which the
    // first job of that datastore is; it competes with the first duplicate for being first.
    for (const auto& r : datastores_) {
        if (datastore_places.count(r.id)) continue;
        if (problem_ && std::pair(problem_->document, problem_->index) < std::pair(r.document, r.index)) continue;
        if (mode_ == load_mode::merge) {
            auto stored = rows_.datastore_namespace(r.id);
            if (!stored) return stored.err();
            if (stored.value()) continue;
        }
        problem_ = job_problem{r.document, r.index, "datastore " + r.id + " is not declared in the fixtures' datastores"};
        problem_->message.insert(0, "\n");  // marks the datastoreId pointer (see below)
    }
    if (mode_ == load_mode::merge) {
        for (const auto& existing : faults.list()) fault_places.emplace(existing.id, "the running fault rules");
    }
    std::vector<fault_rule> rules;
    for (std::uint32_t n = 0; n < documents.size(); ++n) {
        const auto& doc = documents[n];
        if (problem_ && problem_->document == n) {
            const bool missing_datastore = problem_->message.starts_with('\n');
            return fixture_error(doc.source, "/jobs/" + std::to_string(problem_->index) + (missing_datastore ? "/datastoreId" : "/jobId"),
                                 missing_datastore ? problem_->message.substr(1) : problem_->message);
        }
        for (std::size_t i = 0; i < doc.faults.size(); ++i) {
            const auto& f = doc.faults[i];
            if (!f.id.empty()) {
                const std::string pointer = "/faults/" + std::to_string(i);
                const auto [it, fresh] = fault_places.emplace(f.id, doc.source + " " + pointer);
                if (!fresh) return fixture_error(doc.source, pointer + "/id", "fault id " + f.id + " is already used by " + it->second);
            }
            rules.push_back(f);
        }
    }
    for (const auto& doc : documents) {
        for (const auto& d : doc.datastores) {
            if (auto s = rows_.add_datastore(d); !s) return s;
        }
    }
    for (const auto& doc : documents) {
        for (const auto& r : doc.import_rules) {
            if (auto s = rows_.add_import_rule(r); !s) return s;
        }
    }
    if (auto s = rows_.commit(); !s) return s;
    jobs_ = {};
    places_ = {};
    numbers_ = {};
    release_free_memory();
    if (mode_ == load_mode::replace) {
        faults.replace(std::move(rules));
        target_.access.replace(std::move(credentials), std::move(policies));
        return api::ok_status();
    }
    if (auto added = faults.add(std::move(rules)); !added) return added.err();  // unreachable: ids were checked above
    target_.access.put_credentials(std::move(credentials));
    if (auto added = target_.access.add_policies(std::move(policies)); !added) return added.err();  // likewise
    return api::ok_status();
}

// Runs a load: `read` streams the documents into the session (their jobs to add_job), then
// `check` sees them all before the session finishes.
template <class Read>
api::status run_load(const fixture_target& into, load_mode mode, const fixture_check& check, Read&& read) {
    auto began = into.data.begin_load(mode);
    if (!began) return began.err();
    fixture_session session(into, mode, *began.value());
    std::vector<fixture_document> documents;
    if (auto s = read(session, documents); !s) return s;
    if (check) {
        if (auto s = check(documents); !s) return s;
    }
    return session.finish(documents);
}

}  // namespace

api::status apply_fixtures(std::vector<fixture_document> documents, const fixture_target& into, load_mode mode) {
    return run_load(into, mode, {}, [&](fixture_session& session, std::vector<fixture_document>& docs) {
        for (const auto& d : documents) session.sources.push_back(d.source);
        docs = std::move(documents);
        return api::ok_status();
    });
}

api::status load_fixture_text(std::string_view json, std::string_view source, const fixture_target& into, load_mode mode,
                              api::epoch_millis now, const fixture_check& check) {
    return run_load(into, mode, check, [&](fixture_session& session, std::vector<fixture_document>& docs) -> api::status {
        session.sources.emplace_back(source);
        auto doc = stream_text(json, source, now, [&](import_job&& j, std::size_t i) { session.add_job(0, std::move(j), i); });
        if (!doc) return doc.err();
        docs.push_back(std::move(doc).value());
        return api::ok_status();
    });
}

api::status load_fixture_file(const std::string& path, std::string_view source, const fixture_target& into,
                              load_mode mode, api::epoch_millis now, const fixture_check& check) {
    return run_load(into, mode, check, [&](fixture_session& session, std::vector<fixture_document>& docs) -> api::status {
        session.sources.emplace_back(source);
        auto doc = stream_file(path, source, now, [&](import_job&& j, std::size_t i) { session.add_job(0, std::move(j), i); },
                               api::error::internal("cannot read " + std::string(source) + " back from " + path));
        if (!doc) return doc.err();
        docs.push_back(std::move(doc).value());
        return api::ok_status();
    });
}

api::status load_fixture_paths(const std::vector<std::string>& paths, const fixture_target& into, load_mode mode,
                               api::epoch_millis now, const fixture_check& check) {
    return run_load(into, mode, check, [&](fixture_session& session, std::vector<fixture_document>& docs) -> api::status {
        for (const auto& path : paths) {
            auto files = fixture_files(path);
            if (!files) return files.err();
            for (const auto& f : files.value()) {
                const auto n = static_cast<std::uint32_t>(docs.size());
                session.sources.push_back(f.string());
                auto doc = stream_file(f, f.string(), now, [&](import_job&& j, std::size_t i) { session.add_job(n, std::move(j), i); });
                if (!doc) return doc.err();
                docs.push_back(std::move(doc).value());
            }
        }
        return api::ok_status();
    });
}

namespace {

// One item as its own JSON object, written by its codec function.
template <class Item>
std::string written(void (*write)(json_writer&, const Item&), const Item& item) {
    rapidjson::StringBuffer buffer;
    json_writer w(buffer);
    write(w, item);
    return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace

std::string write_fault_rule(const fault_rule& f) { return written(&write_fault, f); }
std::string write_credential(const credential& c) { return written(&fixture_codec::write_credential, c); }
std::string write_policy(const access_policy& p) { return written(&fixture_codec::write_policy, p); }

std::string write_fixture(const dataset& data, const std::vector<fault_rule>& faults,
                          const std::vector<credential>& credentials, const std::vector<access_policy>& policies) {
    rapidjson::StringBuffer buffer;
    json_writer w(buffer);
    w.StartObject();
    w.Key("datastores");
    w.StartArray();
    for (const auto& d : data.datastores) write_datastore(w, d);
    w.EndArray();
    w.Key("jobs");
    w.StartArray();
    for (const auto& j : data.jobs) write_job(w, j);
    w.EndArray();
    w.Key("importRules");
    w.StartArray();
    for (const auto& r : data.import_rules) write_import_rule(w, r);
    w.EndArray();
    w.Key("faults");
    w.StartArray();
    for (const auto& f : faults) write_fault(w, f);
    w.EndArray();
    w.Key("credentials");
    w.StartArray();
    for (const auto& c : credentials) fixture_codec::write_credential(w, c);
    w.EndArray();
    w.Key("policies");
    w.StartArray();
    for (const auto& p : policies) fixture_codec::write_policy(w, p);
    w.EndArray();
    w.EndObject();
    return {buffer.GetString(), buffer.GetSize()};
}

}  // namespace hil::store
