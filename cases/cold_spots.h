#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "workflow/case_kind.h"
#include "workflow/database.h"

// Cold spots (docs/need.md): for each local authority and mini region of a
// person's scope, the schools in need against the capacity that could serve
// them (system leaders at home in the area, and in the rest of its mini
// region, with a designation active today, and their days not yet reserved
// this academic year); an area is a cold spot when it has fewer free days
// per school in need than the setting. And where to recruit: the focus areas
// this year's referrals asked for against the specialisms on offer.
namespace s2s::cases {

struct AreaCapacity {
  std::string name;         // "Nottinghamshire", or the LA's name
  int la_code = 0;          // 0 for a mini region
  std::string mini_region;  // the LA's; the mini region's own name for a mini region
  int in_need = 0;
  int leaders = 0;          // system leaders at home in the area with a designation active today
  // Of them, how many hold each designation active today ("NLE" -> 2); a
  // leader with two designations counts under each.
  std::map<std::string, int> designations;
  double free_days = 0;     // their days offered and not reserved this academic year
  int leaders_near = 0;     // an LA's: at home in the rest of its mini region
  double free_days_near = 0;
  double free_days_per_school = 0;  // (free_days + free_days_near) / in_need; 0 when none is in need
  bool cold = false;                // in need, and fewer free days per school in need than the setting
};

// A square of the tile map (docs/need.md, "The map"): a local authority
// placed by hand on a grid that keeps England's shape.
struct Tile {
  int la_code = 0;
  std::string name;
  std::string short_name;  // three letters, drawn in the square
  std::string region;
  int x = 0, y = 0;        // squares from the west and from the north
  int area = -1;           // the LA's figures in `las` when it is in the scope, else -1
};

struct Demand {
  std::string focus_area;  // as the first referral asking for it wrote it ("maths", "SEND"); matched in any case
  int asked = 0;           // support requests opened this year asking for it
  int offered = 0;         // system leaders of the mini region whose active designation offers it
};

struct ColdSpots {

  std::string academic_year;
  double days_per_school = 0;              // the setting: fewer free days per school in need is cold
  std::vector<AreaCapacity> mini_regions;  // by name
  std::vector<AreaCapacity> las;           // by mini region, then name
  // The tile map: every square within one of the scope's squares' bounds
  // (the scope's own carry their figures), and the scope's LAs that have no
  // square (an old code, a made-up one).
  std::vector<Tile> tiles;                 // north to south, then west to east
  std::vector<int> off_map;                // indexes into `las`
  // Per mini region: what was asked for, most short of offers first (asked less offered), at most 5.
  std::map<std::string, std::vector<Demand>> recruit;
  // Per mini region: the phase groups of the schools this year's support
  // requests were for (asked) against those of the system leaders' home
  // schools with a designation active today (offered), most short first.
  std::map<std::string, std::vector<Demand>> recruit_phases;
};

// The default setting: a school in need with fewer than 10 free days near it.
inline constexpr double kColdSpotDays = 10;

// The cold spots of the actor's scope (the schools it may see by place, as
// the need register), in the academic year of `today`.
[[nodiscard]] ColdSpots cold_spots(workflow::Database& db, const workflow::Actor& actor,
                                   std::chrono::year_month_day today, double days_per_school = kColdSpotDays);

}  // namespace s2s::cases
