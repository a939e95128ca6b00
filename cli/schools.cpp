#include "cli/command_list.h"

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "cases/gias_import.h"
#include "cases/need.h"
#include "cases/providers.h"
#include "cases/schools.h"
#include "workflow/database.h"
#include "workflow/date.h"
#include "workflow/errors.h"
#include "workflow/timestamp.h"

namespace s2s::cli {
namespace schools_commands {

namespace {

// The whole file, as bytes; IoError naming it when it cannot be read.
std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw workflow::IoError("cannot read " + path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace

int run_import_gias(const Settings& settings) {
  const std::string path = settings.positional[0];
  const std::string bytes = file_bytes(path);
  auto db = open_migrated(settings);
  const bool terminal = isatty(STDERR_FILENO) == 1;
  const auto progress = [terminal](std::size_t done, std::size_t total) {
    if (!terminal || total == 0) return;
    const int width = 40;
    const auto filled = static_cast<int>(width * done / total);
    std::cerr << "\r[" << std::string(static_cast<std::size_t>(filled), '#')
              << std::string(static_cast<std::size_t>(width - filled), ' ') << "] " << done << "/" << total << " rows"
              << std::flush;
  };
  const auto report = cases::import_gias(*db, bytes, progress);
  if (terminal) std::cerr << '\n';
  record(*db, "schools.import", path,
         std::to_string(report.rows) + " rows: " + std::to_string(report.inserted) + " new, " +
             std::to_string(report.updated) + " changed, " + std::to_string(report.skipped) + " refused");
  const char* encoding = report.encoding == cases::TextEncoding::windows_1252 ? "Windows-1252"
                         : report.encoding == cases::TextEncoding::utf8_bom   ? "UTF-8 with BOM"
                                                                              : "UTF-8";
  std::cout << path << " (" << encoding << "): " << report.rows << " rows: " << report.inserted << " inserted, "
            << report.updated << " updated, " << report.unchanged << " unchanged, " << report.skipped << " skipped\n";
  for (const auto& problem : report.problems) std::cout << problem << '\n';
  return 0;
}

int run_import_ofsted(const Settings& settings) {
  const std::string path = settings.positional[0];
  const std::string bytes = file_bytes(path);
  auto db = open_migrated(settings);
  const auto report = cases::import_ofsted(
      *db, bytes, workflow::format_timestamp(std::chrono::system_clock::now()));
  record(*db, "schools.import_ofsted", path,
         std::to_string(report.rows) + " rows: " + std::to_string(report.cards_added) + " report cards new, " +
             std::to_string(report.cards_changed) + " changed, " + std::to_string(report.graded_updated) +
             " graded judgements updated, " + std::to_string(report.skipped) + " refused");
  std::cout << path << ": " << report.rows << (report.rows == 1 ? " row: " : " rows: ") << report.cards_added
            << " report cards added, "
            << report.cards_changed << " changed, " << report.cards_unchanged << " unchanged; "
            << report.graded_updated << " graded judgements updated; " << report.skipped << " skipped\n";
  for (const auto& problem : report.problems) std::cout << problem << '\n';
  return 0;
}

std::int32_t urn_argument(const std::string& text) {
  char* end = nullptr;
  const long urn = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || urn < 1 || urn > 99999999) {
    throw UsageError("URN must be a school's unique reference number, got '" + text + "'");
  }
  return static_cast<std::int32_t>(urn);
}

std::optional<bool> yes_no(const Settings& settings, std::string_view name) {
  const auto value = settings.get(name);
  if (!value) return std::nullopt;
  if (*value == "yes") return true;
  if (*value == "no") return false;
  throw UsageError("--" + std::string(name) + " must be yes or no, got '" + *value + "'");
}

void print_school(const cases::School& s) {
  std::cout << s.urn << "  " << s.name << "\n  " << s.phase << ", " << s.status << ", " << s.la_name << " (LA "
            << s.la_code << ")" << (s.mini_region.empty() ? "" : ", mini region " + s.mini_region) << '\n';
  std::cout << "  trust: " << (s.trust_name.empty() ? "none" : s.trust_name + " (" + s.trust_code + ")") << '\n';
  std::cout << "  ofsted: " << (s.ofsted_grade ? std::to_string(*s.ofsted_grade) : "none")
            << (s.ofsted_date.empty() ? "" : " on " + s.ofsted_date)
            << ", ssif eligible: " << (s.ssif_eligible ? "yes" : "no")
            << ", category 5/6 area: " << (s.category_5_6 ? "yes" : "no") << '\n';
  const auto need = cases::in_need_because(s);
  std::cout << "  in need: " << (need ? "yes, " + *need : std::string("no")) << '\n';
}

void print_report_card(const std::optional<cases::ReportCard>& card) {
  if (!card) return;
  std::cout << "  report card: " << card->inspected_on << ", safeguarding "
            << (card->safeguarding_met ? (*card->safeguarding_met ? "met" : "not met") : std::string("not given"))
            << '\n';
  for (const auto& g : card->grades) std::cout << "    " << g.name << ": " << cases::report_card_grade_name(g.grade) << '\n';
}

int run_school_show(const Settings& settings) {
  auto db = open_migrated(settings);
  const auto urn = urn_argument(settings.positional[0]);
  const auto school = cases::find_school(*db, urn);
  if (!school) throw workflow::NotFound("no school with URN " + std::to_string(urn) + " (import GIAS first)");
  print_school(*school);
  print_report_card(cases::latest_report_card(*db, urn));
  return 0;
}

int run_school_set(const Settings& settings) {
  auto db = open_migrated(settings);
  cases::SchoolEdit edit;
  if (const auto grade = settings.get("ofsted-grade")) {
    edit.ofsted_grade = *grade == "none" ? 0 : static_cast<int>(settings.integer("ofsted-grade", 1, 4));
  }
  if (const auto date = settings.get("ofsted-date")) {
    edit.ofsted_date = *date == "none" ? std::string() : *date;
  }
  edit.ssif_eligible = yes_no(settings, "ssif-eligible");
  edit.category_5_6 = yes_no(settings, "category-5-6");
  if (const auto code = settings.get("trust-code")) edit.trust_code = *code == "none" ? std::string() : *code;
  if (const auto name = settings.get("trust-name")) edit.trust_name = *name == "none" ? std::string() : *name;
  const auto today = workflow::london_date(std::chrono::system_clock::now());
  const auto edited = cases::edit_school(*db, urn_argument(settings.positional[0]), edit, today);
  record(*db, "school.edit", edited.name + " (URN " + std::to_string(edited.urn) + ")");
  print_school(edited);
  return 0;
}

}  // namespace schools_commands

}  // namespace s2s::cli
