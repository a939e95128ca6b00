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
  // Runs between entities, at either end, none at all, and text with nothing to escape.
  EXPECT_EQ(html_escape("<&>"), "&lt;&amp;&gt;");
  EXPECT_EQ(html_escape("&a"), "&amp;a");
  EXPECT_EQ(html_escape("a'"), "a&#39;");
  EXPECT_EQ(html_escape(""), "");
  EXPECT_EQ(html_escape("Ysgol Gymraeg Caerdydd, Blwyddyn 6"), "Ysgol Gymraeg Caerdydd, Blwyddyn 6");
  EXPECT_EQ(html_escape(std::string_view("a\0<", 3)), std::string("a\0&lt;", 6));
}

TEST(TextTest, AListSplitsAtCommasTrimmedWithoutEmptyItems) {
  EXPECT_EQ(split_list("lead, school ,system_leader"), (std::vector<std::string_view>{"lead", "school", "system_leader"}));
  EXPECT_EQ(split_list("NLE,,LLE,"), (std::vector<std::string_view>{"NLE", "LLE"}));
  EXPECT_TRUE(split_list("").empty());
  EXPECT_TRUE(split_list(" , ").empty());
}

}  // namespace
}  // namespace s2s::workflow

namespace s2s::workflow {
namespace {

TEST(FormDecodeTest, DecodesPlusAndEscapesAndRefusesWhatIsNotText) {
  EXPECT_EQ(form_decode("a+b%20c%2Bd").value(), "a b c+d");
  EXPECT_EQ(form_decode("caf%C3%A9").value(), "caf\xC3\xA9");
  DecodeFailure why = DecodeFailure::none;
  EXPECT_FALSE(form_decode("50%", &why).has_value());
  EXPECT_EQ(why, DecodeFailure::bad_escape);
  EXPECT_FALSE(form_decode("%zz", &why).has_value());
  EXPECT_EQ(why, DecodeFailure::bad_escape);
  EXPECT_FALSE(form_decode("%C3%28", &why).has_value());  // a broken two-byte sequence
  EXPECT_EQ(why, DecodeFailure::not_utf8);
  EXPECT_FALSE(form_decode("a%00b", &why).has_value());  // NUL: no database stores it as text
  EXPECT_EQ(why, DecodeFailure::not_utf8);
  EXPECT_TRUE(form_decode("", &why).has_value());
  EXPECT_EQ(why, DecodeFailure::none);
}

TEST(FormDecodeTest, Utf8IsCheckedStrictly) {
  EXPECT_TRUE(valid_utf8("plain"));
  EXPECT_TRUE(valid_utf8("\xE2\x82\xAC"));          // the euro sign
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));             // an overlong '/'
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));         // a surrogate
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));     // beyond U+10FFFF
  EXPECT_FALSE(valid_utf8("\xE2\x82"));             // cut short
}

}  // namespace
}  // namespace s2s::workflow
