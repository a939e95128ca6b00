#pragma once

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "api/app.h"
#include "api/server.h"
#include "cases/demo.h"
#include "cases/kinds.h"
#include "cases/users.h"
#include "tests/support/http_client.h"
#include "tests/support/test_database.h"
#include "web/link_mailer.h"
#include "web/web.h"

// The whole API over real HTTP on loopback: a migrated database (SQLite or
// PostgreSQL) with the demo data, s2sd's router and server on a free port,
// and a user of every role inside and outside the scope of one deployed case.
namespace s2s::testing {

// A JSON string's text.
inline std::string str(const boost::json::value& v) { return std::string(v.as_string()); }

// The case references of a page of cases.
inline std::set<std::string> references(const boost::json::value& page) {
  std::set<std::string> out;
  for (const auto& item : page.at("items").as_array()) out.insert(str(item.at("reference")));
  return out;
}

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override { start(unlimited()); }

  // The default limits but for the rate limit, which only its own test meets.
  static api::ApiOptions unlimited() {
    api::ApiOptions options;
    options.rate_per_second = 1e6;
    options.rate_burst = 1e6;
    return options;
  }
  void TearDown() override { stop(); }

  void start(const api::ApiOptions& options, const api::ServerOptions& server_options = {}) {
    db_ = std::make_unique<TestDatabase>();
    app_.db = db_->open_migrated();
    app_.engine = std::make_unique<workflow::Engine>(app_.db, cases::all_kinds(), engine_options_);
    app_.options = options;
    demo_ = cases::load_demo(*app_.engine);
    leader_in_ = demo_.deployed_system_leader;
    for (const auto& [name, id] : demo_.system_leaders) {
      if (id != leader_in_ && leader_out_ == 0) leader_out_ = id;
    }
    // A case outside the alliance (Northamptonshire): the "outside" users' own.
    outside_case_ = app_.engine
                        ->open_case("support_request", kOutsideUrn,
                                    {{"source", "self"}, {"summary", "Outside the alliance"}}, "test")
                        .id;
    case_ = find_case(demo_.deployed_school_urn, "deployment");
    reference_ = app_.engine->get(case_).reference;

    const auto user = [&](const std::string& key, const std::string& role, const std::string& scope,
                          const std::string& phases = "") {
      tokens_[key] = cases::add_user(*app_.db, key, key + "@test.example.org", role, scope, phases).token;
    };
    user("admin", "admin", "");
    user("strategic", "strategic", "");
    // Leads of the alliance narrowed to phases: the deployed school is a primary.
    user("lead-primary", "lead", "alliance:" + std::to_string(demo_.alliance_id), "primary");
    user("lead-special", "lead", "alliance:" + std::to_string(demo_.alliance_id), "special");
    user("lead", "lead", "alliance:" + std::to_string(demo_.alliance_id));
    user("lead-out", "lead", "mini_region:Northamptonshire");
    user("system_leader", "system_leader", "system_leader:" + std::to_string(leader_in_));
    user("system_leader-out", "system_leader", "system_leader:" + std::to_string(leader_out_));
    user("school", "school", "school:" + std::to_string(demo_.deployed_school_urn));
    user("school-out", "school", "school:" + std::to_string(kOutsideUrn));
    user("la_officer", "la_officer", "la:891");  // Nottinghamshire: the deployed school's LA
    user("la_officer-out", "la_officer", "la:928");

    router_ = std::make_unique<api::Router>();
    api::register_routes(*router_, app_);
    if (!link_smtp_url_.empty()) {
      notifications::SmtpOptions smtp;
      smtp.url = link_smtp_url_;
      link_mailer_ = std::make_unique<web::LinkMailer>(app_.db, smtp, "https://s2s.example.org", web_options_.sessions);
    }
    if (with_web_) web::register_web_routes(*router_, app_, web_options_, link_mailer_.get());
    auto opts = server_options;
    opts.port = 0;
    opts.upload_paths = web::upload_paths();
    opts.may_upload = web::may_upload(app_, web_options_);
    server_ = std::make_unique<api::HttpServer>(opts, api::make_handler(*router_, app_));
    thread_ = std::thread([this] { server_->run(false); });
  }

  void stop() {
    if (thread_.joinable()) {
      server_->stop();
      thread_.join();
    }
  }

  // The id of the case of `urn` in `phase` (the first, by id).
  std::int64_t find_case(std::int32_t urn, const std::string& phase) {
    for (std::int64_t id = 1;; ++id) {
      const auto c = app_.engine->find(id);
      if (!c) break;
      if (c->school_urn == urn && workflow::to_string(c->phase) == phase && c->kind == "support_request") return id;
    }
    ADD_FAILURE() << "no support request of " << urn << " in " << phase;
    return 0;
  }

  // One request as the user `who` (a key of tokens_, or "" for none).
  ClientResponse call(const std::string& who, const std::string& method, const std::string& target,
                      const std::string& body = "", std::vector<std::pair<std::string, std::string>> headers = {}) {
    if (!who.empty()) headers.emplace_back("Authorization", "Bearer " + tokens_.at(who));
    bool typed = false;
    for (const auto& [name, value] : headers) typed = typed || name == "Content-Type";
    if (!body.empty() && !typed) headers.emplace_back("Content-Type", "application/json");
    return http_request(server_->port(), method, target, body, headers);
  }

  static boost::json::value parse(const ClientResponse& r) {
    try {
      return boost::json::parse(r.body);
    } catch (const std::exception&) {
      ADD_FAILURE() << "not JSON: " << r.body;
      return {};
    }
  }
  static std::string type_of(const ClientResponse& r) {
    const auto v = parse(r);
    if (!v.is_object() || !v.as_object().contains("type")) return "";
    return std::string(v.at("type").as_string());
  }

  static constexpr std::int32_t kOutsideUrn = 121877;

  workflow::EngineOptions engine_options_;  // set before start(), e.g. a test clock
  bool with_web_ = false;                   // set before start(): the web pages too (tests/web/)
  web::WebOptions web_options_;
  std::string link_smtp_url_;  // set before start(): sign-in links are emailed through this server
  std::unique_ptr<web::LinkMailer> link_mailer_;
  std::unique_ptr<TestDatabase> db_;
  api::App app_;
  cases::DemoData demo_;
  std::int64_t leader_in_ = 0;
  std::int64_t leader_out_ = 0;
  std::int64_t case_ = 0;          // a support request in deployment, of the deployed school, leader_in_ deployed
  std::int64_t outside_case_ = 0;  // a support request of kOutsideUrn
  std::string reference_;
  std::map<std::string, std::string> tokens_;
  std::unique_ptr<api::Router> router_;
  std::unique_ptr<api::HttpServer> server_;
  std::thread thread_;
};

}  // namespace s2s::testing
