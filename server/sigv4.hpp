// AWS Signature Version 4, as AWS's front door checks it for a non-S3 service.
//
// Two layers:
//  * access_key_id() / credential_region(): who a request claims to be, read from the
//    Authorization header without checking anything (fault matching, throttling and the
//    request journal use them, and they are all `--auth off` needs).
//  * sigv4::verify(): the whole check, in the order below, each failure the error AWS answers
//    with (all five are 403 in api_error), every message that quotes the request bounded
//    (display_value, at most 4096 bytes in all). The pieces it is built from (parsing, the
//    canonical request, the string to sign, the signing key) are exposed for tests and tools.
//
// verify()'s order, as AWS reports (dynalite's record of DynamoDB's answers, the
// scratchstack "AWS Auth Error Ordering" notes, and error texts seen in the wild):
//  1. Authorization header and an X-Amz-Algorithm query parameter both present
//       -> InvalidSignatureException "Found both 'X-Amz-Algorithm' as a query-string param and
//          'Authorization' as HTTP header."
//     neither present, or a header that does not start with "AWS4-" (Basic, Bearer, ...)
//       -> MissingAuthenticationTokenException "Missing Authentication Token"
//  2. The header's own shape (parse_authorization): key=value pairs, the three parameters,
//     host among the signed headers, the algorithm, five credential elements.
//     The query form (presigned URL) checks the same things in its parameters.
//  3. The date: X-Amz-Date (YYYYMMDDTHHMMSSZ), else the Date header (RFC 1123 with "GMT",
//     "UT", "UTC", "+0000" or "-0000", the weekday optional) -> IncompleteSignatureException "Date must be in ISO-8601
//     'basic format'. Got '<value>'. See http://en.wikipedia.org/wiki/ISO_8601"
//  4. Clock skew, in whole seconds: more than 15 minutes before `now` -> InvalidSignatureException
//     "Signature expired: <t> is now earlier than <now-15m> (<now> - 15 min.)"; more than
//     15 minutes after -> "Signature not yet current: <t> is still later than <now+15m> (<now> + 15 min.)".
//     A presigned URL expires X-Amz-Expires seconds after its date instead:
//     "Signature expired: <t> is now earlier than <now-expires> (<now> - <expires> sec.)".
//  5. The credential scope, every wrong piece in one InvalidSignatureException, each sentence
//     ending ". ": "Credential should be scoped to a valid region, not '<r>'. " (lower-case
//     letters, digits and '-', 1 to 32), "Credential should be scoped to correct service:
//     '<service>'. ", "Credential should be scoped with a valid terminator: 'aws4_request', not
//     '<t>'. ", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date
//     from HTTP: '<scope date>' != '<date>', from '<X-Amz-Date or Date value>'."
//  6. The access key: unknown to `lookup` -> UnrecognizedClientException "The security token
//     included in the request is invalid."
//  7. The session token (X-Amz-Security-Token header, or query parameter when presigned):
//     missing or different when the credential has one, or present when it has none
//     -> UnrecognizedClientException, same message.
//  8. The credential's expires_at <= now -> ExpiredTokenException "The security token included
//     in the request is expired".
//  9. The signature, compared in constant time -> InvalidSignatureException "The request
//     signature we calculated does not match the signature you provided. Check your AWS Secret
//     Access Key and signing method. Consult the service documentation for details.\n\nThe
//     Canonical String for this request should have been\n'<canonical request>'\n\nThe
//     String-to-Sign should have been\n'<string to sign>'\n" (the canonical request clipped).
// 10. A signed x-amz-content-sha256 that is a hex digest but not the body's SHA-256
//       -> InvalidSignatureException "The provided 'x-amz-content-sha256' header does not match
//          what was computed." (UNSIGNED-PAYLOAD and other non-digest values are not checked.)
//
// Canonical request (what botocore and JS v3 sign for every service but S3):
//   method '\n' canonical URI '\n' canonical query '\n' canonical headers '\n' signed headers '\n' payload hash
//  * URI: the received path (before '?' or '#', as the router reads it) with empty, "." and ".." segments removed (a leading '/'
//    kept, a trailing '/' kept when segments remain, "" -> "/"), then every byte but A-Za-z0-9-_.~
//    and '/' percent-encoded with upper-case hex: received "%3A" is signed as "%253A".
//  * Query: each '&'-separated non-empty piece split at its first '=' (none: an empty value),
//    name and value percent-decoded (a raw '+' is a space, as the router reads it; a malformed escape stays literal) and
//    re-encoded strictly, sorted by name then value; the presigned X-Amz-Signature left out.
//  * Headers: for each name in SignedHeaders, as given and in the given order, "name:" then
//    the values of every field of that name (any case), in order, joined by ',', each trimmed
//    with inner runs of whitespace folded to one space, then '\n'. A signed header the request
//    lacks gives "name:\n": the signature then does not match.
//  * Payload hash: the x-amz-content-sha256 value when present, else hex SHA-256 of the body.
//
// Thread safety: the free functions are stateless; signing_key_cache is internally locked.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/clock.hpp"
#include "api/result.hpp"
#include "server/crypto.hpp"
#include "store/model.hpp"

namespace hil::server {

// The access key id in "AWS4-HMAC-SHA256 Credential=AKID/20261129/us-east-1/medical-imaging/aws4_request, ...",
// or empty when the header is absent or not of that shape. The result views into `authorization`.
std::string_view access_key_id(std::string_view authorization);


// The region of the credential scope in the same header ("us-east-1" above), or empty when
// the header is absent, not of that shape, or the region is not lower-case letters, digits
// and '-' (at most 32). The result views into `authorization`.
std::string_view credential_region(std::string_view authorization);

}  // namespace hil::server

namespace hil::server::sigv4 {

inline constexpr std::string_view k_algorithm = "AWS4-HMAC-SHA256";
inline constexpr std::string_view k_terminator = "aws4_request";
inline constexpr std::string_view k_service = "medical-imaging";
inline constexpr std::string_view k_unsigned_payload = "UNSIGNED-PAYLOAD";
// How far a request's date may be from the server's clock either way, in seconds.
inline constexpr std::int64_t k_max_skew_seconds = 15 * 60;
// The longest X-Amz-Expires of a presigned URL (7 days), as AWS allows.
inline constexpr std::int64_t k_max_expires_seconds = 7 * 24 * 60 * 60;
// No error message verify() or parse_authorization() makes is longer than this many bytes.
inline constexpr std::size_t k_max_message_bytes = 4096;

// One header field as received: repeats kept, in order, the name in any case.
struct header_field {
    std::string_view name;
    std::string_view value;
};

// What a signature covers. Every member views the caller's memory, which must outlive the call.
struct signed_request {
    std::string_view method;  // "GET"
    std::string_view target;  // path and query exactly as received: "/datastore/a%20b?maxResults=5&x"
    std::span<const header_field> headers;
    std::string_view body;
};

// The parameters of an Authorization header ("AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/
// service/aws4_request, SignedHeaders=host;x-amz-date, Signature=<hex>"), or of a presigned URL's
// X-Amz-* query parameters. Every view points into the text parsed (the header, or for the query
// form verify()'s own decoded copy).
struct parsed_authorization {
    std::string_view algorithm;      // "AWS4-HMAC-SHA256"
    std::string_view access_key_id;  // the credential's five elements, not yet checked:
    std::string_view date;           //   YYYYMMDD expected
    std::string_view region;
    std::string_view service;
    std::string_view terminator;     //   "aws4_request" expected
    std::string_view signed_headers_text;         // "host;x-amz-date"
    std::vector<std::string_view> signed_headers;  // the same split at ';', as given
    std::string_view signature;                    // 64 lower-case hex expected; not checked here
    bool presigned = false;  // from the query: X-Amz-Signature is then left out of the canonical query
};

// Parses an Authorization header. `has_date` says whether the request carries X-Amz-Date or
// Date: AWS reports a missing date together with missing parameters, so it is asked here.
// The pieces are separated by runs of ',' and whitespace; the first is the algorithm; for a repeated
// parameter the last wins; parameter names are case-sensitive. Failures, in this order:
//  * a piece without '=' -> IncompleteSignatureException "'<piece>' not a valid key=value pair
//    (missing equal-sign) in Authorization header: '<header>'."
//  * Credential, Signature or SignedHeaders missing or empty, or !has_date -> IncompleteSignatureException
//    "Authorization header requires 'Credential' parameter. Authorization header requires
//    'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.
//    Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.
//    Authorization=<header>" (only the sentences that apply)
//  * no "host" (any case) among the signed headers -> InvalidSignatureException "'Host' or
//    ':authority' must be a 'SignedHeader' in the AWS Authorization."
//  * an algorithm other than AWS4-HMAC-SHA256 -> IncompleteSignatureException "Unsupported AWS
//    'algorithm': '<algorithm>' (only AWS4-HMAC-SHA256 for now). "
//  * a credential that, without trailing '/'s, is not five '/'-separated elements
//    -> IncompleteSignatureException "Credential must have exactly 5 slash-delimited elements,
//    e.g. keyid/date/region/service/term, got '<credential>'"
// Quoted input is clipped (display_value). The result views into `header`.
api::result<parsed_authorization> parse_authorization(std::string_view header, bool has_date = true);

// The canonical request (see the top of this file). `payload_hash` is what its last line
// says: the x-amz-content-sha256 value or the body's hex SHA-256 (verify() picks it).
std::string canonical_request(const signed_request& request, const parsed_authorization& auth,
                              std::string_view payload_hash);

// "AWS4-HMAC-SHA256\n<amz_date>\n<date>/<region>/<service>/aws4_request\n<hex sha256(canonical)>",
// with the scope's date, region and service from `auth` and amz_date as YYYYMMDDTHHMMSSZ.
std::string string_to_sign(std::string_view amz_date, const parsed_authorization& auth,
                           std::string_view canonical);

// HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
std::array<unsigned char, 32> signing_key(std::string_view secret, std::string_view date, std::string_view region,
                                          std::string_view service);

// The hex signature of `string_to_sign` under `key`.
std::string signature(const std::array<unsigned char, 32>& key, std::string_view string_to_sign);

// Signing keys already derived, so that a steady stream of requests costs no derivation (four
// HMACs each). Keyed by everything the key depends on (access key id, secret, date, region,
// service), so a changed secret is never served an old key. Holds at most `capacity` keys; when
// full, it is emptied and refilled (keys change daily, so old ones need not be kept in order).
// Thread safety: safe from any thread (one mutex; held while looking up or inserting, not
// while deriving).
class signing_key_cache {
public:
    explicit signing_key_cache(std::size_t capacity = 1024);
    signing_key_cache(const signing_key_cache&) = delete;
    signing_key_cache& operator=(const signing_key_cache&) = delete;

    // The key for these inputs: from the cache, else derived (signing_key) and remembered.
    std::array<unsigned char, 32> get(std::string_view access_key_id, std::string_view secret, std::string_view date,
                                      std::string_view region, std::string_view service);
    // The same key, ready to sign with (crypto::hmac_sha256_key): what verify() uses.
    std::shared_ptr<const crypto::hmac_sha256_key> signer(std::string_view access_key_id, std::string_view secret,
                                                          std::string_view date, std::string_view region,
                                                          std::string_view service);

    // For tests: keys held, and how many get() calls derived one.
    std::size_t size() const;
    std::size_t derivations() const;

private:
    struct entry_key {
        std::string access_key_id, secret, date, region, service;
    };
    struct key_view {
        std::string_view access_key_id, secret, date, region, service;
    };
    struct hasher {
        using is_transparent = void;
        std::size_t operator()(const key_view& k) const noexcept;
        std::size_t operator()(const entry_key& k) const noexcept;
    };
    struct equal {
        using is_transparent = void;
        static key_view view(const key_view& k) noexcept { return k; }
        static key_view view(const entry_key& k) noexcept;
        template <class A, class B>
        bool operator()(const A& a, const B& b) const noexcept {
            const key_view x = view(a), y = view(b);
            return x.access_key_id == y.access_key_id && x.secret == y.secret && x.date == y.date &&
                   x.region == y.region && x.service == y.service;
        }
    };

    const std::size_t capacity_;
    mutable std::mutex mutex_;
    // Guarded by mutex_:
    struct entry {
        std::array<unsigned char, 32> key;
        std::shared_ptr<const crypto::hmac_sha256_key> signer;  // the same key, made ready for HMACs
    };
    std::unordered_map<entry_key, entry, hasher, equal> keys_;
    std::size_t derivations_ = 0;
};

// Who a verified request comes from.
struct verified_caller {
    const store::credential* credential;  // what `lookup` returned; never null
    std::string region;                   // the region of the credential scope
};

// The credential with this access key id, or null when there is none. The pointer must stay
// valid for as long as the caller uses the verified_caller.
using credential_lookup = std::function<const store::credential*(std::string_view access_key_id)>;

// The whole check, in AWS's order (see the top of this file); `now` is the server's clock.
// The signature is accepted from the Authorization header or, for a presigned URL, from the
// X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires (optional), X-Amz-SignedHeaders,
// X-Amz-Signature and X-Amz-Security-Token query parameters. Every error is one of
// missing_authentication_token, incomplete_signature, invalid_signature, unrecognized_client,
// expired_token, its message at most k_max_message_bytes.
api::result<verified_caller> verify(const signed_request& request, const credential_lookup& lookup,
                                    api::epoch_millis now, signing_key_cache& keys,
                                    std::string_view service = k_service);

}  // namespace hil::server::sigv4
