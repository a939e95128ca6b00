// Referring a school, or a school asking for support itself (docs/web.md):
// question pages, check your answers, and a confirmation with the case's
// reference. Nothing is stored until the person confirms; the answers travel
// in the forms. The kinds a person may open, and the fields each asks for,
// come from the kinds themselves.
#include <boost/json.hpp>

#include <charconv>

#include "cases/case_list.h"
#include "cases/schools.h"
#include "web/forms.h"
#include "web/page.h"
#include "workflow/engine.h"
#include "workflow/text.h"

namespace s2s::web {
namespace referral_pages {

namespace json = boost::json;

std::vector<const workflow::CaseKind*> kinds_for(const PageContext& ctx) {
  std::vector<const workflow::CaseKind*> out;
  for (const auto* kind : ctx.app.engine->kinds().all()) {
    if (workflow::names_role(kind->opened_by(), ctx.user().role)) out.push_back(kind);
  }
  return out;
}

// The fields the person is asked: a school's own request is always a
// self-referral, so it is not asked who referred.
std::vector<workflow::FieldSpec> asked_fields(const PageContext& ctx, const workflow::CaseKind& kind) {
  std::vector<workflow::FieldSpec> out;
  for (const auto& f : kind.open_fields()) {
    if (ctx.is("school") && (f.name == "source" || f.name == "linked_case")) continue;
    out.push_back(f);
  }
  return out;
}

std::optional<std::int32_t> school_of_user(const PageContext& ctx) {
  if (!ctx.is("school")) return std::nullopt;
  std::int32_t urn = 0;
  const auto& v = ctx.user().scope_value;
  if (std::from_chars(v.data(), v.data() + v.size(), urn).ec != std::errc()) return std::nullopt;
  return urn;
}

struct Choice {
  const workflow::CaseKind* kind = nullptr;
  std::optional<cases::School> school;
  std::vector<FieldError> errors;
};

// Reads and checks the first question page's answers: the kind and the school.
Choice read_choice(const PageContext& ctx, const std::string& kind_name, const std::string& urn_text) {
  Choice choice;
  for (const auto* k : kinds_for(ctx)) {
    if (k->name() == kind_name) choice.kind = k;
  }
  if (choice.kind == nullptr) choice.errors.push_back({"kind", "Select what is needed"});
  std::int32_t urn = 0;
  if (const auto own = school_of_user(ctx)) {
    urn = *own;
  } else if (urn_text.empty()) {
    choice.errors.push_back({"urn", "Enter the school's URN"});
    return choice;
  } else if (std::from_chars(urn_text.data(), urn_text.data() + urn_text.size(), urn).ec != std::errc() ||
             urn <= 0 || urn > 99999999) {
    choice.errors.push_back({"urn", "The URN must be the school's unique reference number, like 144871"});
    return choice;
  }
  choice.school = cases::find_school(*ctx.app.db, urn);
  if (!choice.school) choice.errors.push_back({"urn", "There is no school with URN " + std::to_string(urn)});
  return choice;
}

api::HttpResponse first_question(PageContext& ctx, const std::string& kind, const std::string& urn,
                                 const std::vector<FieldError>& errors, int status) {
  json::array kinds;
  for (const auto* k : kinds_for(ctx)) {
    kinds.push_back(json::object{{"value", std::string(k->name())},
                                 {"label", words(k->name())},
                                 {"id", "f-kind-" + std::string(k->name())},
                                 {"checked", kind == k->name() || kinds_for(ctx).size() == 1}});
  }
  if (kinds.empty()) throw PageRefusal{403, "You cannot refer a school", "Your role does not open cases."};
  json::object model{{"title", std::string(errors.empty() ? "" : "Error: ") +
                                   (ctx.is("school") ? "Ask for support" : "Refer a school")},
                     {"heading", ctx.is("school") ? "What does your school need?" : "Which school, and what is needed?"},
                     {"kinds", kinds},
                     {"ask_urn", !ctx.is("school")},
                     {"urn", urn},
                     {"errors", error_summary(errors)},
                     {"has_errors", !errors.empty()}};
  if (!kinds.empty()) model["first_kind_id"] = kinds[0].as_object()["id"];
  for (const auto& e : errors) model[e.field + "_error"] = e.message;
  return page(ctx, "refer_start", std::move(model), status);
}

api::HttpResponse start(PageContext& ctx) {
  return first_question(ctx, query_value(ctx.request.query, "kind"), query_value(ctx.request.query, "urn"), {}, 200);
}

api::HttpResponse details_page(PageContext& ctx, const Choice& choice, const Form* posted,
                               const std::vector<FieldError>& errors, int status) {
  const auto fields = asked_fields(ctx, *choice.kind);
  std::string kind_words = words(choice.kind->name());
  kind_words[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(kind_words[0])));
  json::object model{{"title", std::string(errors.empty() ? "" : "Error: ") + "About the " + kind_words},
                     {"heading", "About the " + kind_words},
                     {"kind", std::string(choice.kind->name())},
                     {"kind_title", words(choice.kind->name())},
                     {"urn", std::to_string(choice.school->urn)},
                     {"school", choice.school->name},
                     {"fields", field_models(fields, posted, errors)},
                     {"errors", error_summary(errors)},
                     {"has_errors", !errors.empty()}};
  return page(ctx, "refer_details", std::move(model), status);
}

// After the first question: the kind's own questions.
api::HttpResponse choose(PageContext& ctx) {
  const std::string kind = ctx.form.text("kind");
  const std::string urn = ctx.form.text("urn");
  const Choice choice = read_choice(ctx, kind, urn);
  if (!choice.errors.empty()) return first_question(ctx, kind, urn, choice.errors, 400);
  return details_page(ctx, choice, nullptr, {}, 200);
}

// Every answer posted so far, read again; or the page that asks again for
// what is wrong with them.
struct Answers {
  Choice choice;
  std::vector<workflow::FieldSpec> fields;
  ReadPayload read;
  std::optional<api::HttpResponse> ask_again;
};

Answers read_answers(PageContext& ctx) {
  Answers a;
  a.choice = read_choice(ctx, ctx.form.text("kind"), ctx.form.text("urn"));
  if (!a.choice.errors.empty()) {
    a.ask_again = first_question(ctx, ctx.form.text("kind"), ctx.form.text("urn"), a.choice.errors, 400);
    return a;
  }
  a.fields = asked_fields(ctx, *a.choice.kind);
  a.read = read_payload(a.fields, ctx.form);
  if (a.read.errors.empty()) {
    if (auto problem = cases::referral_link_problem(*ctx.app.engine, ctx.actor, a.read.payload)) {
      std::string message = std::move(problem->second);
      message[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(message[0])));
      a.read.errors.push_back({problem->first, message});
    }
  }
  if (!a.read.errors.empty()) a.ask_again = details_page(ctx, a.choice, &ctx.form, a.read.errors, 400);
  return a;
}

// Check your answers, or the questions again with what is wrong.
api::HttpResponse check(PageContext& ctx) {
  Answers a = read_answers(ctx);
  if (a.ask_again) return std::move(*a.ask_again);
  json::array answers;
  json::array hidden;
  for (const auto& f : a.fields) {
    const auto it = a.read.payload.find(f.name);
    answers.push_back(json::object{
        {"key", field_label(f)},
        {"value", it == a.read.payload.end() ? std::string("Not given") : value_text(it->value())}});
    // Every posted answer goes on, as posted, to be read again on confirming.
    const std::string name(f.name);
    for (const std::string suffix : {"", "-day", "-month", "-year"}) {
      if (ctx.form.has(name + suffix)) {
        hidden.push_back(json::object{{"name", name + suffix}, {"value", ctx.form.text(name + suffix)}});
      }
    }
  }
  return page(ctx, "refer_check",
              json::object{{"title", "Check your answers"},
                           {"kind", std::string(a.choice.kind->name())},
                           {"kind_title", words(a.choice.kind->name())},
                           {"urn", std::to_string(a.choice.school->urn)},
                           {"school", a.choice.school->name},
                           {"ask_urn", !ctx.is("school")},
                           {"answers", answers},
                           {"hidden", hidden}});
}

api::HttpResponse confirm(PageContext& ctx) {
  Answers a = read_answers(ctx);
  if (a.ask_again) return std::move(*a.ask_again);
  const Choice& choice = a.choice;
  workflow::Case opened;
  try {
    opened = ctx.app.engine->open_case(choice.kind->name(), choice.school->urn, a.read.payload, ctx.actor);
  } catch (const workflow::EngineError& e) {
    using Code = workflow::EngineError::Code;
    if (e.code() == Code::out_of_scope) {
      return first_question(ctx, ctx.form.text("kind"), ctx.form.text("urn"),
                            {{"urn", choice.school->name + " is outside the schools you work with"}}, 403);
    }
    if ((e.code() == Code::payload_invalid || e.code() == Code::guard_failed) && !e.field().empty()) {
      std::string field = e.field();
      if (field.starts_with("$.")) field = field.substr(2);
      if (field.starts_with("data.")) field = field.substr(5);
      return details_page(ctx, choice, &ctx.form, {{field, e.reason().empty() ? e.what() : e.reason()}}, 422);
    }
    throw;
  }
  ctx.app.metrics.count_event(opened.kind, "open");
  return redirect(ctx, "/refer/done?reference=" + url_encode(opened.reference));
}

api::HttpResponse done(PageContext& ctx) {
  const auto c = cases::find_visible_case(*ctx.app.engine, ctx.actor, query_value(ctx.request.query, "reference"));
  if (!c) throw PageRefusal{404, "Page not found", "There is no such case, or it is not yours to see."};
  return page(ctx, "refer_done",
              json::object{{"title", "Request sent"},
                           {"reference", c->reference},
                           {"href", "/cases/" + c->reference},
                           {"is_school", ctx.is("school")}});
}

}  // namespace referral_pages

}  // namespace s2s::web
