// caller: who an API request comes from (authentication) and whether they may make it
// (authorization) — the pipeline's "caller" and "authorize" stages.
//
// Who: the access key id of the SigV4 Authorization header. With --auth sigv4 the signature
// is verified first (server/sigv4.hpp), and only a known, unexpired credential gets through.
// The namespace (account, region) a call sees:
//   account  the credential's accountId; else a 12-digit access key id is the account;
//            else 123456789012
//   region   the SigV4 credential scope's region; else us-east-1
// The principal: the credential's principalArn; else arn:aws:iam::<account>:user/<access key
// id>; with no access key at all, arn:aws:iam::<account>:user/anonymous.
//
// May: the access policies (store/access_book.hpp) for action medical-imaging:<Operation>
// on the call's resource: the ARN named by its resourceArn label, else the image set or
// datastore its labels name, else "*" (CreateDatastore, ListDatastores).
// Thread safety: stateless functions; signing_key_cache is internally locked.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "api/clock.hpp"
#include "api/operations.hpp"
#include "api/result.hpp"
#include "server/http_message.hpp"
#include "server/net.hpp"
#include "server/sigv4.hpp"
#include "store/access_book.hpp"
#include "store/model.hpp"

namespace hil::server {

enum class auth_mode {
    off,    // any request is served, signed or not
    sigv4,  // every API call must carry a valid SigV4 signature of a known credential
};

struct caller {
    std::string_view access_key_id;  // may be empty (views the request)
    store::scope scope;
    std::string principal_arn;  // empty when `access` is null (no policy to judge it)
    std::shared_ptr<const store::access_snapshot> access;  // the book as the call saw it; null when empty
};

// Who sent `req`, and in which namespace. Errors (--auth sigv4 only): the five 403s of sigv4::verify.
api::result<caller> identify(const request& req, auth_mode mode, const store::access_book& book, api::epoch_millis now,
                             sigv4::signing_key_cache& keys);

// The ARN the policies judge a call of `op` by (see the top of this file).
std::string resource_of(const api::operation& op, const std::vector<std::pair<std::string_view, std::string>>& labels,
                        const store::scope& scope);

// Whether `who` may call `op` with these labels (on resource_of them). Error:
// AccessDeniedException in AWS's words.
api::status authorize(const caller& who, const api::operation& op,
                      const std::vector<std::pair<std::string_view, std::string>>& labels);

}  // namespace hil::server
