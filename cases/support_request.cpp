// Support request: a school that needs help is matched with a system leader who
// has the capacity, support is deployed for some days, and the school rates it
// (docs/machines.md).
#include "cases/kind_support.h"
#include "cases/kinds.h"
#include "cases/providers.h"

namespace s2s::cases {
namespace {

namespace sr {

// States, by stable name.
struct referred : State<"referred"> {};
using half::awaiting_provider;
using half::declined;
using half::matching;
using half::withdrawn;
struct planning : State<"planning"> {};
struct deployment : State<"deployment"> {};
struct evaluation : State<"evaluation"> {};
struct closed : State<"closed"> {};

// Events, named for what happened, with their payloads.
struct accept_referral {
  static constexpr std::string_view name = "accept_referral";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "the lead accepts the referral and sets its terms";
  static constexpr FieldSpec fields[] = {
      {"priority", FieldType::string, true, "low,medium,high,urgent"},
      {"focus_areas", FieldType::string_list, true, {}, "e.g. maths, leadership, SEND, governance"},
      {"requested_days", FieldType::number, true, {}, "days of support requested, in half days", 0.5, 365},
      {"funding_source", FieldType::string, true, {}, "RDG, TSCCG, TSCF, TSF, SSIF, ..."},
  };
};
using decline_referral = DeclineEvent<"decline_referral", "the lead declines the referral">;
using propose_provider = ProposeEvent<"propose_provider", "the lead proposes a system leader from the ranked matches",
                                      "the proposed system leader">;
using provider_accepts = AcceptsEvent<"provider_accepts", "the proposed system leader accepts the deployment">;
using provider_declines =
    DeclinesEvent<"provider_declines", "the proposed system leader declines; matching starts again">;
struct agree_plan {
  static constexpr std::string_view name = "agree_plan";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "objectives and planned days are agreed; deployment starts";
  static constexpr FieldSpec fields[] = {
      {"objectives", FieldType::string},
      {"planned_days", FieldType::number, true, {}, {}, 0.5, 365},
      {"starts_on", FieldType::date},
      {"ends_on", FieldType::date},
  };
};
struct log_days {
  static constexpr std::string_view name = "log_days";
  static constexpr std::string_view who = "system_leader";
  static constexpr std::string_view summary = "the deployed system leader logs days of support given";
  static constexpr FieldSpec fields[] = {
      {"date", FieldType::date, true, {}, "the day the support was given"},
      {"days", FieldType::number, true, {}, "0.5 or 1; 0 in a correction strikes the corrected entry out", 0, 1},
      {"activity", FieldType::string},
      {"corrects", FieldType::integer, false, {}, "the entry this one corrects: its date and days are replaced", 1},
  };
};
struct complete_deployment {
  static constexpr std::string_view name = "complete_deployment";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "the deployment has ended; the school is asked to rate it";
  static constexpr FieldSpec fields[] = {{"note", FieldType::string, false}};
};
struct submit_rating {
  static constexpr std::string_view name = "submit_rating";
  static constexpr std::string_view who = "school";
  static constexpr std::string_view summary =
      "the supported school rates the support 1-4; a later rating replaces an earlier one";
  static constexpr FieldSpec fields[] = {
      {"grade", FieldType::integer, true, {}, "1 outstanding, 2 good, 3 requires improvement, 4 inadequate", 1, 4},
      {"comment", FieldType::string, false},
  };
};
struct record_impact {
  static constexpr std::string_view name = "record_impact";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "the lead records the outcome and impact of the support";
  static constexpr FieldSpec fields[] = {{"outcome", FieldType::string}, {"impact", FieldType::string}};
};
struct close {
  static constexpr std::string_view name = "close";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "the case is closed";
  static constexpr NoFields<close> fields{};
};
using withdraw = WithdrawEvent<"lead,school", "the request is withdrawn; after acceptance this counts as attrition">;

// Guards: predicates that say why they refuse.
bool check_plan_dates_in_order(EventContext& ctx) {
  return payload_string(ctx, "starts_on") <= payload_string(ctx, "ends_on") ||
         ctx.refuse("ends_on is before starts_on");
}
using plan_dates_in_order = Guard<"plan_dates_in_order", check_plan_dates_in_order>;

bool check_impact_recorded_and_rated(EventContext& ctx) {
  bool ok = true;
  if (!data_has(ctx, "impact")) ok = ctx.refuse("impact must be recorded before closing");
  if (!data_has(ctx, "rating")) {
    const auto* due = ctx.data().if_contains("rating_due_on");
    const bool window_over =
        due != nullptr && due->is_string() && workflow::format_date(ctx.occurred_on()) > due->get_string();
    if (!window_over) ok = ctx.refuse("a rating from the school is needed until the rating window ends");
  }
  return ok;
}
using impact_recorded_and_rated = Guard<"impact_recorded_and_rated", check_impact_recorded_and_rated>;

// Actions: verbs.
void do_record_provider_acceptance(EventContext& ctx) {
  deploy_provider(ctx);  // the requested days are held in the year it starts
  ctx.arm_deadline("support_request.planning");
}
using record_provider_acceptance = Action<"record_provider_acceptance", do_record_provider_acceptance>;

void do_start_deployment(EventContext& ctx) {
  keep_payload(ctx);
  ctx.notify("deployment_agreed");
}
using start_deployment = Action<"start_deployment", do_start_deployment>;

void do_request_rating(EventContext& ctx) {
  ctx.data()["deployment_ended_on"] = date_value(ctx.occurred_on());
  ctx.data()["rating_due_on"] = date_value(ctx.arm_deadline("support_request.rating"));
  ctx.notify("rating_requested");
  end_deployment(ctx, "ended");
}
using request_rating = Action<"request_rating", do_request_rating>;

void do_record_rating(EventContext& ctx) {
  store_rating(ctx);
  ctx.settle_deadline("support_request.rating");
}
using record_rating = Action<"record_rating", do_record_rating>;

// The matching half (kind_support.h) in this kind's words.
struct Words {
  using first = referred;
  using accept = accept_referral;
  using decline = decline_referral;
  using propose = propose_provider;
  using accepts = provider_accepts;
  using declines = provider_declines;
  using withdraw = sr::withdraw;
  using deployed = planning;
  using on_accepted = record_provider_acceptance;
  static constexpr std::string_view matching_deadline = "support_request.matching";
  static constexpr std::string_view response_deadline = "support_request.provider_response";
};

struct Machine : workflow::MachineBase<Machine> {
  static constexpr std::string_view kKind = "support_request";
  static constexpr std::string_view kPrefix = "SR";
  static constexpr workflow::StateInfo kStates[] = {
      {"referred", Phase::referral},   {"matching", Phase::matching},     {"awaiting_provider", Phase::matching},
      {"planning", Phase::deployment}, {"deployment", Phase::deployment}, {"evaluation", Phase::evaluation},
      {"closed", Phase::closed},       {"declined", Phase::declined},     {"withdrawn", Phase::withdrawn},
  };
  static constexpr workflow::DeadlineSpec kDeadlines[] = {
      {"support_request.triage",
       5,
       "the lead accepts or declines a referral",
       {},
       true,
       "lead",
       workflow::DeadlineSource::policy("a local policy default: the plans set no period for triaging a referral")},
      {"support_request.matching",
       10,
       "the lead proposes a provider after accepting (and after a provider declines)",
       {},
       true,
       "lead",
       workflow::DeadlineSource::policy("a local policy default: the plans set no period for matching a school to "
                                        "a provider")},
      {"support_request.provider_response",
       5,
       "the proposed system leader accepts or declines",
       {},
       true,
       "system_leader",
       workflow::DeadlineSource::policy("a local policy default: the plans set no period for a proposed provider's "
                                        "answer")},
      {"support_request.planning",
       10,
       "the plan is agreed after the provider accepts",
       {},
       true,
       "lead",
       workflow::DeadlineSource::policy("a local policy default: the plans set no period for agreeing a plan")},
      {"support_request.rating",
       10,
       "the school rates the support after the deployment ends",
       {},
       true,
       "school",
       workflow::DeadlineSource::policy(
           "a local policy default: the LTT plan counts support \"rated as good or better by the supported "
           "school\" but sets no period for rating it")},
  };
  static constexpr std::string_view kOpenedBy = "lead,school,la_officer";
  static constexpr workflow::MessageSpec kMessages[] = {
      {"referral_received", "lead"},
      {"provider_proposed", "system_leader"},
      {"deployment_agreed", "school,system_leader,referrer"},
      {"rating_requested", "school"},
      {"designation_ended", "lead"},
  };
  // Heads (NLE, LLE) for school improvement, governors (NLG, LLG) when
  // governance is asked for, SLEs in a specialism asked for; the days are the
  // requested days (required when the referral is accepted).
  static constexpr workflow::ProviderSpec kProvider{"NLE,LLE,NLG:governance,LLG:governance,SLE:focus", {}, {}, 0, {}};
  static constexpr FieldSpec kOpenFields[] = {
      {"source", FieldType::string, false, "self,local_authority,ofsted,lead,risk_assessment",
       "who referred (a school user's own referral: self)"},
      {"summary", FieldType::string, true, {}, "what help is needed"},
      {"linked_case", FieldType::string, false, {}, "the case that recommended this one"},
  };
  static void on_open(EventContext& ctx) { receive_referral(ctx, "support_request.triage"); }

  using initial_state = referred;

  // clang-format off
  struct transition_table : MatchingHalf<Words>::table<
      //   Source             Event                Target             Action                      Guard
      //  +------------------+--------------------+------------------+---------------------------+---------------------------+
      Row < planning          , agree_plan         , deployment       , start_deployment          , plan_dates_in_order       >,
      Row < planning          , withdraw           , withdrawn        , record_withdrawal         , none                      >,
      //  +------------------+--------------------+------------------+---------------------------+---------------------------+
      Row < deployment        , log_days           , none             , record_day_entry          , valid_day_entry           >,
      Row < deployment        , complete_deployment, evaluation       , request_rating            , none                      >,
      Row < deployment        , withdraw           , withdrawn        , record_withdrawal         , none                      >,
      //  +------------------+--------------------+------------------+---------------------------+---------------------------+
      Row < evaluation        , submit_rating      , none             , record_rating             , grade_in_range            >,
      Row < evaluation        , record_impact      , none             , record_payload            , none                      >,
      Row < evaluation        , close              , closed           , record_closure            , impact_recorded_and_rated >,
      Row < evaluation        , withdraw           , withdrawn        , record_withdrawal         , none                      >
      //  +------------------+--------------------+------------------+---------------------------+---------------------------+
  > {};
  // clang-format on
};

}  // namespace sr
}  // namespace

std::unique_ptr<workflow::CaseKind> make_support_request_kind() {
  return std::make_unique<workflow::MsmKind<sr::Machine>>();
}

}  // namespace s2s::cases
