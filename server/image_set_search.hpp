// SearchImageSets' criteria, checked and applied as AWS documents them: at most two filters,
// each EQUAL on one value or BETWEEN two (lower bound, upper bound) of the same attribute;
// BETWEEN only on createdAt, updatedAt and DICOMStudyDateAndTime; deleted image sets never
// match; sorted by updatedAt, newest first, unless a sort is given.
// Thread safety: a query is immutable once made; safe from any thread.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/result.hpp"
#include "server/wire_json.hpp"
#include "store/model.hpp"
#include "store/store.hpp"

namespace hil::server {

class image_set_query {
public:
    // From the request's validated SearchCriteria (nullptr: no criteria, every image set).
    // Error: ValidationException for a filter AWS refuses (the wrong number of values, mixed
    // attributes, BETWEEN on an attribute without order).
    static api::result<image_set_query> from(const rapidjson::Value* criteria);

    // The page of `candidates` (one datastore's image sets) that match, in order, starting
    // after `request.after`. Error: ValidationException for a position this search did not make.
    api::result<store::page<store::image_set>> run(std::vector<store::image_set> candidates,
                                                   const store::page_request& request) const;

    // The sort the answer repeats: the one asked for, or nothing.
    std::optional<search_sort> echoed_sort() const { return asked_sort_; }

    enum class attribute { patient_id, accession_number, study_id, study_uid, series_uid, created_at, updated_at,
                           study_date_and_time, is_primary };
    struct bound {
        std::string text;        // the string attributes
        std::int64_t number = 0;  // created_at/updated_at in ms; study_date_and_time as YYYYMMDDhhmmss; is_primary 0/1
    };
    struct filter {
        attribute on;
        bool between = false;
        bound low, high;  // EQUAL: low only
    };

private:
    std::vector<filter> filters_;
    attribute sort_field_ = attribute::updated_at;
    bool ascending_ = false;
    std::optional<search_sort> asked_sort_;
};

}  // namespace hil::server
