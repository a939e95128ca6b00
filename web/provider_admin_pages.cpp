// The admin console's providers (docs/web.md): alliances and their member
// schools, system leaders, their designations with end dates, and the days
// each offers per academic year. Each form is checked field by field; what
// the records refuse (an unknown school, an end before a start, fewer days
// than are reserved) is shown on the form again, and nothing is written.
#include <boost/json.hpp>

#include <charconv>
#include <set>
#include <map>

#include "cases/providers.h"
#include "cases/schools.h"
#include "web/forms.h"
#include "web/page.h"
#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/errors.h"
#include "workflow/text.h"

namespace s2s::web {
namespace provider_admin_pages {

namespace json = boost::json;
using workflow::FieldSpec;
using workflow::FieldType;

constexpr FieldSpec kAllianceFields[] = {
    {"alliance_name", FieldType::string, true, {}, "for example: Peak Teaching School Alliance"},
    {"lead_school_urn", FieldType::integer, true, {}, "the teaching school that leads it", 100000, 999999},
};
constexpr FieldSpec kMemberFields[] = {
    {"school_urn", FieldType::integer, true, {}, "the member school's URN, from the register", 100000, 999999},
};
constexpr FieldSpec kLeaderFields[] = {
    {"leader_name", FieldType::string, true, {}, ""},
    {"email", FieldType::string, true, {}, "where they hear of proposals and deadlines"},
    {"home_school_urn", FieldType::integer, true, {}, "the school they work in", 100000, 999999},
    {"alliance_id", FieldType::integer, false, {}, "the alliance's number, on the alliances page; empty for none", 1,
     1e12},
};
constexpr FieldSpec kDesignationFields[] = {
    {"designation", FieldType::string, true, "NLE,LLE,SLE,NLG,LLG,PPR", ""},
    {"specialisms", FieldType::string, false, {}, "comma-separated, for example: maths, SEND"},
    {"active_from", FieldType::date, true, {}, "the first day it is held"},
    {"active_to", FieldType::date, false, {}, "the last day it is held; leave empty if it has no end date"},
};
constexpr FieldSpec kEndFields[] = {
    {"last_day", FieldType::date, false, {}, "the last day it is held; leave empty to take the end date away"},
};

std::int64_t id_param(PageContext& ctx, std::string_view name) {
  const std::string& text = ctx.param(name);
  std::int64_t id = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || ptr != text.data() + text.size() || id <= 0) {
    throw PageRefusal{404, "Page not found", "There is no such record."};
  }
  return id;
}

std::string text_of(const json::object& payload, std::string_view name) {
  const auto* v = payload.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::int64_t integer_of(const json::object& payload, std::string_view name) { return payload.at(name).to_number<std::int64_t>(); }

// A refusal from the records, as an error on the form's field it names (else its first).
std::vector<FieldError> refused_on(const workflow::Error& e, std::span<const FieldSpec> fields) {
  std::string field(fields.front().name);
  for (const auto& f : fields) {
    if (e.field() == f.name) field = std::string(f.name);
  }
  std::string message = e.what();
  if (!message.empty()) message[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(message[0])));
  return {{field, message}};
}

// One form of a page: its fields, errors, and whether it was the one posted.
json::object form_model(std::span<const FieldSpec> fields, const Form* posted, const std::vector<FieldError>& errors) {
  return json::object{{"fields", field_models(fields, posted, errors)},
                      {"errors", error_summary(errors)},
                      {"has_errors", !errors.empty()}};
}

// A register with its add form below: the rows, and the form with what was
// posted and what was wrong with it (the title says "Error:" then).
api::HttpResponse register_page(PageContext& ctx, std::string_view template_name, const std::string& title,
                                json::array rows, std::span<const FieldSpec> fields, const Form* posted,
                                const std::vector<FieldError>& errors, int status) {
  const bool has_rows = !rows.empty();
  json::object model{{"title", std::string(errors.empty() ? "" : "Error: ") + title},
                     {"rows", std::move(rows)},
                     {"has_rows", has_rows},
                     {"form", form_model(fields, posted, errors)}};
  return page(ctx, template_name, std::move(model), status);
}

// The same form shown more than once on a page (one per designation): its
// ids made unique with `suffix`, and its error links with them.
json::object with_id_suffix(json::object form, const std::string& suffix) {
  for (auto& f : form["fields"].as_array()) {
    auto& field = f.as_object();
    field["id"] = std::string(field["id"].as_string()) + suffix;
  }
  for (auto& e : form["errors"].as_array()) {
    auto& error = e.as_object();
    error["href"] = std::string(error["href"].as_string()) + suffix;
  }
  return form;
}

// Schools as a list names them: "Birch Primary (URN 100002)", or the URN
// alone for one not on the register. Read in one query for the whole list.
class SchoolNames {
 public:
  SchoolNames(PageContext& ctx, const std::set<std::int32_t>& urns) {
    auto connection = ctx.app.db->acquire();
    try {
      schools_ = cases::find_schools(connection, urns);
    } catch (...) {
      connection.rethrow_translated();
    }
  }
  // The schools `urn_of` finds in each of `items` (a member pointer).
  template <class Items, class UrnOf>
  SchoolNames(PageContext& ctx, const Items& items, UrnOf urn_of) : SchoolNames(ctx, urns(items, urn_of)) {}

  [[nodiscard]] std::string operator()(std::int32_t urn) const {
    const auto found = schools_.find(urn);
    return found != schools_.end() ? found->second.name + " (URN " + std::to_string(urn) + ")"
                                   : "URN " + std::to_string(urn);
  }

 private:
  template <class Items, class UrnOf>
  static std::set<std::int32_t> urns(const Items& items, UrnOf urn_of) {
    std::set<std::int32_t> out;
    for (const auto& item : items) out.insert(item.*urn_of);
    return out;
  }

  std::map<std::int32_t, cases::School> schools_;
};

std::string school_name(PageContext& ctx, int urn) { return SchoolNames(ctx, {urn})(urn); }

// --- alliances -------------------------------------------------------------

api::HttpResponse alliances_page(PageContext& ctx, const Form* posted, const std::vector<FieldError>& errors,
                                 int status) {
  json::array rows;
  const auto alliances = cases::alliances(*ctx.app.db);
  const SchoolNames lead_name(ctx, alliances, &cases::Alliance::lead_school_urn);
  for (const auto& a : alliances) {
    rows.push_back(json::object{{"id", std::to_string(a.id)},
                                {"name", a.name},
                                {"href", "/admin/alliances/" + std::to_string(a.id)},
                                {"lead", lead_name(a.lead_school_urn)},
                                {"members", std::to_string(a.members.size())}});
  }
  return register_page(ctx, "admin_alliances", "Alliances", std::move(rows), kAllianceFields, posted, errors, status);
}

api::HttpResponse add_alliance(PageContext& ctx) {
  admins_only(ctx);
  const ReadPayload read = read_payload(kAllianceFields, ctx.form);
  if (!read.errors.empty()) return alliances_page(ctx, &ctx.form, read.errors, 400);
  std::int64_t id = 0;
  try {
    id = cases::create_alliance(*ctx.app.db, text_of(read.payload, "alliance_name"),
                                static_cast<int>(integer_of(read.payload, "lead_school_urn")));
  } catch (const workflow::Refused& e) {
    return alliances_page(ctx, &ctx.form, refused_on(e, kAllianceFields), 422);
  }
  audit(ctx, "alliance.add", text_of(read.payload, "alliance_name") + " (alliance " + std::to_string(id) + ")",
        "led by " + school_name(ctx, static_cast<int>(integer_of(read.payload, "lead_school_urn"))));
  return redirect(ctx, "/admin/alliances/" + std::to_string(id) + "?done=created");
}

api::HttpResponse alliance_page(PageContext& ctx, const Form* posted, const std::vector<FieldError>& errors,
                                int status) {
  const auto id = id_param(ctx, "id");
  const auto alliance = cases::find_alliance(*ctx.app.db, id);
  if (!alliance) throw PageRefusal{404, "Page not found", "There is no such alliance."};
  json::array members;
  const SchoolNames member_name(ctx, {alliance->members.begin(), alliance->members.end()});
  for (const auto urn : alliance->members) {
    members.push_back(json::object{
        {"school", member_name(urn)},
        {"remove_href", "/admin/alliances/" + std::to_string(id) + "/members/" + std::to_string(urn) + "/remove"}});
  }
  json::object model{{"title", std::string(errors.empty() ? "" : "Error: ") + alliance->name},
                     {"name", alliance->name},
                     {"lead", school_name(ctx, alliance->lead_school_urn)},
                     {"members", members},
                     {"has_members", !members.empty()},
                     {"add_href", "/admin/alliances/" + std::to_string(id) + "/members"},
                     {"form", form_model(kMemberFields, posted, errors)}};
  const std::string done = query_value(ctx.request.query, "done");
  if (done == "created") model["banner"] = alliance->name + " is added";
  if (done == "added") model["banner"] = "The school is now a member";
  if (done == "removed") model["banner"] = "The school is no longer a member";
  return page(ctx, "admin_alliance", std::move(model), status);
}

api::HttpResponse add_member(PageContext& ctx) {
  admins_only(ctx);
  const auto id = id_param(ctx, "id");
  const ReadPayload read = read_payload(kMemberFields, ctx.form);
  if (!read.errors.empty()) return alliance_page(ctx, &ctx.form, read.errors, 400);
  const int urn = static_cast<int>(integer_of(read.payload, "school_urn"));
  const auto alliance = cases::find_alliance(*ctx.app.db, id);
  if (!alliance) throw PageRefusal{404, "Page not found", "There is no such alliance."};
  if (std::find(alliance->members.begin(), alliance->members.end(), urn) != alliance->members.end()) {
    return alliance_page(ctx, &ctx.form, {{"school_urn", "That school is already a member"}}, 422);
  }
  try {
    cases::add_alliance_member(*ctx.app.db, id, urn);
  } catch (const workflow::Refused& e) {
    return alliance_page(ctx, &ctx.form, refused_on(e, kMemberFields), 422);
  }
  audit(ctx, "alliance.member_add", alliance->name, school_name(ctx, urn));
  return redirect(ctx, "/admin/alliances/" + std::to_string(id) + "?done=added");
}

api::HttpResponse remove_member(PageContext& ctx) {
  admins_only(ctx);
  const auto id = id_param(ctx, "id");
  const auto urn = id_param(ctx, "urn");
  const auto alliance = cases::find_alliance(*ctx.app.db, id);
  if (!alliance) throw PageRefusal{404, "Page not found", "There is no such alliance."};
  try {
    cases::remove_alliance_member(*ctx.app.db, id, static_cast<int>(urn));
  } catch (const workflow::Refused& e) {
    throw PageRefusal{409, "The school is not a member", e.what()};
  }
  audit(ctx, "alliance.member_remove", alliance->name, school_name(ctx, static_cast<int>(urn)));
  return redirect(ctx, "/admin/alliances/" + std::to_string(id) + "?done=removed");
}

// --- system leaders ----------------------------------------------------------

api::HttpResponse leaders_page(PageContext& ctx, const Form* posted, const std::vector<FieldError>& errors,
                               int status) {
  json::array rows;
  const auto leaders = cases::system_leaders(*ctx.app.db);
  const SchoolNames home_name(ctx, leaders, &cases::SystemLeader::home_school_urn);
  for (const auto& l : leaders) {
    std::string designations;
    for (const auto& d : l.designations) designations += (designations.empty() ? "" : "; ") + d.label();
    rows.push_back(json::object{{"name", l.name},
                                {"email", l.email},
                                {"href", "/admin/system-leaders/" + std::to_string(l.id)},
                                {"home", home_name(l.home_school_urn)},
                                {"designations", designations.empty() ? std::string("None yet") : designations}});
  }
  return register_page(ctx, "admin_leaders", "System leaders", std::move(rows), kLeaderFields, posted, errors, status);
}

api::HttpResponse add_leader(PageContext& ctx) {
  admins_only(ctx);
  const ReadPayload read = read_payload(kLeaderFields, ctx.form);
  if (!read.errors.empty()) return leaders_page(ctx, &ctx.form, read.errors, 400);
  const std::string email = text_of(read.payload, "email");
  if (email.find('@') == std::string::npos || email.front() == '@' || email.back() == '@') {
    return leaders_page(ctx, &ctx.form, {{"email", "Enter an email address, like name@school.example"}}, 400);
  }
  std::optional<std::int64_t> alliance;
  if (read.payload.contains("alliance_id")) {
    alliance = integer_of(read.payload, "alliance_id");
    if (!cases::find_alliance(*ctx.app.db, *alliance)) {
      return leaders_page(ctx, &ctx.form, {{"alliance_id", "There is no alliance " + std::to_string(*alliance)}}, 422);
    }
  }
  std::int64_t id = 0;
  try {
    id = cases::create_system_leader(*ctx.app.db, text_of(read.payload, "leader_name"), email,
                                     static_cast<int>(integer_of(read.payload, "home_school_urn")), alliance);
  } catch (const workflow::Refused& e) {
    auto errors = refused_on(e, kLeaderFields);
    if (std::string(e.what()).find("school") != std::string::npos) errors.front().field = "home_school_urn";
    return leaders_page(ctx, &ctx.form, errors, 422);
  }
  audit(ctx, "leader.add", text_of(read.payload, "leader_name") + " (" + email + ")",
        "home school " + school_name(ctx, static_cast<int>(integer_of(read.payload, "home_school_urn"))));
  return redirect(ctx, "/admin/system-leaders/" + std::to_string(id) + "?done=created");
}

// The capacity form's academic years: this one and the next.
struct CapacityFields {
  std::string years;
  std::vector<FieldSpec> fields;
  explicit CapacityFields(const std::string& current) {
    const int first = std::stoi(current.substr(0, 4)) + 1;
    const int second = (first + 1) % 100;
    years = current + "," + std::to_string(first) + "/" + (second < 10 ? "0" : "") + std::to_string(second);
    fields = {{"academic_year", FieldType::string, true, years, ""},
              {"days_offered", FieldType::number, true, {}, "whole or half days, for example 20 or 12.5", 0, 365}};
  }
};

api::HttpResponse leader_page(PageContext& ctx, const std::string& posted_form, const Form* posted,
                              const std::vector<FieldError>& errors, int status) {
  const auto id = id_param(ctx, "id");
  const auto leader = cases::find_system_leader(*ctx.app.db, id);
  if (!leader) throw PageRefusal{404, "Page not found", "There is no such system leader."};
  const std::string base = "/admin/system-leaders/" + std::to_string(id);
  json::array designations;
  for (const auto& d : leader->designations) {
    const std::string end_id = "end-" + std::to_string(d.id);
    designations.push_back(json::object{
        {"label", d.label()},
        {"from", long_date(d.active_from)},
        {"to", d.active_to.empty() ? std::string("No end date") : long_date(d.active_to)},
        {"by_review", d.ended_by_case_id.has_value()},
        {"end_href", base + "/designations/" + std::to_string(d.id) + "/end"},
        {"open", posted_form == end_id},
        {"end_form", with_id_suffix(form_model(kEndFields, posted_form == end_id ? posted : nullptr,
                                               posted_form == end_id ? errors : std::vector<FieldError>{}),
                                    "-" + std::to_string(d.id))}});
  }
  const std::string current = cases::academic_year_of(ctx.app.engine->today());
  const CapacityFields capacity(current);
  json::array years;
  for (const auto year : workflow::split_list(capacity.years)) {
    const auto days = cases::capacity(*ctx.app.db, id, year);
    years.push_back(json::object{{"year", std::string(year)},
                                 {"offered", workflow::number_text(days.offered)},
                                 {"reserved", workflow::number_text(days.reserved)},
                                 {"consumed", workflow::number_text(days.consumed)},
                                 {"free", workflow::number_text(days.unreserved())}});
  }
  json::object model{
      {"title", std::string(errors.empty() ? "" : "Error: ") + leader->name},
      {"name", leader->name},
      {"email", leader->email},
      {"home", school_name(ctx, leader->home_school_urn)},
      {"designations", designations},
      {"has_designations", !designations.empty()},
      {"years", years},
      {"designation_href", base + "/designations"},
      {"capacity_href", base + "/capacity"},
      {"directory_href", "/system-leaders/" + std::to_string(id)},
      {"designation_form", form_model(kDesignationFields, posted_form == "designation" ? posted : nullptr,
                                      posted_form == "designation" ? errors : std::vector<FieldError>{})},
      {"capacity_form", form_model(capacity.fields, posted_form == "capacity" ? posted : nullptr,
                                   posted_form == "capacity" ? errors : std::vector<FieldError>{})}};
  const std::string done = query_value(ctx.request.query, "done");
  if (done == "created") model["banner"] = leader->name + " is added";
  if (done == "designation") model["banner"] = "The designation is added";
  if (done == "ended") model["banner"] = "The designation's end date is changed";
  if (done == "capacity") model["banner"] = "The days offered are changed";
  return page(ctx, "admin_leader", std::move(model), status);
}

api::HttpResponse show_leader(PageContext& ctx) {
  admins_only(ctx);
  return leader_page(ctx, "", nullptr, {}, 200);
}

std::optional<std::chrono::year_month_day> date_of(const json::object& payload, std::string_view name) {
  const std::string text = text_of(payload, name);
  return text.empty() ? std::nullopt : workflow::parse_date(text);
}

api::HttpResponse add_designation(PageContext& ctx) {
  admins_only(ctx);
  const auto id = id_param(ctx, "id");
  const ReadPayload read = read_payload(kDesignationFields, ctx.form);
  if (!read.errors.empty()) return leader_page(ctx, "designation", &ctx.form, read.errors, 400);
  try {
    (void)cases::add_designation(*ctx.app.db, id, text_of(read.payload, "designation"),
                                 text_of(read.payload, "specialisms"), *date_of(read.payload, "active_from"),
                                 date_of(read.payload, "active_to"));
  } catch (const workflow::Refused& e) {
    auto errors = refused_on(e, kDesignationFields);
    if (std::string(e.what()).find("end before") != std::string::npos) errors.front().field = "active_to";
    return leader_page(ctx, "designation", &ctx.form, errors, 422);
  }
  {
    const auto leader = cases::find_system_leader(*ctx.app.db, id);
    const auto to = date_of(read.payload, "active_to");
    audit(ctx, "designation.add", leader ? leader->name : "system leader " + std::to_string(id),
          text_of(read.payload, "designation") +
              (text_of(read.payload, "specialisms").empty() ? "" : " (" + text_of(read.payload, "specialisms") + ")") +
              " from " + long_date(*date_of(read.payload, "active_from")) + (to ? " to " + long_date(*to) : ""));
  }
  return redirect(ctx, "/admin/system-leaders/" + std::to_string(id) + "?done=designation");
}

api::HttpResponse end_designation(PageContext& ctx) {
  admins_only(ctx);
  const auto id = id_param(ctx, "id");
  const auto designation = id_param(ctx, "designation");
  const auto leader = cases::find_system_leader(*ctx.app.db, id);
  if (!leader || std::none_of(leader->designations.begin(), leader->designations.end(),
                              [&](const cases::Designation& d) { return d.id == designation; })) {
    throw PageRefusal{404, "Page not found", "There is no such designation."};
  }
  const std::string form = "end-" + std::to_string(designation);
  const ReadPayload read = read_payload(kEndFields, ctx.form);
  if (!read.errors.empty()) return leader_page(ctx, form, &ctx.form, read.errors, 400);
  try {
    cases::set_designation_end(*ctx.app.db, designation, date_of(read.payload, "last_day"));
  } catch (const workflow::Refused& e) {
    return leader_page(ctx, form, &ctx.form, refused_on(e, kEndFields), 422);
  }
  {
    const auto last = date_of(read.payload, "last_day");
    std::string label = "designation " + std::to_string(designation);
    for (const auto& d : leader->designations) {
      if (d.id == designation) label = d.label();
    }
    audit(ctx, "designation.end", leader->name, label + (last ? ": last day " + long_date(*last) : ": no end date"));
  }
  return redirect(ctx, "/admin/system-leaders/" + std::to_string(id) + "?done=ended");
}

api::HttpResponse set_capacity(PageContext& ctx) {
  admins_only(ctx);
  const auto id = id_param(ctx, "id");
  if (!cases::find_system_leader(*ctx.app.db, id)) {
    throw PageRefusal{404, "Page not found", "There is no such system leader."};
  }
  const CapacityFields capacity(cases::academic_year_of(ctx.app.engine->today()));
  const ReadPayload read = read_payload(capacity.fields, ctx.form);
  if (!read.errors.empty()) return leader_page(ctx, "capacity", &ctx.form, read.errors, 400);
  try {
    cases::set_capacity(*ctx.app.db, id, text_of(read.payload, "academic_year"),
                        read.payload.at("days_offered").to_number<double>());
  } catch (const workflow::Refused& e) {
    auto errors = refused_on(e, capacity.fields);
    errors.front().field = "days_offered";
    return leader_page(ctx, "capacity", &ctx.form, errors, 422);
  }
  audit(ctx, "capacity.set", cases::find_system_leader(*ctx.app.db, id)->name,
        workflow::number_text(read.payload.at("days_offered").to_number<double>()) + " days in " +
            text_of(read.payload, "academic_year"));
  return redirect(ctx, "/admin/system-leaders/" + std::to_string(id) + "?done=capacity");
}

api::HttpResponse show_alliances(PageContext& ctx) {
  admins_only(ctx);
  return alliances_page(ctx, nullptr, {}, 200);
}

api::HttpResponse show_alliance(PageContext& ctx) {
  admins_only(ctx);
  return alliance_page(ctx, nullptr, {}, 200);
}

api::HttpResponse show_leaders(PageContext& ctx) {
  admins_only(ctx);
  return leaders_page(ctx, nullptr, {}, 200);
}

}  // namespace provider_admin_pages

}  // namespace s2s::web
