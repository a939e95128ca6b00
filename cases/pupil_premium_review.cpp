// Pupil premium review: an accredited reviewer visits the school, the report and
// action plan fall due some working days after the last visit, the school rates
// the review and a follow-up check falls due later (docs/machines.md). Who may be
// proposed (accredited pupil premium reviewers only) is the matching module's
// rule, not this table's.
#include "cases/kind_support.h"
#include "cases/kinds.h"

namespace s2s::cases {
namespace {

namespace pp {

// States, by stable name.
struct referred : State<"referred"> {};
using half::awaiting_provider;
using half::declined;
using half::matching;
using half::withdrawn;
struct review : State<"review"> {};
struct report_due : State<"report_due"> {};
struct follow_up : State<"follow_up"> {};
struct closed : State<"closed"> {};

// Events, named for what happened, with their payloads.
struct accept_referral {
  static constexpr std::string_view name = "accept_referral";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "the lead accepts the referral for a pupil premium review";
  static constexpr FieldSpec fields[] = {
      {"note", FieldType::string, false},
      {"planned_days", FieldType::number, false, {}, "days the review should take, reserved on acceptance (default 1)",
       0.5, 365},
  };
};
using decline_referral = DeclineEvent<"decline_referral", "the lead declines the referral">;
using propose_reviewer = ProposeEvent<"propose_reviewer", "the lead proposes an accredited pupil premium reviewer",
                                      "the proposed reviewer">;
using reviewer_accepts = AcceptsEvent<"reviewer_accepts", "the proposed reviewer accepts; the review starts">;
using reviewer_declines = DeclinesEvent<"reviewer_declines", "the proposed reviewer declines; matching starts again">;
struct log_visit {
  static constexpr std::string_view name = "log_visit";
  static constexpr std::string_view who = "system_leader";
  static constexpr std::string_view summary = "the reviewer logs a day or half day of review visits";
  static constexpr FieldSpec fields[] = {
      {"date", FieldType::date, true, {}, "the day of the visit"},
      {"days", FieldType::number, true, {}, "0.5 or 1; 0 in a correction strikes the corrected entry out", 0, 1},
      {"activity", FieldType::string},
      {"corrects", FieldType::integer, false, {}, "the entry this one corrects: its date and days are replaced", 1},
  };
};
struct visits_complete {
  static constexpr std::string_view name = "visits_complete";
  static constexpr std::string_view who = "lead,system_leader";
  static constexpr std::string_view summary = "the review visits are over; the report and action plan fall due";
  static constexpr FieldSpec fields[] = {
      {"last_visit_on", FieldType::date, true, {}, "the last visit: the report is due working days after it"},
  };
};
struct submit_report {
  static constexpr std::string_view name = "submit_report";
  static constexpr std::string_view who = "system_leader";
  static constexpr std::string_view summary =
      "the reviewer submits the report and action plan; the school is asked to rate it";
  static constexpr FieldSpec fields[] = {
      {"summary", FieldType::string, true, {}, "the report's findings"},
      {"action_plan", FieldType::string},
  };
};
struct submit_rating {
  static constexpr std::string_view name = "submit_rating";
  static constexpr std::string_view who = "school";
  static constexpr std::string_view summary =
      "the reviewed school rates the review 1-4; a later rating replaces an earlier one";
  static constexpr FieldSpec fields[] = {
      {"grade", FieldType::integer, true, {}, "1 outstanding, 2 good, 3 requires improvement, 4 inadequate", 1, 4},
      {"comment", FieldType::string, false},
  };
};
struct complete_follow_up {
  static constexpr std::string_view name = "complete_follow_up";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "the follow-up check is done; the case closes";
  static constexpr FieldSpec fields[] = {{"outcome", FieldType::string}};
};
using withdraw = WithdrawEvent<"lead,school", "the review is withdrawn; after acceptance this counts as attrition">;

// Guards: predicates that say why they refuse.
bool check_last_visit_not_ahead(EventContext& ctx) {
  const auto last_visit = workflow::parse_date(payload_string(ctx, "last_visit_on"));
  if (!last_visit) return ctx.refuse("last_visit_on must be a date (YYYY-MM-DD)");
  return *last_visit <= ctx.occurred_on() ||
         ctx.refuse("last_visit_on is after the event's occurred_on: visits cannot be completed ahead");
}
using last_visit_not_ahead = Guard<"last_visit_not_ahead", check_last_visit_not_ahead>;

// Actions: verbs.
void do_deploy_reviewer(EventContext& ctx) {
  deploy_provider(ctx);
}
using deploy_reviewer = Action<"deploy_reviewer", do_deploy_reviewer>;

void do_request_report(EventContext& ctx) {
  keep_payload(ctx);
  // The report runs from the last visit, however late the visits are recorded as complete.
  const auto last_visit = workflow::parse_date(payload_string(ctx, "last_visit_on"));
  ctx.data()["report_due_on"] = date_value(ctx.arm_deadline("pupil_premium.report", last_visit));
}
using request_report = Action<"request_report", do_request_report>;

void do_request_follow_up(EventContext& ctx) {
  // Not record_payload: `summary` is also the referral's field.
  ctx.data()["report_summary"] = boost::json::string(payload_string(ctx, "summary"));
  ctx.data()["action_plan"] = boost::json::string(payload_string(ctx, "action_plan"));
  ctx.data()["report_submitted_on"] = date_value(ctx.occurred_on());
  ctx.data()["follow_up_due_on"] = date_value(ctx.arm_deadline("pupil_premium.follow_up", ctx.occurred_on()));
  end_deployment(ctx, "ended");
  ctx.notify("rating_requested");
}
using request_follow_up = Action<"request_follow_up", do_request_follow_up>;

void do_record_rating(EventContext& ctx) {
  store_rating(ctx);
}
using record_rating = Action<"record_rating", do_record_rating>;

// The matching half (kind_support.h) in this kind's words.
struct Words {
  using first = referred;
  using accept = accept_referral;
  using decline = decline_referral;
  using propose = propose_reviewer;
  using accepts = reviewer_accepts;
  using declines = reviewer_declines;
  using withdraw = pp::withdraw;
  using deployed = review;
  using on_accepted = deploy_reviewer;
  static constexpr std::string_view matching_deadline = "pupil_premium.matching";
  static constexpr std::string_view response_deadline = "pupil_premium.reviewer_response";
};

struct Machine : workflow::MachineBase<Machine> {
  static constexpr std::string_view kKind = "pupil_premium_review";
  static constexpr std::string_view kPrefix = "PP";
  static constexpr workflow::StateInfo kStates[] = {
      {"referred", Phase::referral}, {"matching", Phase::matching},     {"awaiting_provider", Phase::matching},
      {"review", Phase::deployment}, {"report_due", Phase::evaluation}, {"follow_up", Phase::evaluation},
      {"closed", Phase::closed},     {"declined", Phase::declined},     {"withdrawn", Phase::withdrawn},
  };
  static constexpr workflow::DeadlineSpec kDeadlines[] = {
      {"pupil_premium.triage",
       5,
       "the lead accepts or declines a referral",
       {},
       true,
       "lead",
       workflow::DeadlineSource::policy("a local policy default: the plans set no period for triaging a referral")},
      {"pupil_premium.matching",
       10,
       "the lead proposes a reviewer after accepting (and after a reviewer declines)",
       {},
       true,
       "lead",
       workflow::DeadlineSource::policy("a local policy default: the plans set no period for finding a reviewer")},
      {"pupil_premium.reviewer_response",
       5,
       "the proposed reviewer accepts or declines",
       {},
       true,
       "system_leader",
       workflow::DeadlineSource::policy("a local policy default: the plans set no period for a proposed reviewer's "
                                        "answer")},
      {"pupil_premium.report",
       10,
       "report and action plan after the last visit",
       {},
       true,
       "system_leader",
       workflow::DeadlineSource::policy("a local policy default: the product design makes the period configurable "
                                        "and the plans set none")},
      {"pupil_premium.follow_up",
       60,
       "the follow-up check",
       {},
       true,
       "lead",
       workflow::DeadlineSource::policy("a local policy default: the product design makes the interval "
                                        "configurable and the plans set none")},
  };
  static constexpr std::string_view kOpenedBy = "lead,school,la_officer";
  static constexpr FieldSpec kOpenFields[] = {
      {"source", FieldType::string, false, "self,local_authority,lead",
       "who referred (a school user's own referral: self)"},
      {"summary", FieldType::string, true, {}, "why a review is wanted"},
  };
  static constexpr workflow::MessageSpec kMessages[] = {
      {"referral_received", "lead"},
      {"provider_proposed", "system_leader"},
      {"rating_requested", "school"},
      {"designation_ended", "lead"},
  };
  // Accredited pupil premium reviewers who are NLEs or LLEs (docs/matching.md).
  static constexpr workflow::ProviderSpec kProvider{
      "PPR", "NLE,LLE", "accreditation as a pupil premium reviewer (PPR)", 1,
      "an NLE or LLE designation (pupil premium reviewers are NLEs or LLEs)"};
  static void on_open(EventContext& ctx) { receive_referral(ctx, "pupil_premium.triage"); }

  using initial_state = referred;

  // clang-format off
  struct transition_table : MatchingHalf<Words>::table<
      //    Source              Event                Target              Action              Guard
      //  +-------------------+--------------------+-------------------+-------------------+----------------------+
      Row < review            , log_visit          , none              , record_day_entry  , valid_day_entry      >,
      Row < review            , visits_complete    , report_due        , request_report    , last_visit_not_ahead >,
      Row < review            , withdraw           , withdrawn         , record_withdrawal , none                 >,
      //  +-------------------+--------------------+-------------------+-------------------+----------------------+
      Row < report_due        , submit_report      , follow_up         , request_follow_up , none                 >,
      Row < report_due        , withdraw           , withdrawn         , record_withdrawal , none                 >,
      //  +-------------------+--------------------+-------------------+-------------------+----------------------+
      Row < follow_up         , submit_rating      , none              , record_rating     , grade_in_range       >,
      Row < follow_up         , complete_follow_up , closed            , record_closure    , none                 >,
      Row < follow_up         , withdraw           , withdrawn         , record_withdrawal , none                 >
      //  +-------------------+--------------------+-------------------+-------------------+----------------------+
  > {};
  // clang-format on
};

}  // namespace pp
}  // namespace

std::unique_ptr<workflow::CaseKind> make_pupil_premium_review_kind() {
  return std::make_unique<workflow::MsmKind<pp::Machine>>();
}

}  // namespace s2s::cases
