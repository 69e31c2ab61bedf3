#include "server/image_set_changes.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>

#include "api/json_validation.hpp"
#include "api/shapes.hpp"

namespace hil::server {
namespace {

using json = rapidjson::Value;

// The elements AWS lets change only with force=true.
constexpr std::array<std::string_view, 4> k_forced_keys{"StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID",
                                                        "StudyID"};

std::string_view text_of(const json& v) { return {v.GetString(), v.GetStringLength()}; }

std::string json_text(const json& v) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    v.Accept(w);
    return {buffer.GetString(), buffer.GetSize()};
}

bool is_private_tag(std::string_view key) {
    if (key.size() != 8) return false;
    for (const char c : key) {
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f'))) return false;
    }
    // An odd group number is private (PS3.5 7.8).
    const char last_group_digit = key[3];
    const int v = last_group_digit <= '9' ? last_group_digit - '0' : (last_group_digit | 0x20) - 'a' + 10;
    return (v & 1) == 1;
}

api::error invalid(std::string_view member, std::string_view why) {
    return api::error::validation(std::string(member) + ": " + std::string(why));
}

api::result<rapidjson::Document> parse(std::string_view text, std::string_view member) {
    rapidjson::Document doc;
    doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
    if (doc.HasParseError() || !doc.IsObject()) return invalid(member, "is not a JSON object in UTF-8");
    if (api::find_lone_surrogate(doc)) return invalid(member, "holds a lone UTF-16 surrogate");
    return doc;
}

json* find(json& object, std::string_view key) {
    if (!object.IsObject()) return nullptr;
    const auto it = object.FindMember(rapidjson::StringRef(key.data(), key.size()));
    return it == object.MemberEnd() ? nullptr : &it->value;
}

// The members an update may hold at a level besides DICOM: the children it descends into.
bool allowed_at(std::string_view level, std::string_view key) {
    if (key == "DICOM" || key == "SchemaVersion") return true;
    if (level == "root") return key == "Patient" || key == "Study";
    if (level == "Study") return key == "Series";
    if (level == "Series") return key == "Instances";
    return false;
}

class updater {
public:
    updater(rapidjson::Document& target, bool force, std::string_view member)
        : target_(target), alloc_(target.GetAllocator()), force_(force), member_(member) {}

    api::status set(const json& change) { return walk(target_, change, "root", "", false); }
    api::status remove(const json& change) { return walk(target_, change, "root", "", true); }

private:
    api::status walk(json& into, const json& change, std::string_view level, const std::string& where, bool removing) {
        if (!change.IsObject()) return invalid(member_, "'" + where + "' must be an object");
        for (auto it = change.MemberBegin(); it != change.MemberEnd(); ++it) {
            const auto key = text_of(it->name);
            if (!allowed_at(level, key)) {
                return invalid(member_, "'" + where + (where.empty() ? "" : ".") + api::display_value(key) +
                                            "' cannot be changed (only DICOM elements, and whole series or instances)");
            }
            const std::string here = where.empty() ? std::string(key) : where + "." + std::string(key);
            if (key == "SchemaVersion") continue;
            if (key == "DICOM") {
                json* dicom = find(into, "DICOM");
                if (!dicom) {
                    if (removing) continue;
                    into.AddMember("DICOM", json(rapidjson::kObjectType), alloc_);
                    dicom = find(into, "DICOM");
                }
                if (auto s = change_dicom(*dicom, it->value, here, removing); !s) return s;
                continue;
            }
            json* child = find(into, key);
            if (!child) return invalid(member_, "'" + here + "' is not in the image set");
            if (key == "Series" || key == "Instances") {
                if (auto s = change_each(*child, it->value, key == "Series" ? "Series" : "Instance", here, removing); !s) {
                    return s;
                }
                continue;
            }
            if (auto s = walk(*child, it->value, key, here, removing); !s) return s;
        }
        return api::ok_status();
    }

    // Series.<uid> or Instances.<uid>: each named one must exist; {} in a removal drops it.
    api::status change_each(json& holder, const json& change, std::string_view level, const std::string& where,
                            bool removing) {
        if (!change.IsObject()) return invalid(member_, "'" + where + "' must be an object");
        for (auto it = change.MemberBegin(); it != change.MemberEnd(); ++it) {
            const auto uid = text_of(it->name);
            const std::string here = where + "." + api::display_value(uid);
            auto found = holder.FindMember(it->name);
            if (found == holder.MemberEnd()) return invalid(member_, "'" + here + "' is not in the image set");
            if (removing && it->value.IsObject() && it->value.MemberCount() == 0) {
                holder.RemoveMember(found);
                continue;
            }
            if (auto s = walk(found->value, it->value, level == "Series" ? "Series" : "Instance", here, removing); !s) return s;
        }
        return api::ok_status();
    }

    api::status change_dicom(json& dicom, const json& change, const std::string& where, bool removing) {
        if (!change.IsObject()) return invalid(member_, "'" + where + "' must be an object");
        for (auto it = change.MemberBegin(); it != change.MemberEnd(); ++it) {
            const auto key = text_of(it->name);
            const bool needs_force =
                is_private_tag(key) || std::find(k_forced_keys.begin(), k_forced_keys.end(), key) != k_forced_keys.end();
            if (needs_force && !force_) {
                return api::error::validation("Changing " + api::display_value(key) + " needs force=true");
            }
            auto found = dicom.FindMember(it->name);
            if (removing) {
                if (found != dicom.MemberEnd()) dicom.RemoveMember(found);
                continue;
            }
            json value(it->value, alloc_);
            if (found != dicom.MemberEnd()) {
                found->value = value;
            } else {
                dicom.AddMember(json(it->name, alloc_), value, alloc_);
            }
        }
        return api::ok_status();
    }

    rapidjson::Document& target_;
    rapidjson::Document::AllocatorType& alloc_;
    const bool force_;
    const std::string member_;
};

// Every frame ID of the instances in a document's series.
void collect_frames(const json& series_map, std::vector<std::string>& out) {
    for (auto s = series_map.MemberBegin(); s != series_map.MemberEnd(); ++s) {
        const auto inst = s->value.FindMember("Instances");
        if (inst == s->value.MemberEnd() || !inst->value.IsObject()) continue;
        for (auto i = inst->value.MemberBegin(); i != inst->value.MemberEnd(); ++i) {
            const auto frames = i->value.FindMember("ImageFrames");
            if (frames == i->value.MemberEnd() || !frames->value.IsArray()) continue;
            for (const auto& f : frames->value.GetArray()) {
                if (const auto id = f.FindMember("ID"); id != f.MemberEnd() && id->value.IsString()) {
                    out.emplace_back(text_of(id->value));
                }
            }
        }
    }
}

// Whether two levels (a Patient, Study or Series object) carry the same DICOM elements.
bool same_dicom(const json& x, const json& y) {
    const auto dx = x.FindMember("DICOM");
    const auto dy = y.FindMember("DICOM");
    if (dx == x.MemberEnd() || dy == y.MemberEnd()) return dx == x.MemberEnd() && dy == y.MemberEnd();
    return dx->value == dy->value;
}

bool same_member(const json& a, const json& b, const char* level) {
    const auto x = a.FindMember(level);
    const auto y = b.FindMember(level);
    if (x == a.MemberEnd() || y == b.MemberEnd()) return x == a.MemberEnd() && y == b.MemberEnd();
    return same_dicom(x->value, y->value);
}

}  // namespace

api::result<std::string> updated_metadata(std::string_view metadata, const std::optional<std::string>& updatable,
                                          const std::optional<std::string>& removable, bool force) {
    auto doc = parse(metadata, "metadata");
    if (!doc) return api::error::internal("the stored metadata is not JSON");
    if (removable) {
        auto change = parse(*removable, "removableAttributes");
        if (!change) return change.err();
        if (auto s = updater(doc.value(), force, "removableAttributes").remove(change.value()); !s) return s.err();
    }
    if (updatable) {
        auto change = parse(*updatable, "updatableAttributes");
        if (!change) return change.err();
        if (auto s = updater(doc.value(), force, "updatableAttributes").set(change.value()); !s) return s.err();
    }
    return json_text(doc.value());
}

std::optional<std::string> study_level_only(std::string_view update) {
    rapidjson::Document doc;
    doc.Parse(update.data(), update.size());
    if (doc.HasParseError() || !doc.IsObject()) return std::nullopt;
    if (json* study = find(doc, "Study"); study && study->IsObject()) study->RemoveMember("Series");
    const bool patient = doc.HasMember("Patient");
    const json* study = find(doc, "Study");
    if (!patient && !(study && study->IsObject() && study->MemberCount() > 0)) return std::nullopt;
    return json_text(doc);
}

api::result<copy_outcome> copied_metadata(std::string_view source, const std::optional<std::string>& copiable,
                                          const std::optional<std::string>& destination,
                                          std::string_view destination_id, bool force) {
    auto from = parse(source, "source metadata");
    if (!from) return api::error::internal("the stored metadata is not JSON");
    rapidjson::Document picked;
    picked.CopyFrom(from.value(), picked.GetAllocator());
    auto& alloc = picked.GetAllocator();
    json* study = find(picked, "Study");
    json* series = study ? find(*study, "Series") : nullptr;
    if (!series || !series->IsObject()) return api::error::internal("the stored metadata has no Study.Series");
    if (copiable) {
        auto wanted = parse(*copiable, "copiableAttributes");
        if (!wanted) return wanted.err();
        json* wanted_study = find(wanted.value(), "Study");
        const json* wanted_series = wanted_study ? find(*wanted_study, "Series") : nullptr;
        if (!wanted_series || !wanted_series->IsObject()) return invalid("copiableAttributes", "must name Study.Series");
        for (auto s = wanted_series->MemberBegin(); s != wanted_series->MemberEnd(); ++s) {
            if (!series->HasMember(s->name)) {
                return invalid("copiableAttributes", "series " + api::display_value(text_of(s->name)) + " is not in the source");
            }
        }
        // Keep only the named series, and in each the named instances ({} or no Instances: all).
        for (auto s = series->MemberBegin(); s != series->MemberEnd();) {
            const auto w = wanted_series->FindMember(s->name);
            if (w == wanted_series->MemberEnd()) {
                s = series->EraseMember(s);
                continue;
            }
            const auto wanted_instances = w->value.IsObject() ? w->value.FindMember("Instances") : w->value.MemberEnd();
            if (w->value.IsObject() && wanted_instances != w->value.MemberEnd() && wanted_instances->value.IsObject() &&
                wanted_instances->value.MemberCount() > 0) {
                json* instances = find(s->value, "Instances");
                for (auto i = wanted_instances->value.MemberBegin(); i != wanted_instances->value.MemberEnd(); ++i) {
                    if (!instances || !instances->HasMember(i->name)) {
                        return invalid("copiableAttributes",
                                       "instance " + api::display_value(text_of(i->name)) + " is not in the source");
                    }
                }
                for (auto i = instances->MemberBegin(); i != instances->MemberEnd();) {
                    if (wanted_instances->value.HasMember(i->name)) {
                        ++i;
                    } else {
                        i = instances->EraseMember(i);
                    }
                }
            }
            ++s;
        }
    }
    copy_outcome out;
    collect_frames(*series, out.frame_ids);
    if (!destination) {
        picked["ImageSetID"].SetString(destination_id.data(), static_cast<rapidjson::SizeType>(destination_id.size()), alloc);
        out.metadata = json_text(picked);
        return out;
    }
    auto into = parse(*destination, "destination metadata");
    if (!into) return api::error::internal("the stored metadata is not JSON");
    auto& target = into.value();
    auto& target_alloc = target.GetAllocator();
    out.consistent = same_member(picked, target, "Patient") && same_member(picked, target, "Study");
    json* target_study = find(target, "Study");
    json* target_series = target_study ? find(*target_study, "Series") : nullptr;
    if (!target_series || !target_series->IsObject()) return api::error::internal("the stored metadata has no Study.Series");
    for (auto s = series->MemberBegin(); s != series->MemberEnd(); ++s) {
        auto existing = target_series->FindMember(s->name);
        if (existing == target_series->MemberEnd()) {
            if (target_series->MemberCount() > 0) out.consistent = false;  // an image set holds one series
            target_series->AddMember(json(s->name, target_alloc), json(s->value, target_alloc), target_alloc);
            continue;
        }
        if (!same_dicom(s->value, existing->value)) out.consistent = false;
        json* instances = find(existing->value, "Instances");
        const json* adding = find(s->value, "Instances");
        if (!instances || !adding) continue;
        for (auto i = adding->MemberBegin(); i != adding->MemberEnd(); ++i) {
            if (auto old = instances->FindMember(i->name); old != instances->MemberEnd()) instances->RemoveMember(old);
            instances->AddMember(json(i->name, target_alloc), json(i->value, target_alloc), target_alloc);
        }
    }
    if (!out.consistent && !force) return out;  // the caller records the failed copy
    out.metadata = json_text(target);
    return out;
}

}  // namespace hil::server
