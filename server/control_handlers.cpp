#include "server/control_handlers.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "server/version.hpp"

namespace hil::server {
namespace {

api::result<reply> health(store::store& data, store::fault_rules& faults) {
    auto counts = data.counts();
    if (!counts) return counts.err();
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
    w.StartObject();
    w.Key("status");
    w.String("ready");
    w.Key("version");
    w.String(k_version.data(), static_cast<rapidjson::SizeType>(k_version.size()));
    w.Key("datastores");
    w.Uint64(counts.value().datastores);
    w.Key("jobs");
    w.Uint64(counts.value().jobs);
    w.Key("faults");
    w.Uint64(faults.size());
    w.EndObject();
    return reply{200, {buffer.GetString(), buffer.GetSize()}};
}

}  // namespace

void add_control_routes(router& r, store::store& data, store::fault_rules& faults) {
    r.add({http::verb::get, k_health_path, {}, {},
           [&data, &faults](const route_match&, const request&) { return health(data, faults); }});
}

}  // namespace hil::server
