// cases::directory(), the notifications' Directory, on SQLite and PostgreSQL:
// which leads cover a school (by mini region or alliance, narrowed to phases),
// the areas that hold a school, and a school's name.
#include "cases/recipients.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cases/users.h"
#include "cases/gias_import.h"
#include "cases/providers.h"
#include "tests/support/test_database.h"
#include "tests/support/two_schools.h"

namespace s2s::cases {
namespace {

using notifications::Area;

std::vector<std::string> names(const std::vector<notifications::Person>& people) {
  std::vector<std::string> out;
  for (const auto& p : people) out.push_back(p.name);
  return out;
}

class RecipientsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test_db_.open_migrated();
    alliance_ = s2s::testing::two_schools_and_an_alliance(*db_);
  }

  testing::TestDatabase test_db_;
  std::shared_ptr<workflow::Database> db_;
  std::int64_t alliance_ = 0;
};

TEST_F(RecipientsTest, TheLeadsOfASchoolAreThoseWhoseAreaHoldsItNarrowedToTheirPhases) {
  (void)cases::add_user(*db_, "Alliance Lead", "a@example.org", "lead", "alliance:" + std::to_string(alliance_));
  (void)cases::add_user(*db_, "Region Lead", "r@example.org", "lead", "mini_region:Nottinghamshire");
  (void)cases::add_user(*db_, "North Lead", "n@example.org", "lead", "mini_region:Northamptonshire");
  (void)cases::add_user(*db_, "Sec Lead", "s@example.org", "lead", "mini_region:Nottinghamshire", "secondary");
  (void)cases::add_user(*db_, "Prim Lead", "p@example.org", "lead", "mini_region:Nottinghamshire", "primary,middle");
  const auto directory = cases::directory();
  auto connection = db_->acquire();
  EXPECT_EQ(names(directory->people(connection, "lead", 0, 146330)),
            (std::vector<std::string>{"Alliance Lead", "Region Lead", "Prim Lead"}));
  EXPECT_EQ(names(directory->people(connection, "lead", 0, 121877)), (std::vector<std::string>{"North Lead"}));
  EXPECT_TRUE(directory->people(connection, "lead", 0, 999999).empty());
}

TEST_F(RecipientsTest, ASchoolsUsersHearOfItAndARoleNotKnownHasNobody) {
  (void)cases::add_user(*db_, "Head", "head@ladybrook.example", "school", "school:146330");
  const auto directory = cases::directory();
  auto connection = db_->acquire();
  const auto school = directory->people(connection, "school", 0, 146330);
  ASSERT_EQ(school.size(), 1U);
  EXPECT_EQ(school[0].email, "head@ladybrook.example");
  EXPECT_FALSE(school[0].digest);
  EXPECT_TRUE(directory->people(connection, "school", 0, 121877).empty());
  EXPECT_TRUE(directory->people(connection, "governor", 0, 146330).empty());
}

TEST_F(RecipientsTest, TheAreasOfASchoolAreItsAlliancesAndItsMiniRegion) {
  const auto directory = cases::directory();
  auto connection = db_->acquire();
  EXPECT_EQ(directory->areas_of_school(connection, 146330),
            (std::vector<Area>{{"alliance", std::to_string(alliance_)}, {"mini_region", "Nottinghamshire"}}));
  EXPECT_EQ(directory->areas_of_school(connection, 121877), (std::vector<Area>{{"mini_region", "Northamptonshire"}}));
  EXPECT_TRUE(directory->areas_of_school(connection, 999999).empty());
  EXPECT_TRUE(directory->area_exists(connection, {"alliance", std::to_string(alliance_)}));
  EXPECT_FALSE(directory->area_exists(connection, {"alliance", "99"}));
  EXPECT_TRUE(directory->area_exists(connection, {"mini_region", "Nottinghamshire"}));
  EXPECT_FALSE(directory->area_exists(connection, {"mini_region", "Atlantis"}));
}

TEST_F(RecipientsTest, ASchoolsNameIsUnknownWhenItIsNotInTheRegister) {
  const auto directory = cases::directory();
  auto connection = db_->acquire();
  EXPECT_EQ(directory->school_name(connection, 146330), "Ladybrook Fields Primary Academy");
  EXPECT_EQ(directory->school_name(connection, 999999), std::nullopt);
}

}  // namespace
}  // namespace s2s::cases
