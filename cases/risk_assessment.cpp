// Risk assessment: a school causing concern is assessed by a system leader, who
// logs visit days and reports a risk level with recommendations; the lead then
// closes the case or recommends support, which opens a linked support request
// for the same school (docs/machines.md).
#include "cases/kind_support.h"
#include "cases/kinds.h"

namespace s2s::cases {
namespace {

namespace ra {

// States, by stable name.
struct requested : State<"requested"> {};
using half::awaiting_provider;
using half::declined;
using half::matching;
using half::withdrawn;
struct assessment : State<"assessment"> {};
struct report_submitted : State<"report_submitted"> {};
struct closed : State<"closed"> {};
struct support_recommended : State<"support_recommended"> {};

// Events, named for what happened, with their payloads.
struct accept_request {
  static constexpr std::string_view name = "accept_request";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "the lead accepts the request for a risk assessment";
  static constexpr FieldSpec fields[] = {
      {"note", FieldType::string, false},
      {"planned_days",
       FieldType::number,
       false,
       {},
       "days the assessment should take, reserved on acceptance (default 2)",
       0.5,
       365},
  };
};
using decline_request = DeclineEvent<"decline_request", "the lead declines the request">;
using propose_assessor =
    ProposeEvent<"propose_assessor", "the lead proposes a system leader to carry out the assessment",
                 "the proposed assessor">;
using assessor_accepts = AcceptsEvent<"assessor_accepts", "the proposed assessor accepts; the report falls due">;
using assessor_declines = DeclinesEvent<"assessor_declines", "the proposed assessor declines; matching starts again">;
struct log_visit {
  static constexpr std::string_view name = "log_visit";
  static constexpr std::string_view who = "system_leader";
  static constexpr std::string_view summary = "the assessor logs a day or half day spent on the assessment";
  static constexpr FieldSpec fields[] = {
      {"date", FieldType::date, true, {}, "the day of the visit"},
      {"days", FieldType::number, true, {}, "0.5 or 1; 0 in a correction strikes the corrected entry out", 0, 1},
      {"activity", FieldType::string},
      {"corrects", FieldType::integer, false, {}, "the entry this one corrects: its date and days are replaced", 1},
  };
};
struct submit_report {
  static constexpr std::string_view name = "submit_report";
  static constexpr std::string_view who = "system_leader";
  static constexpr std::string_view summary = "the assessor submits the report: a risk level and recommendations";
  static constexpr FieldSpec fields[] = {
      {"risk_level", FieldType::string, true, "low,medium,high"},
      {"recommendations", FieldType::string},
  };
};
struct close {
  static constexpr std::string_view name = "close";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "the lead closes the case with no further support";
  static constexpr FieldSpec fields[] = {{"note", FieldType::string, false}};
};
struct recommend_support {
  static constexpr std::string_view name = "recommend_support";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary =
      "the lead recommends support: a linked support request is opened for the school and this case closes";
  static constexpr FieldSpec fields[] = {
      {"summary", FieldType::string, true, {}, "what help is needed, for the new support request"},
  };
};
using withdraw = WithdrawEvent<"lead,la_officer", "the request for an assessment is withdrawn">;

// Guards: predicates that say why they refuse.

// Actions: verbs.
void do_start_assessment(EventContext& ctx) {
  auto& data = ctx.data();
  deploy_provider(ctx);
  // The report is due a number of working days after the assessor accepts.
  data["report_due_on"] = date_value(ctx.arm_deadline("risk_assessment.report"));
}
using start_assessment = Action<"start_assessment", do_start_assessment>;

void do_record_report(EventContext& ctx) {
  keep_payload(ctx);
  ctx.data()["report_submitted_on"] = date_value(ctx.occurred_on());
  end_deployment(ctx, "ended");
  // The lead, and the LA officer who asked for the assessment, hear its outcome.
  ctx.notify("report_submitted", {{"risk_level", payload_string(ctx, "risk_level")},
                                       {"recommendations", payload_string(ctx, "recommendations")}});
}
using record_report = Action<"record_report", do_record_report>;

void do_open_support_request(EventContext& ctx) {
  // Not record_payload: the payload's summary is the new request's, and
  // would overwrite this case's own referral summary.
  const std::string summary = payload_string(ctx, "summary");
  ctx.data()["support_summary"] = boost::json::string(summary);
  ctx.data()["support_recommended_on"] = date_value(ctx.occurred_on());
  ctx.data()["closed_on"] = date_value(ctx.occurred_on());
  ctx.open_linked_case("support_request", {{"source", "risk_assessment"}, {"summary", summary}});
}
using open_support_request = Action<"open_support_request", do_open_support_request>;

// The matching half (kind_support.h) in this kind's words.
struct Words {
  using first = requested;
  using accept = accept_request;
  using decline = decline_request;
  using propose = propose_assessor;
  using accepts = assessor_accepts;
  using declines = assessor_declines;
  using withdraw = ra::withdraw;
  using deployed = assessment;
  using on_accepted = start_assessment;
  static constexpr std::string_view matching_deadline = "risk_assessment.matching";
  static constexpr std::string_view response_deadline = "risk_assessment.assessor_response";
};

struct Machine : workflow::MachineBase<Machine> {
  static constexpr std::string_view kKind = "risk_assessment";
  static constexpr std::string_view kPrefix = "RA";
  static constexpr workflow::StateInfo kStates[] = {
      {"requested", Phase::referral},          {"matching", Phase::matching},
      {"awaiting_provider", Phase::matching},  {"assessment", Phase::deployment},
      {"report_submitted", Phase::evaluation}, {"closed", Phase::closed},
      {"support_recommended", Phase::closed},  {"declined", Phase::declined},
      {"withdrawn", Phase::withdrawn},
  };
  static constexpr workflow::DeadlineSpec kDeadlines[] = {
      {"risk_assessment.triage",
       5,
       "the lead accepts or declines a request",
       {},
       true,
       "lead",
       workflow::DeadlineSource::policy("a local policy default: the plans set no period for triaging a request")},
      {"risk_assessment.matching",
       10,
       "the lead proposes an assessor after accepting (and after an assessor declines)",
       {},
       true,
       "lead",
       workflow::DeadlineSource::policy("a local policy default: the plans set no period for finding an assessor")},
      {"risk_assessment.assessor_response",
       5,
       "the proposed assessor accepts or declines",
       {},
       true,
       "system_leader",
       workflow::DeadlineSource::policy("a local policy default: the plans set no period for a proposed assessor's "
                                        "answer")},
      {"risk_assessment.report",
       15,
       "the assessor submits the report after accepting",
       {},
       true,
       "system_leader",
       workflow::DeadlineSource::design(
           "the product design: the report is due 15 working days after the assessor accepts; the LTT plan asks "
           "only for \"Successful implementation of all requested Risk Assessments\" and sets no period")},
  };
  static constexpr std::string_view kOpenedBy = "la_officer,lead";
  static constexpr FieldSpec kOpenFields[] = {
      {"source", FieldType::string, true, "local_authority,lead,ofsted", "who requested the assessment"},
      {"summary", FieldType::string, true, {}, "why the school is causing concern"},
      {"concern_level", FieldType::string, false, "low,medium,high", "the requester's view of the concern"},
  };
  static constexpr workflow::MessageSpec kMessages[] = {
      {"referral_received", "lead"},
      {"provider_proposed", "system_leader"},
      {"report_submitted", "lead,referrer"},
      {"designation_ended", "lead"},
  };
  static constexpr workflow::ProviderSpec kProvider{"NLE,LLE", {}, {}, 2, {}};
  static void on_open(EventContext& ctx) {
    keep_payload(ctx);
    ctx.arm_deadline("risk_assessment.triage");
    ctx.notify("referral_received");
  }

  using initial_state = requested;

  // clang-format off
  struct transition_table : MatchingHalf<Words>::table<
      //    Source            Event               Target                Action                 Guard
      //  +-------------------+-------------------+---------------------+----------------------+---------------+
      Row < assessment        , log_visit         , none                , record_day_entry     , valid_day_entry >,
      Row < assessment        , submit_report     , report_submitted    , record_report        , none          >,
      Row < assessment        , withdraw          , withdrawn           , record_withdrawal    , none          >,
      //  +-------------------+-------------------+---------------------+----------------------+---------------+
      Row < report_submitted  , close             , closed              , record_closure       , none          >,
      Row < report_submitted  , recommend_support , support_recommended , open_support_request , none          >,
      Row < report_submitted  , withdraw          , withdrawn           , record_withdrawal    , none          >
      //  +-------------------+-------------------+---------------------+----------------------+---------------+
  > {};
  // clang-format on
};

}  // namespace ra
}  // namespace

std::unique_ptr<workflow::CaseKind> make_risk_assessment_kind() {
  return std::make_unique<workflow::MsmKind<ra::Machine>>();
}

}  // namespace s2s::cases
