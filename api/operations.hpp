// The operations the emulator serves, one description each: the single source of an
// operation's name, HTTP method, URI template, input members (where each travels, its
// shape, whether it is required), declared errors, quota and host prefix. Routing, input
// validation, the throttle, fault and journal labels, and "is this error modeled for this
// operation" all derive from it. check_description() finds inconsistencies at start-up.
// Thread safety: immutable; safe from any thread.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/api_error.hpp"
#include "api/shapes.hpp"

namespace hil::api {

// Where an input member travels (restJson1 bindings).
enum class location {
    label,    // a {name} in the URI template, percent-decoded
    query,    // ?name=value; a list member is the parameter repeated
    header,   // an HTTP header
    body,     // a member of the JSON body object
    payload,  // the whole JSON body is this member (a structure; Smithy's httpPayload)
};

struct input_member {
    std::string_view name;       // the model's member name, as validation messages quote it
    location where;
    const shape* type;
    bool required = false;
    std::string_view wire_name{};  // query parameter or header name when it differs from `name`

    std::string_view on_wire() const noexcept { return wire_name.empty() ? name : wire_name; }
};

struct quota {
    double rate;   // the service's documented requests per second per account
    double burst;
};

struct operation {
    std::string_view name;       // "ListDICOMImportJobs": how the journal and fault rules name it
    std::string_view method;     // "GET", "POST", "DELETE"
    std::string_view uri;        // "/listDICOMImportJobs/datastore/{datastoreId}"
    std::span<const input_member> input;
    std::span<const error_code> errors;  // declared in the model
    quota limits;
    std::string_view host_prefix;  // "runtime-" on the data plane; empty on the control plane

    // The input member called `member_name` bound to `where`, or nullptr.
    const input_member* find_input(std::string_view member_name, location where) const noexcept;
};

namespace ops {
extern const operation create_datastore;
extern const operation get_datastore;
extern const operation list_datastores;
extern const operation delete_datastore;
extern const operation start_dicom_import_job;
extern const operation get_dicom_import_job;
extern const operation list_dicom_import_jobs;
extern const operation tag_resource;
extern const operation untag_resource;
extern const operation list_tags_for_resource;
extern const operation search_image_sets;
extern const operation get_image_set;
extern const operation get_image_set_metadata;
extern const operation get_image_frame;
extern const operation list_image_set_versions;
extern const operation update_image_set_metadata;
extern const operation copy_image_set;
extern const operation delete_image_set;
}  // namespace ops

// Every served operation, in the model's order.
std::span<const operation* const> all_operations() noexcept;

// REQUIRES: nothing. Returns the served operation called `name`, or nullptr.
const operation* find_operation(std::string_view name) noexcept;

bool declares(const operation& op, error_code code) noexcept;

// Every label name of the served operations, each once, in the order first met: what fault
// rules and journal filters may scope on.
std::vector<std::string_view> label_names();

// What is wrong with a description: a label in the template with no label member, a label
// member missing from the template, an unknown method, a member without a shape, two members
// on the same wire name, a payload that is not a structure or sits beside body members, or a
// missing ValidationException. Nothing when it is consistent.
std::optional<std::string> check_description(const operation& op);

}  // namespace hil::api
