#include "cases/gias_import.h"

#include <gtest/gtest.h>
#include <soci/soci.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "cases/schools.h"
#include "tests/support/test_database.h"
#include "workflow/date.h"
#include "workflow/migrations.h"

namespace s2s::cases {
namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

const std::string kSample = read_file(std::string(S2S_TEST_DATA_DIR) + "/gias_sample.csv");

constexpr std::string_view kHeader =
    "URN,LA (code),LA (name),EstablishmentName,EstablishmentStatus (name),PhaseOfEducation (name),OpenDate,"
    "OfstedRating (name),OfstedLastInsp\r\n";

class GiasImportTest : public ::testing::Test {
 protected:
  void SetUp() override { db_ = test_db_.open_migrated(); }

  long long count(const std::string& where = "") {
    return testing::count_rows(*db_, "SELECT count(*) FROM schools " + where);
  }

  std::string text_of(int urn, const std::string& column) {
    auto connection = db_->acquire();
    std::string value;
    soci::indicator ind = soci::i_ok;
    connection.session() << "SELECT CAST(" + column + " AS TEXT) FROM schools WHERE urn = :urn", soci::use(urn),
        soci::into(value, ind);
    return ind == soci::i_null ? "(null)" : value;
  }

  testing::TestDatabase test_db_;
  std::shared_ptr<workflow::Database> db_;
};

TEST_F(GiasImportTest, TheSampleImportsEveryRowAndASecondImportChangesNothing) {
  const auto first = import_gias(*db_, kSample);
  EXPECT_EQ(first.rows, 10u);
  EXPECT_EQ(first.inserted, 10u);
  EXPECT_EQ(first.skipped, 0u);
  EXPECT_TRUE(first.problems.empty());
  EXPECT_EQ(count(), 10);
  EXPECT_EQ(text_of(144871, "name"), "Ashgrove Park Primary Academy");
  EXPECT_EQ(text_of(144871, "opened_on"), "2017-09-01");
  EXPECT_EQ(text_of(144871, "trust_code"), "5012");
  EXPECT_EQ(text_of(148502, "ofsted_grade"), "4");  // Special Measures
  EXPECT_EQ(text_of(121877, "status"), "Closed");
  {
    auto connection = db_->acquire();
    std::string region;
    connection.session() << "SELECT m.mini_region FROM schools s JOIN la_mini_regions m ON m.la_code = s.la_code"
                            " WHERE s.urn = 120004",
        soci::into(region);
    EXPECT_EQ(region, "Leicester City");
  }
  const auto second = import_gias(*db_, kSample);
  EXPECT_EQ(second.inserted, 0u);
  EXPECT_EQ(second.updated, 0u);
  EXPECT_EQ(second.unchanged, 10u);
}

TEST_F(GiasImportTest, WindowsAndUtf8WithBomAreBothRead) {
  const std::string cp1252 = std::string(kHeader) +
                             "300001,831,Derby,Ecole Fran\xE7"
                             "aise \x96 St Ren\xE9,Open,Primary,,,\r\n";
  const auto report = import_gias(*db_, cp1252);
  EXPECT_EQ(report.encoding, TextEncoding::windows_1252);
  EXPECT_EQ(text_of(300001, "name"), "Ecole Française – St René");

  const std::string bom =
      "\xEF\xBB\xBF" + std::string(kHeader) + "300002,831,Derby,Café Lane School,Open,Primary,,,\r\n";
  const auto with_bom = import_gias(*db_, bom);
  EXPECT_EQ(with_bom.encoding, TextEncoding::utf8_bom);
  EXPECT_EQ(with_bom.inserted, 1u) << "the BOM must not hide the URN column";
  EXPECT_EQ(text_of(300002, "name"), "Café Lane School");

  // A byte order mark over text that is not UTF-8 (here a surrogate on line
  // 3): refused whole, by line, and nothing stored.
  const std::string lying = "\xEF\xBB\xBF" + std::string(kHeader) + "300003,831,Derby,Good School,Open,Primary,,,\r\n" +
                            "300004,831,Derby,Bad \xED\xA0\x80 School,Open,Primary,,,\r\n";
  try {
    (void)import_gias(*db_, lying);
    ADD_FAILURE() << "a file that is not what its mark says was imported";
  } catch (const GiasFormatError& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
  EXPECT_EQ(testing::count_rows(*db_, "SELECT count(*) FROM schools WHERE urn IN (300003, 300004)"), 0);
  // Without the mark, the same bytes are read as Windows-1252, and a NUL byte becomes a replacement character.
  const auto guessed =
      import_gias(*db_, std::string(kHeader) + "300005,831,Derby,Nul" + '\0' + "l School \xED,Open,Primary,,,\r\n");
  EXPECT_EQ(guessed.encoding, TextEncoding::windows_1252);
  EXPECT_EQ(text_of(300005, "name"), "Nul\uFFFDl School \u00ED");
}

TEST_F(GiasImportTest, BadRowsAreReportedByLineAndNeverStopTheRest) {
  const std::string file = std::string(kHeader) +
                           "300010,831,Derby,Good Row School,Open,Primary,01-09-2010,Good,01-02-2020\r\n"  // line 2
                           "abc,831,Derby,No Urn School,Open,Primary,,,\r\n"                               // line 3
                           "300011,831,Derby,,Open,Primary,,,\r\n"                                         // line 4
                           "300012,831,Derby,\"Quoted, With \"\"Comma\"\"\nand a line break\",Open,Primary,,,\r\n"
                           "300013,831,Derby,Bad Date School,Open,Primary,31-02-2019,,\r\n"  // line 7
                           "300010,831,Derby,Duplicate School,Open,Primary,,,\r\n"           // line 8
                           "300014,x31,Derby,Bad LA School,Open,Primary,,,\r\n";             // line 9
  const auto report = import_gias(*db_, file);
  EXPECT_EQ(report.rows, 7u);
  EXPECT_EQ(report.inserted, 3u);
  EXPECT_EQ(report.skipped, 4u);
  ASSERT_EQ(report.problems.size(), 5u);
  EXPECT_EQ(report.problems[0], "line 3: URN 'abc' is not a number; row skipped");
  EXPECT_EQ(report.problems[1], "line 4: EstablishmentName is empty; row skipped (URN 300011)");
  EXPECT_EQ(report.problems[2], "line 7: OpenDate '31-02-2019' is not a date (dd-mm-yyyy); left empty (URN 300013)");
  EXPECT_EQ(report.problems[3], "line 8: URN 300010 already appears on line 2; row skipped");
  EXPECT_EQ(report.problems[4], "line 9: LA (code) 'x31' is not a number; row skipped");
  EXPECT_EQ(text_of(300012, "name"), "Quoted, With \"Comma\"\nand a line break");
  EXPECT_EQ(text_of(300013, "opened_on"), "(null)");
  EXPECT_EQ(text_of(300010, "name"), "Good Row School");
}

TEST_F(GiasImportTest, AFileWithoutARequiredColumnImportsNothing) {
  const std::string file = "URN,LA (code),LA (name),EstablishmentStatus (name)\n300020,831,Derby,Open\n";
  try {
    (void)import_gias(*db_, file);
    FAIL() << "expected GiasFormatError";
  } catch (const GiasFormatError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("EstablishmentName"), std::string::npos) << what;
    EXPECT_NE(what.find("PhaseOfEducation (name)"), std::string::npos) << what;
  }
  EXPECT_EQ(count(), 0);
  EXPECT_THROW((void)import_gias(*db_, ""), GiasFormatError);
}

TEST_F(GiasImportTest, ChangesUpdateTheSchoolAndExtractsWithoutOfstedKeepTheGrade) {
  import_gias(*db_, kSample);
  // A 2025-style extract: no Ofsted columns; one school renamed.
  const std::string file =
      "URN,LA (code),LA (name),EstablishmentName,EstablishmentStatus (name),PhaseOfEducation (name)\n"
      "144871,831,Derby,Ashgrove Park Primary Academy (renamed),Open,Primary\n"
      "120004,856,Leicester,Westcotes Meadow Nursery School,Open,Nursery\n";
  const auto report = import_gias(*db_, file);
  EXPECT_EQ(report.updated, 2u) << "dropped optional columns count as a change";
  EXPECT_EQ(text_of(144871, "name"), "Ashgrove Park Primary Academy (renamed)");
  EXPECT_EQ(text_of(144871, "ofsted_grade"), "2");
  EXPECT_EQ(text_of(144871, "ofsted_date"), "2023-03-14");
  EXPECT_EQ(import_gias(*db_, file).unchanged, 2u);
}

TEST_F(GiasImportTest, AnOlderJudgementInTheExtractNeverReplacesALaterOneHeld) {
  import_gias(*db_, kSample);
  // A later judgement recorded by hand (or from Ofsted's own file).
  SchoolEdit later;
  later.ofsted_grade = 3;
  later.ofsted_date = "2025-06-12";
  (void)edit_school(*db_, 144871, later, *workflow::parse_date("2026-12-01"));
  const std::string file =
      "URN,LA (code),LA (name),EstablishmentName,EstablishmentStatus (name),PhaseOfEducation (name),"
      "OfstedRating (name),OfstedLastInsp\n"
      "144871,831,Derby,Ashgrove Park Primary Academy (renamed),Open,Primary,Good,14-03-2023\n"
      "120004,856,Leicester,Westcotes Meadow Nursery School,Open,Nursery,Good,01-02-2026\n";
  EXPECT_EQ(import_gias(*db_, file).updated, 2u);
  EXPECT_EQ(text_of(144871, "name"), "Ashgrove Park Primary Academy (renamed)");
  EXPECT_EQ(text_of(144871, "ofsted_grade"), "3");
  EXPECT_EQ(text_of(144871, "ofsted_date"), "2025-06-12");
  // A later one in the extract does replace it.
  EXPECT_EQ(text_of(120004, "ofsted_grade"), "2");
  EXPECT_EQ(text_of(120004, "ofsted_date"), "2026-02-01");
}

TEST_F(GiasImportTest, FiftyThousandRowsInBothEncodingsWithBrokenRows) {
  for (const bool windows : {false, true}) {
    std::ostringstream file;
    file << kHeader;
    for (int i = 0; i < 50000; ++i) {
      if (i % 5000 == 4999) {
        file << "not-a-urn,831,Derby,Broken " << i << ",Open,Primary,,,\r\n";
        continue;
      }
      file << (400000 + i) << ',' << (i % 2 == 0 ? "891,Nottinghamshire," : "925,Lincolnshire,") << "Generated "
           << (windows ? "\xC9" : "\xC3\x89") << "cole " << i << ",Open,Primary,01-09-2015,Good,12-03-2022\r\n";
    }
    const auto report = import_gias(*db_, file.str());
    EXPECT_EQ(report.encoding, windows ? TextEncoding::windows_1252 : TextEncoding::utf8);
    EXPECT_EQ(report.rows, 50000u);
    EXPECT_EQ(report.skipped, 10u);
    EXPECT_EQ(report.problems.size(), 10u);
    EXPECT_EQ(report.inserted + report.unchanged, 49990u) << "the second file has the same schools";
  }
  EXPECT_EQ(count(), 49990);
  EXPECT_EQ(text_of(400000, "name"), "Generated École 0");
}

}  // namespace
}  // namespace s2s::cases
