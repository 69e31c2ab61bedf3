// What the emulator reads from an AWS Signature Version 4 Authorization header. It does
// not verify signatures; it only needs to know who is calling, for fault matching,
// throttling per caller and the request journal.
#pragma once

#include <string_view>

namespace hil::server {

// The access key id in "AWS4-HMAC-SHA256 Credential=AKID/20261129/us-east-1/medical-imaging/aws4_request, ...",
// or empty when the header is absent or not of that shape. The result views into `authorization`.
std::string_view access_key_id(std::string_view authorization);


// The region of the credential scope in the same header ("us-east-1" above), or empty when
// the header is absent, not of that shape, or the region is not lower-case letters, digits
// and '-' (at most 32). The result views into `authorization`.
std::string_view credential_region(std::string_view authorization);

}  // namespace hil::server
