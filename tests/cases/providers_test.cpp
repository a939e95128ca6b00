#include "cases/providers.h"
#include "cases/schools.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <thread>

#include "cases/gias_import.h"
#include "tests/support/test_database.h"
#include "workflow/errors.h"
#include "workflow/date.h"

namespace s2s::cases {
namespace {

std::chrono::year_month_day d(const char* text) { return *workflow::parse_date(text); }

TEST(AcademicYearTest, RunsFromSeptemberToAugust) {
  EXPECT_EQ(academic_year_of(d("2026-08-31")), "2025/26");
  EXPECT_EQ(academic_year_of(d("2026-09-01")), "2026/27");
  EXPECT_EQ(academic_year_of(d("1999-12-01")), "1999/00");
  EXPECT_TRUE(is_academic_year("2026/27"));
  EXPECT_TRUE(is_academic_year("1999/00"));
  EXPECT_FALSE(is_academic_year("2026/28"));
  EXPECT_FALSE(is_academic_year("2026-27"));
  EXPECT_FALSE(is_academic_year("26/27"));
}

class ProvidersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test_db_.open_migrated({.pool_size = 10});
    std::ifstream in(std::string(S2S_TEST_DATA_DIR) + "/gias_sample.csv", std::ios::binary);
    import_gias(*db_, std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
    alliance_ = create_alliance(*db_, "Peak Teaching School Alliance", 112934);
    leader_ = create_system_leader(*db_, "Sam Leader", "sam@example.org", 144871, alliance_);
  }

  testing::TestDatabase test_db_;
  std::shared_ptr<workflow::Database> db_;
  std::int64_t alliance_ = 0;
  std::int64_t leader_ = 0;
};

TEST_F(ProvidersTest, ConcurrentAcceptancesNeverReserveMoreThanIsOffered) {
  set_capacity(*db_, leader_, "2026/27", 20);
  std::atomic<int> reserved{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        const bool ok = db_->transact(
            [&](workflow::Database::Connection& c) { return reserve_capacity(c, leader_, "2026/27", 1); });
        ++(ok ? reserved : refused);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(reserved, 20);
  EXPECT_EQ(refused, 20);
  const auto c = capacity(*db_, leader_, "2026/27");
  EXPECT_DOUBLE_EQ(c.reserved, 20);
  EXPECT_DOUBLE_EQ(c.unreserved(), 0);
}

TEST_F(ProvidersTest, ReservedDaysAreConsumedAndReleasedInHalfDays) {
  set_capacity(*db_, leader_, "2026/27", 10.5);
  db_->transact([&](workflow::Database::Connection& sql) {
    EXPECT_TRUE(reserve_capacity(sql, leader_, "2026/27", 6));
    EXPECT_FALSE(reserve_capacity(sql, leader_, "2026/27", 5)) << "only 4.5 days are left";
    EXPECT_TRUE(reserve_capacity(sql, leader_, "2026/27", 4.5));
    consume_capacity(sql, leader_, "2026/27", 1.5);
    release_capacity(sql, leader_, "2026/27", 4.5);  // a deployment withdrawn
  });
  const auto c = capacity(*db_, leader_, "2026/27");
  EXPECT_DOUBLE_EQ(c.offered, 10.5);
  EXPECT_DOUBLE_EQ(c.reserved, 6);
  EXPECT_DOUBLE_EQ(c.consumed, 1.5);
  const auto message = [&](double days) {
    try {
      set_capacity(*db_, leader_, "2026/27", days);
    } catch (const workflow::Refused& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // Numbers as people write them, never "5.000000".
  EXPECT_EQ(message(5), "5 days is less than the 6 already reserved in 2026/27");
  EXPECT_EQ(message(7.25), "days must be a whole or half number of days, not 7.25");
  EXPECT_THROW(set_capacity(*db_, leader_, "2026-27", 7), workflow::Refused);
  EXPECT_DOUBLE_EQ(capacity(*db_, leader_, "2026/27").offered, 10.5) << "refusals changed nothing";
  EXPECT_THROW(
      db_->transact([&](workflow::Database::Connection& c) { (void)reserve_capacity(c, leader_, "2026/27", -1); }),
      workflow::Refused);
}

TEST_F(ProvidersTest, RecordsRefuseUnknownSchoolsAndDesignations) {
  EXPECT_THROW((void)create_alliance(*db_, "Nowhere Alliance", 999999), workflow::Refused);
  EXPECT_THROW((void)create_system_leader(*db_, "No School", "n@example.org", 999999, std::nullopt), workflow::Refused);
  EXPECT_THROW(add_designation(*db_, leader_, "XYZ", "", d("2026-01-01"), std::nullopt), workflow::Refused);
  EXPECT_THROW(add_designation(*db_, leader_, "SLE", "maths", d("2026-01-01"), d("2025-01-01")), workflow::Refused);
  add_designation(*db_, leader_, "SLE", "maths,SEND", d("2024-09-01"), std::nullopt);
  add_alliance_member(*db_, alliance_, 120588);
  auto connection = db_->acquire();
  int members = 0;
  connection.session() << "SELECT count(*) FROM alliance_members", soci::into(members);
  EXPECT_EQ(members, 2);
}

}  // namespace
}  // namespace s2s::cases

namespace s2s::cases {
namespace {

TEST_F(ProvidersTest, AdminsEditWhatGiasLacksAndAReimportKeepsIt) {
  const auto today = d("2026-11-23");
  SchoolEdit edit;
  edit.ofsted_grade = 3;
  edit.ofsted_date = "2025-06-12";
  edit.ssif_eligible = true;
  edit.category_5_6 = true;
  const School edited = edit_school(*db_, 112934, edit, today);
  EXPECT_EQ(edited.ofsted_grade, 3);
  EXPECT_EQ(edited.ofsted_date, "2025-06-12");
  EXPECT_TRUE(edited.ssif_eligible);
  EXPECT_TRUE(edited.category_5_6);
  EXPECT_EQ(edited.mini_region, "Derbyshire");

  std::ifstream in(std::string(S2S_TEST_DATA_DIR) + "/gias_sample.csv", std::ios::binary);
  (void)import_gias(*db_, std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()));
  const School after = *find_school(*db_, 112934);
  EXPECT_TRUE(after.ssif_eligible) << "GIAS knows nothing of SSIF eligibility: an import keeps the admin's value";
  EXPECT_TRUE(after.category_5_6);
  EXPECT_EQ(after.ofsted_grade, 3);

  SchoolEdit clear;
  clear.ofsted_grade = 0;
  clear.ssif_eligible = false;
  const School cleared = edit_school(*db_, 112934, clear, today);
  EXPECT_FALSE(cleared.ofsted_grade.has_value());
  EXPECT_FALSE(cleared.ssif_eligible);
  EXPECT_EQ(cleared.ofsted_date, "2025-06-12");
}

TEST_F(ProvidersTest, ABadSchoolEditNamesTheProblemAndChangesNothing) {
  const auto today = d("2026-11-23");
  const School before = *find_school(*db_, 112934);
  const auto refused = [&](SchoolEdit edit, std::int32_t urn, const char* why) {
    try {
      (void)edit_school(*db_, urn, edit, today);
      ADD_FAILURE() << "accepted: " << why;
    } catch (const workflow::Refused& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
  };
  SchoolEdit grade;
  grade.ofsted_grade = 5;
  grade.ssif_eligible = true;
  refused(grade, 112934, "ofsted grade 5 is not 1-4");
  SchoolEdit future;
  future.ofsted_date = "2027-01-04";
  future.category_5_6 = true;
  refused(future, 112934, "is in the future");
  SchoolEdit no_date;
  no_date.ofsted_date = "2026-02-30";
  refused(no_date, 112934, "is not a date");
  SchoolEdit unknown;
  unknown.ssif_eligible = true;
  refused(unknown, 999999, "no school with URN 999999");
  refused(SchoolEdit{}, 112934, "nothing to change");
  const School after = *find_school(*db_, 112934);
  EXPECT_EQ(after.ssif_eligible, before.ssif_eligible);
  EXPECT_EQ(after.category_5_6, before.category_5_6);
  EXPECT_EQ(after.ofsted_date, before.ofsted_date);
}

}  // namespace
}  // namespace s2s::cases

namespace s2s::cases {
namespace {

TEST_F(ProvidersTest, MembersLeaveAlliancesAndDesignationsGetEndDatesThatCannotPrecedeTheirStart) {
  add_alliance_member(*db_, alliance_, 120588);
  remove_alliance_member(*db_, alliance_, 120588);
  const auto members = find_alliance(*db_, alliance_)->members;
  EXPECT_EQ(std::count(members.begin(), members.end(), 120588), 0);
  EXPECT_THROW(remove_alliance_member(*db_, alliance_, 120588), workflow::Refused);  // not a member now

  const auto sle = add_designation(*db_, leader_, "SLE", "maths", d("2024-09-01"), std::nullopt);
  set_designation_end(*db_, sle, d("2027-08-31"));
  EXPECT_EQ(find_system_leader(*db_, leader_)->designations.at(0).active_to, "2027-08-31");
  EXPECT_THROW(set_designation_end(*db_, sle, d("2024-08-31")), workflow::Refused);
  EXPECT_EQ(find_system_leader(*db_, leader_)->designations.at(0).active_to, "2027-08-31");  // unchanged
  set_designation_end(*db_, sle, std::nullopt);
  EXPECT_EQ(find_system_leader(*db_, leader_)->designations.at(0).active_to, "");
  EXPECT_THROW(set_designation_end(*db_, sle + 1000, d("2027-08-31")), workflow::Refused);
}

}  // namespace
}  // namespace s2s::cases
