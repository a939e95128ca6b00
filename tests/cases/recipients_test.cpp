// cases::directory(), the notifications' Directory, on SQLite and PostgreSQL:
// which leads cover a school (by mini region or alliance, narrowed to phases),
// the areas that hold a school, and a school's name.
#include "cases/recipients.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "cases/deployments.h"
#include "cases/gias_import.h"
#include "cases/providers.h"
#include "cases/users.h"
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

// The leads of a school are found in one statement by place, then each
// through the scope rule: checked against the rule asked of every lead, for
// leads of every kind of scope and schools in and out of each.
TEST_F(RecipientsTest, TheLeadsOfASchoolAreExactlyTheLeadsTheScopeRuleLetsSeeIt) {
  cases::import_gias(*db_,
                     "URN,EstablishmentName,LA (code),LA (name),PhaseOfEducation (name),EstablishmentStatus (name)\n"
                     "100001,Trent Secondary,891,Nottinghamshire,Secondary,Open\n"
                     "100002,Nene Primary,928,Northamptonshire,Primary,Open\n"
                     "100003,Nowhere School,999,Somewhere Else,Primary,Open\n");
  const auto nene = cases::create_alliance(*db_, "Nene", 121877);  // led by a Northamptonshire school
  cases::add_alliance_member(*db_, nene, 100002);
  cases::add_alliance_member(*db_, nene, 146330);  // a member across the border
  const auto elsewhere = cases::create_alliance(*db_, "Elsewhere", 100003);
  (void)cases::add_user(*db_, "Alliance Lead", "a@example.org", "lead", "alliance:" + std::to_string(alliance_));
  (void)cases::add_user(*db_, "Region Lead", "r@example.org", "lead", "mini_region:Nottinghamshire");
  (void)cases::add_user(*db_, "Nene Lead", "nene@example.org", "lead", "alliance:" + std::to_string(nene));
  (void)cases::add_user(*db_, "Nene Secondary", "nene-sec@example.org", "lead", "alliance:" + std::to_string(nene),
                        "secondary");
  (void)cases::add_user(*db_, "North Lead", "n@example.org", "lead", "mini_region:Northamptonshire");
  (void)cases::add_user(*db_, "Notts Secondary", "s@example.org", "lead", "mini_region:Nottinghamshire", "secondary");
  (void)cases::add_user(*db_, "Elsewhere Lead", "e@example.org", "lead", "alliance:" + std::to_string(elsewhere));
  (void)cases::add_user(*db_, "An Officer", "o@example.org", "la_officer", "la:891");

  std::vector<workflow::Actor> every_lead;
  for (const auto& listed : cases::list_users(*db_)) {
    if (listed.user.role == "lead") every_lead.emplace_back(listed.user.name, "lead", actor_scope(listed.user));
  }
  ASSERT_EQ(every_lead.size(), 7U);
  const auto directory = cases::directory();
  auto connection = db_->acquire();
  std::size_t heard = 0;
  for (const std::int32_t urn : {146330, 121877, 100001, 100002, 100003, 999999}) {
    workflow::CaseSnapshot snapshot;
    snapshot.school_urn = urn;
    std::set<std::string> by_rule;
    for (const auto& lead : every_lead) {
      if (!scope_refusal(connection, lead, snapshot)) by_rule.insert(lead.name);
    }
    const auto found = names(directory->people(connection, "lead", 0, urn));
    EXPECT_EQ(std::set<std::string>(found.begin(), found.end()), by_rule) << "school " << urn;
    EXPECT_EQ(found.size(), by_rule.size()) << "school " << urn << ": a lead twice";
    heard += found.size();
  }
  // 146330: Alliance Lead, Region Lead, Nene Lead (a member of Nene);
  // 121877: Nene Lead (it leads Nene), North Lead; 100001: Region Lead, Notts
  // Secondary; 100002: Nene Lead, North Lead; 100003: Elsewhere Lead.
  EXPECT_EQ(heard, 10U);
}

TEST_F(RecipientsTest, ARevokedUserHearsOfNothingMore) {
  (void)cases::add_user(*db_, "Region Lead", "r@example.org", "lead", "mini_region:Nottinghamshire");
  (void)cases::add_user(*db_, "Gone Lead", "gone@example.org", "lead", "mini_region:Nottinghamshire");
  (void)cases::add_user(*db_, "Head", "head@ladybrook.example", "school", "school:146330");
  const auto directory = cases::directory();
  {
    auto connection = db_->acquire();
    EXPECT_EQ(names(directory->people(connection, "lead", 0, 146330)),
              (std::vector<std::string>{"Region Lead", "Gone Lead"}));
    EXPECT_EQ(directory->people(connection, "school", 0, 146330).size(), 1U);
  }
  (void)cases::revoke_tokens(*db_, "gone@example.org");
  (void)cases::revoke_tokens(*db_, "head@ladybrook.example");
  auto connection = db_->acquire();
  EXPECT_EQ(names(directory->people(connection, "lead", 0, 146330)), (std::vector<std::string>{"Region Lead"}));
  EXPECT_TRUE(directory->people(connection, "school", 0, 146330).empty());
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
