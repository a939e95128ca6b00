// Reading Ofsted's inspection outcomes file: columns by header name, report
// card grades and safeguarding, graded judgements, and every bad row named
// by its line and left out.
#include "cases/ofsted_read.h"

#include <gtest/gtest.h>

namespace s2s::cases {
namespace {

const std::vector<InspectionArea> kAreas{{"achievement", "Achievement", "Achievement"},
                                         {"leadership_and_governance", "Leadership and governance",
                                          "Leadership and governance"}};

TEST(OfstedReadTest, ReadsReportCardsAndGradedJudgementsByHeaderName) {
  const auto read = read_ofsted(
      "URN,School name,Inspection start date,Publication date,Safeguarding standards,Leadership and governance,"
      "Achievement,Latest OEIF overall effectiveness,Inspection start date of latest OEIF graded inspection\r\n"
      "100001,Ash,20/01/2026,03/03/2026,Met,Expected standard,Needs attention,2,14/06/2022\r\n"
      "100002,Beech,NULL,NULL,NULL,NULL,NULL,3,01/03/2024\r\n"
      "100003,Cherry,02/02/2026,,Not met,urgent improvement,,Not judged,\r\n",
      kAreas);
  EXPECT_EQ(read.rows, 3U);
  EXPECT_EQ(read.skipped, 0U) << (read.problems.empty() ? "" : read.problems.front());
  ASSERT_EQ(read.schools.size(), 3U);
  const auto& ash = read.schools[0];
  EXPECT_EQ(ash.urn, 100001);
  EXPECT_EQ(ash.card_on, "2026-01-20");
  EXPECT_EQ(ash.published_on, "2026-03-03");
  EXPECT_EQ(ash.safeguarding_met, true);
  EXPECT_EQ(ash.grades, (std::vector<std::pair<std::string, int>>{{"achievement", 4}, {"leadership_and_governance", 3}}));
  EXPECT_EQ(ash.graded, 2);
  EXPECT_EQ(ash.graded_on, "2022-06-14");
  const auto& beech = read.schools[1];
  EXPECT_FALSE(beech.card_on.has_value());
  EXPECT_EQ(beech.graded, 3);
  const auto& cherry = read.schools[2];
  EXPECT_EQ(cherry.safeguarding_met, false);
  EXPECT_EQ(cherry.grades, (std::vector<std::pair<std::string, int>>{{"leadership_and_governance", 5}}));
  EXPECT_FALSE(cherry.graded.has_value());
  EXPECT_NE(ash.checksum, cherry.checksum);
}

TEST(OfstedReadTest, EveryBadRowIsNamedByItsLineAndLeftOut) {
  const auto read = read_ofsted(
      "URN,Inspection start date,Achievement,Latest OEIF overall effectiveness,"
      "Inspection start date of latest OEIF graded inspection\n"
      "abc,20/01/2026,Needs attention,,\n"
      "100002,20/01/2026,Good,,\n"
      "100003,,Needs attention,,\n"
      "100004,31/02/2026,Needs attention,,\n"
      "100005,,,5,01/01/2020\n"
      "100006,,,3,\n"
      "100007,,,,\n"
      "100008,20/01/2026,Exceptional,,\n"
      "100008,21/01/2026,Exceptional,,\n",
      kAreas);
  EXPECT_EQ(read.rows, 9U);
  EXPECT_EQ(read.skipped, 8U);
  ASSERT_EQ(read.schools.size(), 1U);
  EXPECT_EQ(read.schools[0].urn, 100008);
  const std::vector<std::string> expected{
      "line 2: URN 'abc' is not a number; row skipped",
      "line 3: Achievement 'Good' is not a report card grade (exceptional, strong standard, expected standard, needs "
      "attention, urgent improvement); row skipped (URN 100002)",
      "line 4: the report card has no Inspection start date; row skipped (URN 100003)",
      "line 5: Inspection start date '31/02/2026' is not a date (dd/mm/yyyy); row skipped (URN 100004)",
      "line 6: Latest OEIF overall effectiveness '5' is not a graded judgement (1 outstanding to 4 inadequate); row "
      "skipped (URN 100005)",
      "line 7: the graded judgement has no inspection date; row skipped (URN 100006)",
      "line 8: it holds neither a report card nor a graded judgement; row skipped (URN 100007)",
      "line 10: URN 100008 already appears on line 9; row skipped"};
  EXPECT_EQ(read.problems, expected);
}

TEST(OfstedReadTest, AFileItCannotReadIsRefusedWhole) {
  EXPECT_THROW((void)read_ofsted("", kAreas), OfstedFormatError);
  try {
    (void)read_ofsted("School name,Achievement\nAsh,Needs attention\n", kAreas);
    FAIL() << "expected OfstedFormatError";
  } catch (const OfstedFormatError& e) {
    EXPECT_NE(std::string(e.what()).find("no URN column"), std::string::npos) << e.what();
  }
  try {
    (void)read_ofsted("URN,School name\n100001,Ash\n", kAreas);
    FAIL() << "expected OfstedFormatError";
  } catch (const OfstedFormatError& e) {
    EXPECT_NE(std::string(e.what()).find("none of the report card's columns"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)read_ofsted("URN,Achievement\n100001,Needs attention\n", kAreas), OfstedFormatError)
      << "report card grades without their date";
}

TEST(OfstedReadTest, GradeNamesReadAsPeopleWriteThem) {
  EXPECT_EQ(report_card_grade_name(1), "exceptional");
  EXPECT_EQ(report_card_grade_name(5), "urgent improvement");
  EXPECT_EQ(report_card_grade_name(0), "");
}

}  // namespace
}  // namespace s2s::cases
