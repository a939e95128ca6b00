// The server-drawn charts: what screen readers hear, the figures the drawing
// carries, bars to scale, and text that cannot break out of the SVG.
#include "web/charts.h"

#include <gtest/gtest.h>

#include <regex>

namespace s2s::web {
namespace {

// The width attribute of the bar drawn for the item labelled `label`.
double bar_width(const std::string& svg, const std::string& label) {
  const auto at = svg.find("data-label=\"" + label + "\"");
  if (at == std::string::npos) return -1;
  const auto end = svg.find("</g>", at);
  const std::string item = svg.substr(at, end - at);
  std::smatch m;
  if (!std::regex_search(item, m, std::regex("class=\"s2s-chart__bar\"[^>]*width=\"([0-9.]+)\""))) return 0;
  return std::stod(m[1]);
}

TEST(ChartTest, AHorizontalChartIsAnImageWithItsTitleDescriptionAndFigures) {
  Chart chart{"days", "Days per teaching school", "One of two is below its 30.", {}, ChartLine{30, "Target: 30"}, "", ""};
  chart.bars = {{"Birch", 45, std::nullopt, "45 days"}, {"Cedar", 15, std::nullopt, "15 days"},
                {"Damson", 0, std::nullopt, "0 days"}};
  const std::string svg = horizontal_bar_chart(chart);
  EXPECT_NE(svg.find("role=\"img\""), std::string::npos);
  EXPECT_NE(svg.find("aria-labelledby=\"days-title days-desc\""), std::string::npos);
  EXPECT_NE(svg.find("<title id=\"days-title\">Days per teaching school</title>"), std::string::npos);
  EXPECT_NE(svg.find("<desc id=\"days-desc\">One of two is below its 30.</desc>"), std::string::npos);
  EXPECT_NE(svg.find("data-label=\"Cedar\" data-value=\"15\""), std::string::npos);
  EXPECT_NE(svg.find("class=\"s2s-chart__line\" data-value=\"30\""), std::string::npos);
  // To scale: Birch's bar is three times Cedar's; a zero draws no bar but keeps its figure.
  EXPECT_NEAR(bar_width(svg, "Birch"), 3 * bar_width(svg, "Cedar"), 0.05);
  EXPECT_EQ(bar_width(svg, "Damson"), 0);
  EXPECT_NE(svg.find(">0 days</text>"), std::string::npos);
  // The longest bar and its figure stay inside the drawing.
  EXPECT_LT(bar_width(svg, "Birch") + 9 * 7, 640);
}

TEST(ChartTest, TheTargetLineWidensTheScaleWhenNoBarReachesIt) {
  Chart chart{"c", "t", "d", {{"A", 10, std::nullopt, "10"}}, ChartLine{30, "Target"}, "", ""};
  const std::string with_line = horizontal_bar_chart(chart);
  chart.line.reset();
  const std::string without = horizontal_bar_chart(chart);
  EXPECT_NEAR(bar_width(without, "A"), 3 * bar_width(with_line, "A"), 0.5);
}

TEST(ChartTest, TextIsEscapedAndLongLabelsAreCutWholeCharacters) {
  Chart chart{"x\"y", "<script>alert(1)</script>", "a & b", {}, std::nullopt, "", ""};
  chart.bars = {{"Å" + std::string(100, 'x') + "</text>", 1, std::nullopt, "<b>"}};
  const std::string svg = horizontal_bar_chart(chart);
  EXPECT_EQ(svg.find("<script>"), std::string::npos);
  EXPECT_EQ(svg.find("<b>"), std::string::npos);
  EXPECT_NE(svg.find("a &amp; b"), std::string::npos);
  EXPECT_NE(svg.find("id=\"x&quot;y\""), std::string::npos);
  EXPECT_NE(svg.find("x\u2026</text>"), std::string::npos);  // cut, with an ellipsis
  EXPECT_EQ(svg.find("</text>\u2026"), std::string::npos);
}

TEST(ChartTest, ColumnsCarryTheirPartAndALegendNamesBothShades) {
  Chart chart{"ratings", "Ratings each month", "d", {}, std::nullopt, "Rated good or better", "Other ratings"};
  chart.bars = {{"Sep", 4, 3.0, "4"}, {"Oct", 0, 0.0, ""}};
  const std::string svg = column_chart(chart);
  EXPECT_NE(svg.find("data-label=\"Sep\" data-value=\"4\" data-part=\"3\""), std::string::npos);
  EXPECT_NE(svg.find("data-label=\"Oct\" data-value=\"0\" data-part=\"0\""), std::string::npos);
  EXPECT_NE(svg.find(">Rated good or better</text>"), std::string::npos);
  EXPECT_NE(svg.find(">Other ratings</text>"), std::string::npos);
  // The part is drawn three quarters the height of its column.
  std::smatch m;
  const std::string sep = svg.substr(svg.find("data-label=\"Sep\""));
  ASSERT_TRUE(std::regex_search(sep, m, std::regex("s2s-chart__bar\"[^>]*height=\"([0-9.]+)\"")));
  const double column = std::stod(m[1]);
  ASSERT_TRUE(std::regex_search(sep, m, std::regex("s2s-chart__part\"[^>]*height=\"([0-9.]+)\"")));
  EXPECT_NEAR(std::stod(m[1]), column * 0.75, 0.05);
}

}  // namespace
}  // namespace s2s::web
