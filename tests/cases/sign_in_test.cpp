// Sign-in links and web sessions (cases/sign_in.h) on a real database.
#include "cases/sign_in.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include "tests/support/test_database.h"
#include "workflow/sha256.h"

namespace s2s::cases {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

class SignInTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test_db_.open_migrated();
    amy_ = add_user(*db_, "Amy Lead", "amy@example.org", "lead", "alliance:3").user;
  }

  long long count(const std::string& query) { return testing::count_rows(*db_, query); }

  testing::TestDatabase test_db_;
  std::shared_ptr<workflow::Database> db_;
  User amy_;
  SessionPolicy policy_;
  Clock::time_point t0_ = Clock::now();
};

TEST_F(SignInTest, ALinkIsStoredOnlyAsItsHashAndStartsOneSessionOnce) {
  const auto link = create_sign_in_link(*db_, "AMY@example.org", "/cases/SR-2026-0001", t0_, policy_);
  ASSERT_TRUE(link.has_value());
  EXPECT_EQ(link->user.id, amy_.id);
  EXPECT_EQ(link->token.size(), 64u);
  EXPECT_EQ(count("SELECT count(*) FROM sign_in_links WHERE token_hash = '" + workflow::sha256_hex(link->token) + "'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM sign_in_links WHERE token_hash = '" + link->token + "'"), 0);

  const auto started = redeem_sign_in_link(*db_, link->token, t0_ + 1min, policy_);
  ASSERT_TRUE(started.has_value());
  EXPECT_EQ(started->user.email, "amy@example.org");
  EXPECT_EQ(started->next_path, "/cases/SR-2026-0001");
  EXPECT_EQ(count("SELECT count(*) FROM web_sessions WHERE token_hash = '" +
                  workflow::sha256_hex(started->session_token) + "'"),
            1);
  // Used once: the second use starts nothing.
  EXPECT_FALSE(redeem_sign_in_link(*db_, link->token, t0_ + 2min, policy_).has_value());
  EXPECT_EQ(count("SELECT count(*) FROM web_sessions"), 1);

  const auto session = find_session(*db_, started->session_token, t0_ + 3min, policy_);
  ASSERT_TRUE(session.has_value());
  EXPECT_EQ(session->user.id, amy_.id);
  EXPECT_EQ(session->csrf_token, csrf_token_of(started->session_token));
  EXPECT_TRUE(csrf_matches(started->session_token, session->csrf_token));
  EXPECT_FALSE(csrf_matches(started->session_token, session->csrf_token.substr(1) + "0"));
  EXPECT_FALSE(csrf_matches(started->session_token, ""));
  EXPECT_FALSE(find_session(*db_, started->session_token + "0", t0_ + 3min, policy_).has_value());
}

TEST_F(SignInTest, AnUnknownOrRevokedAddressGetsNoLinkAndNothingIsWritten) {
  EXPECT_FALSE(create_sign_in_link(*db_, "nobody@example.org", "/", t0_, policy_).has_value());
  EXPECT_FALSE(create_sign_in_link(*db_, "", "/", t0_, policy_).has_value());
  EXPECT_EQ(revoke_tokens(*db_, "amy@example.org"), 1);
  EXPECT_FALSE(create_sign_in_link(*db_, "amy@example.org", "/", t0_, policy_).has_value());
  EXPECT_EQ(count("SELECT count(*) FROM sign_in_links"), 0);
}

TEST_F(SignInTest, ALinkExpiresAfterItsLifetime) {
  const auto link = create_sign_in_link(*db_, "amy@example.org", "/", t0_, policy_);
  ASSERT_TRUE(link.has_value());
  EXPECT_FALSE(redeem_sign_in_link(*db_, link->token, t0_ + policy_.link_lifetime + 1s, policy_).has_value());
  EXPECT_EQ(count("SELECT count(*) FROM web_sessions"), 0);
  const auto fresh = create_sign_in_link(*db_, "amy@example.org", "/", t0_, policy_);
  EXPECT_TRUE(redeem_sign_in_link(*db_, fresh->token, t0_ + policy_.link_lifetime - 1s, policy_).has_value());
}

TEST_F(SignInTest, AnAddressGetsAtMostItsLinksAnHour) {
  for (int i = 0; i < policy_.links_per_address_per_hour; ++i) {
    EXPECT_TRUE(create_sign_in_link(*db_, "amy@example.org", "/", t0_ + std::chrono::minutes(i), policy_).has_value())
        << i;
  }
  EXPECT_FALSE(create_sign_in_link(*db_, "amy@example.org", "/", t0_ + 10min, policy_).has_value());
  EXPECT_EQ(count("SELECT count(*) FROM sign_in_links"), policy_.links_per_address_per_hour);
  // An hour after the first, one more may be sent.
  EXPECT_TRUE(create_sign_in_link(*db_, "amy@example.org", "/", t0_ + 61min, policy_).has_value());
}

TEST_F(SignInTest, ASessionEndsWhenIdleTooLongWhenTooOldOnSignOutAndOnRevocation) {
  const auto start = [&](Clock::time_point at) {
    const auto link = create_sign_in_link(*db_, "amy@example.org", "/", at, policy_);
    return redeem_sign_in_link(*db_, link->token, at, policy_)->session_token;
  };
  // Idle: used within the idle time it lives on; left longer it has ended.
  const std::string idle = start(t0_);
  EXPECT_TRUE(find_session(*db_, idle, t0_ + policy_.idle - 1min, policy_).has_value());
  EXPECT_TRUE(find_session(*db_, idle, t0_ + 2 * policy_.idle - 2min, policy_).has_value());
  EXPECT_FALSE(find_session(*db_, idle, t0_ + 3 * policy_.idle, policy_).has_value());

  // Absolute: however busy, a session ends at its absolute age.
  const auto t1 = t0_ + 2h;
  const std::string busy = start(t1);
  auto at = t1;
  while (at + 30min < t1 + policy_.absolute) {
    at += 30min;
    EXPECT_TRUE(find_session(*db_, busy, at, policy_).has_value());
  }
  EXPECT_FALSE(find_session(*db_, busy, t1 + policy_.absolute + 1min, policy_).has_value());

  const auto t2 = t0_ + 24h;
  const std::string out = start(t2);
  end_session(*db_, out, t2 + 1min);
  EXPECT_FALSE(find_session(*db_, out, t2 + 2min, policy_).has_value());

  const auto t3 = t0_ + 48h;
  const std::string revoked = start(t3);
  EXPECT_TRUE(find_session(*db_, revoked, t3 + 1min, policy_).has_value());
  (void)revoke_tokens(*db_, "amy@example.org");
  EXPECT_FALSE(find_session(*db_, revoked, t3 + 2min, policy_).has_value());
}

TEST_F(SignInTest, ALinkOfAUserRevokedBeforeItIsUsedStartsNothing) {
  const auto link = create_sign_in_link(*db_, "amy@example.org", "/", t0_, policy_);
  (void)revoke_tokens(*db_, "amy@example.org");
  EXPECT_FALSE(redeem_sign_in_link(*db_, link->token, t0_ + 1min, policy_).has_value());
  EXPECT_EQ(count("SELECT count(*) FROM web_sessions"), 0);
}

}  // namespace
}  // namespace s2s::cases
