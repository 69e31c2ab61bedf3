#include "server/api_handlers.hpp"

#include "api/json_validation.hpp"
#include "api/operations.hpp"
#include "imaging/dicom_import.hpp"
#include "server/image_set_changes.hpp"
#include "server/image_set_search.hpp"
#include "store/progression.hpp"
#include "server/wire_json.hpp"

#include <algorithm>
#include <charconv>
#include <limits>

namespace hil::server {
namespace {


reply json(std::string body) { return reply{200, std::move(body)}; }


// The operation, the caller's scope and `parts`, each after a NUL, appended to `out`.
void append_identity(std::string& out, const call& c, std::initializer_list<std::string_view> parts) {
    out += c.op.name;
    for (const auto part : {std::string_view(c.scope.account_id), std::string_view(c.scope.region)}) {
        out += '\0';
        out += part;
    }
    for (const auto p : parts) {
        out += '\0';
        out += p;
    }
}

// The list a nextToken belongs to: the operation, the caller's scope and every filter, so a
// token is only good for the same list it came from.
std::string list_identity(const call& c, std::initializer_list<std::string_view> filters) {
    std::string id;
    append_identity(id, c, filters);
    return id;
}

// A read answered from ctx.answers when it holds this request's answer as of the store's
// generation now; else `read(keep)` runs, and its answer is kept when it sets `keep` (its answer
// follows from the stored state alone: no clock, no poll count). `parts` are what, beside the
// operation and the caller's scope, chooses the answer.
template <class Read>
api::result<reply> cached_read(const call& c, api_context& ctx, std::initializer_list<std::string_view> parts, Read read) {
    bool keep = false;
    if (!ctx.answers) return read(keep);
    thread_local std::string key;
    key.clear();
    append_identity(key, c, parts);
    const auto generation = ctx.data.generation();  // before the read: see answer_cache.hpp
    if (auto found = ctx.answers->find(key, generation)) {
        reply hit;
        hit.content_type.assign(found->content_type);
        hit.shared_body = std::move(found->body);
        return hit;
    }
    auto answer = read(keep);
    if (answer && keep) ctx.answers->keep(key, generation, answer.value().body, answer.value().content_type);
    return answer;
}

// Whether every item's answer stays as it is until the item is written: no time step due
// later (a poll step waits for a poll, which writes).
template <class Item>
bool all_settled(const std::vector<Item>& items) {
    return std::all_of(items.begin(), items.end(), [](const Item& i) { return store::settled(i.progression, i.progress); });
}

// The page a list call asks for. Error: ValidationException for a token this list did not issue.
api::result<store::page_request> page_requested(const call& c, const page_tokens& tokens, const std::string& list) {
    store::page_request request;
    if (const auto n = c.query_integer("maxResults")) request.limit = static_cast<std::size_t>(*n);  // else page_request's 50
    if (const auto token = c.query("nextToken")) {
        auto position = tokens.redeem(list, *token);
        if (!position) return api::error::validation("Invalid pagination token");
        request.after = std::move(position);
    }
    return request;
}

std::optional<std::string> next_token(const std::optional<std::string>& position, const page_tokens& tokens,
                                      const std::string& list) {
    if (!position) return std::nullopt;
    return tokens.issue(list, *position);
}

std::optional<std::string> owned(const std::optional<std::string_view>& v) {
    return v ? std::optional<std::string>(*v) : std::nullopt;
}

store::tag_map tags_in(const rapidjson::Value* tags) {
    store::tag_map out;
    if (!tags) return out;
    for (auto it = tags->MemberBegin(); it != tags->MemberEnd(); ++it) {
        out.insert_or_assign(std::string(it->name.GetString(), it->name.GetStringLength()),
                             std::string(it->value.GetString(), it->value.GetStringLength()));
    }
    return out;
}

// --- datastores ---

api::result<reply> create_datastore(const call& c, api_context& ctx) {
    store::datastore d;
    d.datastore_id = ctx.ids.next();
    d.datastore_name = std::string(c.body_string("datastoreName").value_or(""));  // empty: the store names it
    d.kms_key_arn = owned(c.body_string("kmsKeyArn"));
    d.lambda_authorizer_arn = owned(c.body_string("lambdaAuthorizerArn"));
    d.lossless_storage_format = owned(c.body_string("losslessStorageFormat"));
    d.client_token = owned(c.body_string("clientToken"));
    d.tags = tags_in(c.body_member("tags"));
    if (d.tags.size() > api::k_max_tags_per_resource) {
        return api::error::validation("A resource can have at most " + std::to_string(api::k_max_tags_per_resource) +
                                      " tags; the request has " + std::to_string(d.tags.size()));
    }
    auto created = ctx.data.create_datastore(c.scope, std::move(d), ctx.lifecycle, c.now);
    if (!created) return created.err();
    return json(datastore_status_body(created.value()));
}

api::result<reply> get_datastore(const call& c, api_context& ctx) {
    const auto datastore_id = c.label("datastoreId");
    return cached_read(c, ctx, {datastore_id}, [&](bool& keep) -> api::result<reply> {
        auto d = ctx.data.poll_datastore(c.scope, datastore_id, c.now);
        if (!d) return d.err();
        keep = store::finished(d.value().progression, d.value().progress);  // else a clock or a poll moves it on
        return json(get_datastore_body(d.value(), c.scope.region));
    });
}

api::result<reply> list_datastores(const call& c, api_context& ctx) {
    const auto status = owned(c.query("datastoreStatus"));
    const auto list = list_identity(c, {status.value_or("")});
    auto request = page_requested(c, ctx.tokens, list);
    if (!request) return request.err();
    auto page = ctx.data.list_datastores(c.scope, status, request.value(), c.now);
    if (!page) return page.err();
    return json(list_datastores_body(page.value().items, c.scope.region,
                                     next_token(page.value().next_position, ctx.tokens, list)));
}

api::result<reply> delete_datastore(const call& c, api_context& ctx) {
    auto d = ctx.data.delete_datastore(c.scope, c.label("datastoreId"), ctx.lifecycle, c.now);
    if (!d) return d.err();
    return json(datastore_status_body(d.value()));
}

// --- import jobs ---


api::result<reply> start_dicom_import_job(const call& c, api_context& ctx) {
    store::import_job j;
    j.job_id = ctx.ids.next();
    j.datastore_id = std::string(c.label("datastoreId"));
    j.job_name = std::string(c.body_string("jobName").value_or(""));  // empty: the store names it
    j.data_access_role_arn = std::string(c.body_string("dataAccessRoleArn").value_or(""));
    j.input_s3_uri = std::string(c.body_string("inputS3Uri").value_or(""));
    j.output_s3_uri = std::string(c.body_string("outputS3Uri").value_or(""));
    j.input_owner_account_id = owned(c.body_string("inputOwnerAccountId"));
    if (const auto* config = c.body_member("importConfiguration")) {
        // Kept as the service would keep it, so a retry that means the same is the same request.
        j.import_configuration = api::canonical_json(api::import_configuration_shape, *config);
    }
    j.client_token = owned(c.body_string("clientToken"));
    j.reads_files = ctx.importer != nullptr;
    const std::string new_id = j.job_id;
    auto started = ctx.data.start_import_job(c.scope, std::move(j), ctx.lifecycle, c.now);
    if (!started) return started.err();
    // A retry with the same client token answers the first job, which is already queued.
    if (ctx.importer && started.value().reads_files && started.value().job_id == new_id) ctx.importer->start(started.value());
    return json(start_dicom_import_job_body(started.value()));
}

api::result<reply> get_dicom_import_job(const call& c, api_context& ctx) {
    const auto datastore_id = c.label("datastoreId");
    const auto job_id = c.label("jobId");
    return cached_read(c, ctx, {datastore_id, job_id}, [&](bool& keep) -> api::result<reply> {
        auto job = ctx.data.poll_import_job(c.scope, datastore_id, job_id, c.now);
        if (!job) return job.err();
        keep = store::finished(job.value().progression, job.value().progress);  // else a clock or a poll moves it on
        return json(get_dicom_import_job_body(job.value()));
    });
}

api::result<reply> list_dicom_import_jobs(const call& c, api_context& ctx) {
    const auto datastore_id = c.label("datastoreId");
    const auto status = c.query("jobStatus");
    const auto max_results = c.query("maxResults");
    const auto token = c.query("nextToken");
    // A status filter is not cached: a job the page skipped may reach the status by the clock.
    return cached_read(c, ctx, {datastore_id, status ? "\1" : "", status.value_or(""), max_results.value_or(""), token.value_or("")},
                       [&](bool& keep) -> api::result<reply> {
        const auto list = list_identity(c, {datastore_id, status.value_or("")});
        auto request = page_requested(c, ctx.tokens, list);
        if (!request) return request.err();
        auto page = ctx.data.list_import_jobs(c.scope, datastore_id, owned(status), request.value(), c.now);
        if (!page) return page.err();
        keep = !status && all_settled(page.value().items);
        return json(list_dicom_import_jobs_body(page.value().items, next_token(page.value().next_position, ctx.tokens, list)));
    });
}

// --- tags ---

// The datastore (and image set) a resource ARN names, when it is one of the caller's: the
// ARN's account and region must be the caller's.
api::error resource_not_found(const call& c) {
    return api::error::resource_not_found("Resource " + api::display_value(c.label("resourceArn"), 256) + " not found");
}

// The store names a missing datastore by its id; a tag operation names the ARN it was given.
api::error tag_error(const call& c, const api::error& err) {
    return err.code() == api::error_code::resource_not_found ? resource_not_found(c) : err;
}

struct tagged_resource {
    std::string datastore_id;
    std::string image_set_id;  // empty: the datastore itself
};

api::result<tagged_resource> tagged(const call& c) {
    const auto arn = c.label("resourceArn");
    const auto not_found = [&] { return resource_not_found(c); };
    // arn:PARTITION:medical-imaging:REGION:ACCOUNT:datastore/ID[/imageset/ID], as the Arn pattern checked.
    std::vector<std::string_view> parts;
    std::string_view rest = arn;
    for (int i = 0; i < 5; ++i) {
        const auto colon = rest.find(':');
        if (colon == std::string_view::npos) return not_found();
        parts.push_back(rest.substr(0, colon));
        rest.remove_prefix(colon + 1);
    }
    // Only the standard partition is served: an aws-cn or aws-us-gov ARN names nothing here.
    if (parts[1] != "aws" || parts[3] != c.scope.region || parts[4] != c.scope.account_id) return not_found();
    constexpr std::string_view datastore_prefix = "datastore/";
    if (parts[2] != "medical-imaging" || !rest.starts_with(datastore_prefix)) return not_found();
    rest.remove_prefix(datastore_prefix.size());
    constexpr std::string_view image_set_prefix = "/imageset/";
    if (rest.size() == 32) return tagged_resource{std::string(rest), {}};
    if (rest.size() != 32 + image_set_prefix.size() + 32 || rest.substr(32, image_set_prefix.size()) != image_set_prefix) {
        return not_found();
    }
    return tagged_resource{std::string(rest.substr(0, 32)), std::string(rest.substr(32 + image_set_prefix.size()))};
}

api::result<reply> list_tags_for_resource(const call& c, api_context& ctx) {
    auto id = tagged(c);
    if (!id) return id.err();
    auto tags = ctx.data.tags_of(c.scope, id.value().datastore_id, id.value().image_set_id);
    if (!tags) return tag_error(c, tags.err());
    return json(tags_body(tags.value()));
}

api::result<reply> tag_resource(const call& c, api_context& ctx) {
    auto id = tagged(c);
    if (!id) return id.err();
    const auto& [datastore_id, image_set_id] = id.value();
    if (auto s = ctx.data.tag(c.scope, datastore_id, image_set_id, tags_in(c.body_member("tags"))); !s) {
        return tag_error(c, s.err());
    }
    return json("{}");
}

api::result<reply> untag_resource(const call& c, api_context& ctx) {
    auto id = tagged(c);
    if (!id) return id.err();
    std::vector<std::string> keys;
    for (const auto k : c.query_list("tagKeys")) keys.emplace_back(k);
    const auto& [datastore_id, image_set_id] = id.value();
    if (auto s = ctx.data.untag(c.scope, datastore_id, image_set_id, keys); !s) return tag_error(c, s.err());
    return json("{}");
}

// --- image sets ---

// A validated ImageSetExternalVersionId (\d+) as a number; one too big to be stored is a
// version that is never found.
std::optional<std::uint64_t> version_number(std::optional<std::string_view> text) {
    if (!text) return std::nullopt;
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), n);
    if (ec != std::errc() || end != text->data() + text->size()) return std::numeric_limits<std::uint64_t>::max();
    return n;
}

std::optional<std::uint64_t> version_asked(const call& c, std::string_view member) { return version_number(c.query(member)); }

api::result<reply> get_image_set(const call& c, api_context& ctx) {
    auto found = ctx.data.find_image_set(c.scope, c.label("datastoreId"), c.label("imageSetId"), version_asked(c, "versionId"));
    if (!found) return found.err();
    return json(get_image_set_body(found.value(), c.scope));
}

api::result<reply> get_image_set_metadata(const call& c, api_context& ctx) {
    auto metadata = ctx.data.image_set_metadata(c.scope, c.label("datastoreId"), c.label("imageSetId"),
                                                version_asked(c, "versionId"));
    if (!metadata) return metadata.err();
    // Always gzip, whatever Accept-Encoding says: the SDKs hand the bytes over as they came.
    reply r{200, imaging::gzip(metadata.value()), "application/json", {{"Content-Encoding", "gzip"}}};
    return r;
}

api::result<reply> get_image_frame(const call& c, api_context& ctx) {
    std::string_view id;  // the pipeline checked imageFrameInformation.imageFrameId is there
    if (const auto* info = c.payload()) {
        if (const auto f = info->FindMember("imageFrameId"); f != info->MemberEnd() && f->value.IsString()) {
            id = std::string_view(f->value.GetString(), f->value.GetStringLength());
        }
    }
    const auto datastore_id = c.label("datastoreId");
    const auto image_set_id = c.label("imageSetId");
    // A stored frame changes only by a write (a deletion, a copy over it), which moves the
    // generation on: every frame found may be kept.
    return cached_read(c, ctx, {datastore_id, image_set_id, id}, [&](bool& keep) -> api::result<reply> {
        auto frame = ctx.data.find_image_frame(c.scope, datastore_id, image_set_id, id);
        if (!frame) return frame.err();
        keep = true;
        return reply{200, std::move(frame.value().bytes), std::move(frame.value().content_type), {}};
    });
}

api::result<reply> list_image_set_versions(const call& c, api_context& ctx) {
    const auto datastore_id = c.label("datastoreId");
    const auto image_set_id = c.label("imageSetId");
    const auto list = list_identity(c, {datastore_id, image_set_id});
    auto request = page_requested(c, ctx.tokens, list);
    if (!request) return request.err();
    auto page = ctx.data.image_set_versions(c.scope, datastore_id, image_set_id, request.value());
    if (!page) return page.err();
    return json(list_image_set_versions_body(page.value().items, next_token(page.value().next_position, ctx.tokens, list)));
}

api::result<reply> search_image_sets(const call& c, api_context& ctx) {
    const auto datastore_id = c.label("datastoreId");
    auto query = image_set_query::from(c.payload());
    if (!query) return query.err();
    // The criteria are part of the list's identity: a token from one search is no good for another.
    const std::string criteria = c.payload() ? api::canonical_json(api::search_criteria_shape, *c.payload()) : "";
    const auto list = list_identity(c, {datastore_id, criteria});
    auto request = page_requested(c, ctx.tokens, list);
    if (!request) return request.err();
    auto all = ctx.data.image_sets_of(c.scope, datastore_id);
    if (!all) return all.err();
    auto page = query.value().run(std::move(all).value(), request.value());
    if (!page) return page.err();
    return json(search_image_sets_body(page.value().items, query.value().echoed_sort(),
                                       next_token(page.value().next_position, ctx.tokens, list)));
}

bool query_flag(const call& c, std::string_view member) { return c.query(member) == std::optional<std::string_view>("true"); }

std::optional<std::string> json_string_at(const rapidjson::Value* object, std::initializer_list<const char*> path) {
    const rapidjson::Value* at = object;
    for (const char* key : path) {
        if (!at || !at->IsObject()) return std::nullopt;
        const auto it = at->FindMember(key);
        if (it == at->MemberEnd() || it->value.IsNull()) return std::nullopt;
        at = &it->value;
    }
    if (!at || !at->IsString()) return std::nullopt;
    return std::string(at->GetString(), at->GetStringLength());
}

// An image set a change may start from: ACTIVE, at the version the caller names.
api::result<store::image_set> changeable_image_set(const call& c, api_context& ctx, std::string_view image_set_id,
                                                   std::optional<std::uint64_t> latest) {
    auto found = ctx.data.find_image_set(c.scope, c.label("datastoreId"), image_set_id);
    if (!found) return found.err();
    const auto& i = found.value();
    if (i.state != "ACTIVE") {
        return api::error::conflict("Image set " + i.image_set_id + " is " + i.state + "; only an ACTIVE image set can change");
    }
    if (latest && *latest != i.version) {
        return api::error::conflict("The latest version of image set " + i.image_set_id + " is " + std::to_string(i.version) +
                                    ", not " + (*latest == std::numeric_limits<std::uint64_t>::max() ? std::string("that")
                                                                                                     : std::to_string(*latest)));
    }
    return found;
}

// The next version of `current`, made now.
store::image_set_write next_version(const store::image_set& current, std::string metadata, std::string_view workflow,
                                    const call& c) {
    store::image_set_write w;
    w.properties = current;
    w.properties.version = current.version + 1;
    w.properties.updated_at = c.now;
    w.properties.workflow_status = std::string(workflow);
    w.properties.message.reset();
    w.properties.tags = dicom_tags_of(metadata);
    w.grouping_key = grouping_key(w.properties.tags);  // a later import matches what the update made
    w.metadata = std::move(metadata);
    w.replaces = current.version;
    return w;
}

api::result<reply> update_image_set_metadata(const call& c, api_context& ctx) {
    const auto datastore_id = c.label("datastoreId");
    const bool force = query_flag(c, "force");
    auto current = changeable_image_set(c, ctx, c.label("imageSetId"), version_asked(c, "latestVersionId"));
    if (!current) return current.err();
    const auto& i = current.value();
    std::string metadata;
    std::vector<store::image_set_write> writes;
    if (const auto revert = json_string_at(c.payload(), {"revertToVersionId"})) {
        auto old = ctx.data.image_set_metadata(c.scope, datastore_id, i.image_set_id, version_number(*revert));
        if (!old) return old.err();
        metadata = std::move(old).value();
    } else {
        const auto decoded = [&](const char* member) -> std::optional<std::string> {
            const auto text = json_string_at(c.payload(), {"DICOMUpdates", member});
            return text ? api::decode_base64(*text) : std::nullopt;  // the pipeline checked it is base64
        };
        const auto updatable = decoded("updatableAttributes");
        const auto removable = decoded("removableAttributes");
        if (!updatable && !removable) {
            return api::error::validation("DICOMUpdates needs updatableAttributes or removableAttributes");
        }
        auto stored = ctx.data.image_set_metadata(c.scope, datastore_id, i.image_set_id, i.version);
        if (!stored) return stored.err();
        auto changed = updated_metadata(stored.value(), updatable, removable, force);
        if (!changed) return changed.err();
        metadata = std::move(changed).value();
        if (query_flag(c, "includeStudyImageSets")) {
            // The Patient and Study changes reach every other image set of the study.
            auto study_wide_updatable = updatable ? study_level_only(*updatable) : std::nullopt;
            auto study_wide_removable = removable ? study_level_only(*removable) : std::nullopt;
            auto all = ctx.data.image_sets_of(c.scope, datastore_id);
            if (!all) return all.err();
            for (const auto& other : all.value()) {
                if (other.image_set_id == i.image_set_id || other.state != "ACTIVE" ||
                    other.tags.study_instance_uid != i.tags.study_instance_uid) {
                    continue;
                }
                auto theirs = ctx.data.image_set_metadata(c.scope, datastore_id, other.image_set_id, other.version);
                if (!theirs) return theirs.err();
                auto their_change = updated_metadata(theirs.value(), study_wide_updatable, study_wide_removable, force);
                if (!their_change) return their_change.err();
                writes.push_back(next_version(other, std::move(their_change).value(), "UPDATED", c));
                writes.back().properties.forced = force;
            }
        }
    }
    writes.insert(writes.begin(), next_version(i, std::move(metadata), "UPDATED", c));
    writes.front().properties.forced = force;
    if (auto s = ctx.data.write_image_sets(datastore_id, writes); !s) return s.err();
    // AWS answers while the update runs (LOCKED, UPDATING); the emulator's is done by then.
    auto answered = writes.front().properties;
    answered.state = "LOCKED";
    answered.workflow_status = "UPDATING";
    return json(update_image_set_metadata_body(answered));
}

api::result<reply> copy_image_set(const call& c, api_context& ctx) {
    const auto datastore_id = c.label("datastoreId");
    const bool force = query_flag(c, "force");
    const bool promote = query_flag(c, "promoteToPrimary");
    const auto* info = c.payload();
    const auto number = [](const std::optional<std::string>& text) {
        return version_number(text ? std::optional<std::string_view>(*text) : std::nullopt);
    };
    auto source = changeable_image_set(c, ctx, c.label("sourceImageSetId"),
                                       number(json_string_at(info, {"sourceImageSet", "latestVersionId"})));
    if (!source) return source.err();
    const auto& src = source.value();
    auto src_metadata = ctx.data.image_set_metadata(c.scope, datastore_id, src.image_set_id, src.version);
    if (!src_metadata) return src_metadata.err();
    const auto copiable = json_string_at(info, {"sourceImageSet", "DICOMCopies", "copiableAttributes"});
    store::image_set_write w;
    if (const auto destination_id = json_string_at(info, {"destinationImageSet", "imageSetId"})) {
        if (*destination_id == src.image_set_id) return api::error::validation("An image set cannot be copied into itself");
        auto destination = changeable_image_set(c, ctx, *destination_id,
                                                number(json_string_at(info, {"destinationImageSet", "latestVersionId"})));
        if (!destination) return destination.err();
        const auto& dst = destination.value();
        auto dst_metadata = ctx.data.image_set_metadata(c.scope, datastore_id, dst.image_set_id, dst.version);
        if (!dst_metadata) return dst_metadata.err();
        auto outcome = copied_metadata(src_metadata.value(), copiable, dst_metadata.value(), dst.image_set_id, force);
        if (!outcome) return outcome.err();
        if (!outcome.value().consistent && !force) {
            // As AWS reports it: the copy is accepted, then fails, leaving a COPY_FAILED version.
            w = next_version(dst, std::move(dst_metadata).value(), "COPY_FAILED", c);
            w.properties.message = "INVALID_REQUEST:  Series of SourceImageSet and DestinationImageSet don't match.";
        } else {
            w = next_version(dst, std::move(outcome.value().metadata), "COPIED", c);
            w.copies_frames_of = src.image_set_id;
            w.copied_frame_ids = std::move(outcome.value().frame_ids);
            w.properties.forced = force;
            if (promote) w.properties.is_primary = true;
        }
    } else {
        const std::string new_id = ctx.ids.next();
        auto outcome = copied_metadata(src_metadata.value(), copiable, std::nullopt, new_id, force);
        if (!outcome) return outcome.err();
        w.properties = src;
        w.properties.image_set_id = new_id;
        w.properties.version = 1;
        w.properties.created_at = c.now;
        w.properties.updated_at = c.now;
        w.properties.workflow_status = "COPIED";
        w.properties.message.reset();
        w.properties.forced = force;
        w.properties.is_primary = promote;
        w.properties.tags = dicom_tags_of(outcome.value().metadata);
        w.grouping_key = grouping_key(w.properties.tags);
        w.metadata = std::move(outcome.value().metadata);
        w.copies_frames_of = src.image_set_id;
        w.copied_frame_ids = std::move(outcome.value().frame_ids);
    }
    if (auto s = ctx.data.write_image_sets(datastore_id, {w}); !s) return s.err();
    // AWS answers while the copy runs: both image sets LOCKED.
    auto answered_source = src;
    answered_source.state = "LOCKED";
    answered_source.workflow_status = "COPYING_WITH_READ_ONLY_ACCESS";
    auto answered_destination = w.properties;
    answered_destination.state = "LOCKED";
    answered_destination.workflow_status = "COPYING";
    return json(copy_image_set_body(answered_source, answered_destination, c.scope));
}

api::result<reply> delete_image_set(const call& c, api_context& ctx) {
    auto deleted = ctx.data.delete_image_set(c.scope, c.label("datastoreId"), c.label("imageSetId"), c.now);
    if (!deleted) return deleted.err();
    // AWS answers while the deletion runs; the emulator's is done by then, as GetImageSet shows.
    return json(image_set_state_body(deleted.value().datastore_id, deleted.value().image_set_id, "LOCKED", "DELETING"));
}

}  // namespace

void add_api_routes(router& r, api_context& ctx) {
    using handler_fn = api::result<reply> (*)(const call&, api_context&);
    const std::pair<const api::operation*, handler_fn> routes[] = {
        {&api::ops::create_datastore, create_datastore},
        {&api::ops::get_datastore, get_datastore},
        {&api::ops::list_datastores, list_datastores},
        {&api::ops::delete_datastore, delete_datastore},
        {&api::ops::start_dicom_import_job, start_dicom_import_job},
        {&api::ops::get_dicom_import_job, get_dicom_import_job},
        {&api::ops::list_dicom_import_jobs, list_dicom_import_jobs},
        {&api::ops::tag_resource, tag_resource},
        {&api::ops::untag_resource, untag_resource},
        {&api::ops::list_tags_for_resource, list_tags_for_resource},
        {&api::ops::search_image_sets, search_image_sets},
        {&api::ops::get_image_set, get_image_set},
        {&api::ops::get_image_set_metadata, get_image_set_metadata},
        {&api::ops::get_image_frame, get_image_frame},
        {&api::ops::list_image_set_versions, list_image_set_versions},
        {&api::ops::update_image_set_metadata, update_image_set_metadata},
        {&api::ops::copy_image_set, copy_image_set},
        {&api::ops::delete_image_set, delete_image_set},
    };
    for (const auto& [op, handler] : routes) {
        r.add(*op, [h = handler, &ctx](const call& c) { return h(c, ctx); });
    }
}

}  // namespace hil::server
