// Deadlines people can act on, over real HTTP on SQLite and PostgreSQL: where
// each default comes from (GET /api/v1/kinds), and the caller's deadlines in
// due order with whose move each is and the working days left or late.
#include <algorithm>
#include <set>
#include <string>

#include "tests/api/api_fixture.h"

namespace s2s::testing {
namespace {

namespace json = boost::json;

std::string str(const json::value& v) { return std::string(v.as_string()); }

TEST_F(ApiTest, KindsSayWhoseMoveEachDeadlineIsAndWhereItsDefaultComesFrom) {
  const auto r = call("school", "GET", "/api/v1/kinds");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto kinds = parse(r);
  std::set<std::string> seeded;
  std::size_t count = 0;
  for (const auto& kind : kinds.at("items").as_array()) {
    for (const auto& d : kind.at("deadlines").as_array()) {
      ++count;
      const std::string purpose = str(d.at("purpose"));
      const std::string owner = str(d.at("owner"));
      EXPECT_TRUE(owner == "lead" || owner == "system_leader" || owner == "school") << purpose << ": " << owner;
      const std::string source = str(d.at("source").at("kind"));
      EXPECT_TRUE(source == "seed" || source == "design" || source == "policy") << purpose << ": " << source;
      EXPECT_FALSE(d.at("source").at("text").as_string().empty()) << purpose;
      if (source == "seed") seeded.insert(purpose);
    }
  }
  EXPECT_EQ(count, 17u);
  EXPECT_EQ(seeded, std::set<std::string>{"designation_review.contact"});
  const auto find = [&](const std::string& purpose) -> json::object {
    for (const auto& kind : kinds.at("items").as_array()) {
      for (const auto& d : kind.at("deadlines").as_array()) {
        if (d.at("purpose") == purpose.c_str()) return d.as_object();
      }
    }
    ADD_FAILURE() << "no deadline " << purpose;
    return {};
  };
  const auto contact = find("designation_review.contact");
  EXPECT_EQ(str(contact.at("owner")), "lead");
  EXPECT_NE(str(contact.at("source").at("text"))
                .find("\"Contact is made with de-designated school within 10 working days of appeals panel outcome.\""),
            std::string::npos)
      << json::serialize(contact);
  const auto report = find("risk_assessment.report");
  EXPECT_EQ(str(report.at("owner")), "system_leader");
  EXPECT_EQ(str(report.at("source").at("kind")), "design");
  const auto rating = find("support_request.rating");
  EXPECT_EQ(str(rating.at("owner")), "school");
  EXPECT_EQ(str(rating.at("source").at("kind")), "policy");
  EXPECT_EQ(str(rating.at("source").at("text")).rfind("a local policy default: ", 0), 0u);
}

}  // namespace
}  // namespace s2s::testing
