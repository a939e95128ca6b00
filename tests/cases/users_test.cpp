#include "cases/users.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include "tests/support/test_database.h"
#include "workflow/sha256.h"

namespace s2s::cases {
namespace {

class UsersTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = test_db_.open_migrated(); }

  long long count(const std::string& query) { return testing::count_rows(*db_, query); }

  testing::TestDatabase test_db_;
  std::shared_ptr<workflow::Database> db_;
};

TEST_F(UsersTest, ATokenIsStoredOnlyAsItsHashAndAuthenticatesItsUser) {
  const auto created = add_user(*db_, "Amy Lead", "amy@example.org", "lead", "mini_region:Derbyshire");
  EXPECT_EQ(created.token.rfind("s2s_", 0), 0u);
  EXPECT_EQ(created.token.size(), 4u + 64u);
  {
    auto connection = db_->acquire();
    std::string hash;
    connection.session() << "SELECT token_hash FROM api_tokens", soci::into(hash);
    EXPECT_EQ(hash, workflow::sha256_hex(created.token));
    EXPECT_EQ(hash.find(created.token), std::string::npos);
  }
  const auto user = authenticate(*db_, created.token);
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(user->email, "amy@example.org");
  EXPECT_EQ(user->role, "lead");
  EXPECT_EQ(user->scope_kind, "mini_region");
  EXPECT_EQ(user->scope_value, "Derbyshire");
  EXPECT_FALSE(authenticate(*db_, created.token + "x").has_value());
  EXPECT_FALSE(authenticate(*db_, "").has_value());
  const auto other = add_user(*db_, "Head", "head@school.example", "school", "school:144871");
  EXPECT_NE(other.token, created.token);
}

TEST_F(UsersTest, RevokedTokensNoLongerAuthenticate) {
  const auto created = add_user(*db_, "Amy Lead", "amy@example.org", "lead", "alliance:3");
  EXPECT_EQ(revoke_tokens(*db_, "AMY@example.org"), 1);
  EXPECT_FALSE(authenticate(*db_, created.token).has_value());
  EXPECT_EQ(revoke_tokens(*db_, "amy@example.org"), 0);
  EXPECT_THROW(revoke_tokens(*db_, "nobody@example.org"), UserError);
}

TEST_F(UsersTest, RoleAndScopeMustFitAndNothingIsWrittenWhenTheyDoNot) {
  const auto refused = [&](const char* role, const char* scope, const char* expected) {
    try {
      (void)add_user(*db_, "N", "n@example.org", role, scope);
      ADD_FAILURE() << role << " " << scope << " was accepted";
    } catch (const UserError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  refused("wizard", "", "role 'wizard'");
  refused("school", "", "--scope school:URN");
  refused("school", "school:abc", "abc is not a number");
  refused("lead", "school:144871", "not school");
  refused("admin", "la:831", "no scope");
  refused("la_officer", "la", "KIND:VALUE");
  EXPECT_EQ(count("SELECT count(*) FROM users"), 0);
  (void)add_user(*db_, "N", "n@example.org", "admin", "");
  EXPECT_THROW((void)add_user(*db_, "Other", "N@Example.org", "admin", ""), UserError);
  EXPECT_EQ(count("SELECT count(*) FROM users"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM api_tokens"), 1);
}

TEST_F(UsersTest, AUsersActorIsNamedByIdAndEmailAndCarriesTheRoleAndScope) {
  const auto created =
      add_user(*db_, "Amy Lead", "amy@example.org", "lead", "mini_region:Derbyshire", "middle,primary");
  const workflow::Actor actor = actor_of(created.user);
  // notifications/dispatcher.cpp finds the person in the history by this name.
  EXPECT_EQ(actor.name, "user:" + std::to_string(created.user.id) + " amy@example.org");
  EXPECT_EQ(actor.role, "lead");
  EXPECT_EQ(actor.scope, "mini_region:Derbyshire;phase:primary,middle");
  EXPECT_FALSE(actor.is_system());
  const auto found = authenticate(*db_, created.token);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(actor_of(*found).name, actor.name);
}

// A history's actors are named in one read: each user by every name the
// history gives them, revoked or not; s2s itself and unknown users are absent.
TEST_F(UsersTest, TheUsersOfAHistorysActorsAreReadTogether) {
  const auto amy = add_user(*db_, "Amy Lead", "amy@example.org", "lead", "mini_region:Derbyshire");
  const auto head = add_user(*db_, "Head", "head@school.example", "school", "school:144871");
  (void)revoke_tokens(*db_, "head@school.example");
  const std::string amy_name = actor_of(amy.user).name;
  const std::string amy_bare = "user:" + std::to_string(amy.user.id);
  const std::string head_name = actor_of(head.user).name;
  const auto found = users_of_actors(*db_, {amy_name, amy_bare, head_name, "system", "s2s", "user:999999 x@y.z",
                                            "user:", "user:12abc", "user:-1", "cli:admin"});
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found.at(amy_name).name, "Amy Lead");
  EXPECT_EQ(found.at(amy_bare).email, "amy@example.org");
  EXPECT_EQ(found.at(head_name).name, "Head");
  EXPECT_EQ(found.at(head_name).role, "school");
  EXPECT_TRUE(users_of_actors(*db_, {}).empty());
  EXPECT_TRUE(users_of_actors(*db_, {"system"}).empty());
}

}  // namespace
}  // namespace s2s::cases

namespace s2s::cases {
namespace {

TEST_F(UsersTest, AnAdministratorChangesAUsersScopeCheckedAgainstTheirRoleAndTheirTokenFollows) {
  const auto lead = add_user(*db_, "Amy Lead", "amy@example.org", "lead", "mini_region:Derbyshire");
  set_user_scope(*db_, lead.user.id, "alliance:4", "primary");
  auto user = authenticate(*db_, lead.token);  // the same token, the new scope
  ASSERT_TRUE(user);
  EXPECT_EQ(actor_scope(*user), "alliance:4;phase:primary");
  // A scope that does not fit the role is refused by name, and nothing changes.
  EXPECT_THROW(set_user_scope(*db_, lead.user.id, "school:144871"), UserError);
  EXPECT_THROW(set_user_scope(*db_, lead.user.id, "alliance:x"), UserError);
  EXPECT_THROW(set_user_scope(*db_, lead.user.id, "mini_region:Derbyshire", "sixth form"), UserError);
  user = authenticate(*db_, lead.token);
  EXPECT_EQ(actor_scope(*user), "alliance:4;phase:primary");
  // Back to every phase.
  set_user_scope(*db_, lead.user.id, "mini_region:Derbyshire");
  EXPECT_EQ(authenticate(*db_, lead.token)->scope_phases, "");
  const auto admin = add_user(*db_, "Ada", "ada@example.org", "admin", "");
  EXPECT_THROW(set_user_scope(*db_, admin.user.id, "la:830"), UserError);
  try {
    set_user_scope(*db_, 999999, "la:830");
    ADD_FAILURE() << "an unknown user was changed";
  } catch (const UserError& e) {
    EXPECT_EQ(e.category(), workflow::ErrorCategory::not_found);
  }
}

}  // namespace
}  // namespace s2s::cases
