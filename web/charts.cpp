#include "web/charts.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "workflow/text.h"

namespace s2s::web {
namespace {

constexpr double kWidth = 640;

std::string esc(std::string_view text) { return workflow::html_escape(text); }

// A coordinate or figure as SVG and data attributes carry it: "12", "12.5".
std::string num(double value) {
  if (std::fabs(value - std::round(value)) < 1e-9) return fmt::format("{}", static_cast<long long>(std::round(value)));
  return fmt::format("{:.2f}", value);
}

// A label cut to fit a line of the drawing; the table beside it has it whole.
std::string fit(const std::string& label, std::size_t most) {
  if (label.size() <= most) return label;
  std::size_t cut = most - 1;
  while (cut > 0 && (static_cast<unsigned char>(label[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 character
  return label.substr(0, cut) + "\u2026";
}

double largest(const Chart& chart) {
  double top = chart.line ? chart.line->value : 0;
  for (const auto& b : chart.bars) top = std::max(top, b.value);
  return top > 0 ? top : 1;
}

std::string opening(const Chart& chart, double height) {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"s2s-chart\" role=\"img\" viewBox=\"0 0 {} {}\" "
      "aria-labelledby=\"{}-title {}-desc\" id=\"{}\"><title id=\"{}-title\">{}</title><desc id=\"{}-desc\">{}</desc>",
      num(kWidth), num(height), esc(chart.id), esc(chart.id), esc(chart.id), esc(chart.id), esc(chart.title),
      esc(chart.id), esc(chart.description));
}

std::string item_opening(const ChartBar& bar) {
  std::string out = "<g class=\"s2s-chart__item\" data-label=\"" + esc(bar.label) + "\" data-value=\"" +
                    num(bar.value) + "\"";
  if (bar.part) out += " data-part=\"" + num(*bar.part) + "\"";
  return out + ">";
}

bool has_parts(const Chart& chart) {
  return std::any_of(chart.bars.begin(), chart.bars.end(), [](const ChartBar& b) { return b.part.has_value(); });
}

// The key to the two shades, at `y`.
std::string legend(const Chart& chart, double y) {
  return fmt::format(
      "<g class=\"s2s-chart__legend\"><rect class=\"s2s-chart__part\" x=\"0\" y=\"{}\" width=\"14\" height=\"14\"/>"
      "<text class=\"s2s-chart__text\" x=\"20\" y=\"{}\">{}</text>"
      "<rect class=\"s2s-chart__bar\" x=\"260\" y=\"{}\" width=\"14\" height=\"14\"/>"
      "<text class=\"s2s-chart__text\" x=\"280\" y=\"{}\">{}</text></g>",
      num(y), num(y + 12), esc(chart.part_legend), num(y), num(y + 12), esc(chart.rest_legend));
}

}  // namespace

std::string horizontal_bar_chart(const Chart& chart) {
  constexpr double kRow = 46;
  // Room after the longest bar for its figure, at about 9 units a character of bold 14px text.
  std::size_t longest_text = 0;
  for (const auto& bar : chart.bars) longest_text = std::max(longest_text, bar.value_text.size());
  const double bar_area = kWidth - 12 - 9 * static_cast<double>(longest_text);
  const double top = chart.line ? 22 : 4;
  const bool parts = has_parts(chart);
  const double rows_end = top + kRow * static_cast<double>(chart.bars.size());
  const double height = rows_end + (parts ? 28 : 4);
  const double scale = bar_area / largest(chart);
  std::string out = opening(chart, height);
  double y = top;
  for (const auto& bar : chart.bars) {
    const double length = std::max(0.0, bar.value) * scale;
    out += item_opening(bar);
    out += fmt::format("<text class=\"s2s-chart__text\" x=\"0\" y=\"{}\">{}</text>", num(y + 14), esc(fit(bar.label, 80)));
    if (length > 0) {
      out += fmt::format("<rect class=\"s2s-chart__bar\" x=\"0\" y=\"{}\" width=\"{}\" height=\"18\"/>", num(y + 20),
                         num(length));
    }
    if (bar.part && *bar.part > 0) {
      out += fmt::format("<rect class=\"s2s-chart__part\" x=\"0\" y=\"{}\" width=\"{}\" height=\"18\"/>", num(y + 20),
                         num(std::min(*bar.part, bar.value) * scale));
    }
    out += fmt::format("<text class=\"s2s-chart__figure\" x=\"{}\" y=\"{}\">{}</text></g>", num(length + 6),
                       num(y + 34), esc(bar.value_text));
    y += kRow;
  }
  if (chart.line) {
    const double x = chart.line->value * scale;
    out += fmt::format(
        "<g class=\"s2s-chart__line\" data-value=\"{}\"><line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>"
        "<text class=\"s2s-chart__text\" x=\"{}\" y=\"14\" text-anchor=\"{}\">{}</text></g>",
        num(chart.line->value), num(x), num(top - 4), num(x), num(rows_end), num(x), x > kWidth / 2 ? "end" : "start",
        esc(chart.line->label));
  }
  if (parts) out += legend(chart, rows_end + 6);
  return out + "</svg>";
}

std::string column_chart(const Chart& chart) {
  constexpr double kPlotTop = 24;
  constexpr double kPlotHeight = 180;
  const bool parts = has_parts(chart);
  const double base = kPlotTop + kPlotHeight;
  const double height = base + 26 + (parts ? 28 : 0);
  const double scale = kPlotHeight / largest(chart);
  const double slot = kWidth / static_cast<double>(std::max<std::size_t>(chart.bars.size(), 1));
  const double width = std::min(48.0, slot * 0.7);
  std::string out = opening(chart, height);
  out += fmt::format("<line class=\"s2s-chart__axis\" x1=\"0\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>", num(base),
                     num(kWidth), num(base));
  double x = 0;
  for (const auto& bar : chart.bars) {
    const double h = std::max(0.0, bar.value) * scale;
    const double centre = x + slot / 2;
    out += item_opening(bar);
    if (h > 0) {
      out += fmt::format("<rect class=\"s2s-chart__bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                         num(centre - width / 2), num(base - h), num(width), num(h));
    }
    if (bar.part && *bar.part > 0) {
      const double p = std::min(*bar.part, bar.value) * scale;
      out += fmt::format("<rect class=\"s2s-chart__part\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                         num(centre - width / 2), num(base - p), num(width), num(p));
    }
    out += fmt::format("<text class=\"s2s-chart__figure\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                       num(centre), num(base - h - 6), esc(bar.value_text));
    out += fmt::format("<text class=\"s2s-chart__text\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
                       num(centre), num(base + 18), esc(fit(bar.label, 12)));
    x += slot;
  }
  if (chart.line) {
    const double y = base - chart.line->value * scale;
    out += fmt::format(
        "<g class=\"s2s-chart__line\" data-value=\"{}\"><line x1=\"0\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>"
        "<text class=\"s2s-chart__text\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text></g>",
        num(chart.line->value), num(y), num(kWidth), num(y), num(kWidth), num(y - 4), esc(chart.line->label));
  }
  if (parts) out += legend(chart, base + 30);
  return out + "</svg>";
}

std::string tile_map(const TileMap& map) {
  constexpr double kSquare = 44;  // a square and the gap after it
  constexpr double kSide = 41;
  if (map.tiles.empty()) return {};
  int west = map.tiles.front().x, east = west, north = map.tiles.front().y, south = north;
  for (const auto& t : map.tiles) {
    west = std::min(west, t.x);
    east = std::max(east, t.x);
    north = std::min(north, t.y);
    south = std::max(south, t.y);
  }
  const double width = (east - west + 1) * kSquare;
  const double height = (south - north + 1) * kSquare;
  // England's map at its size; a mini region's few squares drawn larger.
  const double scale = std::clamp(480 / std::max(width, height), 1.0, 1.6);
  std::string out = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"s2s-map\" role=\"img\" viewBox=\"0 0 {} {}\" "
      "width=\"{}\" height=\"{}\" aria-labelledby=\"{}-title {}-desc\" id=\"{}\"><title id=\"{}-title\">{}</title>"
      "<desc id=\"{}-desc\">{}</desc>",
      num(width), num(height), num(width * scale), num(height * scale), esc(map.id), esc(map.id), esc(map.id),
      esc(map.id), esc(map.title), esc(map.id), esc(map.description));
  for (const auto& t : map.tiles) {
    const double x = (t.x - west) * kSquare;
    const double y = (t.y - north) * kSquare;
    out += fmt::format(
        "<g class=\"s2s-map__tile s2s-map--{}\" data-la=\"{}\" data-band=\"{}\"><title>{}</title>"
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
        esc(t.band), t.la_code, esc(t.band), esc(t.title), num(x), num(y), num(kSide), num(kSide));
    {
      const bool figure = !t.figure.empty();
      out += fmt::format("<text class=\"s2s-map__label\" x=\"{}\" y=\"{}\">{}</text>", num(x + kSide / 2),
                         num(y + (figure ? 17 : 25)), esc(t.label));
      if (figure) {
        out += fmt::format("<text class=\"s2s-map__figure\" x=\"{}\" y=\"{}\">{}</text>", num(x + kSide / 2),
                           num(y + 33), esc(t.figure));
      }
    }
    out += "</g>";
  }
  return out + "</svg>";
}

}  // namespace s2s::web
