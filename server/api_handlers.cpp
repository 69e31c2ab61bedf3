#include "server/api_handlers.hpp"

#include "api/operations.hpp"
#include "server/wire_json.hpp"

namespace hil::server {
namespace {

api::result<reply> get_dicom_import_job(store::store& data, const api::clock& clock, const route_match& m) {
    auto job = data.poll_import_job(m.label("datastoreId"), m.label("jobId"), clock.now());
    if (!job) return job.err();
    return reply{200, get_dicom_import_job_body(job.value())};
}

}  // namespace

void add_api_routes(router& r, store::store& data, const api::clock& clock) {
    r.add({http::verb::get,
           "/getDICOMImportJob/datastore/{datastoreId}/job/{jobId}",
           api::get_dicom_import_job,
           {{"datastoreId", &api::datastore_id_shape}, {"jobId", &api::job_id_shape}},
           [&data, &clock](const route_match& m, const request&) { return get_dicom_import_job(data, clock, m); }});
}

}  // namespace hil::server
