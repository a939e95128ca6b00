#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Charts drawn on the server as SVG (docs/web.md): no script and no chart
// library. Each is an image with a title and a description that screen
// readers announce; the page puts the same figures beside it as a table.
// Every bar carries its figure in data-value (and data-part), so a test can
// read the drawing back. Colours come from the stylesheet's s2s-chart classes.
namespace s2s::web {

struct ChartBar {
  std::string label;                  // "Birch Teaching School Alliance", "Sep"
  double value = 0;                   // the bar's length
  std::optional<double> part;         // a share of it drawn darker (rated good of the ratings)
  std::string value_text;             // the figure written by the bar: "12 days"
};

// A line across the bars at `value`, such as a target.
struct ChartLine {
  double value = 0;
  std::string label;  // "Target: 30 days"
};

struct Chart {
  std::string id;           // unique on the page: the title's and description's ids derive from it
  std::string title;        // what it shows
  std::string description;  // what it says, in a sentence: read out instead of the drawing
  std::vector<ChartBar> bars;
  std::optional<ChartLine> line;
  std::string part_legend;  // what the darker part is, when bars have one: "Rated good or better"
  std::string rest_legend;  // and the rest: "Other ratings"
};

// Bars across the page, one under another, each with its label above it:
// for long names (teaching schools, mini regions).
[[nodiscard]] std::string horizontal_bar_chart(const Chart& chart);

// Columns along the page, labels under them: for a short series (months, bands).
[[nodiscard]] std::string column_chart(const Chart& chart);

// A tile map (docs/need.md, "The map"): one square for each local
// authority at its place on a grid, coloured by its band, with a short label
// and a figure in it. Like the charts, an image with a title and description;
// the page gives the same figures as a table. Each square carries its LA's
// code and band in data-la and data-band.
struct MapTile {
  int x = 0, y = 0;     // squares from the west and from the north
  int la_code = 0;
  std::string label;    // three letters: "NTT"; drawn in every square, for the shape's sake
  std::string figure;   // written under the label: "3.5"; empty for none
  std::string band;     // the colour: cold, tight, enough, none; "out" for a square outside the scope
  std::string title;    // shown on hover: the LA's name and figures in words
};

struct TileMap {
  std::string id;
  std::string title;
  std::string description;
  std::vector<MapTile> tiles;
};

[[nodiscard]] std::string tile_map(const TileMap& map);

}  // namespace s2s::web
