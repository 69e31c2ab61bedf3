#include "server/dicom_importer.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <map>
#include <optional>
#include <variant>

#include "imaging/dicom_import.hpp"
#include "server/wire_json.hpp"

namespace hil::server {
namespace {

std::string_view text_of(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

// An element of a level's DICOM object as text: a string, the first of several, or a number.
std::string element_text(const rapidjson::Value& level, const char* key) {
    const auto dicom = level.FindMember("DICOM");
    if (dicom == level.MemberEnd() || !dicom->value.IsObject()) return {};
    const auto v = dicom->value.FindMember(key);
    if (v == dicom->value.MemberEnd()) return {};
    if (v->value.IsString()) return std::string(text_of(v->value));
    if (v->value.IsArray() && !v->value.Empty() && v->value[0].IsString()) return std::string(text_of(v->value[0]));
    if (v->value.IsInt64()) return std::to_string(v->value.GetInt64());
    return {};
}

std::string string_member(const rapidjson::Value& object, const char* level, const char* key) {
    const auto l = object.FindMember(level);
    if (l == object.MemberEnd() || !l->value.IsObject()) return {};
    return element_text(l->value, key);
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
    while (!s.empty() && s.front() == ' ') s.erase(s.begin());
    return s;
}

// What one input object became.
struct scanned {
    const store::s3_folder::object* object = nullptr;
    std::variant<imaging::dicom_instance, imaging::import_refusal> outcome;
};

std::string key_of(std::initializer_list<std::string> parts) {
    std::string key;
    for (const auto& part : parts) {
        key += trimmed(part);
        key += '\x1f';
    }
    return key;
}

// SeriesNumber is an IS: "1", " 1" and "01" are the same series number.
std::string series_number_text(const std::string& text) {
    const auto t = trimmed(text);
    std::int64_t n = 0;
    if (!t.empty() && std::from_chars(t.data(), t.data() + t.size(), n).ec == std::errc()) return std::to_string(n);
    return t;
}

std::string grouping_key_of(const imaging::dicom_instance& i) {
    return key_of({i.patient_id, i.study_instance_uid, i.series_instance_uid, i.study_date, i.accession_number,
                   i.study_id, series_number_text(i.series_number)});
}

std::string json_text(const rapidjson::Value& v) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    v.Accept(w);
    return {buffer.GetString(), buffer.GetSize()};
}

// `fresh` (a document of the new instances) merged into `existing`: its instances join the
// series, replacing those with the same SOP Instance UID; the rest of `existing` stays.
std::optional<std::string> merged_metadata(const std::string& existing, const std::string& fresh) {
    rapidjson::Document base, add;
    base.Parse(existing.data(), existing.size());
    add.Parse(fresh.data(), fresh.size());
    if (base.HasParseError() || add.HasParseError() || !base.IsObject() || !add.IsObject()) return std::nullopt;
    auto& alloc = base.GetAllocator();
    auto base_study = base.FindMember("Study");
    auto add_study = add.FindMember("Study");
    if (base_study == base.MemberEnd() || add_study == add.MemberEnd()) return std::nullopt;
    auto& base_series = base_study->value["Series"];
    for (auto s = add_study->value["Series"].MemberBegin(); s != add_study->value["Series"].MemberEnd(); ++s) {
        auto target = base_series.FindMember(s->name);
        if (target == base_series.MemberEnd()) {
            base_series.AddMember(rapidjson::Value(s->name, alloc), rapidjson::Value(s->value, alloc), alloc);
            continue;
        }
        auto& instances = target->value["Instances"];
        for (auto i = s->value["Instances"].MemberBegin(); i != s->value["Instances"].MemberEnd(); ++i) {
            if (auto old = instances.FindMember(i->name); old != instances.MemberEnd()) instances.RemoveMember(old);
            instances.AddMember(rapidjson::Value(i->name, alloc), rapidjson::Value(i->value, alloc), alloc);
        }
    }
    return json_text(base);
}

std::string failure_line(std::string_view input_file, std::string_view type, std::string_view message) {
    std::string line;
    json_out w(line);
    w.begin_object().member("inputFile", input_file);
    w.key("exception").begin_object().member("exceptionType", type).member("message", message).end_object();
    w.end_object();
    return line + "\n";
}

}  // namespace

std::string_view frame_content_type(std::string_view ts) {
    if (ts == "1.2.840.10008.1.2.4.50") return "image/jpeg";
    if (ts == "1.2.840.10008.1.2.4.91") return "image/j2c";
    if (ts == "1.2.840.10008.1.2.4.203") return "image/jphc";
    if (ts == "1.2.840.10008.1.2.4.112") return "image/jxl";
    if (ts == "1.2.840.10008.1.2.1") return "application/octet-stream";
    return "image/jph";  // 4.202, or missing
}

std::string grouping_key(const store::dicom_tags& t) {
    return key_of({t.patient_id, t.study_instance_uid, t.series_instance_uid, t.study_date, t.accession_number, t.study_id,
                   t.series_number ? std::to_string(*t.series_number) : std::string()});
}

store::dicom_tags dicom_tags_of(std::string_view metadata) {
    store::dicom_tags t;
    rapidjson::Document doc;
    doc.Parse(metadata.data(), metadata.size());
    if (doc.HasParseError() || !doc.IsObject()) return t;
    t.patient_id = string_member(doc, "Patient", "PatientID");
    t.patient_name = string_member(doc, "Patient", "PatientName");
    t.patient_birth_date = string_member(doc, "Patient", "PatientBirthDate");
    t.patient_sex = string_member(doc, "Patient", "PatientSex");
    t.study_instance_uid = string_member(doc, "Study", "StudyInstanceUID");
    t.study_id = string_member(doc, "Study", "StudyID");
    t.study_description = string_member(doc, "Study", "StudyDescription");
    t.accession_number = string_member(doc, "Study", "AccessionNumber");
    t.study_date = string_member(doc, "Study", "StudyDate");
    t.study_time = string_member(doc, "Study", "StudyTime");
    const auto study = doc.FindMember("Study");
    if (study == doc.MemberEnd() || !study->value.IsObject()) return t;
    const auto series = study->value.FindMember("Series");
    if (series == study->value.MemberEnd() || !series->value.IsObject()) return t;
    t.study_related_series = series->value.MemberCount();
    for (auto s = series->value.MemberBegin(); s != series->value.MemberEnd(); ++s) {
        if (const auto inst = s->value.FindMember("Instances"); inst != s->value.MemberEnd() && inst->value.IsObject()) {
            t.study_related_instances += inst->value.MemberCount();
        }
    }
    if (series->value.MemberCount() > 0) {
        const auto& first = series->value.MemberBegin()->value;
        t.series_instance_uid = element_text(first, "SeriesInstanceUID");
        t.series_modality = element_text(first, "Modality");
        t.series_body_part = element_text(first, "BodyPartExamined");
        const auto number = trimmed(element_text(first, "SeriesNumber"));
        std::int64_t n = 0;
        if (!number.empty() && std::from_chars(number.data(), number.data() + number.size(), n).ec == std::errc()) {
            t.series_number = n;
        }
    }
    return t;
}

dicom_importer::dicom_importer(store::store& data, store::s3_folder folder, const api::clock& clock, resource_ids& ids,
                               logger& log, unsigned threads, import_limits limits)
    : data_(data), folder_(std::move(folder)), clock_(clock), ids_(ids), log_(log), threads_(std::max(1u, threads)),
      limits_(limits), worker_([this] { run_queue(); }) {}

dicom_importer::~dicom_importer() {
    stop_now_ = true;
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    worker_.join();
}

void dicom_importer::start(store::import_job job) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(job));
    }
    changed_.notify_all();
}

void dicom_importer::wait_idle() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void dicom_importer::run_queue() {
    for (;;) {
        store::import_job job;
        {
            std::unique_lock lock(mutex_);
            changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (stopping_) return;
            job = std::move(queue_.front());
            queue_.pop_front();
            busy_ = true;
        }
        try {
            run(job);
        } catch (const std::exception& e) {
            log_.error("import job " + job.job_id + " stopped: " + e.what());
            (void)data_.set_import_job_status(job.datastore_id, job.job_id,
                                              {job.job_id, "FAILED", "The import stopped on an internal error", clock_.now()});
        }
        {
            std::lock_guard lock(mutex_);
            busy_ = false;
        }
        changed_.notify_all();
    }
}

void dicom_importer::run(const store::import_job& job) {
    const auto fail = [&](std::string message) {
        log_.info("import job " + job.job_id + " FAILED: " + message);
        if (auto s = data_.set_import_job_status(job.datastore_id, job.job_id, {job.job_id, "FAILED", std::move(message), clock_.now()});
            !s) {
            log_.warn("import job " + job.job_id + ": " + s.err().message());
        }
    };
    if (auto s = data_.set_import_job_status(job.datastore_id, job.job_id, {job.job_id, "IN_PROGRESS", std::nullopt, 0}); !s) {
        log_.warn("import job " + job.job_id + " is gone before it started: " + s.err().message());
        return;
    }
    auto listed = folder_.list(job.input_s3_uri);
    if (!listed) return fail(listed.err().message());
    const auto& objects = listed.value().objects;
    if (!listed.value().prefix_exists) return fail("The input S3 location " + job.input_s3_uri + " does not exist");
    if (objects.empty() && listed.value().refused.empty()) return fail("The input S3 location " + job.input_s3_uri + " holds no objects");
    if (objects.size() > limits_.max_files) {
        return fail("The input holds " + std::to_string(objects.size()) + " files, more than the " +
                    std::to_string(limits_.max_files) + " one import job may read");
    }
    std::uint64_t total = 0;
    for (const auto& o : objects) total += o.size;
    if (total > limits_.max_total_bytes) {
        return fail("The input holds " + std::to_string(total) + " bytes, more than the " +
                    std::to_string(limits_.max_total_bytes) + " one import job may read");
    }

    // Decode on the workers; each takes the next file until none is left.
    std::vector<scanned> results(objects.size());
    std::atomic<std::size_t> next{0};
    const auto work = [&]() noexcept {
        for (std::size_t i = next++; i < objects.size() && !stop_now_; i = next++) {
            results[i].object = &objects[i];
            try {
            if (objects[i].size > limits_.max_file_bytes) {
                results[i].outcome = imaging::import_refusal{"ValidationException", "The file is larger than the " +
                                                             std::to_string(limits_.max_file_bytes) + " bytes one file may have"};
                continue;
            }
            auto bytes = folder_.read(objects[i]);
            if (!bytes) {
                results[i].outcome = imaging::import_refusal{"InternalServerException", bytes.err().message()};
                continue;
            }
            const auto& b = bytes.value();
            results[i].outcome = codecs_.read_instance(
                std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(b.data()), b.size()));
            } catch (const std::exception& e) {  // bad_alloc on a huge file: that file fails, not the server
                results[i].outcome = imaging::import_refusal{"InternalServerException",
                                                             std::string("The file cannot be read: ") + e.what()};
            }
        }
    };
    {
        // Joined however this block is left, so no thread outlives the results it writes.
        struct joined_threads {
            std::vector<std::thread> threads;
            ~joined_threads() {
                for (auto& t : threads) t.join();
            }
        } workers;
        const unsigned n = std::min<unsigned>(threads_, static_cast<unsigned>(std::max<std::size_t>(1, objects.size())));
        try {
            for (unsigned t = 1; t < n; ++t) workers.threads.emplace_back(work);
        } catch (const std::system_error&) {
            // Fewer threads than asked: the ones started (and this one) share the files.
        }
        work();
    }
    // The server is stopping: nothing of this job is stored (a restart on --db reports it FAILED).
    if (stop_now_) return;


    std::string failures, successes, warnings;
    std::uint64_t customer_errors = 0, server_errors = 0;
    for (const auto& [key, why] : listed.value().refused) {
        failures += failure_line(key, "ValidationException", why);
        ++customer_errors;
    }
    // Groups in the order their first instance was met; within one, the last file of a SOP Instance UID wins.
    std::vector<std::string> order;
    std::map<std::string, std::vector<std::pair<const scanned*, imaging::dicom_instance*>>> groups;
    std::map<const scanned*, std::string> group_of;  // every imported file, a replaced duplicate too
    for (auto& r : results) {
        if (auto* refusal = std::get_if<imaging::import_refusal>(&r.outcome)) {
            failures += failure_line(r.object->key, refusal->exception_type, refusal->message);
            ++(refusal->exception_type == "InternalServerException" ? server_errors : customer_errors);
            continue;
        }
        auto& instance = std::get<imaging::dicom_instance>(r.outcome);
        const auto key = grouping_key_of(instance);
        auto& members = groups[key];
        if (members.empty()) order.push_back(key);
        group_of[&r] = key;
        std::erase_if(members, [&](const auto& m) { return m.second->sop_instance_uid == instance.sop_instance_uid; });
        members.emplace_back(&r, &instance);
    }

    const auto now = clock_.now();
    std::vector<store::image_set_write> writes;
    struct summary {
        std::string image_set_id;
        std::size_t instances = 0;
        std::uint64_t version = 1;
        bool primary = true;
    };
    std::vector<summary> summaries;
    std::map<std::string, std::size_t> summary_of;  // grouping key -> summaries index
    for (const auto& group : order) {
        auto& members = groups[group];
        const auto& first = *members.front().second;
        // Matched as stored: the key of the group's metadata, the same function an update uses.
        const std::array<const imaging::dicom_instance*, 1> one{&first};
        const auto key = grouping_key(dicom_tags_of(imaging::image_set_metadata(job.datastore_id, "", one)));
        auto existing = data_.image_sets_of_series(job.datastore_id, first.series_instance_uid);
        if (!existing) return fail("The store could not be read: " + existing.err().message());
        const store::store::series_match* joins = nullptr;
        bool conflicting = false;
        for (const auto& e : existing.value()) {
            if (e.grouping_key == key && e.properties.is_primary) joins = &e;
            if (e.properties.is_primary && e.grouping_key != key) conflicting = true;
        }
        // A group of this job that came first with the same series and other values is primary.
        for (const auto& planned : writes) {
            if (planned.properties.is_primary && planned.properties.tags.series_instance_uid == first.series_instance_uid &&
                planned.grouping_key != key) {
                conflicting = true;
            }
        }
        store::image_set_write w;
        w.grouping_key = key;
        std::vector<const imaging::dicom_instance*> instances;
        for (auto& [result, instance] : members) {
            for (auto& f : instance->frames) {
                f.id = ids_.next();
                store::image_frame stored;
                stored.image_frame_id = f.id;
                stored.bytes.assign(f.codestream.begin(), f.codestream.end());
                stored.content_type = std::string(frame_content_type(instance->stored_transfer_syntax_uid));
                w.frames.push_back(std::move(stored));
            }
            instances.push_back(instance);
        }
        if (joins) {
            w.properties = joins->properties;
            w.properties.version = joins->properties.version + 1;
            w.properties.updated_at = now;
            w.properties.workflow_status = "IMPORTED";
            w.replaces = joins->properties.version;
            auto merged = merged_metadata(joins->metadata, imaging::image_set_metadata(job.datastore_id, w.properties.image_set_id, instances));
            if (!merged) return fail("The stored metadata of image set " + w.properties.image_set_id + " cannot be read");
            w.metadata = std::move(*merged);
        } else {
            w.properties.image_set_id = ids_.next();
            w.properties.datastore_id = job.datastore_id;
            w.properties.created_at = now;
            w.properties.updated_at = now;
            w.properties.is_primary = !conflicting;
            w.metadata = imaging::image_set_metadata(job.datastore_id, w.properties.image_set_id, instances);
        }
        w.properties.tags = dicom_tags_of(w.metadata);
        summaries.push_back({w.properties.image_set_id, members.size(), w.properties.version, w.properties.is_primary});
        summary_of[group] = summaries.size() - 1;
        writes.push_back(std::move(w));
    }
    std::uint64_t imported = 0;
    for (const auto& r : results) {
        const auto at = group_of.find(&r);
        if (at == group_of.end()) continue;
        ++imported;
        const auto& s = summaries[summary_of[at->second]];
        std::string line;
        json_out w(line);
        w.begin_object().member("inputFile", r.object->key);
        w.key("importResponse").begin_object().member("imageSetId", s.image_set_id);
        w.key("imageSetVersion").integer(static_cast<std::int64_t>(s.version));
        w.key("isPrimary").boolean(s.primary).end_object().end_object();
        successes += line + "\n";
    }

    const std::string& out = job.output_s3_uri;  // already <outputS3Uri><datastoreId>-DicomImport-<jobId>/
    std::string manifest;
    {
        json_out w(manifest);
        w.begin_object().key("jobSummary").begin_object();
        w.member("jobId", job.job_id).member("datastoreId", job.datastore_id);
        w.member("inputS3Uri", job.input_s3_uri).member("outputS3Uri", out);
        w.member("successOutputS3Uri", out + "SUCCESS/").member("failureOutputS3Uri", out + "FAILURE/");
        w.member("warningsOutputS3Uri", out + "WARNING/");
        w.key("numberOfScannedFiles").integer(static_cast<std::int64_t>(objects.size() + listed.value().refused.size()));
        w.key("numberOfImportedFiles").integer(static_cast<std::int64_t>(imported));
        w.key("numberOfFilesWithCustomerError").integer(static_cast<std::int64_t>(customer_errors));
        w.key("numberOfFilesWithServerError").integer(static_cast<std::int64_t>(server_errors));
        w.key("numberOfGeneratedImageSets").integer(static_cast<std::int64_t>(summaries.size()));
        w.key("imageSetsSummary").begin_array();
        for (const auto& s : summaries) {
            w.begin_object().member("imageSetId", s.image_set_id);
            w.key("numberOfMatchedSOPInstances").integer(static_cast<std::int64_t>(s.instances));
            w.key("imageSetVersion").integer(static_cast<std::int64_t>(s.version));
            w.key("isPrimary").boolean(s.primary).end_object();
        }
        w.end_array().end_object().end_object();
    }
    for (const auto& [name, text] : {std::pair<std::string, const std::string*>{"SUCCESS/success.ndjson", &successes},
                                     {"FAILURE/failure.ndjson", &failures},
                                     {"WARNING/warning.ndjson", &warnings},
                                     {"job-output-manifest.json", &manifest}}) {
        if (auto s = folder_.write(out + name, *text); !s) return fail("The output cannot be written: " + s.err().message());
    }
    auto written = data_.write_image_sets(job.datastore_id, writes,
                                          store::store::job_end{job.job_id, "COMPLETED", std::nullopt, clock_.now()});
    if (!written) return fail("The image sets cannot be stored: " + written.err().message());
    log_.info("import job " + job.job_id + " COMPLETED: " + std::to_string(imported) + " of " +
              std::to_string(objects.size()) + " files imported into " + std::to_string(summaries.size()) + " image set(s)");
}

}  // namespace hil::server
