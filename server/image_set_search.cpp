#include "server/image_set_search.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace hil::server {
namespace {

using attribute = image_set_query::attribute;

struct attribute_name {
    std::string_view name;
    attribute on;
    bool ordered;  // BETWEEN allowed
};
constexpr attribute_name k_attributes[] = {
    {"DICOMPatientId", attribute::patient_id, false},
    {"DICOMAccessionNumber", attribute::accession_number, false},
    {"DICOMStudyId", attribute::study_id, false},
    {"DICOMStudyInstanceUID", attribute::study_uid, false},
    {"DICOMSeriesInstanceUID", attribute::series_uid, false},
    {"createdAt", attribute::created_at, true},
    {"updatedAt", attribute::updated_at, true},
    {"DICOMStudyDateAndTime", attribute::study_date_and_time, true},
    {"isPrimary", attribute::is_primary, false},
};

std::string_view text_of(const rapidjson::Value& v) { return {v.GetString(), v.GetStringLength()}; }

// DICOM DA + TM as one orderable number: YYYYMMDDhhmmss, a missing or short time padded with zeros.
std::int64_t study_moment(std::string_view date, std::string_view time) {
    std::string digits;
    for (const char c : date) if (c >= '0' && c <= '9') digits += c;
    digits.resize(8, '0');
    std::string clock;
    for (const char c : time) {
        if (c == '.') break;
        if (c >= '0' && c <= '9') clock += c;
    }
    clock.resize(6, '0');
    digits += clock;
    std::int64_t n = 0;
    std::from_chars(digits.data(), digits.data() + digits.size(), n);
    return n;
}

// One SearchByAttributeValue (a validated union: exactly one member).
std::pair<attribute, image_set_query::bound> read_value(const rapidjson::Value& v) {
    auto member = v.MemberBegin();  // the union's one member set: nulls count as absent
    while (member != v.MemberEnd() && member->value.IsNull()) ++member;
    const auto name = text_of(member->name);
    const auto& value = member->value;
    attribute on = attribute::patient_id;
    for (const auto& a : k_attributes) {
        if (a.name == name) on = a.on;
    }
    image_set_query::bound b;
    switch (on) {
        case attribute::created_at:
        case attribute::updated_at:
            b.number = static_cast<std::int64_t>(std::llround(value.GetDouble() * 1000.0));
            break;
        case attribute::study_date_and_time: {
            const auto date = value.FindMember("DICOMStudyDate");
            const auto time = value.FindMember("DICOMStudyTime");
            b.number = study_moment(date != value.MemberEnd() && date->value.IsString() ? text_of(date->value) : "",
                                    time != value.MemberEnd() && time->value.IsString() ? text_of(time->value) : "");
            break;
        }
        case attribute::is_primary:
            b.number = value.GetBool() ? 1 : 0;
            break;
        case attribute::patient_id:
        case attribute::accession_number:
        case attribute::study_id:
        case attribute::study_uid:
        case attribute::series_uid:
            b.text = std::string(text_of(value));
            break;
    }
    return {on, std::move(b)};
}

std::string_view name_of(attribute on) {
    for (const auto& a : k_attributes) {
        if (a.on == on) return a.name;
    }
    return "";
}

bool ordered(attribute on) {
    for (const auto& a : k_attributes) {
        if (a.on == on) return a.ordered;
    }
    return false;
}

const std::string& text_attribute(const store::image_set& i, attribute on) {
    switch (on) {
        case attribute::patient_id: return i.tags.patient_id;
        case attribute::accession_number: return i.tags.accession_number;
        case attribute::study_id: return i.tags.study_id;
        case attribute::study_uid: return i.tags.study_instance_uid;
        case attribute::series_uid:
        case attribute::created_at:
        case attribute::updated_at:
        case attribute::study_date_and_time:
        case attribute::is_primary:
            break;
    }
    return i.tags.series_instance_uid;
}

std::int64_t number_attribute(const store::image_set& i, attribute on) {
    switch (on) {
        case attribute::created_at: return i.created_at;
        case attribute::study_date_and_time: return study_moment(i.tags.study_date, i.tags.study_time);
        case attribute::is_primary: return i.is_primary ? 1 : 0;
        case attribute::updated_at:
        case attribute::patient_id:
        case attribute::accession_number:
        case attribute::study_id:
        case attribute::study_uid:
        case attribute::series_uid:
            break;
    }
    return i.updated_at;
}

bool is_text(attribute on) {
    return on == attribute::patient_id || on == attribute::accession_number || on == attribute::study_id ||
           on == attribute::study_uid || on == attribute::series_uid;
}

bool matches(const store::image_set& i, const image_set_query::filter& f) {
    if (is_text(f.on)) return text_attribute(i, f.on) == f.low.text;
    const auto n = number_attribute(i, f.on);
    return f.between ? (n >= f.low.number && n <= f.high.number) : n == f.low.number;
}

}  // namespace

api::result<image_set_query> image_set_query::from(const rapidjson::Value* criteria) {
    image_set_query q;
    if (!criteria) return q;
    if (const auto filters = criteria->FindMember("filters"); filters != criteria->MemberEnd() && filters->value.IsArray()) {
        for (const auto& f : filters->value.GetArray()) {
            const std::string op(text_of(f["operator"]));
            const auto& values = f["values"];
            filter made;
            made.between = op == "BETWEEN";
            const std::size_t wanted = made.between ? 2 : 1;
            if (values.Size() != wanted) {
                return api::error::validation("The " + op + " operator takes " + std::to_string(wanted) + " value" +
                                              (wanted == 1 ? "" : "s") + ", not " + std::to_string(values.Size()));
            }
            auto [on, low] = read_value(values[0]);
            made.on = on;
            made.low = std::move(low);
            if (made.between) {
                auto [on_high, high] = read_value(values[1]);
                if (on_high != on) {
                    return api::error::validation("A BETWEEN filter's two values must name the same attribute, not " +
                                                  std::string(name_of(on)) + " and " + std::string(name_of(on_high)));
                }
                if (!ordered(on)) {
                    return api::error::validation("BETWEEN applies to createdAt, updatedAt and DICOMStudyDateAndTime, not " +
                                                  std::string(name_of(on)));
                }
                made.high = std::move(high);
                if (made.high.number < made.low.number) {
                    return api::error::validation("A BETWEEN filter's values must be (lowerBound, upperBound)");
                }
            }
            q.filters_.push_back(std::move(made));
        }
    }
    if (const auto sort = criteria->FindMember("sort"); sort != criteria->MemberEnd() && sort->value.IsObject()) {
        const std::string order(text_of(sort->value["sortOrder"]));
        const std::string field(text_of(sort->value["sortField"]));
        q.ascending_ = order == "ASC";
        q.sort_field_ = field == "createdAt" ? attribute::created_at
                        : field == "DICOMStudyDateAndTime" ? attribute::study_date_and_time
                                                            : attribute::updated_at;
        q.asked_sort_ = search_sort{order, field};
    }
    return q;
}

api::result<store::page<store::image_set>> image_set_query::run(std::vector<store::image_set> candidates,
                                                                 const store::page_request& request) const {
    std::erase_if(candidates, [&](const store::image_set& i) {
        if (i.state == "DELETED") return true;
        return !std::all_of(filters_.begin(), filters_.end(), [&](const filter& f) { return matches(i, f); });
    });
    const auto key = [&](const store::image_set& i) { return std::pair{number_attribute(i, sort_field_), i.image_set_id}; };
    std::sort(candidates.begin(), candidates.end(), [&](const auto& a, const auto& b) {
        return ascending_ ? key(a) < key(b) : key(b) < key(a);
    });
    std::size_t start = 0;
    if (request.after) {
        const auto colon = request.after->find(':');
        std::int64_t order = 0;
        const auto* first = request.after->data();
        if (colon == std::string::npos || std::from_chars(first, first + colon, order).ec != std::errc()) {
            return api::error::validation("Invalid pagination token");
        }
        const std::pair<std::int64_t, std::string> from{order, request.after->substr(colon + 1)};
        while (start < candidates.size() && (ascending_ ? key(candidates[start]) <= from : key(candidates[start]) >= from)) ++start;
    }
    store::page<store::image_set> out;
    for (std::size_t i = start; i < candidates.size(); ++i) {
        if (out.items.size() == request.limit) {
            const auto [order, id] = key(out.items.back());
            out.next_position = std::to_string(order) + ":" + id;
            break;
        }
        out.items.push_back(std::move(candidates[i]));
    }
    return out;
}

}  // namespace hil::server
