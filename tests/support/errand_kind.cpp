#include "tests/support/errand_kind.h"

#include "workflow/msm_kind.h"

namespace s2s::testing {
namespace {

using namespace workflow::kind_table;

struct open : boost::msm::front::state<> {
  static constexpr std::string_view name = "open";
};
struct doing : boost::msm::front::state<> {
  static constexpr std::string_view name = "doing";
};
struct done : boost::msm::front::state<> {
  static constexpr std::string_view name = "done";
};
struct dropped : boost::msm::front::state<> {
  static constexpr std::string_view name = "dropped";
};

struct start {
  static constexpr std::string_view name = "start";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "the errand starts; it is due in 5 working days";
  static constexpr FieldSpec fields[] = {{"note", FieldType::string, false}};
};
struct finish {
  static constexpr std::string_view name = "finish";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "the errand is done, if ok";
  static constexpr FieldSpec fields[] = {{"ok", FieldType::boolean}};
};
struct shout {
  static constexpr std::string_view name = "shout";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "queues a message the kind never declared";
  static constexpr std::array<FieldSpec, 0> fields{};
};
struct poke {
  static constexpr std::string_view name = "poke";
  static constexpr std::string_view who = "lead";
  static constexpr std::string_view summary = "asks for the effect errand.effect";
  static constexpr std::array<FieldSpec, 0> fields{};
};
struct drop {
  static constexpr std::string_view name = "drop";
  static constexpr std::string_view who = "lead,school";
  static constexpr std::string_view summary = "the errand is dropped";
  static constexpr std::array<FieldSpec, 0> fields{};
};

struct is_ok {
  static constexpr std::string_view name = "is_ok";
  template <class E, class F, class S, class T>
  bool operator()(E const&, F& fsm, S&, T&) const {
    const auto* ok = fsm.ctx->payload().if_contains("ok");
    return (ok != nullptr && ok->is_bool() && ok->get_bool()) || fsm.ctx->refuse("it is not ok");
  }
};
struct begin {
  static constexpr std::string_view name = "begin";
  template <class E, class F, class S, class T>
  void operator()(E const&, F& fsm, S&, T&) const {
    fsm.ctx->arm_deadline("errand.finish");
    fsm.ctx->notify("started");
  }
};
struct shout_undeclared {
  static constexpr std::string_view name = "shout_undeclared";
  template <class E, class F, class S, class T>
  void operator()(E const&, F& fsm, S&, T&) const {
    fsm.ctx->data()["shouted"] = true;
    fsm.ctx->notify("never_declared");
  }
};
struct ask_effect {
  static constexpr std::string_view name = "ask_effect";
  template <class E, class F, class S, class T>
  void operator()(E const&, F& fsm, S&, T&) const {
    fsm.ctx->data()["poked"] = true;
    fsm.ctx->request("errand.effect", {{"case", fsm.ctx->snapshot().reference}});
  }
};

struct Machine : workflow::MachineBase<Machine> {
  static constexpr std::string_view kKind = "errand";
  static constexpr std::string_view kPrefix = "ER";
  static constexpr workflow::StateInfo kStates[] = {
      {"open", Phase::referral}, {"doing", Phase::deployment}, {"done", Phase::closed}, {"dropped", Phase::withdrawn}};
  static constexpr workflow::DeadlineSpec kDeadlines[] = {{"errand.finish", 5, "the errand is finished"}};
  static constexpr std::string_view kOpenedBy = "lead,school";
  static constexpr FieldSpec kOpenFields[] = {{"what", FieldType::string}};
  static constexpr workflow::MessageSpec kMessages[] = {{"received", "lead"}, {"started", "lead,school"}};
  static constexpr workflow::ProviderSpec kProvider{"NLE", {}, {}, 1};
  static void on_open(EventContext& ctx) {
    for (const auto& [key, value] : ctx.payload()) ctx.data()[key] = value;
    ctx.notify("received");
  }

  using initial_state = open;

  // clang-format off
  struct transition_table : boost::mpl::vector<
      //    Source  Event    Target   Action            Guard
      Row < open  , start  , doing  , begin           , none  >,
      Row < open  , drop   , dropped, none            , none  >,
      Row < doing , finish , done   , none            , is_ok >,
      Row < doing , shout  , none   , shout_undeclared, none  >,
      Row < doing , poke   , none   , ask_effect      , none  >,
      Row < doing , drop   , dropped, none            , none  >
  > {};
  // clang-format on
};

}  // namespace

std::unique_ptr<workflow::CaseKind> make_errand_kind() { return std::make_unique<workflow::MsmKind<Machine>>(); }

std::shared_ptr<workflow::KindRegistry> errand_registry(workflow::EffectHandler effect) {
  auto kinds = std::make_shared<workflow::KindRegistry>();
  kinds->add(make_errand_kind());
  kinds->add_effect("errand.effect", std::move(effect));
  return kinds;
}

}  // namespace s2s::testing
