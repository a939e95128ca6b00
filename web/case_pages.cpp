// The pages of cases (docs/web.md): the home page of what needs the person's
// action, the case list, a case's page, and the form of each action. What a
// person sees and may do comes from the same domain functions as the API:
// cases::find_visible_case for scope, cases::actions_for for the role.
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include "cases/case_list.h"
#include "cases/deadline_list.h"
#include "cases/deployments.h"
#include "cases/matching.h"
#include "cases/providers.h"
#include "cases/schools.h"
#include "cases/users.h"
#include "web/forms.h"
#include "web/page.h"
#include "web/template_data.h"
#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/kept_history.h"
#include "workflow/text.h"

namespace s2s::web {
namespace case_pages {

namespace json = boost::json;
using workflow::Case;

bool open_phase(std::string_view phase) {
  return phase != "closed" && phase != "declined" && phase != "withdrawn";
}

std::string kind_title(std::string_view kind) { return words(kind); }

// A declared summary as a sentence: "The lead proposes ...".
std::string sentence(std::string_view summary) {
  std::string out(summary);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

std::string case_path(std::string_view reference) { return "/cases/" + std::string(reference); }

// GOV.UK tag colours by phase: people read the colour and the words.
std::string phase_tag_class(std::string_view phase) {
  if (phase == "referral") return "govuk-tag--light-blue";
  if (phase == "matching") return "govuk-tag--purple";
  if (phase == "deployment") return "govuk-tag--green";
  if (phase == "evaluation") return "govuk-tag--turquoise";
  if (phase == "closed") return "govuk-tag--grey";
  return "govuk-tag--orange";
}

// "3 working days left", "due today", "2 working days late".
std::string days_text(const std::optional<int>& left, const std::optional<int>& late) {
  if (late) return *late == 1 ? "1 working day late" : std::to_string(*late) + " working days late";
  if (!left) return {};
  if (*left == 0) return "due today";
  return *left == 1 ? "1 working day left" : std::to_string(*left) + " working days left";
}

// The actors of a case's history as people read them: each person's name,
// or s2s itself. The people are read in one statement.
class Names {
 public:
  Names(workflow::Database& db, const std::vector<workflow::HistoryEntry>& history) {
    std::set<std::string> actors;
    for (const auto& h : history) actors.insert(h.actor);
    for (auto& [actor, user] : cases::users_of_actors(db, actors)) names_.emplace(actor, std::move(user.name));
  }
  // The names a case's view read with its history (CaseView::user_names).
  explicit Names(std::map<std::string, std::string> names) : names_(std::move(names)) {}
  std::string of(const std::string& actor) const {
    if (const auto found = names_.find(actor); found != names_.end()) return found->second;
    return actor.starts_with("user:") ? "A former user" : "s2s (automatically)";
  }

 private:
  std::map<std::string, std::string> names_;  // by actor
};

Case visible_case_or_404(PageContext& ctx) {
  auto found = cases::find_visible_case(*ctx.app.engine, ctx.actor, ctx.param("reference"));
  if (!found) throw PageRefusal{404, "Page not found", "There is no such case, or it is not yours to see."};
  return std::move(*found);
}

// The same with its school, supporter, deadlines and history, as the page's
// access (Access::case_page) read them with the session, in one statement.
cases::CaseView visible_case_view_or_404(PageContext& ctx) {
  if (!ctx.case_view) throw PageRefusal{404, "Page not found", "There is no such case, or it is not yours to see."};
  return std::move(*ctx.case_view);
}

// The deadline's computation in words: from when, how many working days, and
// which days were skipped and why.
std::string computation_text(const workflow::DeadlineComputation& c) {
  std::string out = std::to_string(c.working_days) + (c.working_days == 1 ? " working day" : " working days") +
                    " from " + long_date(c.start);
  int weekends = 0;
  std::vector<std::string> named;
  for (const auto& day : c.skipped) {
    if (day.reason == workflow::SkipReason::weekend) {
      ++weekends;
    } else {
      named.push_back(long_date(day.date) + " (" + day.name + ")");
    }
  }
  if (weekends == 0 && named.empty()) return out + ", with no days skipped.";
  out += ", skipping";
  if (weekends > 0) out += " " + std::to_string(weekends) + (weekends == 1 ? " weekend day" : " weekend days");
  if (!named.empty()) {
    out += weekends > 0 ? " and " : " ";
    for (std::size_t i = 0; i < named.size(); ++i) {
      out += (i == 0 ? "" : i + 1 == named.size() ? " and " : ", ") + named[i];
    }
  }
  return out + ".";
}

// Withdrawing is open on most cases all the time: it is not something waiting
// for the person, so it does not put a case on their home page.
bool waiting_action(const workflow::EventInfo* info) { return !info->name.starts_with("withdraw"); }

json::array action_links(std::string_view reference, const std::vector<const workflow::EventInfo*>& actions) {
  json::array out;
  for (const auto* info : actions) {
    out.push_back(json::object{{"href", case_path(reference) + "/events/" + std::string(info->name)},
                               {"event", std::string(info->name)},
                               {"text", words(info->name)},
                               {"summary", sentence(info->summary)},
                               {"waiting", waiting_action(info)}});
  }
  return out;
}

// ---------------------------------------------------------------- home

api::HttpResponse home(PageContext& ctx) {
  const std::string& role = ctx.user().role;
  // Open cases in scope where the person has something to do now.
  cases::CaseFilter filter;
  filter.limit = 100;
  const auto listed = cases::list_cases(*ctx.app.db, ctx.actor, filter);
  json::array todo;
  for (const auto& item : listed.items) {
    if (!open_phase(item.phase)) continue;
    // The listed kind and state say what the person may do: no case is loaded.
    auto actions = cases::actions_for(ctx.app.engine->kinds(), item.kind, item.state, role);
    std::erase_if(actions, [](const auto* info) { return !waiting_action(info); });
    if (actions.empty()) continue;
    todo.push_back(json::object{{"reference", item.reference},
                                {"href", case_path(item.reference)},
                                {"school", item.school_name.value_or("URN " + std::to_string(item.school_urn))},
                                {"kind", kind_title(item.kind)},
                                {"state", words(item.state)},
                                {"overdue", item.overdue},
                                {"actions", action_links(item.reference, actions)}});
  }
  // Deadlines in scope, soonest first, with the working days left.
  cases::DeadlineFilter deadline_filter;
  deadline_filter.limit = 20;
  const auto deadlines = cases::list_deadlines(*ctx.app.db, ctx.app.engine->kinds(), ctx.app.engine->calendar(),
                                               ctx.actor, ctx.app.engine->today(), deadline_filter);
  json::array due;
  for (const auto& d : deadlines.items) {
    const bool mine = d.owner.role == role;
    due.push_back(json::object{{"reference", d.reference},
                               {"href", case_path(d.reference)},
                               {"school", d.school_name},
                               {"what", workflow::purpose_title(d.purpose)},
                               {"due_on", long_date(d.due_on)},
                               {"days", days_text(d.working_days_left, d.working_days_late)},
                               {"overdue", d.status == "overdue"},
                               {"whose", mine ? std::string("Yours")
                                              : words(d.owner.role) + (d.owner.name.empty() ? "" : ": " + d.owner.name)}});
  }
  json::object model{{"title", "Your cases"},
                           {"todo", todo},
                           {"has_todo", !todo.empty()},
                           {"deadlines", due},
                           {"has_deadlines", !due.empty()},
                     {"can_refer", role == "school" || role == "la_officer" || role == "lead" || role == "admin"},
                     {"is_school", role == "school"}};
  // A system leader's days this academic year: offered, reserved by accepted deployments, and logged.
  if (role == "system_leader") {
    const auto& scope = ctx.user().scope_value;
    std::int64_t id = 0;
    if (std::from_chars(scope.data(), scope.data() + scope.size(), id).ec == std::errc()) {
      const std::string year = cases::academic_year_of(ctx.app.engine->today());
      const auto days = cases::capacity(*ctx.app.db, id, year);
      model["capacity"] = json::object{{"year", year},
                                       {"offered", workflow::number_text(days.offered)},
                                       {"reserved", workflow::number_text(days.reserved)},
                                       {"used", workflow::number_text(days.consumed)},
                                       {"free", workflow::number_text(days.unreserved())}};
    }
  }
  return page(ctx, "home", std::move(model));
}

// ---------------------------------------------------------------- list

// The list's filters from the query string, each kept only when it is a
// value that can match (an unknown kind or mini region is simply no filter).
struct ListQuery {
  cases::CaseFilter filter;
  std::string kind, state, phase, text, urn, mini_region, la;
  bool overdue = false;
  [[nodiscard]] std::string query_string() const {
    std::string out = "kind=" + url_encode(kind) + "&state=" + url_encode(state) + "&phase=" + url_encode(phase) +
                      "&text=" + url_encode(text) + "&urn=" + url_encode(urn) + "&mini_region=" +
                      url_encode(mini_region) + "&la=" + url_encode(la);
    return overdue ? out + "&overdue=yes" : out;
  }
};

bool digits(std::string_view s, std::size_t most) {
  return !s.empty() && s.size() <= most && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

ListQuery read_list_query(PageContext& ctx, const std::vector<std::string>& regions) {
  ListQuery q;
  const std::string_view query = ctx.request.query;
  q.kind = query_value(query, "kind");
  q.state = query_value(query, "state");
  q.phase = query_value(query, "phase");
  q.text = query_value(query, "text").substr(0, 200);
  q.urn = query_value(query, "urn");
  q.mini_region = query_value(query, "mini_region");
  q.la = query_value(query, "la");
  q.overdue = query_value(query, "overdue") == "yes";
  if (!q.kind.empty() && ctx.app.engine->kinds().find(q.kind) != nullptr) q.filter.kind = q.kind;
  if (!q.phase.empty() && workflow::phase_from_string(q.phase)) q.filter.phase = q.phase;
  if (!q.state.empty() && q.state.size() <= 64) q.filter.state = q.state;
  if (!q.text.empty()) q.filter.text = q.text;
  if (digits(q.urn, 8)) q.filter.school_urn = std::stoll(q.urn);
  if (std::find(regions.begin(), regions.end(), q.mini_region) != regions.end()) q.filter.mini_region = q.mini_region;
  if (digits(q.la, 4)) q.filter.la = std::stoll(q.la);
  if (q.overdue) q.filter.overdue = true;
  return q;
}

api::HttpResponse case_list(PageContext& ctx) {
  const auto regions = cases::mini_region_names(*ctx.app.db);
  ListQuery q = read_list_query(ctx, regions);
  q.filter.limit = 50;
  const std::string after = query_value(ctx.request.query, "after");
  if (digits(after, 18)) q.filter.after = std::stoll(after);
  const auto found = cases::list_cases(*ctx.app.db, ctx.actor, q.filter);
  json::array rows;
  for (const auto& c : found.items) {
    rows.push_back(json::object{{"reference", c.reference},
                                {"href", case_path(c.reference)},
                                {"school", c.school_name.value_or("URN " + std::to_string(c.school_urn))},
                                {"kind", kind_title(c.kind)},
                                {"state", words(c.state)},
                                {"phase", words(c.phase)},
                                {"tag", phase_tag_class(c.phase)},
                                {"opened_on", long_date(c.opened_on)},
                                {"overdue", c.overdue}});
  }
  json::array kinds{json::object{{"value", ""}, {"label", "All kinds"}, {"selected", q.kind.empty()}}};
  json::array states{json::object{{"value", ""}, {"label", "All states"}, {"selected", q.state.empty()}}};
  std::vector<std::string_view> seen;
  for (const auto* k : ctx.app.engine->kinds().all()) {
    kinds.push_back(json::object{
        {"value", std::string(k->name())}, {"label", kind_title(k->name())}, {"selected", k->name() == q.kind}});
    if (!q.kind.empty() && k->name() != q.kind) continue;
    for (const auto& st : k->states()) {
      if (std::find(seen.begin(), seen.end(), st.name) != seen.end()) continue;
      seen.push_back(st.name);
      states.push_back(json::object{{"value", std::string(st.name)}, {"label", words(st.name)}, {"selected", st.name == q.state}});
    }
  }
  json::array phases{json::object{{"value", ""}, {"label", "All phases"}, {"selected", q.phase.empty()}}};
  for (const std::string_view p : {"referral", "matching", "deployment", "evaluation", "closed", "declined",
                                   "withdrawn"}) {
    phases.push_back(json::object{{"value", p}, {"label", words(p)}, {"selected", p == q.phase}});
  }
  json::array region_options{json::object{{"value", ""}, {"label", "All mini regions"}, {"selected", q.mini_region.empty()}}};
  for (const auto& r : regions) {
    region_options.push_back(json::object{{"value", r}, {"label", r}, {"selected", r == q.mini_region}});
  }
  std::string next;
  if (found.more && !found.items.empty()) {
    next = "/cases?" + q.query_string() + "&after=" + std::to_string(found.items.back().id);
  }
  return page(ctx, "cases",
              json::object{{"title", "Cases"},
                           {"rows", rows},
                           {"has_rows", !rows.empty()},
                           {"kinds", kinds},
                           {"states", states},
                           {"phases", phases},
                           {"regions", region_options},
                           {"text", q.text},
                           {"urn", q.urn},
                           {"la", q.la},
                           {"overdue", q.overdue},
                           {"csv", "/cases.csv?" + q.query_string()},
                           {"next", next}});
}

// The same list as a CSV download: every matching case, not one page.
api::HttpResponse case_list_csv(PageContext& ctx) {
  const ListQuery q = read_list_query(ctx, cases::mini_region_names(*ctx.app.db));
  api::HttpResponse response;
  response.content_type = "text/csv; charset=utf-8";
  response.body = cases::case_list_csv(*ctx.app.db, ctx.actor, q.filter);
  add_security_headers(response);
  response.headers.emplace_back("Content-Disposition", "attachment; filename=\"cases.csv\"");
  return response;
}

// ---------------------------------------------------------------- a case

// A case's page is built as the template library's data directly, not as a
// JSON model converted (web/page.h, TemplateData): it is the page people open
// most, and its history makes it the largest. The library's rules, as the
// conversion applies them: an empty text is false; so is what is absent.
using Data = kainjow::mustache::data;

Data text(const std::string& value) { return template_text(value); }
Data text(std::string&& value) { return template_text(std::move(value)); }

// A list item made in place and moved in.
void push(Data& list, Data item) { items_of(list).push_back(std::move(item)); }

void put(Data& /*object*/) {}
template <class... Rest>
void put(Data& object, const char* key, Data value, Rest&&... rest) {
  object[key] = std::move(value);
  put(object, std::forward<Rest>(rest)...);
}

// An object of these members: pairs("key", text(...), "value", text(...)).
template <class... Members>
Data pairs(Members&&... members) {
  Data out{Data::type::object};
  put(out, std::forward<Members>(members)...);
  return out;
}

// One entry of a case's timeline as web/templates/timeline_entry.mustache
// shows it (its payload already redacted for the person).
std::string timeline_entry_html(const workflow::HistoryEntry& entry, const workflow::CaseKind* kind,
                                const Names& names) {
  Data fields{Data::type::list};
  bool any_fields = false;
  for (const auto& [key, value] : entry.payload) {
    if (key.ends_with("_id")) continue;  // who was proposed is in the details, by name
    const std::string shown = value_text(value);
    if (shown.empty()) continue;
    push(fields, pairs("key", text(words(std::string(key))), "value", text(shown)));
    any_fields = true;
  }
  const workflow::EventInfo* info = kind != nullptr ? kind->find_event(entry.event) : nullptr;
  Data data =
      pairs("what", text(entry.from_state ? words(entry.event) : std::string("Case opened")), "summary",
            text(info != nullptr ? sentence(info->summary) : std::string()), "who", text(names.of(entry.actor)), "on",
            text(long_date(entry.occurred_on)), "has_fields", Data(any_fields), "fields", std::move(fields));
  return render_part("timeline_entry", data);
}

// The case's timeline, newest first, each entry's payload redacted in place
// for the person. An entry's HTML depends on the entry, its actor's name and
// whether something of it is kept from the person, none of which ever
// changes: it is made once and kept with the case's history
// (workflow/kept_history.h, ShownEntries), in one variant for those who see
// all of it and one for those from whom its note is kept.
std::string timeline_html(PageContext& ctx, const Case& c, std::vector<workflow::HistoryEntry>& history,
                          const Names& names) {
  auto& kept_history = ctx.app.engine->kept_history();
  const auto kept = kept_history.shown(c);
  std::shared_ptr<workflow::ShownEntries> more;  // what was made now, with what was kept
  const auto* kind = ctx.app.engine->kinds().find(c.kind);
  std::vector<const std::string*> parts;  // each entry's, newest first; then joined in one string
  parts.reserve(history.size());
  std::size_t size = 0;
  for (auto it = history.rbegin(); it != history.rend(); ++it) {
    const std::size_t members = it->payload.size();
    cases::redact_history_payload(ctx.actor, it->event, it->payload);
    const std::size_t variant = it->payload.size() == members ? 0 : 1;  // redaction only removes
    const std::string* text = kept ? kept->text(it->sequence, variant) : nullptr;
    if (text == nullptr) {
      if (!more) {
        more = kept ? std::make_shared<workflow::ShownEntries>(*kept) : std::make_shared<workflow::ShownEntries>();
      }
      more->set(it->sequence, variant, timeline_entry_html(*it, kind, names));
      text = more->text(it->sequence, variant);
    }
    parts.push_back(text);
    size += text->size();
  }
  std::string out;
  out.reserve(size);
  for (const std::string* part : parts) out += *part;
  if (more && kept_history.keeps_any()) kept_history.keep_shown(c, std::move(more));
  return out;
}

// The case as visible_case_view_or_404 read it (its history redacted in place);
// `title` is set to the page's title.
Data case_data(PageContext& ctx, cases::CaseView& view, std::string& title) {
  const Case& c = view.c;
  const auto& school = view.school;
  const std::string& role = ctx.user().role;
  const std::string phase(workflow::to_string(c.phase));
  Data model{Data::type::object};
  title = c.reference + ": " + kind_title(c.kind);
  model["reference"] = text(c.reference);
  model["href"] = text(case_path(c.reference));
  model["kind"] = text(kind_title(c.kind));
  model["state"] = text(c.state == phase ? std::string() : words(c.state));
  model["phase"] = text(words(phase));
  model["tag"] = text(phase_tag_class(phase));
  model["opened_on"] = text(long_date(c.opened_on));
  model["overdue"] = Data(c.overdue);
  if (school) {
    model["school"] = text(school->name);
    model["school_href"] = text("/schools/" + std::to_string(school->urn));
    model["school_details"] = text("URN " + std::to_string(school->urn) + ", " + school->phase +
                                   (school->la_name.empty() ? "" : ", " + school->la_name));
    title = c.reference + ": " + school->name;
  } else {
    model["school"] = text("URN " + std::to_string(c.school_urn));
  }
  if (const auto& s = view.supporter) {
    model["supporter"] =
        pairs("name", text(s->name), "designation", text(s->designation), "home_school", text(s->home_school_name),
              "email", text(s->email), "ended", Data(s->status != "active"));
  }
  // What people told s2s about the case (the fields its opening and its
  // events ask for), as the person may see them; the engine's own bookkeeping
  // and the days (in their table below) are left out. Redacted in place: the
  // view is this page's alone, and what is redacted (notes) shows nowhere else on it.
  json::object& data = view.c.data;
  cases::redact_case_data(ctx.actor, data);
  Data details{Data::type::list};
  const auto* kind_of_case = ctx.app.engine->kinds().find(c.kind);
  const auto asked = [&](std::string_view key) {
    if (key == "rating") return true;
    if (kind_of_case == nullptr || key.ends_with("_id") || key == "date" || key == "days" || key == "activity" ||
        key == "corrects") {
      return false;
    }
    for (const auto& f : kind_of_case->open_fields()) {
      if (f.name == key) return true;
    }
    for (const auto& e : kind_of_case->events()) {
      for (const auto& f : e.fields) {
        if (f.name == key) return true;
      }
    }
    return false;
  };
  for (const auto& [key, value] : data) {
    if (!asked(key)) continue;
    const std::string shown = value_text(value);
    if (shown.empty()) continue;
    push(details, pairs("key", text(words(std::string(key))), "value", text(shown)));
  }
  model["details"] = std::move(details);

  // Days logged, each with the number a correction names, as the case
  // records them (cases/kind_support.h): no read beyond the case's own.
  Data days{Data::type::list};
  double in_force = 0;
  bool any_days = false;
  for (const auto& d : cases::recorded_days(c)) {
    if (!d.corrected_by) in_force += d.days;
    any_days = true;
    push(days, pairs("entry", text(std::to_string(d.entry)), "day", text(long_date(d.day)), "days",
                     text(workflow::number_text(d.days)), "activity", text(d.activity), "corrected",
                     Data(d.corrected_by.has_value()), "corrected_by",
                     d.corrected_by ? text(std::to_string(*d.corrected_by)) : Data(false), "corrects",
                     d.corrects ? text(std::to_string(*d.corrects)) : Data(false)));
  }
  model["has_days"] = Data(any_days);
  model["days"] = std::move(days);
  model["days_in_force"] = text(workflow::number_text(in_force));

  // Deadlines, with their computation in words.
  const auto calendar = ctx.app.engine->calendar();
  const auto today = ctx.app.engine->today();
  Data deadlines{Data::type::list};
  for (const auto& d : view.deadlines) {
    std::optional<int> left;
    std::optional<int> late;
    const bool unsettled = d.status == "open" || d.status == "overdue";
    if (unsettled) {
      if (std::chrono::sys_days(d.due_on) >= std::chrono::sys_days(today)) {
        left = calendar.working_days_between(today, d.due_on);
      } else {
        late = calendar.working_days_between(d.due_on, today);
      }
    }
    push(deadlines,
         pairs("what", text(workflow::purpose_title(d.purpose)), "due_on", text(long_date(d.due_on)), "status",
               text(words(d.status)), "overdue", Data(d.status == "overdue"), "unsettled", Data(unsettled), "days",
               text(days_text(left, late)), "computation", text(computation_text(d.computation))));
  }
  model["has_deadlines"] = Data(!view.deadlines.empty());
  model["deadlines"] = std::move(deadlines);

  // The timeline, newest first.
  auto& history = view.history.value();  // read with it, and its users' names
  const Names names(std::move(view.user_names));
  model["timeline"] = text(timeline_html(ctx, c, history, names));

  Data actions{Data::type::list};
  bool any_actions = false;
  for (const auto* info : cases::actions_for(*ctx.app.engine, c, role)) {
    push(actions, pairs("href", text(case_path(c.reference) + "/events/" + std::string(info->name)), "event",
                        text(std::string(info->name)), "text", text(words(info->name)), "summary",
                        text(sentence(info->summary)), "waiting", Data(waiting_action(info))));
    any_actions = true;
  }
  model["actions"] = std::move(actions);
  model["has_actions"] = Data(any_actions);
  return model;
}

api::HttpResponse case_page(PageContext& ctx) {
  auto view = visible_case_view_or_404(ctx);
  const Case& c = view.c;
  std::string title;
  Data model = case_data(ctx, view, title);
  const std::string done = query_value(ctx.request.query, "done");
  if (!done.empty()) {
    const auto* kind = ctx.app.engine->kinds().find(c.kind);
    const auto* info = kind != nullptr ? kind->find_event(done) : nullptr;
    if (info != nullptr) model["done"] = text(words(info->name) + ": done");
    if (done == "opened") model["done"] = text("Your request has been sent");
  }
  return page(ctx, "case", std::move(model), title);
}

// ---------------------------------------------------------------- actions

// The system leaders a proposal may name, best first, each score explained,
// and those excluded with the reasons.
void add_matches(PageContext& ctx, const Case& c, json::object& model, const Form* posted) {
  const auto* kind = ctx.app.engine->kinds().find(c.kind);
  if (kind == nullptr) return;
  const auto request = cases::match_request_for(*kind, c, ctx.app.engine->today());
  const auto result = cases::match_providers(*ctx.app.db, request);
  const std::string chosen = posted != nullptr ? posted->text("provider_id") : std::string();
  json::array ranked;
  for (const auto& r : result.ranked) {
    json::array criteria;
    for (const auto& cr : r.criteria) {
      criteria.push_back(json::object{{"name", words(cr.name)},
                                      {"points", workflow::number_text(std::round(cr.points * 10) / 10)},
                                      {"weight", workflow::number_text(cr.weight)},
                                      {"reason", cr.reason}});
    }
    const std::string id = std::to_string(r.system_leader_id);
    ranked.push_back(json::object{
        {"value", id},
        {"id", "f-provider_id-" + id},
        {"name", r.name},
        {"designation", r.designation},
        {"home_school", r.home_school_name},
        {"score", workflow::number_text(std::round(r.score))},
        {"days", workflow::number_text(r.unreserved_days)},
        {"criteria", criteria},
        {"checked", chosen == id}});
  }
  if (!ranked.empty() && chosen.empty()) ranked[0].as_object()["checked"] = false;
  json::array excluded;
  for (const auto& e : result.excluded) {
    std::string why;
    for (const auto& r : e.reasons) why += (why.empty() ? "" : "; ") + r.reason;
    excluded.push_back(json::object{{"name", e.name}, {"why", why}});
  }
  model["matches"] = ranked;
  model["has_matches"] = !ranked.empty();
  model["excluded"] = excluded;
  model["has_excluded"] = !excluded.empty();
  model["academic_year"] = result.academic_year;
}

const workflow::EventInfo* action_or_404(PageContext& ctx, const Case& c) {
  const std::string& event = ctx.param("event");
  for (const auto* info : cases::actions_for(*ctx.app.engine, c, ctx.user().role)) {
    if (info->name == event) return info;
  }
  throw PageRefusal{404, "You cannot do this now",
                    "This action is not open to you on this case now. The case may have moved on: open the case to "
                    "see what you can do."};
}

api::HttpResponse action_form(PageContext& ctx, const Case& c, const workflow::EventInfo& info, const Form* posted,
                              const std::vector<FieldError>& errors, json::object extra, int status) {
  json::object model = std::move(extra);
  const bool has_errors = !errors.empty() || model.contains("refusal");
  model["title"] = std::string(has_errors ? "Error: " : "") + words(info.name) + ": " + c.reference;
  model["heading"] = words(info.name);
  model["summary"] = sentence(info.summary);
  model["reference"] = c.reference;
  model["case_href"] = case_path(c.reference);
  model["action"] = case_path(c.reference) + "/events/" + std::string(info.name);
  model["version"] = std::to_string(c.version);
  if (const auto school = cases::find_school(*ctx.app.db, c.school_urn)) model["school"] = school->name;
  // A proposal chooses among the ranked matches instead of typing an id.
  std::vector<workflow::FieldSpec> fields;
  bool proposes = false;
  for (const auto& f : info.fields) {
    if (f.name == "provider_id") {
      proposes = true;
      continue;
    }
    fields.push_back(f);
  }
  if (proposes) {
    add_matches(ctx, c, model, posted);
    for (const auto& e : errors) {
      if (e.field == "provider_id") model["provider_error"] = e.message;
    }
  }
  model["proposes"] = proposes;
  model["fields"] = field_models(fields, posted, errors);
  json::array summary = error_summary(errors);
  if (proposes) {
    for (auto& item : summary) {
      if (item.as_object()["href"] == "#f-provider_id") {
        const auto& matches = model["matches"].as_array();
        item.as_object()["href"] =
            matches.empty() ? std::string("#matches") : "#" + std::string(matches[0].as_object().at("id").as_string());
      }
    }
  }
  model["errors"] = summary;
  model["has_errors"] = has_errors;
  return page(ctx, "action", std::move(model), status);
}

api::HttpResponse show_action(PageContext& ctx) {
  const Case c = visible_case_or_404(ctx);
  const auto* info = action_or_404(ctx, c);
  return action_form(ctx, c, *info, nullptr, {}, {}, 200);
}

// What happened on the case since `version`, for a person whose page was stale.
json::array changes_since(PageContext& ctx, const Case& c, int version) {
  const auto history = ctx.app.engine->history(c.id);
  const Names names(*ctx.app.db, history);
  json::array out;
  for (const auto& h : history) {
    if (h.sequence <= version) continue;
    out.push_back(json::object{{"text", names.of(h.actor) + ": " + words(h.event) + ", " + long_date(h.occurred_on)}});
  }
  return out;
}

api::HttpResponse send_action(PageContext& ctx) {
  Case c = visible_case_or_404(ctx);
  const std::string& event = ctx.param("event");
  const std::string version_text = ctx.form.text("version");
  int version = 0;
  try {
    version = std::stoi(version_text);
  } catch (const std::exception&) {
    throw PageRefusal{400, "The form could not be read", "The form did not say which version of the case it was for."};
  }
  // A page that is out of date: show what changed and ask again, never overwrite.
  if (version != c.version) {
    const auto actions = cases::actions_for(*ctx.app.engine, c, ctx.user().role);
    const auto it = std::find_if(actions.begin(), actions.end(), [&](const auto* i) { return i->name == event; });
    json::object extra{{"stale", true}, {"changes", changes_since(ctx, c, version)}};
    if (it == actions.end()) {
      return page(ctx, "stale",
                  json::object{{"title", "This case has changed"},
                               {"changes", extra["changes"]},
                               {"case_href", case_path(c.reference)},
                               {"reference", c.reference}},
                  409);
    }
    return action_form(ctx, c, **it, &ctx.form, {}, std::move(extra), 409);
  }
  const auto* info = action_or_404(ctx, c);
  ReadPayload read = read_payload(info->fields, ctx.form);
  if (!read.errors.empty()) return action_form(ctx, c, *info, &ctx.form, read.errors, {}, 400);
  try {
    const Case moved =
        ctx.app.engine->apply(c.id, event, read.payload, ctx.actor, ctx.app.engine->today(), c.version);
    ctx.app.metrics.count_event(moved.kind, event);
  } catch (const workflow::EngineError& e) {
    using Code = workflow::EngineError::Code;
    if (e.code() == Code::version_conflict) {
      c = ctx.app.engine->get(c.id);
      json::object extra{{"stale", true}, {"changes", changes_since(ctx, c, version)}};
      return action_form(ctx, c, *info, &ctx.form, {}, std::move(extra), 409);
    }
    if ((e.code() == Code::payload_invalid || e.code() == Code::guard_failed) && !e.field().empty()) {
      std::string field = e.field();
      if (field.starts_with("$.")) field = field.substr(2);
      if (field.starts_with("data.")) field = field.substr(5);
      const auto dot = field.find_first_of(".[");
      if (dot != std::string::npos) field = field.substr(0, dot);
      return action_form(ctx, c, *info, &ctx.form, {FieldError{field, e.reason().empty() ? e.what() : e.reason()}},
                         {}, 422);
    }
    if (e.code() == Code::guard_failed || e.code() == Code::event_not_allowed ||
        e.code() == Code::payload_invalid) {
      json::object extra{{"refusal", e.reason().empty() ? std::string(e.what()) : e.reason()}};
      return action_form(ctx, c, *info, &ctx.form, {}, std::move(extra), 422);
    }
    throw;
  }
  return redirect(ctx, case_path(c.reference) + "?done=" + url_encode(event));
}

}  // namespace case_pages

}  // namespace s2s::web
