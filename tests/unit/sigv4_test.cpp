#include "server/sigv4.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "server/crypto.hpp"
#include "tests/unit/test_support.hpp"

using namespace std::string_literals;
using hil::api::epoch_millis;
using hil::api::error_code;
namespace sigv4 = hil::server::sigv4;
namespace crypto = hil::server::crypto;
using sigv4::header_field;

namespace {

// A request as it came off the wire, with what a signer computed for it.
struct suite_vector {
    std::string_view name, method, target;
    std::vector<header_field> headers;
    std::string_view body, canonical, string_to_sign, authorization;
    std::string_view token;  // the session token the credential carries; empty: none
};

struct sdk_vector {  // a request an SDK signed (botocore or JS v3)
    std::string_view name, method, target;
    std::vector<header_field> headers;
    std::string_view body, canonical;
    bool token;  // signed with k_vector_token
};

// Transcribed by tests/unit/sigv4_vectors.py --aws-suite from the aws-sig-v4-test-suite as
// botocore ships it (tests/unit/auth/aws4_testsuite, Apache-2.0, (c) Amazon.com, Inc.);
// AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, 20150830T123600Z, us-east-1, service.
const suite_vector k_suite_vectors[] = {
    {
        "get-header-key-duplicate",
        "GET",
        "/",
        {
            {"Host", "example.amazonaws.com"},
            {"My-Header1", "value2"},
            {"My-Header1", "value2"},
            {"My-Header1", "value1"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
        },
        "",
        "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\ndc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
        "",
    },
    {
        "get-header-value-multiline",
        "GET",
        "/",
        {
            {"Host", "example.amazonaws.com"},
            {"My-Header1", "value1\n  value2\n     value3"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd"},
        },
        "",
        "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1 value2 value3\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\ne99419459a677bc11de234014be3c4e72c1ea5b454ceb58b613061f5d7a162e8",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd",
        "",
    },
    {
        "get-header-value-order",
        "GET",
        "/",
        {
            {"Host", "example.amazonaws.com"},
            {"My-Header1", "value4"},
            {"My-Header1", "value1"},
            {"My-Header1", "value3"},
            {"My-Header1", "value2"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
        },
        "",
        "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
        "",
    },
    {
        "get-header-value-trim",
        "GET",
        "/",
        {
            {"Host", "example.amazonaws.com"},
            {"My-Header1", " value1"},
            {"My-Header2", " \"a   b   c\""},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
        },
        "",
        "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\na726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
        "",
    },
    {
        "get-unreserved",
        "GET",
        "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
        },
        "",
        "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
        "",
    },
    {
        "get-utf8",
        "GET",
        "/\341\210\264",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
        },
        "",
        "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
        "",
    },
    {
        "get-vanilla",
        "GET",
        "/",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        },
        "",
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "",
    },
    {
        "get-vanilla-empty-query-key",
        "GET",
        "/\077Param1=value1",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
        },
        "",
        "GET\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb",
        "",
    },
    {
        "get-vanilla-query",
        "GET",
        "/",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        },
        "",
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "",
    },
    {
        "get-vanilla-query-order-encoded",
        "GET",
        "/\077Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"},
        },
        "",
        "GET\n/\n%E1%88%B4=Value1&Param=Value2&Param-3=Value3\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n868294f5c38bd141c4972a373a76654f1418a8e4fc18b2e7903ae45e8ae0ec71",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac",
        "",
    },
    {
        "get-vanilla-query-order-key",
        "GET",
        "/\077Param1=value2&Param1=Value1",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},
        },
        "",
        "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1",
        "",
    },
    {
        "get-vanilla-query-order-key-case",
        "GET",
        "/\077Param2=value2&Param1=value1",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
        },
        "",
        "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
        "",
    },
    {
        "get-vanilla-query-order-value",
        "GET",
        "/\077Param1=value2&Param1=value1",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
        },
        "",
        "GET\n/\nParam1=value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nc968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694",
        "",
    },
    {
        "get-vanilla-query-unreserved",
        "GET",
        "/\077-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
        },
        "",
        "GET\n/\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nc30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
        "",
    },
    {
        "get-vanilla-utf8-query",
        "GET",
        "/\077\341\210\264=bar",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
        },
        "",
        "GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\neb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
        "",
    },
    {
        "get-vanilla-with-session-token",
        "GET",
        "/",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"X-Amz-Security-Token", "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"},
        },
        "",
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267\n\nhost;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
        "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
    },
    {
        "normalize-path/get-relative",
        "GET",
        "/example/..",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        },
        "",
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "",
    },
    {
        "normalize-path/get-relative-relative",
        "GET",
        "/example1/example2/../..",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        },
        "",
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "",
    },
    {
        "normalize-path/get-slash",
        "GET",
        "//",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        },
        "",
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "",
    },
    {
        "normalize-path/get-slash-dot-slash",
        "GET",
        "/./",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        },
        "",
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
        "",
    },
    {
        "normalize-path/get-slash-pointless-dot",
        "GET",
        "/./example",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"},
        },
        "",
        "GET\n/example\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n214d50c111a8edc4819da6a636336472c916b5240f51e9a51b5c3305180cf702",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5",
        "",
    },
    {
        "normalize-path/get-slashes",
        "GET",
        "//example//",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"},
        },
        "",
        "GET\n/example/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\ncb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
        "",
    },
    {
        "normalize-path/get-space",
        "GET",
        "/example space/",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"},
        },
        "",
        "GET\n/example%20space/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741",
        "",
    },
    {
        "normalize-path/get-special-character",
        "GET",
        "/example/$delete",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=a853c9b21b528b19643d00910d35b83a10c366a10833ceefb45edd6c80e40f27"},
        },
        "",
        "GET\n/example/%24delete\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n4053e45b5cef7cec5e17f736b1c12b3faf0388fd4c0bd24326386f132039ce5c",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=a853c9b21b528b19643d00910d35b83a10c366a10833ceefb45edd6c80e40f27",
        "",
    },
    {
        "post-header-key-case",
        "POST",
        "/",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
        },
        "",
        "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        "",
    },
    {
        "post-header-key-sort",
        "POST",
        "/",
        {
            {"Host", "example.amazonaws.com"},
            {"My-Header1", "value1"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"},
        },
        "",
        "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c",
        "",
    },
    {
        "post-header-value-case",
        "POST",
        "/",
        {
            {"Host", "example.amazonaws.com"},
            {"My-Header1", "VALUE1"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
        },
        "",
        "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:VALUE1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nd51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
        "",
    },
    {
        "post-sts-token/post-sts-header-after",
        "POST",
        "/",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"X-Amz-Security-Token", "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
        },
        "",
        "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==",
    },
    {
        "post-sts-token/post-sts-header-before",
        "POST",
        "/",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"X-Amz-Security-Token", "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
        },
        "",
        "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==\n\nhost;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nc237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==",
    },
    {
        "post-vanilla",
        "POST",
        "/",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
        },
        "",
        "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
        "",
    },
    {
        "post-vanilla-empty-query-value",
        "POST",
        "/\077Param1=value1",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
        },
        "",
        "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
        "",
    },
    {
        "post-vanilla-query",
        "POST",
        "/\077Param1=value1",
        {
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"},
        },
        "",
        "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11",
        "",
    },
    {
        "post-x-www-form-urlencoded",
        "POST",
        "/",
        {
            {"Content-Type", "application/x-www-form-urlencoded"},
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"},
        },
        "Param1=value1",
        "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
        "",
    },
    {
        "post-x-www-form-urlencoded-parameters",
        "POST",
        "/",
        {
            {"Content-Type", "application/x-www-form-urlencoded; charset=utf8"},
            {"Host", "example.amazonaws.com"},
            {"X-Amz-Date", "20150830T123600Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"},
        },
        "Param1=value1",
        "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf8\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe",
        "",
    },
};

// Generated by tests/unit/sigv4_vectors.py with botocore 1.43.11; do not edit by hand.
// Signed by botocore.auth.SigV4Auth (SigV4QueryAuth for 'presigned') at 20261202T013000Z,
// access key AKIAHILVECTORS000001, region us-east-1, service medical-imaging.
const sdk_vector k_sdk_vectors[] = {
    {
        "tags_arn",
        "GET",
        "/tags/arn%3Aaws%3Amedical-imaging%3Aus-east-1%3A123456789012%3Adatastore%2Fabc",
        {
            {"Host", "medical-imaging.us-east-1.amazonaws.com"},
            {"X-Amz-Date", "20261202T013000Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAHILVECTORS000001/20261202/us-east-1/medical-imaging/aws4_request, SignedHeaders=host;x-amz-date, Signature=9d850fdb4abf904c2492a78beb195c428b2ffc19aef596ce3a6766be43cc64a6"},
        },
        "",
        "GET\n/tags/arn%253Aaws%253Amedical-imaging%253Aus-east-1%253A123456789012%253Adatastore%252Fabc\n\nhost:medical-imaging.us-east-1.amazonaws.com\nx-amz-date:20261202T013000Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        false,
    },
    {
        "space_and_slashes",
        "GET",
        "/datastore//a%20b/./c/../imageSet/x%2Fy/",
        {
            {"Host", "medical-imaging.us-east-1.amazonaws.com"},
            {"X-Amz-Date", "20261202T013000Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAHILVECTORS000001/20261202/us-east-1/medical-imaging/aws4_request, SignedHeaders=host;x-amz-date, Signature=e8cd803e7345c537a610b41eeee464735a8b7615d14c7a442350f18cd33ca187"},
        },
        "",
        "GET\n/datastore/a%2520b/imageSet/x%252Fy/\n\nhost:medical-imaging.us-east-1.amazonaws.com\nx-amz-date:20261202T013000Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        false,
    },
    {
        "query_empty_and_repeated",
        "GET",
        "/datastore\077maxResults=5&empty=&flag&b=2&b=1&nextToken=a%2Bb%3D%3D&%C3%A9=%E2%9C%93",
        {
            {"Host", "medical-imaging.us-east-1.amazonaws.com"},
            {"X-Amz-Date", "20261202T013000Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAHILVECTORS000001/20261202/us-east-1/medical-imaging/aws4_request, SignedHeaders=host;x-amz-date, Signature=4455894e0de702a87cd78e370747a1e54935c47813b537e9ba272b1645f6b497"},
        },
        "",
        "GET\n/datastore\n%C3%A9=%E2%9C%93&b=1&b=2&empty=&flag=&maxResults=5&nextToken=a%2Bb%3D%3D\nhost:medical-imaging.us-east-1.amazonaws.com\nx-amz-date:20261202T013000Z\n\nhost;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        false,
    },
    {
        "header_spaces",
        "GET",
        "/datastore/ds1",
        {
            {"Host", "medical-imaging.us-east-1.amazonaws.com"},
            {"X-Hil-Spaces", "  a   b \t c  "},
            {"X-Hil-Repeat", "one"},
            {"X-Hil-Repeat", "  two  three "},
            {"X-Amz-Date", "20261202T013000Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAHILVECTORS000001/20261202/us-east-1/medical-imaging/aws4_request, SignedHeaders=host;x-amz-date;x-hil-repeat;x-hil-spaces, Signature=399251b21ecdb0a20228ce28e99b9fc7932cb65f7a2606a421830756e8801966"},
        },
        "",
        "GET\n/datastore/ds1\n\nhost:medical-imaging.us-east-1.amazonaws.com\nx-amz-date:20261202T013000Z\nx-hil-repeat:one,two three\nx-hil-spaces:a b c\n\nhost;x-amz-date;x-hil-repeat;x-hil-spaces\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        false,
    },
    {
        "session_token",
        "GET",
        "/datastore/ds1",
        {
            {"Host", "medical-imaging.us-east-1.amazonaws.com"},
            {"X-Amz-Date", "20261202T013000Z"},
            {"X-Amz-Security-Token", "IQoJb3JpZ2luX2VjEHIL//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+session/token=="},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAHILVECTORS000001/20261202/us-east-1/medical-imaging/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=4a2431ebab73abe124dbe31cc1dab09ecaf1622c79969d268ede947747b74561"},
        },
        "",
        "GET\n/datastore/ds1\n\nhost:medical-imaging.us-east-1.amazonaws.com\nx-amz-date:20261202T013000Z\nx-amz-security-token:IQoJb3JpZ2luX2VjEHIL//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+session/token==\n\nhost;x-amz-date;x-amz-security-token\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        true,
    },
    {
        "unsigned_payload",
        "POST",
        "/datastore/ds1/imageSet/is1/getImageSet\077version=2",
        {
            {"Host", "medical-imaging.us-east-1.amazonaws.com"},
            {"Content-Type", "application/json"},
            {"X-Amz-Date", "20261202T013000Z"},
            {"X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAHILVECTORS000001/20261202/us-east-1/medical-imaging/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=ba68e286c3fccf13439df592f96b4f957ec0533c729f8946187a78ad33e82374"},
        },
        "{\"a\":1}",
        "POST\n/datastore/ds1/imageSet/is1/getImageSet\nversion=2\ncontent-type:application/json\nhost:medical-imaging.us-east-1.amazonaws.com\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:20261202T013000Z\n\ncontent-type;host;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD",
        false,
    },
    {
        "post_json",
        "POST",
        "/datastore",
        {
            {"Host", "medical-imaging.us-east-1.amazonaws.com"},
            {"Content-Type", "application/json"},
            {"amz-sdk-invocation-id", "0f5a9a8e-1c1a-4d0b-9a39-6c3cfbb0a001"},
            {"amz-sdk-request", "attempt=1; max=3"},
            {"X-Amz-Date", "20261202T013000Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAHILVECTORS000001/20261202/us-east-1/medical-imaging/aws4_request, SignedHeaders=amz-sdk-invocation-id;amz-sdk-request;content-type;host;x-amz-date, Signature=ae8ad7067ef7d057bc0dfcdffd4be1bcc2c1d53bfc18c7f9a747a9516dc35eec"},
        },
        "{\"datastoreName\":\"my store\",\"clientToken\":\"tok-1\",\"tags\":{\"k\":\"v w\"}}",
        "POST\n/datastore\n\namz-sdk-invocation-id:0f5a9a8e-1c1a-4d0b-9a39-6c3cfbb0a001\namz-sdk-request:attempt=1; max=3\ncontent-type:application/json\nhost:medical-imaging.us-east-1.amazonaws.com\nx-amz-date:20261202T013000Z\n\namz-sdk-invocation-id;amz-sdk-request;content-type;host;x-amz-date\ndc68f7f62f1763919954309ec99d3edd2c1399d4dfaf0461d480aac069224570",
        false,
    },
    {
        "post_json_content_sha",
        "POST",
        "/datastore/ds1/imageSet/is1/updateImageSet\077latestVersion=1",
        {
            {"Host", "medical-imaging.us-east-1.amazonaws.com"},
            {"Content-Type", "application/json"},
            {"X-Amz-Content-SHA256", "6fcc00ca3cf2116dc5f4f101a703277aeb97f7f19d8d2d1c692797b2a5db51b8"},
            {"X-Amz-Date", "20261202T013000Z"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAHILVECTORS000001/20261202/us-east-1/medical-imaging/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=c2e8884555053ff8b460d21515af4d4c9c20e747b23cbd9b0831c7bc07acbe54"},
        },
        "{\"updateImageSetMetadataUpdates\":{}}",
        "POST\n/datastore/ds1/imageSet/is1/updateImageSet\nlatestVersion=1\ncontent-type:application/json\nhost:medical-imaging.us-east-1.amazonaws.com\nx-amz-content-sha256:6fcc00ca3cf2116dc5f4f101a703277aeb97f7f19d8d2d1c692797b2a5db51b8\nx-amz-date:20261202T013000Z\n\ncontent-type;host;x-amz-content-sha256;x-amz-date\n6fcc00ca3cf2116dc5f4f101a703277aeb97f7f19d8d2d1c692797b2a5db51b8",
        false,
    },
    {
        "date_header",
        "GET",
        "/datastore/ds1/imageSet/is1",
        {
            {"Host", "medical-imaging.us-east-1.amazonaws.com"},
            {"Date", "Wed, 02 Dec 2026 01:30:00 -0000"},
            {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIAHILVECTORS000001/20261202/us-east-1/medical-imaging/aws4_request, SignedHeaders=date;host, Signature=2afb721a3d5db9a0c10b0b33076c86e2e6c20c2c010d1ea06822247d96a2c1d8"},
        },
        "",
        "GET\n/datastore/ds1/imageSet/is1\n\ndate:Wed, 02 Dec 2026 01:30:00 -0000\nhost:medical-imaging.us-east-1.amazonaws.com\n\ndate;host\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        false,
    },
    {
        "presigned",
        "GET",
        "/datastore/ds1\077maxResults=2&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAHILVECTORS000001%2F20261202%2Fus-east-1%2Fmedical-imaging%2Faws4_request&X-Amz-Date=20261202T013000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEHIL%2F%2F%2F%2F%2F%2F%2F%2F%2F%2FwEaCXVzLWVhc3QtMSJHMEUCIQD%2Bsession%2Ftoken%3D%3D&X-Amz-Signature=1c56011568af0713d1ca2d01a32d3e50968b7c1461b0a4652a08bf5754421bf7",
        {
            {"Host", "medical-imaging.us-east-1.amazonaws.com"},
        },
        "",
        "GET\n/datastore/ds1\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAHILVECTORS000001%2F20261202%2Fus-east-1%2Fmedical-imaging%2Faws4_request&X-Amz-Date=20261202T013000Z&X-Amz-Expires=300&X-Amz-Security-Token=IQoJb3JpZ2luX2VjEHIL%2F%2F%2F%2F%2F%2F%2F%2F%2F%2FwEaCXVzLWVhc3QtMSJHMEUCIQD%2Bsession%2Ftoken%3D%3D&X-Amz-SignedHeaders=host&maxResults=2\nhost:medical-imaging.us-east-1.amazonaws.com\n\nhost\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        true,
    },
};

// Generated by tests/unit/sigv4_vectors_js.mjs with @smithy/signature-v4 5.7.5; do not edit by hand.
// Signed by SignatureV4 (uriEscapePath, applyChecksum) at 20261202T013000Z, access key
// AKIAHILVECTORS000001, region us-east-1, service medical-imaging.
const sdk_vector k_js_vectors[] = {
    {
        "js_tags_arn",
        "GET",
        "/tags/arn%3Aaws%3Amedical-imaging%3Aus-east-1%3A123456789012%3Adatastore%2Fabc",
        {
            {"host", "medical-imaging.us-east-1.amazonaws.com"},
            {"x-amz-date", "20261202T013000Z"},
            {"x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
            {"authorization", "AWS4-HMAC-SHA256 Credential=AKIAHILVECTORS000001/20261202/us-east-1/medical-imaging/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=ed99f7505b2a053a989ae10a89b041023b40cfed60178fc7378c834deab9d6c4"},
        },
        "",
        "GET\n/tags/arn%253Aaws%253Amedical-imaging%253Aus-east-1%253A123456789012%253Adatastore%252Fabc\n\nhost:medical-imaging.us-east-1.amazonaws.com\nx-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:20261202T013000Z\n\nhost;x-amz-content-sha256;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        false,
    },
    {
        "js_list_query",
        "GET",
        "/datastore\077maxResults=5&nextToken=a%2Bb%3D%3D%2Fc&datastoreStatus=ACTIVE&b=2&b=1",
        {
            {"host", "medical-imaging.us-east-1.amazonaws.com"},
            {"x-hil-spaces", "  a   b \t c  "},
            {"x-amz-date", "20261202T013000Z"},
            {"x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
            {"authorization", "AWS4-HMAC-SHA256 Credential=AKIAHILVECTORS000001/20261202/us-east-1/medical-imaging/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-hil-spaces, Signature=528f9a0e2bf4738751d35f8f073b38ff06b06c88080986df9886b4db74ae2c37"},
        },
        "",
        "GET\n/datastore\nb=1&b=2&datastoreStatus=ACTIVE&maxResults=5&nextToken=a%2Bb%3D%3D%2Fc\nhost:medical-imaging.us-east-1.amazonaws.com\nx-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:20261202T013000Z\nx-hil-spaces:a b c\n\nhost;x-amz-content-sha256;x-amz-date;x-hil-spaces\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        false,
    },
    {
        "js_post_session",
        "POST",
        "/datastore",
        {
            {"host", "medical-imaging.us-east-1.amazonaws.com"},
            {"content-type", "application/json"},
            {"amz-sdk-request", "attempt=1; max=3"},
            {"x-amz-date", "20261202T013000Z"},
            {"x-amz-security-token", "IQoJb3JpZ2luX2VjEHIL//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+session/token=="},
            {"x-amz-content-sha256", "16c252740972da41dad338ca6dc3c806d4c8d6b384fcd6894153e95a8cd88c8a"},
            {"authorization", "AWS4-HMAC-SHA256 Credential=AKIAHILVECTORS000001/20261202/us-east-1/medical-imaging/aws4_request, SignedHeaders=amz-sdk-request;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=748a69ded05a1f65a3e5f05c680f0d1742852d94971ab6e2cc7fd4c0d50ad77e"},
        },
        "{\"datastoreName\":\"my store\",\"clientToken\":\"tok-1\"}",
        "POST\n/datastore\n\namz-sdk-request:attempt=1; max=3\ncontent-type:application/json\nhost:medical-imaging.us-east-1.amazonaws.com\nx-amz-content-sha256:16c252740972da41dad338ca6dc3c806d4c8d6b384fcd6894153e95a8cd88c8a\nx-amz-date:20261202T013000Z\nx-amz-security-token:IQoJb3JpZ2luX2VjEHIL//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+session/token==\n\namz-sdk-request;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token\n16c252740972da41dad338ca6dc3c806d4c8d6b384fcd6894153e95a8cd88c8a",
        true,
    },
};

constexpr epoch_millis k_suite_now = 1'440'938'160'000;   // 20150830T123600Z
constexpr epoch_millis k_vector_now = 1'796'175'000'000;  // 20261202T013000Z
constexpr epoch_millis k_minute = 60'000;
constexpr std::string_view k_suite_key = "AKIDEXAMPLE";
constexpr std::string_view k_suite_secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr std::string_view k_vector_key = "AKIAHILVECTORS000001";
constexpr std::string_view k_vector_secret = "hil/Vectors+Secret/0123456789EXAMPLEKEY";
constexpr std::string_view k_vector_token = "IQoJb3JpZ2luX2VjEHIL//////////wEaCXVzLWVhc3QtMSJHMEUCIQD+session/token==";
constexpr std::string_view k_mismatch_head =
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
    "Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request "
    "should have been\n'";

hil::store::credential make_credential(std::string_view key, std::string_view secret,
                                       std::optional<std::string> token = std::nullopt,
                                       std::optional<epoch_millis> expires_at = std::nullopt) {
    hil::store::credential c;
    c.access_key_id = std::string(key);
    c.secret_access_key = std::string(secret);
    c.session_token = std::move(token);
    c.expires_at = expires_at;
    return c;
}

// Credentials and a cache, and verify() over them.
struct verifier {
    std::vector<hil::store::credential> credentials;
    sigv4::signing_key_cache keys;

    sigv4::credential_lookup lookup() const {
        return [this](std::string_view id) -> const hil::store::credential* {
            for (const auto& c : credentials) {
                if (c.access_key_id == id) return &c;
            }
            return nullptr;
        };
    }
    hil::api::result<sigv4::verified_caller> operator()(const sigv4::signed_request& r, epoch_millis now,
                                                         std::string_view service = sigv4::k_service) {
        return sigv4::verify(r, lookup(), now, keys, service);
    }
};

template <class V>
sigv4::signed_request as_request(const V& v, std::span<const header_field> headers) {
    return {v.method, v.target, headers, v.body};
}

std::optional<std::string_view> header_value(std::span<const header_field> headers, std::string_view name) {
    for (const auto& h : headers) {
        if (std::equal(h.name.begin(), h.name.end(), name.begin(), name.end(),
                       [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; })) {
            return h.value;
        }
    }
    return std::nullopt;
}

// A different character of the same kind, so the text stays well-formed.
char bump(char c) {
    if (c >= 'a' && c <= 'y') return static_cast<char>(c + 1);
    if (c == 'z') return 'a';
    if (c >= 'A' && c <= 'Y') return static_cast<char>(c + 1);
    if (c == 'Z') return 'A';
    if (c >= '0' && c <= '8') return static_cast<char>(c + 1);
    if (c == '9') return '0';
    return 'x';
}

// The payload hash a verifier puts in the canonical request.
std::string payload_hash(std::span<const header_field> headers, std::string_view body) {
    if (const auto claimed = header_value(headers, "x-amz-content-sha256")) return std::string(*claimed);
    return crypto::sha256_hex(body);
}

// A request signed here, with the library, for the failure tests: GET /datastore/ds1 at
// `date` with X-Amz-Date, Host and whatever `extra` adds.
struct own_request {
    std::string target = "/datastore/ds1?maxResults=5";
    std::string date = "20261202T013000Z";
    std::string credential_scope;  // default: k_vector_key/<date's day>/us-east-1/medical-imaging/aws4_request
    std::string signed_headers = "host;x-amz-date";
    std::vector<std::pair<std::string, std::string>> extra;
    std::string body;
    std::string secret{k_vector_secret};

    std::vector<std::pair<std::string, std::string>> fields;
    std::vector<header_field> headers;
    std::string authorization;

    own_request() = default;
    own_request(const own_request&) = delete;  // `headers` views into `fields`
    own_request& operator=(const own_request&) = delete;

    // Builds the fields and signs them.
    void sign() {
        if (credential_scope.empty()) {
            credential_scope = std::string(k_vector_key) + "/" + date.substr(0, 8) + "/us-east-1/medical-imaging/aws4_request";
        }
        fields = {{"Host", "medical-imaging.us-east-1.amazonaws.com"}, {"X-Amz-Date", date}};
        fields.insert(fields.end(), extra.begin(), extra.end());
        authorization = "AWS4-HMAC-SHA256 Credential=" + credential_scope + ", SignedHeaders=" + signed_headers +
                        ", Signature=" + std::string(64, '0');
        rebuild();
        const auto parsed = sigv4::parse_authorization(authorization);
        REQUIRE(parsed.ok());
        const auto& a = parsed.value();
        const auto canonical = sigv4::canonical_request(request(), a, payload_hash(headers, body));
        const auto to_sign = sigv4::string_to_sign(date, a, canonical);
        const auto sig = sigv4::signature(sigv4::signing_key(secret, a.date, a.region, a.service), to_sign);
        authorization = authorization.substr(0, authorization.size() - 64) + sig;
        rebuild();
    }
    // Replaces the Authorization header (after sign()).
    own_request& with_authorization(std::string value) {
        authorization = std::move(value);
        rebuild();
        return *this;
    }
    void rebuild() {
        headers.clear();
        for (const auto& [n, v] : fields) headers.push_back({n, v});
        if (!authorization.empty()) headers.push_back({"Authorization", authorization});
    }
    sigv4::signed_request request() const { return {"GET", target, headers, body}; }
};

// The error's message, for a failed check's report (doctest evaluates it on success too).
std::string why(const hil::api::result<sigv4::verified_caller>& r) { return r.ok() ? std::string() : r.err().message(); }

void check_error(const hil::api::result<sigv4::verified_caller>& r, error_code code, std::string_view message) {
    REQUIRE_FALSE(r.ok());
    CHECK(r.err().code() == code);
    CHECK(r.err().message() == message);
    CHECK(r.err().message().size() <= sigv4::k_max_message_bytes);
}

}  // namespace

TEST_SUITE("sigv4") {

TEST_CASE("sigv4 crypto helpers give the published answers") {
    CHECK(crypto::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(crypto::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    // RFC 4231 test case 2.
    CHECK(crypto::hex(crypto::hmac_sha256("Jefe", "what do ya want for nothing?")) ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    CHECK(crypto::hex(crypto::hmac_sha256("", "")) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
    CHECK(crypto::constant_time_equal("abc", "abc"));
    CHECK_FALSE(crypto::constant_time_equal("abc", "abd"));
    CHECK_FALSE(crypto::constant_time_equal("abc", "ab"));
    CHECK(crypto::constant_time_equal("", ""));
    // The derived key of AWS's "Examples of how to derive a signing key" (IAM, 20120215).
    CHECK(crypto::hex(sigv4::signing_key(k_suite_secret, "20120215", "us-east-1", "iam")) ==
          "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST_CASE("sigv4 AWS test suite: canonical request, string to sign, signature, verify") {
    verifier v;
    for (const auto& t : k_suite_vectors) {
        CAPTURE(t.name);
        v.credentials = {make_credential(k_suite_key, k_suite_secret,
                                         t.token.empty() ? std::nullopt : std::optional<std::string>(t.token))};
        const auto request = as_request(t, t.headers);
        const auto parsed = sigv4::parse_authorization(t.authorization);
        REQUIRE(parsed.ok());
        const auto& a = parsed.value();
        CHECK(a.access_key_id == k_suite_key);
        CHECK(a.date == "20150830");
        CHECK(a.region == "us-east-1");
        CHECK(a.service == "service");
        CHECK(a.terminator == "aws4_request");
        const auto canonical = sigv4::canonical_request(request, a, crypto::sha256_hex(t.body));
        CHECK(canonical == t.canonical);
        const auto to_sign = sigv4::string_to_sign("20150830T123600Z", a, canonical);
        CHECK(to_sign == t.string_to_sign);
        CHECK(sigv4::signature(sigv4::signing_key(k_suite_secret, "20150830", "us-east-1", "service"), to_sign) ==
              a.signature);
        const auto verified = v(request, k_suite_now, "service");
        REQUIRE_MESSAGE(verified.ok(), why(verified));
        CHECK(verified.value().credential == &v.credentials.front());
        CHECK(verified.value().region == "us-east-1");
    }
}

TEST_CASE("sigv4 botocore and JS v3 vectors verify, and one changed byte refuses each") {
    verifier v;
    v.credentials = {make_credential(k_vector_key, k_vector_secret)};
    const auto all = [] {
        std::vector<const sdk_vector*> list;
        for (const auto& t : k_sdk_vectors) list.push_back(&t);
        for (const auto& t : k_js_vectors) list.push_back(&t);
        return list;
    }();
    for (const auto* tp : all) {
        const auto& t = *tp;
        CAPTURE(t.name);
        v.credentials.front().session_token =
            t.token ? std::optional<std::string>(k_vector_token) : std::optional<std::string>();
        const std::vector<header_field> headers = t.headers;
        const auto request = as_request(t, headers);

        // The canonical request is the signer's, byte for byte.
        const bool presigned = t.target.find("X-Amz-Algorithm=") != std::string_view::npos;
        if (!presigned) {
            const auto authorization = header_value(headers, "authorization");
            REQUIRE(authorization);
            const auto parsed = sigv4::parse_authorization(*authorization);
            REQUIRE(parsed.ok());
            CHECK(sigv4::canonical_request(request, parsed.value(), payload_hash(headers, t.body)) == t.canonical);
        }
        const auto verified = v(request, k_vector_now);
        REQUIRE_MESSAGE(verified.ok(), why(verified));
        CHECK(verified.value().region == "us-east-1");
        CHECK(verified.value().credential->access_key_id == k_vector_key);
        // A minute of clock difference either way is fine.
        CHECK(v(request, k_vector_now + k_minute).ok());
        CHECK(v(request, k_vector_now - k_minute).ok());

        const auto refused = [&](const std::string& target, const std::vector<header_field>& hs, std::string_view body) {
            return v(sigv4::signed_request{t.method, target, hs, body}, k_vector_now);
        };
        const std::string target(t.target);
        const auto question = target.find('?');
        const auto path_end = question == std::string::npos ? target.size() : question;

        SUBCASE("a byte of the path") {
            auto changed = target;
            changed[path_end - 1] = bump(changed[path_end - 1]);
            const auto r = refused(changed, headers, t.body);
            REQUIRE_FALSE(r.ok());
            CHECK(r.err().code() == error_code::invalid_signature);
            CHECK(r.err().message().starts_with(k_mismatch_head));
        }
        SUBCASE("a byte of the query") {
            if (question != std::string::npos) {
                auto changed = target;
                changed[question + 1] = bump(changed[question + 1]);
                const auto r = refused(changed, headers, t.body);
                REQUIRE_FALSE(r.ok());
                CHECK(r.err().code() == error_code::invalid_signature);
            }
        }
        SUBCASE("a byte of each signed header") {
            std::vector<std::string> names;
            if (const auto authorization = header_value(headers, "authorization")) {
                const auto parsed = sigv4::parse_authorization(*authorization);
                REQUIRE(parsed.ok());
                for (const auto n : parsed.value().signed_headers) names.emplace_back(n);
            } else {
                names = {"host"};
            }
            for (const auto& name : names) {
                CAPTURE(name);
                std::vector<std::string> values;
                for (const auto& h : headers) values.emplace_back(h.value);
                std::vector<header_field> changed = headers;
                for (std::size_t i = 0; i < changed.size(); ++i) {
                    if (header_value(std::span(&changed[i], 1), name)) {
                        values[i].back() = bump(values[i].back());
                        changed[i].value = values[i];
                        break;
                    }
                }
                const auto r = refused(target, changed, t.body);
                REQUIRE_FALSE(r.ok());
                if (name == "x-amz-security-token") {
                    CHECK(r.err().code() == error_code::unrecognized_client);
                } else if (name == "x-amz-date" || name == "date") {
                    CHECK(r.err().code() != error_code::expired_token);  // the date is then invalid or another
                } else {
                    CHECK(r.err().code() == error_code::invalid_signature);
                }
            }
        }
        SUBCASE("a byte of the body") {
            if (!t.body.empty()) {
                std::string body(t.body);
                body[body.size() / 2] = bump(body[body.size() / 2]);
                const auto r = refused(target, headers, body);
                if (header_value(headers, "x-amz-content-sha256") == sigv4::k_unsigned_payload) {
                    CHECK(r.ok());  // what UNSIGNED-PAYLOAD means: the body is not covered
                } else {
                    REQUIRE_FALSE(r.ok());
                    CHECK(r.err().code() == error_code::invalid_signature);
                    if (header_value(headers, "x-amz-content-sha256")) {
                        CHECK(r.err().message() ==
                              "The provided 'x-amz-content-sha256' header does not match what was computed.");
                    }
                }
            }
        }
        SUBCASE("a byte of the signature") {
            std::vector<header_field> changed = headers;
            std::string changed_target = target;
            std::string authorization;
            if (presigned) {
                changed_target.back() = changed_target.back() == '0' ? '1' : '0';
            } else {
                for (auto& h : changed) {
                    if (header_value(std::span(&h, 1), "authorization")) {
                        authorization = std::string(h.value);
                        authorization.back() = authorization.back() == '0' ? '1' : '0';
                        h.value = authorization;
                    }
                }
            }
            const auto r = refused(changed_target, changed, t.body);
            REQUIRE_FALSE(r.ok());
            CHECK(r.err().code() == error_code::invalid_signature);
            CHECK(r.err().message().starts_with(k_mismatch_head));
            // The canonical request we show is the signer's.
            CHECK(r.err().message().find("\n'" + std::string(t.canonical) + "'\n") != std::string::npos);
            CHECK(r.err().message().size() <= sigv4::k_max_message_bytes);
        }
    }
}

TEST_CASE("sigv4 canonical URI and query, as the SDKs compute them") {
    const std::vector<header_field> headers{{"Host", "h"}};
    const auto parsed = sigv4::parse_authorization("AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1/s/aws4_request, "
                                                   "SignedHeaders=host, Signature=00");
    REQUIRE(parsed.ok());
    const auto lines = [&](std::string_view target) {
        const auto c = sigv4::canonical_request({"GET", target, headers, ""}, parsed.value(), "HASH");
        const auto first = c.find('\n');
        const auto second = c.find('\n', first + 1);
        const auto third = c.find('\n', second + 1);
        return std::pair{c.substr(first + 1, second - first - 1), c.substr(second + 1, third - second - 1)};
    };
    const auto uri = [&](std::string_view target) { return lines(target).first; };
    const auto query = [&](std::string_view target) { return lines(target).second; };

    CHECK(uri("") == "/");
    CHECK(uri("/") == "/");
    CHECK(uri("//") == "/");
    CHECK(uri("/a/b/../c/./d//") == "/a/c/d/");
    CHECK(uri("/a/b/..") == "/a");
    CHECK(uri("/..") == "/");
    CHECK(uri("/../a") == "/a");
    CHECK(uri("a/b") == "a/b");
    CHECK(uri("/%7e/%2E%2E") == "/%257e/%252E%252E");  // escapes are not dot segments, and are encoded again
    CHECK(uri("/a b/$c/\xC3\xA9") == "/a%20b/%24c/%C3%A9");
    CHECK(uri("/-._~AZaz09") == "/-._~AZaz09");
    CHECK(uri("/x?") == "/x");

    CHECK(query("/") == "");
    CHECK(query("/?") == "");
    CHECK(query("/?a=1&a=0&B=2&=x&y") == "=x&B=2&a=0&a=1&y=");
    // A raw '+' is a space, as the router reads it (the SDKs send %2B for '+' and %20 for a space).
    CHECK(query("/?a=b+c") == "a=b%20c");
    CHECK(query("/?a=b%2Bc") == "a=b%2Bc");
    // A fragment ends the path and the query, as the router reads them.
    CHECK(query("/?a=1#b=2") == "a=1");
    CHECK(query("/x#y?a=1").empty());
    CHECK(uri("/datastore/Y#/../../datastore/X") == "/datastore/Y");
    CHECK(query("/?a=%3a%2f") == "a=%3A%2F");
    CHECK(query("/?a=%7E%41") == "a=~A");
    CHECK(query("/?%zz=%2&b=%") == "%25zz=%252&b=%25");
    CHECK(query("/?&&a=1&") == "a=1");
    CHECK(query("/?a==b") == "a=%3Db");
    CHECK(query("/?X-Amz-Signature=abc&a=1") == "X-Amz-Signature=abc&a=1");  // only a presigned request drops it
    auto presigned = parsed.value();
    presigned.presigned = true;
    const auto c = sigv4::canonical_request({"GET", "/?X-Amz-Signature=abc&a=1&x-amz-signature=d", headers, ""},
                                            presigned, "HASH");
    CHECK(c.find("\na=1\n") != std::string::npos);
}

TEST_CASE("sigv4 canonical headers: repeats joined, values trimmed and folded, a missing one empty") {
    const std::vector<header_field> headers{{"Host", " h "},       {"X-A", "  1   2\t\t3 "}, {"x-b", "one"},
                                            {"X-B", "two  too"}, {"X-Empty", ""},           {"X-C", "c"}};
    const auto parsed = sigv4::parse_authorization(
        "AWS4-HMAC-SHA256 Credential=K/20150830/us-east-1/s/aws4_request, SignedHeaders=host;x-a;x-b;x-empty;x-missing, "
        "Signature=00");
    REQUIRE(parsed.ok());
    CHECK(sigv4::canonical_request({"PUT", "/", headers, ""}, parsed.value(), "HASH") ==
          "PUT\n/\n\nhost:h\nx-a:1 2 3\nx-b:one,two too\nx-empty:\nx-missing:\n\nhost;x-a;x-b;x-empty;x-missing\nHASH");
}

TEST_CASE("sigv4 parse_authorization reads the header's parameters in any order and spacing") {
    const auto r = sigv4::parse_authorization(
        "AWS4-HMAC-SHA256 Signature=abc,SignedHeaders=host;x-amz-date ,  Credential=AKID/20261202/eu-west-1/medical-imaging/aws4_request/");
    REQUIRE(r.ok());
    const auto& a = r.value();
    CHECK(a.algorithm == "AWS4-HMAC-SHA256");
    CHECK(a.access_key_id == "AKID");
    CHECK(a.date == "20261202");
    CHECK(a.region == "eu-west-1");
    CHECK(a.service == "medical-imaging");
    CHECK(a.terminator == "aws4_request");
    CHECK(a.signed_headers_text == "host;x-amz-date");
    CHECK(a.signed_headers == std::vector<std::string_view>{"host", "x-amz-date"});
    CHECK(a.signature == "abc");
    CHECK_FALSE(a.presigned);
    // The last of a repeated parameter wins; unknown parameters are ignored.
    const auto again = sigv4::parse_authorization(
        "AWS4-HMAC-SHA256 Credential=A/1/r/s/t, Credential=B/2/r/s/aws4_request, Foo=bar, SignedHeaders=host, Signature=x");
    REQUIRE(again.ok());
    CHECK(again.value().access_key_id == "B");
    // The old readers still read the same header.
    const std::string_view header = "AWS4-HMAC-SHA256 Credential=AKID/20261202/eu-west-1/medical-imaging/aws4_request, "
                                    "SignedHeaders=host, Signature=abc";
    CHECK(hil::server::access_key_id(header) == "AKID");
    CHECK(hil::server::credential_region(header) == "eu-west-1");
}

TEST_CASE("sigv4 refuses a request without a signature or of another scheme") {
    verifier v;
    v.credentials = {make_credential(k_vector_key, k_vector_secret)};
    own_request r;
    r.sign();
    r.authorization.clear();
    r.rebuild();
    check_error(v(r.request(), k_vector_now), error_code::missing_authentication_token, "Missing Authentication Token");
    r.with_authorization("Bearer abc");
    check_error(v(r.request(), k_vector_now), error_code::missing_authentication_token, "Missing Authentication Token");
    r.with_authorization("");
    check_error(v(r.request(), k_vector_now), error_code::missing_authentication_token, "Missing Authentication Token");

    auto both = own_request{};
    both.target = "/datastore?X-Amz-Algorithm=AWS4-HMAC-SHA256";
    both.sign();
    check_error(v(both.request(), k_vector_now), error_code::invalid_signature,
                "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' as HTTP header.");
}

TEST_CASE("sigv4 refuses a malformed Authorization header with AWS's words") {
    verifier v;
    v.credentials = {make_credential(k_vector_key, k_vector_secret)};
    own_request r;
    r.sign();
    const auto with = [&](std::string header) {
        r.with_authorization(std::move(header));
        return v(r.request(), k_vector_now);
    };
    const std::string scope = "Credential=" + std::string(k_vector_key) + "/20261202/us-east-1/medical-imaging/aws4_request";

    const std::string no_equals = "AWS4-HMAC-SHA256 " + scope + ", SignedHeaders=host;x-amz-date, foo, Signature=00";
    check_error(with(no_equals), error_code::incomplete_signature,
                "'foo' not a valid key=value pair (missing equal-sign) in Authorization header: '" + no_equals + "'.");
    // A space inside a value splits it, as AWS reads it.
    const std::string spaced = "AWS4-HMAC-SHA256 Credential= " + std::string(k_vector_key) + "/x, SignedHeaders=host, Signature=0";
    check_error(with(spaced), error_code::incomplete_signature,
                "'" + std::string(k_vector_key) + "/x' not a valid key=value pair (missing equal-sign) in Authorization header: '" +
                    spaced + "'.");

    check_error(with("AWS4-HMAC-SHA256 SignedHeaders=host"), error_code::incomplete_signature,
                "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
                "parameter. Authorization=AWS4-HMAC-SHA256 SignedHeaders=host");
    check_error(with("AWS4-HMAC-SHA256"), error_code::incomplete_signature,
                "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
                "parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256");
    check_error(with("AWS4-HMAC-SHA256 " + scope + ", SignedHeaders=, Signature=00"), error_code::incomplete_signature,
                "Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 " + scope +
                    ", SignedHeaders=, Signature=00");

    check_error(with("AWS4-HMAC-SHA256 " + scope + ", SignedHeaders=x-amz-date, Signature=00"),
                error_code::invalid_signature, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
    check_error(with("AWS4-HMAC-SHA512 " + scope + ", SignedHeaders=host;x-amz-date, Signature=00"),
                error_code::incomplete_signature,
                "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512' (only AWS4-HMAC-SHA256 for now). ");
    check_error(with("AWS4-HMAC-SHA256 Credential=AKID/20261202/us-east-1/medical-imaging, SignedHeaders=host, Signature=00"),
                error_code::incomplete_signature,
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got "
                "'AKID/20261202/us-east-1/medical-imaging'");
    check_error(with("AWS4-HMAC-SHA256 Credential=A/B/C/D/E/F, SignedHeaders=host, Signature=00"),
                error_code::incomplete_signature,
                "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got "
                "'A/B/C/D/E/F'");

    // No date header at all: reported with the missing parameters.
    own_request undated;
    undated.sign();
    undated.fields.erase(undated.fields.begin() + 1);
    undated.rebuild();
    check_error(v(undated.request(), k_vector_now), error_code::incomplete_signature,
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" +
                    undated.authorization);
}

TEST_CASE("sigv4 refuses a bad date, a stale or future one, and a wrong scope") {
    verifier v;
    v.credentials = {make_credential(k_vector_key, k_vector_secret)};

    auto bad = own_request{};
    bad.date = "2026-12-02T01:30:00Z";
    bad.credential_scope = std::string(k_vector_key) + "/20261202/us-east-1/medical-imaging/aws4_request";
    bad.sign();
    check_error(v(bad.request(), k_vector_now), error_code::incomplete_signature,
                "Date must be in ISO-8601 'basic format'. Got '2026-12-02T01:30:00Z'. See http://en.wikipedia.org/wiki/ISO_8601");
    for (const auto* date : {"20261302T013000Z", "20261232T013000Z", "20261202T243000Z", "20261202T013000", "20260229T000000Z"}) {
        CAPTURE(date);
        auto r = own_request{};
        r.date = date;
        r.credential_scope = std::string(k_vector_key) + "/20261202/us-east-1/medical-imaging/aws4_request";
        r.sign();
        const auto result = v(r.request(), k_vector_now);
        REQUIRE_FALSE(result.ok());
        CHECK(result.err().code() == error_code::incomplete_signature);
    }

    auto stale = own_request{};
    stale.date = "20261202T010000Z";
    stale.sign();
    check_error(v(stale.request(), k_vector_now), error_code::invalid_signature,
                "Signature expired: 20261202T010000Z is now earlier than 20261202T011500Z (20261202T013000Z - 15 min.)");
    CHECK(v(stale.request(), k_vector_now - 15 * k_minute + 999).ok());  // exactly 15 minutes old: still fine

    auto future = own_request{};
    future.date = "20261202T014501Z";
    future.sign();
    check_error(v(future.request(), k_vector_now), error_code::invalid_signature,
                "Signature not yet current: 20261202T014501Z is still later than 20261202T014500Z (20261202T013000Z + 15 min.)");
    CHECK(v(future.request(), k_vector_now + 1000).ok());

    const auto scoped = [&](std::string scope) {
        auto r = own_request{};
        r.credential_scope = std::move(scope);
        r.sign();
        return v(r.request(), k_vector_now);
    };
    const std::string key(k_vector_key);
    check_error(scoped(key + "/20261202/us-east-1/s3/aws4_request"), error_code::invalid_signature,
                "Credential should be scoped to correct service: 'medical-imaging'. ");
    check_error(scoped(key + "/20261202/US_EAST/medical-imaging/aws4_request"), error_code::invalid_signature,
                "Credential should be scoped to a valid region, not 'US_EAST'. ");
    check_error(scoped(key + "/20261202/us-east-1/medical-imaging/aws5_request"), error_code::invalid_signature,
                "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ");
    check_error(scoped(key + "/20261201/us-east-1/medical-imaging/aws4_request"), error_code::invalid_signature,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20261201' "
                "!= '20261202', from '20261202T013000Z'.");
    check_error(scoped(key + "/2026/x!/s3/end"), error_code::invalid_signature,
                "Credential should be scoped to a valid region, not 'x!'. Credential should be scoped to correct "
                "service: 'medical-imaging'. Credential should be scoped with a valid terminator: 'aws4_request', not "
                "'end'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                "'2026' != '20261202', from '20261202T013000Z'.");
}

TEST_CASE("sigv4 takes the date from a Date header when X-Amz-Date is absent") {
    verifier v;
    v.credentials = {make_credential(k_vector_key, k_vector_secret)};
    for (const auto* date : {"Wed, 02 Dec 2026 01:30:00 GMT", "Wed, 02 Dec 2026 01:30:00 -0000", "2 Dec 2026 01:30:00 UTC"}) {
        CAPTURE(date);
        auto r = own_request{};
        r.signed_headers = "date;host";
        r.sign();
        r.fields[1] = {"Date", date};
        r.rebuild();
        // Signed again over the Date header: the string to sign still carries 20261202T013000Z.
        const auto parsed = sigv4::parse_authorization(r.authorization);
        REQUIRE(parsed.ok());
        const auto canonical = sigv4::canonical_request(r.request(), parsed.value(), crypto::sha256_hex(""));
        const auto to_sign = sigv4::string_to_sign("20261202T013000Z", parsed.value(), canonical);
        const auto sig = sigv4::signature(sigv4::signing_key(k_vector_secret, "20261202", "us-east-1", "medical-imaging"), to_sign);
        r.with_authorization(r.authorization.substr(0, r.authorization.size() - 64) + sig);
        const auto result = v(r.request(), k_vector_now);
        CHECK_MESSAGE(result.ok(), why(result));
    }
    own_request r;
    r.sign();
    r.fields[1] = {"Date", "yesterday"};
    r.rebuild();
    check_error(v(r.request(), k_vector_now), error_code::incomplete_signature,
                "Date must be in ISO-8601 'basic format'. Got 'yesterday'. See http://en.wikipedia.org/wiki/ISO_8601");
}

TEST_CASE("sigv4 refuses unknown keys, wrong session tokens and expired credentials") {
    verifier v;
    own_request plain;
    plain.sign();
    check_error(v(plain.request(), k_vector_now), error_code::unrecognized_client,
                "The security token included in the request is invalid.");

    v.credentials = {make_credential(k_vector_key, k_vector_secret, "the-token")};
    check_error(v(plain.request(), k_vector_now), error_code::unrecognized_client,
                "The security token included in the request is invalid.");
    auto other = own_request{};
    other.extra = {{"X-Amz-Security-Token", "another-token"}};
    other.signed_headers = "host;x-amz-date;x-amz-security-token";
    other.sign();
    check_error(v(other.request(), k_vector_now), error_code::unrecognized_client,
                "The security token included in the request is invalid.");
    auto right = own_request{};
    right.extra = {{"X-Amz-Security-Token", "the-token"}};
    right.signed_headers = "host;x-amz-date;x-amz-security-token";
    right.sign();
    CHECK(v(right.request(), k_vector_now).ok());

    v.credentials = {make_credential(k_vector_key, k_vector_secret)};
    check_error(v(right.request(), k_vector_now), error_code::unrecognized_client,
                "The security token included in the request is invalid.");

    v.credentials = {make_credential(k_vector_key, k_vector_secret, "the-token", k_vector_now)};
    check_error(v(right.request(), k_vector_now), error_code::expired_token,
                "The security token included in the request is expired");
    v.credentials.front().expires_at = k_vector_now + 1;
    CHECK(v(right.request(), k_vector_now).ok());
    // The token is checked before the signature.
    v.credentials.front().expires_at = k_vector_now;
    right.with_authorization(right.authorization.substr(0, right.authorization.size() - 1) + "x");
    CHECK(v(right.request(), k_vector_now).err().code() == error_code::expired_token);
}

TEST_CASE("sigv4 a signature mismatch shows the canonical request and string to sign, clipped") {
    verifier v;
    v.credentials = {make_credential(k_vector_key, k_vector_secret)};
    auto r = own_request{};
    r.secret = "not-the-secret";
    r.sign();
    const auto parsed = sigv4::parse_authorization(r.authorization);
    REQUIRE(parsed.ok());
    const auto canonical = sigv4::canonical_request(r.request(), parsed.value(), crypto::sha256_hex(""));
    const auto to_sign = sigv4::string_to_sign(r.date, parsed.value(), canonical);
    check_error(v(r.request(), k_vector_now), error_code::invalid_signature,
                std::string(k_mismatch_head) + canonical + "'\n\nThe String-to-Sign should have been\n'" + to_sign + "'\n");

    // A huge signed header, part of it not UTF-8: the message stays within bounds and valid.
    auto big = own_request{};
    big.secret = "not-the-secret";
    big.signed_headers = "host;x-amz-date;x-big";
    std::string value;
    for (int i = 0; i < 3000; ++i) value += "\xC3\xA9\xFF";
    big.extra = {{"X-Big", value}};
    big.sign();
    const auto result = v(big.request(), k_vector_now);
    REQUIRE_FALSE(result.ok());
    CHECK(result.err().code() == error_code::invalid_signature);
    CHECK(result.err().message().size() <= sigv4::k_max_message_bytes);
    CHECK(result.err().message().size() > 3000);
    CHECK(hil::test::is_valid_utf8(result.err().message()));
    CHECK(result.err().message().ends_with("'\n"));
}

TEST_CASE("sigv4 messages quoting a huge header stay bounded") {
    verifier v;
    v.credentials = {make_credential(k_vector_key, k_vector_secret)};
    own_request r;
    r.sign();
    std::string piece;
    for (int i = 0; i < 5000; ++i) piece += "\xF0\x9F\x98\x80";
    for (const auto& header : {"AWS4-HMAC-SHA256 " + piece + " Credential=a", "AWS4-HMAC-SHA256 SignedHeaders=" + piece,
                               "AWS4-HMAC-SHA256 Credential=" + piece + ", SignedHeaders=host, Signature=0",
                               "AWS4-" + piece}) {
        r.with_authorization(header);
        const auto result = v(r.request(), k_vector_now);
        REQUIRE_FALSE(result.ok());
        CHECK(result.err().message().size() <= sigv4::k_max_message_bytes);
        CHECK(hil::test::is_valid_utf8(result.err().message()));
    }
}

TEST_CASE("sigv4 presigned URLs: missing parameters, expiry") {
    verifier v;
    v.credentials = {make_credential(k_vector_key, k_vector_secret)};
    const std::vector<header_field> headers{{"Host", "medical-imaging.us-east-1.amazonaws.com"}};
    check_error(v({"GET", "/datastore?X-Amz-Algorithm=AWS4-HMAC-SHA256", headers, ""}, k_vector_now),
                error_code::incomplete_signature,
                "AWS query-string parameters must include 'X-Amz-Credential'. AWS query-string parameters must "
                "include 'X-Amz-Signature'. AWS query-string parameters must include 'X-Amz-SignedHeaders'. AWS "
                "query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters.");

    // botocore's presigned vector (X-Amz-Expires=300, signed at 20261202T013000Z).
    const auto& presigned = k_sdk_vectors[std::size(k_sdk_vectors) - 1];
    REQUIRE(presigned.name == "presigned");
    v.credentials.front().session_token = std::string(k_vector_token);
    const auto request = as_request(presigned, presigned.headers);
    CHECK(v(request, k_vector_now + 5 * k_minute).ok());
    check_error(v(request, k_vector_now + 5 * k_minute + 1000), error_code::invalid_signature,
                "Signature expired: 20261202T013000Z is now earlier than 20261202T013001Z (20261202T013501Z - 300 sec.)");
    const std::string bad_expiry = std::string(presigned.target).replace(std::string(presigned.target).find("Expires=300"), 11, "Expires=999999");
    check_error(v({"GET", bad_expiry, headers, ""}, k_vector_now), error_code::incomplete_signature,
                "X-Amz-Expires must be a whole number of seconds from 1 to 604800, not '999999'.");
    // A presigned request's token must match too.
    v.credentials.front().session_token = "another";
    CHECK(v(request, k_vector_now).err().code() == error_code::unrecognized_client);
}

TEST_CASE("sigv4 the signing key cache derives each key once") {
    sigv4::signing_key_cache cache;
    const auto a = cache.get("AKID", "secret", "20261202", "us-east-1", "medical-imaging");
    CHECK(cache.derivations() == 1);
    CHECK(cache.get("AKID", "secret", "20261202", "us-east-1", "medical-imaging") == a);
    CHECK(cache.derivations() == 1);
    CHECK(a == sigv4::signing_key("secret", "20261202", "us-east-1", "medical-imaging"));
    CHECK(cache.get("AKID", "secret", "20261203", "us-east-1", "medical-imaging") != a);
    CHECK(cache.get("AKID", "secret", "20261202", "eu-west-1", "medical-imaging") != a);
    CHECK(cache.get("AKID", "secret", "20261202", "us-east-1", "service") != a);
    CHECK(cache.get("AKID", "secret2", "20261202", "us-east-1", "medical-imaging") != a);
    // Another key id with the same secret is another entry, with the same key.
    CHECK(cache.get("AKID2", "secret", "20261202", "us-east-1", "medical-imaging") == a);
    CHECK(cache.derivations() == 6);
    CHECK(cache.size() == 6);

    // verify() takes its keys from the cache.
    verifier v;
    v.credentials = {make_credential(k_vector_key, k_vector_secret)};
    own_request r;
    r.sign();
    for (int i = 0; i < 5; ++i) CHECK(v(r.request(), k_vector_now).ok());
    CHECK(v.keys.derivations() == 1);
}

TEST_CASE("sigv4 the signing key cache is bounded and safe from many threads") {
    sigv4::signing_key_cache cache(4);
    for (int i = 0; i < 10; ++i) {
        (void)cache.get("AKID", "secret", std::to_string(20261200 + i), "us-east-1", "medical-imaging");
        CHECK(cache.size() <= 4);
    }
    const auto expected = sigv4::signing_key("secret", "20261201", "us-east-1", "medical-imaging");
    CHECK(cache.get("AKID", "secret", "20261201", "us-east-1", "medical-imaging") == expected);

    sigv4::signing_key_cache shared(8);
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 200; ++i) {
                const auto date = std::to_string(20261200 + (i + t) % 12);
                if (shared.get("AKID", "secret", date, "us-east-1", "medical-imaging") !=
                    sigv4::signing_key("secret", date, "us-east-1", "medical-imaging")) {
                    ++wrong;
                }
            }
        });
    }
    for (auto& th : threads) th.join();
    CHECK(wrong.load() == 0);
    CHECK(shared.size() <= 8);
}

}  // TEST_SUITE("sigv4")
