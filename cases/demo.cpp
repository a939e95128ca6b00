#include "cases/demo.h"

#include <fmt/format.h>
#include <soci/soci.h>

#include <functional>

#include "cases/gias_import.h"
#include "cases/need.h"
#include "cases/providers.h"
#include "cases/schools.h"
#include "workflow/date.h"
#include "workflow/embedded.h"
#include "workflow/timestamp.h"

namespace s2s::cases {
namespace {

using boost::json::array;
using boost::json::object;

std::string_view demo_schools() {
  for (const auto& file : workflow::embedded::all_files()) {
    if (file.path == "cases/data/demo_schools.csv") return file.content;
  }
  throw std::logic_error("cases/data/demo_schools.csv is not embedded");
}

// Who does what in the demo, as the history will show them.
constexpr const char* kLead = kDemoLead;
constexpr const char* kLaOfficer = kDemoLaOfficer;
constexpr const char* kSchool = "the school";

class Demo {
 public:
  explicit Demo(workflow::Engine& engine) : engine_(engine), today_(engine.today()), calendar_(engine.calendar()) {}

  // `k` working days ago (0: today; k < 0: ahead).
  [[nodiscard]] std::chrono::year_month_day ago(int k) const {
    return k == 0 ? today_ : calendar_.add_working_days(today_, -k);
  }
  [[nodiscard]] std::string date(int k) const { return workflow::format_date(ago(k)); }

  std::int64_t open(const char* kind, std::int32_t urn, object referral, const char* actor, int k) {
    ++cases_;
    return engine_.open_case(kind, urn, referral, actor, ago(k)).id;
  }
  void event(std::int64_t id, const char* name, object payload, const std::string& actor, int k) {
    (void)engine_.apply(id, name, payload, actor, ago(k));
  }
  // One day entry per element: {working days ago, days, activity}.
  void log(std::int64_t id, const char* event_name, const std::string& actor,
           std::initializer_list<std::tuple<int, double, const char*>> days) {
    for (const auto& [k, n, activity] : days) {
      event(id, event_name, {{"date", date(k)}, {"days", n}, {"activity", activity}}, actor, k);
    }
  }
  // A system leader proposed by the lead `proposed` working days ago and
  // accepting, as `leader_actor`, `accepted` days ago; the events by the
  // kind's names (a support request's by default).
  void deploy(std::int64_t id, std::int64_t leader, const std::string& leader_actor, int proposed, int accepted,
              const char* propose = "propose_provider", const char* accepts = "provider_accepts") {
    event(id, propose, {{"provider_id", leader}}, kLead, proposed);
    event(id, accepts, {}, leader_actor, accepted);
  }
  [[nodiscard]] int cases() const { return cases_; }

 private:
  workflow::Engine& engine_;
  std::chrono::year_month_day today_;
  workflow::Calendar calendar_;
  int cases_ = 0;
};

struct Leader {
  const char* name;
  const char* email;
  std::int32_t home;
  const char* designation;
  const char* specialisms;
  double days;
  bool lapsed;  // designation ended before this term
};

constexpr Leader kLeaders[] = {
    {"Helen Barker", "helen.barker@example.org", 112934, "NLE", "leadership, curriculum", 30, false},
    {"Imran Shah", "imran.shah@example.org", 148502, "SLE", "maths, SEND", 20, false},
    {"Grace Okafor", "grace.okafor@example.org", 137220, "LLE", "pupil premium, leadership", 15, false},
    {"Tom Whitfield", "tom.whitfield@example.org", 120588, "NLG", "governance", 10, false},
    {"Priya Nair", "priya.nair@example.org", 144871, "SLE", "early years, English", 12, false},
    {"David Marsh", "david.marsh@example.org", 145966, "NLE", "", 10, true},
    // Leaders whose designations are under review below.
    {"Leah Hart", "leah.hart@example.org", 122951, "SLE", "English", 5, false},
    {"Owen Price", "owen.price@example.org", 146330, "LLE", "leadership", 5, false},
    {"Ruth Ellis", "ruth.ellis@example.org", 137220, "SLE", "science", 5, false},
};

}  // namespace

DemoData load_demo(workflow::Engine& engine) {
  workflow::Database& db = engine.database();
  {
    auto connection = db.acquire();
    long long existing = 0;
    connection.session() << "SELECT count(*) FROM cases", soci::into(existing);
    if (existing != 0) {
      throw workflow::Refused("the database already has " + std::to_string(existing) +
                          " cases: demo data is loaded only into a new database");
    }
  }
  DemoData out;
  Demo demo(engine);
  (void)import_gias(db, demo_schools());
  // What GIAS lacks, as an admin would record it: Ladybrook Fields (graded
  // requires improvement) is in a Category 5/6 area and Hasland Vale meets the
  // SSIF criteria, so both are schools in need (docs/kpis.md).
  {
    SchoolEdit area;
    area.category_5_6 = true;
    (void)edit_school(db, 146330, area, demo.ago(0));
    SchoolEdit ssif;
    ssif.ssif_eligible = true;
    (void)edit_school(db, 148502, ssif, demo.ago(0));
  }
  // A report card (docs/need.md): Saltfleet Marsh's latest inspection, four
  // months ago, found achievement in urgent improvement. It is in need by
  // that alone (its requires improvement of 2023 is older, and it is in no
  // Category 5/6 area), and nobody has reached it yet.
  {
    const auto on = demo.ago(120);
    const std::string day = fmt::format("{:02}/{:02}/{:04}", static_cast<unsigned>(on.day()),
                                        static_cast<unsigned>(on.month()), static_cast<int>(on.year()));
    (void)import_ofsted(db,
                        "URN,Inspection start date,Safeguarding standards,Inclusion,Curriculum and teaching,"
                        "Achievement,Attendance and behaviour,Personal development and wellbeing,Leadership and "
                        "governance\n120588," +
                            day +
                            ",Met,Expected standard,Expected standard,Urgent improvement,Expected standard,Strong "
                            "standard,Needs attention\n",
                        workflow::format_timestamp(engine.now()));
  }

  // The alliance: led by a Derbyshire teaching school, its members across the region.
  out.alliance_id = create_alliance(db, "Peak and Trent Teaching School Alliance", 112934);
  for (const std::int32_t urn : {144871, 148502, 120004, 137220, 120588, 122951, 146330, 145966}) {
    add_alliance_member(db, out.alliance_id, urn);
  }
  const std::string this_year = academic_year_of(demo.ago(0));
  const std::string last_year = academic_year_of(demo.ago(130));
  std::vector<std::int64_t> ids;
  std::vector<std::int64_t> designation_of;  // each leader's designation, by leader
  for (const auto& l : kLeaders) {
    const auto id = create_system_leader(db, l.name, l.email, l.home, out.alliance_id);
    const auto to = l.lapsed ? std::optional(demo.ago(60)) : std::nullopt;
    designation_of.push_back(
        add_designation(db, id, l.designation, l.specialisms, *workflow::parse_date("2019-09-01"), to));
    for (const auto& year : {last_year, this_year}) set_capacity(db, id, year, l.days);
    out.system_leaders.emplace_back(l.name, id);
    ids.push_back(id);
  }
  // Grace is also an accredited pupil premium reviewer.
  (void)add_designation(db, ids[2], "PPR", "", *workflow::parse_date("2021-01-04"), std::nullopt);
  const auto reviewed = [&](std::size_t leader, const char* reason = nullptr) {
    object payload{{"designation_id", designation_of[leader]}};
    if (reason != nullptr) payload["reason"] = reason;
    return payload;
  };
  const auto helen = ids[0], imran = ids[1], grace = ids[2], tom = ids[3], priya = ids[4];
  const auto as = [&](std::int64_t leader) {
    for (const auto& [name, id] : out.system_leaders) {
      if (id == leader) return name + " (system leader)";
    }
    return std::string("system leader");
  };
  const auto terms = [](array focus, double days, const char* funding) {
    return object{{"priority", "medium"},
                  {"focus_areas", std::move(focus)},
                  {"requested_days", days},
                  {"funding_source", funding}};
  };
  const auto plan = [&](const char* objectives, double days, int from, int to) {
    // `to` < 0: that many working days ahead.
    return object{
        {"objectives", objectives}, {"planned_days", days}, {"starts_on", demo.date(from)}, {"ends_on", demo.date(to)}};
  };

  // Support requests, one in each state.
  demo.open("support_request", 146330,
            {{"source", "self"}, {"summary", "Reading in key stage 1 has dipped after staff changes"}}, kSchool, 1);
  demo.open("support_request", 122951,
            {{"source", "local_authority"}, {"summary", "New headteacher asks for support with behaviour systems"}},
            kLaOfficer, 9);  // triage overdue
  {
    const auto id = demo.open("support_request", 120004,
                              {{"source", "self"}, {"summary", "Early years provision judged weak at the last visit"}},
                              kSchool, 16);
    demo.event(id, "accept_referral", terms({"early years", "leadership"}, 4, "RDG"), kLead, 14);  // matching overdue
  }
  {
    const auto id =
        demo.open("support_request", 145966, {{"source", "lead"}, {"summary", "Maths results below floor"}}, kLead, 10);
    demo.event(id, "accept_referral", terms({"maths"}, 6, "SSIF"), kLead, 8);
    demo.event(id, "propose_provider", {{"provider_id", imran}, {"note", "SLE maths, secondary and primary"}}, kLead,
               2);
  }
  {
    const auto id =
        demo.open("support_request", 144871,
                  {{"source", "self"}, {"summary", "Governing board wants an external review"}}, kSchool, 20);
    demo.event(id, "accept_referral", terms({"governance"}, 3, "TSF"), kLead, 18);
    demo.deploy(id, tom, as(tom), 15, 13);  // planning overdue
  }
  {
    const auto id =
        demo.open("support_request", 146330,
                  {{"source", "ofsted"}, {"summary", "Maths and SEND provision require improvement"}}, kLead, 40);
    demo.event(id, "accept_referral", terms({"maths", "SEND"}, 8, "SSIF"), kLead, 38);
    demo.deploy(id, imran, as(imran), 35, 33);
    demo.event(id, "agree_plan", plan("Raise attainment in key stage 2 maths; review SEND support plans", 8, 30, -30),
               kLead, 30);
    demo.log(id, "log_days", as(imran),
             {{28, 1, "Maths lesson observations with the subject lead"},
              {24, 0.5, "Feedback and action planning"},
              {20, 1, "Co-planning the fractions unit"},
              {15, 1, "SEND support plan review with the SENCo"}});
    demo.event(
        id, "log_days",
        {{"date", demo.date(15)}, {"days", 0.5}, {"activity", "Morning only: SEND plan review"}, {"corrects", 4}},
        as(imran), 14);
    out.deployed_school_urn = 146330;
    out.deployed_system_leader = imran;
  }
  {
    const auto id = demo.open("support_request", 120004,
                              {{"source", "self"}, {"summary", "Phonics teaching in reception"}}, kSchool, 60);
    demo.event(id, "accept_referral", terms({"early years"}, 5, "RDG"), kLead, 58);
    demo.deploy(id, priya, as(priya), 55, 54);
    demo.event(id, "agree_plan", plan("Consistent phonics teaching across reception", 5, 52, 10), kLead, 52);
    demo.log(id, "log_days", as(priya),
             {{50, 1, "Phonics audit"}, {45, 1, "Modelled lessons"}, {40, 1, "Coaching the reception team"}});
    demo.event(id, "complete_deployment", {}, kLead, 8);
    demo.event(id, "submit_rating", {{"grade", 2}, {"comment", "Practical and well judged"}}, kSchool, 5);
  }
  {
    const auto id = demo.open(
        "support_request", 148502,
        {{"source", "lead"}, {"summary", "Senior leadership restructure after a poor inspection"}}, kLead, 90);
    demo.event(id, "accept_referral", terms({"leadership"}, 6, "TSCF"), kLead, 88);
    demo.deploy(id, helen, as(helen), 86, 85);
    demo.event(id, "agree_plan", plan("A senior team that evaluates its own work accurately", 6, 84, 40), kLead, 84);
    demo.log(id, "log_days", as(helen),
             {{80, 1, "Leadership review"},
              {70, 1, "Coaching the head"},
              {60, 1, "Joint lesson visits"},
              {50, 1, "Governor briefing"}});
    demo.event(id, "complete_deployment", {}, kLead, 38);
    demo.event(id, "submit_rating", {{"grade", 1}, {"comment", "Transformational for the senior team"}}, kSchool, 35);
    demo.event(id, "record_impact",
               {{"outcome", "Senior team restructured; self-evaluation now accurate"},
                {"impact", "Monitoring visit judged leadership effective"}},
               kLead, 30);
    demo.event(id, "close", {}, kLead, 30);
  }
  {
    const auto id =
        demo.open("support_request", 137220, {{"source", "self"}, {"summary", "Key stage 3 maths"}}, kSchool, 50);
    demo.event(id, "accept_referral", terms({"maths"}, 4, "SSIF"), kLead, 48);
    demo.deploy(id, imran, as(imran), 45, 44);
    demo.event(id, "withdraw", {{"reason", "Headteacher resigned; governors paused external support"}}, kSchool, 40);
  }
  {
    const auto id = demo.open("support_request", 145966, {{"source", "self"}, {"summary", "Attendance"}}, kSchool, 25);
    demo.event(id, "decline_referral", {{"reason", "Already supported by its trust's improvement team"}}, kLead, 23);
  }

  // Risk assessments.
  demo.open("risk_assessment", 122951,
            {{"source", "local_authority"}, {"summary", "Rising exclusions"}, {"concern_level", "medium"}}, kLaOfficer,
            2);
  {
    const auto id =
        demo.open("risk_assessment", 120588, {{"source", "lead"}, {"summary", "Falling roll and budget"}}, kLead, 12);
    demo.event(id, "accept_request", {}, kLead, 10);
  }
  {
    const auto id =
        demo.open("risk_assessment", 145966,
                  {{"source", "local_authority"}, {"summary", "Safeguarding concerns raised"}}, kLaOfficer, 25);
    demo.event(id, "accept_request", {}, kLead, 23);
    demo.deploy(id, helen, as(helen), 20, 18, "propose_assessor", "assessor_accepts");  // the report is overdue
    demo.log(id, "log_visit", as(helen), {{10, 1, "Assessment visit"}});
  }
  {
    const auto id =
        demo.open("risk_assessment", 146330, {{"source", "ofsted"}, {"summary", "Declining outcomes"}}, kLead, 40);
    demo.event(id, "accept_request", {}, kLead, 38);
    demo.deploy(id, grace, as(grace), 35, 34, "propose_assessor", "assessor_accepts");
    demo.log(id, "log_visit", as(grace), {{30, 1, "Assessment visit"}});
    demo.event(id, "submit_report", {{"risk_level", "medium"}, {"recommendations", "Targeted maths support"}},
               as(grace), 25);
  }
  {
    const auto id = demo.open("risk_assessment", 137220,
                              {{"source", "local_authority"}, {"summary", "Leadership turnover"}}, kLaOfficer, 60);
    demo.event(id, "accept_request", {}, kLead, 58);
    demo.deploy(id, helen, as(helen), 55, 54, "propose_assessor", "assessor_accepts");
    demo.log(id, "log_visit", as(helen), {{50, 1, "Assessment visit"}, {49, 0.5, "Follow-up with governors"}});
    demo.event(id, "submit_report", {{"risk_level", "high"}, {"recommendations", "Leadership and maths support"}},
               as(helen), 45);
    demo.event(id, "recommend_support", {{"summary", "Leadership capacity and maths"}}, kLead, 44);
    ++out.cases;  // the linked support request it opened
  }
  {
    const auto id = demo.open("risk_assessment", 120004, {{"source", "lead"}, {"summary", "Staffing"}}, kLead, 70);
    demo.event(id, "accept_request", {}, kLead, 68);
    demo.deploy(id, grace, as(grace), 66, 65, "propose_assessor", "assessor_accepts");
    demo.log(id, "log_visit", as(grace), {{60, 1, "Assessment visit"}});
    demo.event(id, "submit_report", {{"risk_level", "low"}, {"recommendations", "None beyond the school's own plan"}},
               as(grace), 55);
    demo.event(id, "close", {}, kLead, 52);
  }

  // Designation reviews.
  // A teaching school's designation: s2s holds none to end.
  demo.open("designation_review", 145966,
            {{"subject_type", "teaching_school"},
             {"subject_name", "Burley Ridge Teaching School"},
             {"reason", "No school-to-school support delivered for two years"}},
            kLead, 3);
  {
    const auto id = demo.open("designation_review", 122951, reviewed(6), kLead, 6);
    demo.event(id, "accept_review", {}, kLead, 5);
  }
  {
    const auto id = demo.open("designation_review", 148502, reviewed(1), kLead, 15);
    demo.event(id, "accept_review", {}, kLead, 14);
    demo.event(id, "assign_reviewer", {{"reviewer_id", helen}}, kLead, 12);
  }
  {
    const auto id = demo.open("designation_review", 120588, reviewed(3), kLead, 30);
    demo.event(id, "accept_review", {}, kLead, 28);
    demo.event(id, "assign_reviewer", {{"reviewer_id", helen}}, kLead, 26);
    demo.event(id, "submit_review", {{"findings", "Criteria met in part"}}, as(helen), 20);
  }
  {
    const auto id = demo.open("designation_review", 146330, reviewed(7), kLead, 30);
    demo.event(id, "accept_review", {}, kLead, 28);
    demo.event(id, "assign_reviewer", {{"reviewer_id", helen}}, kLead, 26);
    demo.event(id, "submit_review", {{"findings", "Criteria no longer met"}}, as(helen), 10);
    demo.event(id, "panel_de_designates", {{"reason", "No school-to-school support delivered this year"}}, kLead, 4);
  }
  {
    // De-designated with no appeal: the timers close the window and the contact falls overdue.
    const auto id = demo.open("designation_review", 137220, reviewed(8), kLead, 50);
    demo.event(id, "accept_review", {}, kLead, 48);
    demo.event(id, "assign_reviewer", {{"reviewer_id", helen}}, kLead, 46);
    demo.event(id, "submit_review", {{"findings", "Criteria not met"}}, as(helen), 40);
    demo.event(id, "panel_de_designates", {{"reason", "Criteria not met"}}, kLead, 35);
  }
  {
    const auto id = demo.open("designation_review", 144871, reviewed(4), kLead, 45);
    demo.event(id, "accept_review", {}, kLead, 44);
    demo.event(id, "assign_reviewer", {{"reviewer_id", helen}}, kLead, 42);
    demo.event(id, "submit_review", {{"findings", "Criteria met"}}, as(helen), 35);
    demo.event(id, "panel_retains", {}, kLead, 30);
  }

  // Pupil premium reviews.
  demo.open("pupil_premium_review", 120004, {{"source", "self"}, {"summary", "Disadvantaged pupils' attendance"}},
            kSchool, 2);
  const auto pp_to_review = [&](std::int32_t urn, int k) {
    const auto id =
        demo.open("pupil_premium_review", urn, {{"source", "lead"}, {"summary", "Pupil premium strategy"}}, kLead, k);
    demo.event(id, "accept_referral", {}, kLead, k - 2);
    demo.event(id, "propose_reviewer", {{"provider_id", grace}}, kLead, k - 4);
    demo.event(id, "reviewer_accepts", {}, as(grace), k - 5);
    demo.log(id, "log_visit", as(grace), {{k - 8, 1, "Review visit"}});
    return id;
  };
  {
    const auto id = demo.open("pupil_premium_review", 137220,
                              {{"source", "self"}, {"summary", "Impact of pupil premium spending"}}, kSchool, 8);
    demo.event(id, "accept_referral", {{"planned_days", 1.5}}, kLead, 6);
  }
  pp_to_review(122951, 20);
  {
    const auto id = pp_to_review(146330, 30);
    demo.event(id, "visits_complete", {{"last_visit_on", demo.date(22)}}, as(grace), 21);
  }
  {
    const auto id = pp_to_review(145966, 45);
    demo.event(id, "visits_complete", {{"last_visit_on", demo.date(37)}}, as(grace), 36);
    demo.event(id, "submit_report", {{"summary", "Strategy sound, tracking weak"}, {"action_plan", "Termly tracking"}},
               as(grace), 30);
    demo.event(id, "submit_rating", {{"grade", 2}}, kSchool, 25);
  }
  {
    const auto id = pp_to_review(148502, 80);
    demo.event(id, "visits_complete", {{"last_visit_on", demo.date(72)}}, as(grace), 71);
    demo.event(id, "submit_report", {{"summary", "Effective use of funding"}, {"action_plan", "Share practice"}},
               as(grace), 65);
    demo.event(id, "submit_rating", {{"grade", 1}, {"comment", "Clear and useful"}}, kSchool, 60);
    demo.event(id, "complete_follow_up", {{"outcome", "Gaps closing in key stage 2"}}, kLead, 20);
  }

  // Timers that fell due in the demo's past fire now: deadlines go overdue,
  // an appeal window closes unheard.
  for (int round = 0; round < 10; ++round) {
    if (engine.fire_due_timers("demo", 500, std::chrono::seconds(60)).claimed == 0) break;
  }
  out.cases += demo.cases();
  {
    auto connection = db.acquire();
    connection.session() << "SELECT count(*) FROM deadlines WHERE status = 'overdue'",
        soci::into(out.overdue_deadlines);
  }
  return out;
}

}  // namespace s2s::cases
