#include "workflow/text.h"

#include <gtest/gtest.h>

namespace s2s::workflow {
namespace {

TEST(TextTest, NumbersReadAsPeopleWriteThem) {
  EXPECT_EQ(number_text(5), "5");
  EXPECT_EQ(number_text(0.5), "0.5");
  EXPECT_EQ(number_text(12.25), "12.25");
  EXPECT_EQ(number_text(-3), "-3");
  EXPECT_EQ(number_text(1000000), "1000000");
}

TEST(TextTest, ArticlesFollowTheSoundOfTheNoun) {
  EXPECT_EQ(with_article("integer"), "an integer");
  EXPECT_EQ(with_article("string"), "a string");
  EXPECT_EQ(with_article("SLE designation"), "an SLE designation");
  EXPECT_EQ(with_article("NLE or LLE designation"), "an NLE or LLE designation");
  EXPECT_EQ(with_article("PPR designation"), "a PPR designation");
}

TEST(TextTest, HtmlIsEscapedInContentAndAttributes) {
  EXPECT_EQ(html_escape("Oak & Ash <\"Alliance\"> 'x'"), "Oak &amp; Ash &lt;&quot;Alliance&quot;&gt; &#39;x&#39;");
}

TEST(TextTest, AListSplitsAtCommasTrimmedWithoutEmptyItems) {
  EXPECT_EQ(split_list("lead, school ,system_leader"), (std::vector<std::string_view>{"lead", "school", "system_leader"}));
  EXPECT_EQ(split_list("NLE,,LLE,"), (std::vector<std::string_view>{"NLE", "LLE"}));
  EXPECT_TRUE(split_list("").empty());
  EXPECT_TRUE(split_list(" , ").empty());
}

}  // namespace
}  // namespace s2s::workflow
