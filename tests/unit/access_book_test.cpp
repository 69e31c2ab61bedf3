// access_book: wildcard matching, IAM-style decisions, and the book's writers and snapshots.
#include <doctest/doctest.h>

#include <string>

#include "store/access_book.hpp"

namespace hil::store {
namespace {

access_policy statement(bool allow, std::string principal, std::vector<std::string> actions,
                        std::vector<std::string> resources, std::string id = {}) {
    access_policy p;
    p.id = std::move(id);
    p.allow = allow;
    p.principal = std::move(principal);
    p.actions = std::move(actions);
    p.resources = std::move(resources);
    return p;
}

constexpr std::string_view k_alice = "arn:aws:iam::111122223333:user/alice";
constexpr std::string_view k_ds = "arn:aws:medical-imaging:us-east-1:111122223333:datastore/aaaa";

TEST_CASE("wildcard_match: * any run, ? one character, case only when asked") {
    CHECK(wildcard_match("*", ""));
    CHECK(wildcard_match("*", "anything"));
    CHECK(wildcard_match("a*c", "abbbc"));
    CHECK(wildcard_match("a*c", "ac"));
    CHECK_FALSE(wildcard_match("a*c", "abcd"));
    CHECK(wildcard_match("a?c", "abc"));
    CHECK_FALSE(wildcard_match("a?c", "ac"));
    CHECK(wildcard_match("*datastore/*", k_ds));
    CHECK(wildcard_match("medical-imaging:get*", "medical-imaging:GetDatastore", true));
    CHECK_FALSE(wildcard_match("medical-imaging:get*", "medical-imaging:GetDatastore", false));
    CHECK(wildcard_match("**a**b**", "xxaxxbxx"));
    // Many stars against a long text that does not match stays fast (no exponential backtracking).
    CHECK_FALSE(wildcard_match(std::string(50, '*') + "b", std::string(100'000, 'a')));
}

TEST_CASE("decide: no statement for the principal allows; deny wins; no allow denies") {
    access_snapshot book;
    CHECK(book.decide(k_alice, "medical-imaging:DeleteDatastore", k_ds) == access_decision::allowed);
    book.policies.push_back(statement(true, std::string(k_alice), {"medical-imaging:Get*"}, {"*"}));
    book.policies.push_back(statement(false, "arn:aws:iam::111122223333:user/*", {"medical-imaging:GetDatastore"},
                                      {"arn:aws:medical-imaging:*:111122223333:datastore/aaaa"}));
    CHECK(book.decide(k_alice, "medical-imaging:GetDICOMImportJob", k_ds) == access_decision::allowed);
    CHECK(book.decide(k_alice, "medical-imaging:GetDatastore", k_ds) == access_decision::explicit_deny);
    CHECK(book.decide(k_alice, "medical-imaging:GetDatastore", "arn:aws:medical-imaging:us-east-1:111122223333:datastore/bbbb") ==
          access_decision::allowed);
    CHECK(book.decide(k_alice, "medical-imaging:ListDatastores", "*") == access_decision::implicit_deny);
    // Bob is named only by the deny: IAM's rules hold for him too, so the rest is denied.
    CHECK(book.decide("arn:aws:iam::111122223333:user/bob", "medical-imaging:ListDatastores", "*") ==
          access_decision::implicit_deny);
    // A role no statement names may do anything.
    CHECK(book.decide("arn:aws:sts::111122223333:assumed-role/ci/x", "medical-imaging:ListDatastores", "*") ==
          access_decision::allowed);
    // A resource pattern never matches the "*" of an action without resources.
    book.policies.push_back(statement(true, "arn:aws:sts::*", {"*"}, {"arn:aws:medical-imaging:*"}));
    CHECK(book.decide("arn:aws:sts::111122223333:assumed-role/ci/x", "medical-imaging:ListDatastores", "*") ==
          access_decision::implicit_deny);
}

TEST_CASE("access_book: credentials by key, policy ids assigned and checked, snapshots unchanged by later writes") {
    access_book book;
    CHECK(book.empty());
    credential c;
    c.access_key_id = "AKIAONE";
    c.secret_access_key = "s1";
    book.put_credentials({c});
    CHECK_FALSE(book.empty());
    const auto before = book.snapshot();
    c.secret_access_key = "s2";
    book.put_credentials({c});
    REQUIRE(before->find("AKIAONE"));
    CHECK(before->find("AKIAONE")->secret_access_key == "s1");
    CHECK(book.snapshot()->find("AKIAONE")->secret_access_key == "s2");
    CHECK(book.credentials().size() == 1);

    auto added = book.add_policies({statement(true, "*", {"*"}, {"*"}), statement(true, "*", {"*"}, {"*"}, "mine")});
    REQUIRE(added);
    CHECK(added.value()[0].id == "policy-1");
    CHECK(added.value()[1].id == "mine");
    const auto taken = book.add_policies({statement(true, "*", {"*"}, {"*"}, "mine")});
    REQUIRE_FALSE(taken);
    CHECK(taken.err().message() == "policy id 'mine' is already in use");
    CHECK(book.policies().size() == 2);
    CHECK(book.remove_policy("policy-1"));
    CHECK_FALSE(book.remove_policy("policy-1"));
    CHECK(book.remove_credential("AKIAONE"));
    CHECK_FALSE(book.remove_credential("AKIAONE"));
    book.clear_policies();
    CHECK(book.empty());
    book.replace({c}, {statement(false, "*", {"*"}, {"*"})});
    CHECK(book.credentials().size() == 1);
    CHECK(book.policies().size() == 1);
}

}  // namespace
}  // namespace hil::store
