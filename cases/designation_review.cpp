// Designation review: a teaching school or a system leader's designation is
// reviewed and a panel decides whether it is kept. A de-designation can be
// appealed within a window; once it is final the school must be contacted
// within 10 working days of the appeals panel outcome, or of the window
// closing unheard, and next steps agreed; a system leader's designation ends
// that day (docs/machines.md, docs/matching.md).
#include "cases/kind_support.h"
#include "cases/kinds.h"

namespace s2s::cases {
namespace {

namespace dr {

// States, by stable name.
struct opened : State<"opened"> {};
struct matching : State<"matching"> {};
struct review : State<"review"> {};
struct panel_decision : State<"panel_decision"> {};
struct appeal_window : State<"appeal_window"> {};
struct appeal_panel : State<"appeal_panel"> {};
struct contact_due : State<"contact_due"> {};
struct next_steps : State<"next_steps"> {};
struct closed : State<"closed"> {};
struct withdrawn : State<"withdrawn"> {};

// Events, named for what happened, with their payloads.
struct accept_review {
  static constexpr std::string_view name = "accept_review";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "the lead accepts the review; a reviewer is to be assigned";
  static constexpr FieldSpec fields[] = {{"note", FieldType::string, false}};
};
struct assign_reviewer {
  static constexpr std::string_view name = "assign_reviewer";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "the lead assigns a reviewer; the review falls due";
  static constexpr FieldSpec fields[] = {{"reviewer_id", FieldType::integer, true, {}, "the reviewing system leader", 1}};
};
struct submit_review {
  static constexpr std::string_view name = "submit_review";
  static constexpr std::string_view who = "system_leader";
  static constexpr std::string_view summary = "the reviewer submits the findings to the panel";
  static constexpr FieldSpec fields[] = {{"findings", FieldType::string}};
};
struct panel_retains {
  static constexpr std::string_view name = "panel_retains";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "the panel decides the designation is retained";
  static constexpr FieldSpec fields[] = {{"note", FieldType::string, false}};
};
struct panel_de_designates {
  static constexpr std::string_view name = "panel_de_designates";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "the panel removes the designation; the appeal window opens";
  static constexpr FieldSpec fields[] = {{"reason", FieldType::string, true, {}, "why the designation is removed"}};
};
struct lodge_appeal {
  static constexpr std::string_view name = "lodge_appeal";
  static constexpr std::string_view who = "school";
  static constexpr std::string_view summary = "the de-designated school appeals within the window";
  static constexpr FieldSpec fields[] = {{"grounds", FieldType::string}};
};
struct appeal_window_closes {
  static constexpr std::string_view name = "appeal_window_closes";
  static constexpr std::string_view who = "system";
  static constexpr std::string_view summary =
      "the appeal window closed with no appeal (fired by the timer on its last day): the decision is final";
  static constexpr NoFields<appeal_window_closes> fields{};
};
struct appeal_overturned {
  static constexpr std::string_view name = "appeal_overturned";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "the appeals panel overturns the de-designation";
  static constexpr FieldSpec fields[] = {{"note", FieldType::string, false}};
};
struct appeal_upheld {
  static constexpr std::string_view name = "appeal_upheld";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary =
      "the appeals panel upholds the de-designation (occurred_on: the panel's date): the decision is final";
  static constexpr FieldSpec fields[] = {{"note", FieldType::string, false}};
};
struct record_contact {
  static constexpr std::string_view name = "record_contact";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "the lead has contacted the de-designated school";
  static constexpr FieldSpec fields[] = {
      {"method", FieldType::string, true, "conversation,visit"},
      {"summary", FieldType::string, true, {}, "the next steps and options outlined"},
  };
};
struct agree_next_steps {
  static constexpr std::string_view name = "agree_next_steps";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "next steps are agreed with the school; the case closes";
  static constexpr FieldSpec fields[] = {{"next_steps", FieldType::string}};
};
using withdraw = WithdrawEvent<"lead", "the review is withdrawn before a decision">;

// Guards: predicates that say why they refuse.
bool check_within_appeal_window(EventContext& ctx) {
  const auto* ends = ctx.data().if_contains("appeal_window_ends_on");
  const auto last_day = ends != nullptr && ends->is_string() ? workflow::parse_date(ends->get_string())
                                                             : std::optional<std::chrono::year_month_day>();
  if (!last_day) return ctx.refuse("the case has no appeal window end date");
  return ctx.occurred_on() <= *last_day ||
         ctx.refuse("the appeal window closed on " + workflow::format_date(*last_day));
}
using within_appeal_window = Guard<"within_appeal_window", check_within_appeal_window>;

// Actions: verbs.
void do_record_acceptance(EventContext& ctx) {
  keep_payload(ctx);
  ctx.data()["accepted_on"] = date_value(ctx.occurred_on());
}
using record_acceptance = Action<"record_acceptance", do_record_acceptance>;

void do_start_review(EventContext& ctx) {
  keep_payload(ctx);
  // Assigned at once: proposed (eligibility checked) and deployed in one event.
  ctx.data()["provider_id"] = ctx.payload().at("reviewer_id");
  ask_provider(ctx, "reviewer_id");
  deploy_provider(ctx);
  ctx.data()["review_due_on"] = date_value(ctx.arm_deadline("designation_review.review"));
}
using start_review = Action<"start_review", do_start_review>;

void do_record_review(EventContext& ctx) {
  keep_payload(ctx);
  ctx.data()["review_submitted_on"] = date_value(ctx.occurred_on());
  end_deployment(ctx, "ended");
}
using record_review = Action<"record_review", do_record_review>;

void do_record_retention(EventContext& ctx) {
  ctx.data()["decision"] = "retained";
  ctx.data()["decided_on"] = date_value(ctx.occurred_on());
  ctx.data()["closed_on"] = date_value(ctx.occurred_on());
}
using record_retention = Action<"record_retention", do_record_retention>;

void do_open_appeal_window(EventContext& ctx) {
  // Not record_payload: `reason` is also the referral's field.
  ctx.data()["decision"] = "de_designated";
  ctx.data()["de_designation_reason"] = boost::json::string(payload_string(ctx, "reason"));
  ctx.data()["decided_on"] = date_value(ctx.occurred_on());
  ctx.data()["appeal_window_ends_on"] = date_value(ctx.arm_deadline("designation_review.appeal_window"));
}
using open_appeal_window = Action<"open_appeal_window", do_open_appeal_window>;

void do_record_appeal(EventContext& ctx) {
  ctx.data()["appeal_grounds"] = boost::json::string(payload_string(ctx, "grounds"));
  ctx.data()["appeal_lodged_on"] = date_value(ctx.occurred_on());
}
using record_appeal = Action<"record_appeal", do_record_appeal>;

void do_require_contact(EventContext& ctx) {
  // The decision became final on the event's date (the appeals panel's
  // outcome or the window's last day), not the day it was recorded: the
  // contact deadline runs from there.
  ctx.data()["decision_final_on"] = date_value(ctx.occurred_on());
  ctx.data()["contact_due_on"] = date_value(ctx.arm_deadline("designation_review.contact", ctx.occurred_on()));
  ctx.notify("contact_due");
  // The reviewed designation ends that day, in this transaction.
  if (const auto* designation = ctx.data().if_contains("designation_id");
      designation != nullptr && designation->is_number()) {
    ctx.request("designation.end", {{"designation_id", *designation}, {"on", date_value(ctx.occurred_on())}});
  }
}
using require_contact = Action<"require_contact", do_require_contact>;

void do_record_overturn(EventContext& ctx) {
  ctx.data()["decision"] = "retained_on_appeal";
  ctx.data()["closed_on"] = date_value(ctx.occurred_on());
}
using record_overturn = Action<"record_overturn", do_record_overturn>;

void do_record_school_contact(EventContext& ctx) {
  ctx.data()["contact_method"] = boost::json::string(payload_string(ctx, "method"));
  ctx.data()["contact_summary"] = boost::json::string(payload_string(ctx, "summary"));
  ctx.data()["contacted_on"] = date_value(ctx.occurred_on());
}
using record_school_contact = Action<"record_school_contact", do_record_school_contact>;

void do_record_next_steps(EventContext& ctx) {
  keep_payload(ctx);
  ctx.data()["closed_on"] = date_value(ctx.occurred_on());
}
using record_next_steps = Action<"record_next_steps", do_record_next_steps>;

struct Machine : workflow::MachineBase<Machine> {
  static constexpr std::string_view kKind = "designation_review";
  static constexpr std::string_view kPrefix = "DR";
  static constexpr workflow::StateInfo kStates[] = {
      {"opened", Phase::referral},           {"matching", Phase::matching},        {"review", Phase::deployment},
      {"panel_decision", Phase::evaluation}, {"appeal_window", Phase::evaluation}, {"appeal_panel", Phase::evaluation},
      {"contact_due", Phase::evaluation},    {"next_steps", Phase::evaluation},    {"closed", Phase::closed},
      {"withdrawn", Phase::withdrawn},
  };
  static constexpr workflow::DeadlineSpec kDeadlines[] = {
      {"designation_review.review",
       20,
       "the reviewer submits the review",
       {},
       true,
       "system_leader",
       workflow::DeadlineSource::policy("a local policy default: the plans set no period for a designation review")},
      {"designation_review.appeal_window", 10,
       "the school may appeal a de-designation; the window closing unheard makes the decision final",
       "appeal_window_closes", false, "school",
       workflow::DeadlineSource::design("the product design: an appeal window of 10 working days after the panel "
                                        "de-designates; the plans set no window")},
      {"designation_review.contact",
       10,
       "contact the de-designated school within 10 working days of the appeals panel outcome or of the appeal "
       "window closing unheard",
       {},
       true,
       "lead",
       workflow::DeadlineSource::seed(
           "East Midlands plan 2016-17: \"Contact is made with de-designated school within 10 working days of "
           "appeals panel outcome.\" (the product design runs the same period from an appeal window closing "
           "unheard)")},
  };
  static constexpr std::string_view kOpenedBy = "lead";
  static constexpr FieldSpec kOpenFields[] = {
      {"designation_id", FieldType::integer, false, {},
       "a system leader's designation reviewed, by id (see GET /api/v1/system-leaders): it ends if the "
       "de-designation becomes final",
       1, 9007199254740991},
      {"subject_type", FieldType::string, false, "teaching_school,system_leader",
       "teaching_school for a teaching school's designation (which s2s does not hold: nothing ends); "
       "system_leader with designation_id"},
      {"subject_name", FieldType::string, false, {}, "the teaching school reviewed"},
      {"reason", FieldType::string, false, {}, "why the review was opened"},
  };
  static constexpr workflow::MessageSpec kMessages[] = {
      {"referral_received", "lead"},
      {"contact_due", "lead"},
      {"designation_ended", "lead"},
  };
  // The reviewer: a head (NLE or LLE), assigned at once with no days reserved.
  static constexpr workflow::ProviderSpec kProvider{"NLE,LLE", {}, {}, 0, {}};
  static void on_open(EventContext& ctx) {
    keep_payload(ctx);
    const std::string subject = payload_string(ctx, "subject_type");
    if (const auto* designation = ctx.payload().if_contains("designation_id")) {
      if (subject == "teaching_school") {
        ctx.refuse("designation_id names a system leader's designation: a teaching school's review gives "
                   "subject_type teaching_school and subject_name instead");
        return;
      }
      ctx.data()["subject_type"] = "system_leader";
      ctx.request("designation.review", {{"designation_id", *designation}});
    } else if (subject != "teaching_school" || payload_string(ctx, "subject_name").empty()) {
      ctx.refuse("name what is reviewed: designation_id for a system leader's designation, or subject_type "
                 "teaching_school with subject_name for a teaching school");
      return;
    }
    ctx.notify("referral_received");
  }

  using initial_state = opened;

  // clang-format off
  struct transition_table : boost::mpl::vector<
      //    Source           Event                  Target           Action                  Guard
      //  +----------------+----------------------+----------------+-----------------------+----------------------+
      Row < opened         , accept_review        , matching       , record_acceptance     , none                 >,
      Row < opened         , withdraw             , withdrawn      , record_withdrawal     , none                 >,
      //  +----------------+----------------------+----------------+-----------------------+----------------------+
      Row < matching       , assign_reviewer      , review         , start_review          , none                 >,
      Row < matching       , withdraw             , withdrawn      , record_withdrawal     , none                 >,
      //  +----------------+----------------------+----------------+-----------------------+----------------------+
      Row < review         , submit_review        , panel_decision , record_review         , none                 >,
      Row < review         , withdraw             , withdrawn      , record_withdrawal     , none                 >,
      //  +----------------+----------------------+----------------+-----------------------+----------------------+
      Row < panel_decision , panel_retains        , closed         , record_retention      , none                 >,
      Row < panel_decision , panel_de_designates  , appeal_window  , open_appeal_window    , none                 >,
      //  +----------------+----------------------+----------------+-----------------------+----------------------+
      Row < appeal_window  , lodge_appeal         , appeal_panel   , record_appeal         , within_appeal_window >,
      Row < appeal_window  , appeal_window_closes , contact_due    , require_contact       , none                 >,
      //  +----------------+----------------------+----------------+-----------------------+----------------------+
      Row < appeal_panel   , appeal_overturned    , closed         , record_overturn       , none                 >,
      Row < appeal_panel   , appeal_upheld        , contact_due    , require_contact       , none                 >,
      //  +----------------+----------------------+----------------+-----------------------+----------------------+
      Row < contact_due    , record_contact       , next_steps     , record_school_contact , none                 >,
      //  +----------------+----------------------+----------------+-----------------------+----------------------+
      Row < next_steps     , agree_next_steps     , closed         , record_next_steps     , none                 >
      //  +----------------+----------------------+----------------+-----------------------+----------------------+
  > {};
  // clang-format on
};

}  // namespace dr
}  // namespace

std::unique_ptr<workflow::CaseKind> make_designation_review_kind() {
  return std::make_unique<workflow::MsmKind<dr::Machine>>();
}

}  // namespace s2s::cases
