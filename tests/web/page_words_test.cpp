// The words pages print figures and instants in.
#include <gtest/gtest.h>

#include "web/page.h"

namespace s2s::web {
namespace {

TEST(PageWordsTest, InstantsAreShownInLondonTimeAndFiguresInThousands) {
  EXPECT_EQ(long_date_time("2026-12-01T14:05:00.000000Z"), "1 December 2026 at 14:05");  // GMT
  EXPECT_EQ(long_date_time("2026-07-01T13:05:00.000000Z"), "1 July 2026 at 14:05");      // BST
  EXPECT_EQ(long_date_time("2026-06-30T23:30:00.000000Z"), "1 July 2026 at 00:30");      // the next day in London
  EXPECT_EQ(long_date_time("2026-12-01"), "1 December 2026");                            // a day alone
  EXPECT_EQ(long_date_time("nonsense"), "nonsense");
  EXPECT_EQ(thousands(0), "0");
  EXPECT_EQ(thousands(999), "999");
  EXPECT_EQ(thousands(1000), "1,000");
  EXPECT_EQ(thousands(1234567), "1,234,567");
}

// Templates are compacted as they are parsed: what a browser shows is the same.
TEST(CompactTemplateTest, EachLineBreakWithItsIndentationBecomesOneSpace) {
  EXPECT_EQ(compact_template("<ul>\n  {{#items}}\n  <li>{{name}}</li>\n  {{/items}}\n</ul>\n"),
            "<ul> {{#items}} <li>{{name}}</li> {{/items}} </ul> ");
  EXPECT_EQ(compact_template("<p>Days\n\n\t  left</p>"), "<p>Days left</p>");
  EXPECT_EQ(compact_template("no breaks at all"), "no breaks at all");
  EXPECT_EQ(compact_template(""), "");
  // An apostrophe in text opens no quotes.
  EXPECT_EQ(compact_template("<p>You're\n  here</p>\n<p>\n  next</p>"), "<p>You're here</p> <p> next</p>");
}

TEST(CompactTemplateTest, WhatShowsALineBreakIsKeptAsWritten) {
  EXPECT_EQ(compact_template("<div>\n  <textarea name=\"note\">\nfirst\n  second</textarea>\n</div>"),
            "<div> <textarea name=\"note\">\nfirst\n  second</textarea> </div>");
  EXPECT_EQ(compact_template("<pre>a\n b</pre>\n<p>\n c</p>"), "<pre>a\n b</pre> <p> c</p>");
  // Within an attribute's quotes, and within a Mustache tag.
  EXPECT_EQ(compact_template("<input\n  value=\"one\n  two\"\n  name='x\ny'>\n"),
            "<input value=\"one\n  two\" name='x\ny'> ");
  EXPECT_EQ(compact_template("{{! a comment\n  over lines }}\n<p>x</p>"), "{{! a comment\n  over lines }} <p>x</p>");
  // An element left open keeps the rest as written.
  EXPECT_EQ(compact_template("<p>\n a</p><textarea>\n b"), "<p> a</p><textarea>\n b");
}

}  // namespace
}  // namespace s2s::web
