#include "server/caller.hpp"

#include <algorithm>
#include <array>
#include <span>
#include <vector>

namespace hil::server {
namespace {

std::string default_principal(std::string_view account, std::string_view access_key_id) {
    return "arn:aws:iam::" + std::string(account) + ":user/" +
           (access_key_id.empty() ? std::string("anonymous") : std::string(access_key_id));
}

// The caller's identity once its access key (and credential, if the book has one) is known.
caller make_caller(std::string_view key, std::string_view region, const store::credential* known,
                   std::shared_ptr<const store::access_snapshot> access) {
    caller who;
    who.access_key_id = key;
    if (known) {
        who.scope.account_id = known->account_id;
    } else if (key.size() == 12 && api::violations(api::aws_account_id_shape, key).empty()) {  // a 12-digit key is the account
        who.scope.account_id = std::string(key);
    }
    if (!region.empty()) who.scope.region = std::string(region);
    // Only policies judge the principal, and only a book with something in it has them.
    if (access) who.principal_arn = known && known->principal_arn ? *known->principal_arn : default_principal(who.scope.account_id, key);
    who.access = std::move(access);
    return who;
}

std::string_view label_value(const std::vector<std::pair<std::string_view, std::string>>& labels, std::string_view name) {
    const auto it = std::find_if(labels.begin(), labels.end(), [&](const auto& l) { return l.first == name; });
    return it == labels.end() ? std::string_view() : std::string_view(it->second);
}

}  // namespace

api::result<caller> identify(const request& req, auth_mode mode, const store::access_book& book, api::epoch_millis now,
                             sigv4::signing_key_cache& keys) {
    const auto authorization = req[http::field::authorization];
    auto access = book.empty() ? nullptr : book.snapshot();
    if (mode == auth_mode::off) {
        const auto key = access_key_id(authorization);
        const store::credential* known = access && !key.empty() ? access->find(key) : nullptr;
        return make_caller(key, credential_region(authorization), known, std::move(access));
    }
    // The fields as the verifier reads them; on the stack for the usual few dozen.
    std::array<sigv4::header_field, 32> inline_fields;
    std::vector<sigv4::header_field> more_fields;
    std::size_t count = 0;
    for (const auto& field : req) {
        if (count < inline_fields.size()) {
            inline_fields[count] = {field.name_string(), field.value()};
        } else {
            if (more_fields.empty()) more_fields.assign(inline_fields.begin(), inline_fields.end());
            more_fields.push_back({field.name_string(), field.value()});
        }
        ++count;
    }
    const std::span<const sigv4::header_field> headers =
        more_fields.empty() ? std::span<const sigv4::header_field>(inline_fields.data(), count)
                            : std::span<const sigv4::header_field>(more_fields);
    const sigv4::signed_request signed_req{req.method_string(), req.target(), headers, req.body()};
    const auto lookup = [&access](std::string_view key) -> const store::credential* {
        return access ? access->find(key) : nullptr;
    };
    auto verified = sigv4::verify(signed_req, lookup, now, keys);
    if (!verified) return verified.err();
    const auto* known = verified.value().credential;
    // The verified key (views the snapshot `access` keeps), never another Credential= of the header.
    return make_caller(known->access_key_id, verified.value().region, known, std::move(access));
}

std::string resource_of(const api::operation& op, const std::vector<std::pair<std::string_view, std::string>>& labels,
                        const store::scope& scope) {
    if (op.find_input("resourceArn", api::location::label)) return std::string(label_value(labels, "resourceArn"));
    const auto datastore = label_value(labels, "datastoreId");
    if (datastore.empty()) return "*";
    std::string arn = "arn:aws:medical-imaging:" + scope.region + ":" + scope.account_id + ":datastore/" + std::string(datastore);
    auto image_set = label_value(labels, "imageSetId");
    if (image_set.empty()) image_set = label_value(labels, "sourceImageSetId");  // CopyImageSet acts on its source
    if (!image_set.empty()) arn += "/imageset/" + std::string(image_set);
    return arn;
}

api::status authorize(const caller& who, const api::operation& op,
                      const std::vector<std::pair<std::string_view, std::string>>& labels) {
    if (!who.access || who.access->policies.empty()) return api::ok_status();
    const auto resource = resource_of(op, labels, who.scope);
    const std::string action = "medical-imaging:" + std::string(op.name);
    const auto decision = who.access->decide(who.principal_arn, action, resource);
    if (decision == store::access_decision::allowed) return api::ok_status();
    std::string message = "User: " + who.principal_arn + " is not authorized to perform: " + action +
                          " on resource: " + api::display_value(resource, 2048);
    message += decision == store::access_decision::explicit_deny
                   ? " with an explicit deny in an identity-based policy"
                   : " because no identity-based policy allows the " + action + " action";
    return api::error::of(api::error_code::access_denied, std::move(message));
}

}  // namespace hil::server
