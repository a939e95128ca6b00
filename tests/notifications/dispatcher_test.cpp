// The outbox delivered over SMTP to a real server on loopback (aiosmtpd, run
// as a child process), on SQLite and PostgreSQL: recipients by role, subject,
// bodies and Message-ID; a refusing server, retries, a dead letter and its
// resend; a role with nobody to tell; two dispatchers sharing the work.
#include "notifications/dispatcher.h"

#include <gtest/gtest.h>
#include <soci/soci.h>
#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <set>

#include "cases/gias_import.h"
#include "cases/kinds.h"
#include "cases/providers.h"
#include "cases/recipients.h"
#include "cases/users.h"
#include "notifications/templates.h"
#include "tests/support/http_client.h"
#include "tests/support/process.h"
#include "tests/support/smtp_sink.h"
#include "tests/support/test_database.h"
#include "tests/support/two_schools.h"
#include "workflow/case_store.h"
#include "workflow/date.h"
#include "workflow/engine.h"
#include "workflow/errors.h"
#include "workflow/migrations.h"

namespace s2s::notifications {
namespace {

namespace fs = std::filesystem;
using testing::SmtpSink;

SmtpOptions smtp(std::string url) {
  SmtpOptions o;
  o.url = std::move(url);
  return o;
}

std::string data_of(const boost::json::object& m) { return std::string(m.at("data").as_string()); }

// Each message the server holds, as its Message-ID and first recipient: the
// same delivery sent twice shows twice.
std::multiset<std::string> delivered(const SmtpSink& sink) {
  std::multiset<std::string> keys;
  for (const auto& m : sink.messages()) {
    const std::string data = data_of(m);
    const auto at = data.find("Message-ID: ");
    keys.insert(data.substr(at, data.find('\r', at) - at) + " " + std::string(m.at("rcpt_tos").at(0).as_string()));
  }
  return keys;
}

class DispatcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = test_db_.open_migrated();
    const auto alliance = s2s::testing::two_schools_and_an_alliance(*db_);
    lead_ = cases::add_user(*db_, "Amy Lead", "amy@example.org", "lead", "alliance:" + std::to_string(alliance)).user;
    (void)cases::add_user(*db_, "Second Lead", "second@example.org", "lead", "mini_region:Nottinghamshire");
    engine_ = std::make_unique<workflow::Engine>(db_, cases::all_kinds());
  }

  std::int64_t refer(std::int32_t urn) {
    return engine_->open_case("support_request", urn, {{"source", "self"}, {"summary", "Writing <in> year 6"}}, "test")
        .id;
  }

  DispatcherOptions options() {
    DispatcherOptions o;
    o.backoff_base = std::chrono::seconds(0);  // retries due at once
    o.max_attempts = 3;
    o.public_url = "https://s2s.example.org";
    o.webhooks_to_private_addresses = true;  // the test's receiver is on loopback
    return o;
  }

  std::string outbox_status(std::int64_t id) {
    auto c = db_->acquire();
    std::string status;
    const long long key = id;
    c.session() << "SELECT status FROM outbox WHERE id = :id", soci::use(key), soci::into(status);
    return status;
  }

  testing::TestDatabase test_db_;
  std::shared_ptr<workflow::Database> db_;
  std::unique_ptr<workflow::Engine> engine_;
  cases::User lead_;
};

TEST_F(DispatcherTest, AReferralReachesEveryLeadOfTheSchoolWithSubjectBodiesAndMessageId) {
  SmtpSink sink;
  const auto case_id = refer(146330);
  const auto reference = engine_->get(case_id).reference;
  Dispatcher dispatcher(db_, cases::all_kinds(), cases::directory(), Mailer(smtp(sink.url())), options());
  const auto report = dispatcher.run_once();
  EXPECT_EQ(report.expanded, 1u);
  EXPECT_EQ(report.sent, 2u);  // the alliance's lead and the mini region's
  EXPECT_EQ(report.retried + report.dead + report.undeliverable, 0u);

  const auto messages = sink.messages();
  ASSERT_EQ(messages.size(), 2u);
  std::set<std::string> to;
  for (const auto& m : messages) {
    to.insert(std::string(m.at("rcpt_tos").as_array().at(0).as_string()));
    const std::string data = data_of(m);
    EXPECT_NE(data.find("Subject: New referral " + reference + " for Ladybrook Fields Primary Academy"),
              std::string::npos)
        << data;
    EXPECT_NE(data.find("Message-ID: <outbox-1@s2s.localhost>"), std::string::npos) << data;
    EXPECT_NE(data.find("Content-Type: text/html; charset=utf-8"), std::string::npos) << data;
    EXPECT_NE(data.find("https://s2s.example.org/cases/" + reference), std::string::npos) << data;
    EXPECT_NE(data.find("support request"), std::string::npos) << data;
  }
  EXPECT_EQ(to, (std::set<std::string>{"amy@example.org", "second@example.org"}));
  const bool named = data_of(messages[0]).find("To: \"Amy Lead\" <amy@example.org>") != std::string::npos ||
                     data_of(messages[1]).find("To: \"Amy Lead\" <amy@example.org>") != std::string::npos;
  EXPECT_TRUE(named);
  EXPECT_EQ(outbox_status(1), "sent");

  // A second round has nothing left to do.
  const auto again = dispatcher.run_once();
  EXPECT_EQ(again.expanded + again.sent, 0u);
  EXPECT_EQ(sink.messages().size(), 2u);
}

TEST_F(DispatcherTest, ARefusingServerMeansRetriesThenADeadLetterThatAResendDelivers) {
  SmtpSink sink;
  sink.refuse(true);
  refer(121877);  // Northamptonshire: no lead there, and none in the alliance
  (void)cases::add_user(*db_, "North Lead", "north@example.org", "lead", "mini_region:Northamptonshire");
  Dispatcher dispatcher(db_, cases::all_kinds(), cases::directory(), Mailer(smtp(sink.url())), options());
  auto report = dispatcher.run_once();
  EXPECT_EQ(report.retried, 1u);
  EXPECT_EQ(outbox_status(1), "pending");
  report = dispatcher.run_once();
  EXPECT_EQ(report.retried, 1u);
  report = dispatcher.run_once();
  EXPECT_EQ(report.dead, 1u);
  EXPECT_EQ(outbox_status(1), "dead");
  EXPECT_TRUE(sink.messages().empty());

  const auto dead = notifications(*db_, "dead", 10);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].message, "referral_received");
  ASSERT_EQ(dead[0].deliveries.size(), 1u);
  EXPECT_EQ(dead[0].deliveries[0].attempts, 3);
  EXPECT_NE(dead[0].deliveries[0].last_error.find("451"), std::string::npos) << dead[0].deliveries[0].last_error;
  {
    auto c = db_->acquire();
    int attempts = 0;
    c.session() << "SELECT count(*) FROM delivery_attempts WHERE ok = :f", soci::use(0), soci::into(attempts);
    EXPECT_EQ(attempts, 3);
  }
  // Nothing more is tried for a dead letter.
  EXPECT_EQ(dispatcher.run_once().retried, 0u);

  EXPECT_THROW((void)resend(*db_, 99, std::chrono::system_clock::now()), NotificationError);
  sink.refuse(false);
  EXPECT_EQ(resend(*db_, 1, std::chrono::system_clock::now()), 1);
  EXPECT_THROW((void)resend(*db_, 1, std::chrono::system_clock::now()), NotificationError);  // pending now
  report = dispatcher.run_once();
  EXPECT_EQ(report.sent, 1u);
  EXPECT_EQ(outbox_status(1), "sent");
  const auto messages = sink.messages();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_NE(data_of(messages[0]).find("Message-ID: <outbox-1@s2s.localhost>"), std::string::npos);
}

TEST_F(DispatcherTest, ARoleWithNobodyToTellIsReportedInTheDeliveryRecord) {
  SmtpSink sink;
  refer(121877);  // no lead covers Northamptonshire
  Dispatcher dispatcher(db_, cases::all_kinds(), cases::directory(), Mailer(smtp(sink.url())), options());
  const auto report = dispatcher.run_once();
  EXPECT_EQ(report.undeliverable, 1u);
  EXPECT_EQ(report.sent, 0u);
  EXPECT_EQ(outbox_status(1), "sent");  // settled: nobody to send it to is not a failure to send
  const auto sent = notifications(*db_, "sent", 10);
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_EQ(sent[0].deliveries.size(), 1u);
  EXPECT_EQ(sent[0].deliveries[0].status, "undeliverable");
  EXPECT_EQ(sent[0].deliveries[0].last_error, "no address: no lead user for this case");
}

// A message no kind declares (queued other than through the engine, which
// refuses undeclared ones) reaches nobody, and says why, rather than going to
// whoever a default names.
TEST_F(DispatcherTest, AMessageItsKindDoesNotDeclareIsUndeliverableAndSaysWhy) {
  SmtpSink sink;
  const auto case_id = refer(146330);
  {
    auto connection = db_->acquire();
    workflow::CaseStore store(connection);
    const boost::json::object payload{{"case_id", case_id},    {"reference", "SR-2026-0001"}, {"kind", "support_request"},
                                      {"school_urn", 146330},  {"event", "x"},                {"state", "referred"}};
    store.insert_outbox(case_id, "never_declared", boost::json::serialize(payload), "2026-11-02T09:00:00Z");
  }
  Dispatcher dispatcher(db_, cases::all_kinds(), cases::directory(), Mailer(smtp(sink.url())), options());
  const auto report = dispatcher.run_once();
  EXPECT_EQ(report.undeliverable, 1u);
  EXPECT_EQ(report.sent, 2u) << "the referral itself still reaches both leads";
  bool found = false;
  for (const auto& n : notifications(*db_, "sent", 10)) {
    if (n.message != "never_declared") continue;
    found = true;
    ASSERT_EQ(n.deliveries.size(), 1u);
    EXPECT_EQ(n.deliveries[0].status, "undeliverable");
    EXPECT_NE(n.deliveries[0].last_error.find("no recipients are declared for message never_declared of kind "
                                              "support_request"),
              std::string::npos)
        << n.deliveries[0].last_error;
  }
  EXPECT_TRUE(found);
}

TEST_F(DispatcherTest, AnUnreachableServerNeverTouchesCaseWork) {
  const auto port = testing::free_port();  // nothing listens
  refer(146330);
  Dispatcher dispatcher(db_, cases::all_kinds(), cases::directory(),
                        Mailer(smtp("smtp://127.0.0.1:" + std::to_string(port))), options());
  const auto report = dispatcher.run_once();
  EXPECT_EQ(report.retried, 2u);
  // Case work goes on.
  const auto id = refer(146330);
  EXPECT_EQ(engine_->get(id).state, "referred");
}

TEST_F(DispatcherTest, PostgresOnlyTwoDispatchersShareTheWorkAndSendEachMessageOnce) {
  ASSERT_EQ(test_db_.backend(), workflow::Backend::postgresql);
  SmtpSink sink;
  for (int i = 0; i < 15; ++i) refer(146330);
  auto o = options();
  o.batch = 4;
  Dispatcher a(test_db_.open(), cases::all_kinds(), cases::directory(), Mailer(smtp(sink.url())), o);
  Dispatcher b(test_db_.open(), cases::all_kinds(), cases::directory(), Mailer(smtp(sink.url())), o);
  auto fa = std::async(std::launch::async, [&] { return a.run_once(); });
  auto fb = std::async(std::launch::async, [&] { return b.run_once(); });
  const auto ra = fa.get();
  const auto rb = fb.get();
  std::size_t sent = ra.sent + rb.sent;
  // Whatever a round left (each claims one batch) the next rounds send.
  while (true) {
    const auto more = a.run_once().sent;
    if (more == 0) break;
    sent += more;
  }
  EXPECT_EQ(sent, 30u);
  const auto keys = delivered(sink);
  EXPECT_EQ(keys.size(), 30u);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 30u);  // none twice
}

TEST_F(DispatcherTest, OneRunUntilIdleSendsAQueueLongerThanABatchAndEachMessageOnce) {
  SmtpSink sink;
  for (int i = 0; i < 15; ++i) refer(146330);  // 30 deliveries: two leads each
  auto o = options();
  o.batch = 4;
  Dispatcher dispatcher(db_, cases::all_kinds(), cases::directory(), Mailer(smtp(sink.url())), o);
  const auto report = dispatcher.run_until_idle();
  EXPECT_EQ(report.expanded, 15u);
  EXPECT_EQ(report.claimed, 30u);
  EXPECT_EQ(report.sent, 30u);
  const auto keys = delivered(sink);
  EXPECT_EQ(keys.size(), 30u);
  EXPECT_EQ(std::set<std::string>(keys.begin(), keys.end()).size(), 30u);  // none twice
  const auto again = dispatcher.run_until_idle();
  EXPECT_EQ(again.claimed, 0u);
  EXPECT_EQ(sink.messages().size(), 30u);

  // A refusing server: each round's batch is put off by its backoff (none
  // here, so due again at once) until a dead letter; the run still ends.
  for (int i = 0; i < 3; ++i) refer(146330);
  sink.refuse(true);
  const auto refused = dispatcher.run_until_idle();
  EXPECT_EQ(refused.sent, 0u);
  EXPECT_EQ(refused.dead, 6u);
  EXPECT_EQ(refused.retried, 12u);  // three attempts each: two retried, the third dead
}

TEST_F(DispatcherTest, WebhooksOfTheSchoolsAllianceGetASignedPostAndAFailureIsRetried) {
  SmtpSink mail;
  SmtpSink receiver("http_sink.py");
  const std::string url = "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hooks/s2s";
  std::string secret;
  const auto hook =
      add_webhook(*db_, *cases::directory(), "alliance:1", url, secret, std::chrono::system_clock::now(), true);
  EXPECT_EQ(secret.rfind("whsec_", 0), 0u);
  std::string unused;
  EXPECT_THROW(
      (void)add_webhook(*db_, *cases::directory(), "alliance:99", url, unused, std::chrono::system_clock::now()),
      NotificationError);
  EXPECT_THROW((void)add_webhook(*db_, *cases::directory(), "mini_region:Atlantis", url, unused,
                                 std::chrono::system_clock::now()),
               NotificationError);
  EXPECT_THROW(
      (void)add_webhook(*db_, *cases::directory(), "alliance:1", "ftp://x", unused, std::chrono::system_clock::now()),
      NotificationError);
  EXPECT_THROW(
      (void)add_webhook(*db_, *cases::directory(), "alliance:1", url, unused, std::chrono::system_clock::now(), true),
      NotificationError);  // the same again

  receiver.answer(503);
  const auto case_id = refer(146330);
  refer(121877);  // outside the alliance: no webhook
  Dispatcher dispatcher(db_, cases::all_kinds(), cases::directory(), Mailer(smtp(mail.url())), options());
  auto report = dispatcher.run_once();
  EXPECT_EQ(report.retried, 1u);  // the webhook; the two leads' emails went
  EXPECT_TRUE(receiver.messages().empty());
  receiver.answer(204);
  report = dispatcher.run_once();
  EXPECT_EQ(report.sent, 1u);
  const auto posts = receiver.messages();
  ASSERT_EQ(posts.size(), 1u);
  const auto& post = posts[0];
  EXPECT_EQ(std::string(post.at("path").as_string()), "/hooks/s2s");
  const std::string body(post.at("body").as_string());
  const auto& headers = post.at("headers").as_object();
  EXPECT_EQ(std::string(headers.at("X-S2S-Signature").as_string()), "sha256=" + hmac_sha256_hex(secret, body));
  EXPECT_EQ(std::string(headers.at("X-S2S-Delivery").as_string()), "outbox-1");
  const auto json = boost::json::parse(body).as_object();
  EXPECT_EQ(json.at("case_id").as_int64(), case_id);
  EXPECT_EQ(std::string(json.at("message").as_string()), "referral_received");
  EXPECT_EQ(std::string(json.at("state").as_string()), "referred");
  EXPECT_TRUE(json.at("deadline").is_null());
  EXPECT_EQ(std::string(json.at("link").as_string()),
            "https://s2s.example.org/api/v1/cases/" + std::to_string(case_id));
  (void)hook;
}

TEST_F(DispatcherTest, ADigestUserHearsOnceADayOfEverythingHeldForThem) {
  using namespace std::chrono;
  SmtpSink sink;
  cases::set_notify(*db_, "amy@example.org", "digest");
  EXPECT_THROW(cases::set_notify(*db_, "amy@example.org", "weekly"), cases::UserError);
  EXPECT_THROW(cases::set_notify(*db_, "nobody@example.org", "digest"), cases::UserError);
  const auto first = engine_->get(refer(146330)).reference;
  const auto second = engine_->get(refer(146330)).reference;
  auto o = options();
  system_clock::time_point now = sys_days(year{2026} / 11 / 23) + hours(6);  // 06:00 in London (GMT)
  o.clock = [&] { return now; };
  Dispatcher dispatcher(db_, cases::all_kinds(), cases::directory(), Mailer(smtp(sink.url())), o);
  auto report = dispatcher.run_once();
  EXPECT_EQ(report.sent, 2u);  // the other lead hears at once, of each
  EXPECT_EQ(report.digests, 0u);
  EXPECT_EQ(outbox_status(1), "pending");  // Amy's part is held

  now += hours(2);  // 08:00: past the 07:00 digest
  report = dispatcher.run_once();
  EXPECT_EQ(report.digests, 1u);
  const auto messages = sink.messages();
  ASSERT_EQ(messages.size(), 3u);
  const std::string digest = data_of(messages.back());
  EXPECT_EQ(std::string(messages.back().at("rcpt_tos").at(0).as_string()), "amy@example.org");
  EXPECT_NE(digest.find("Subject: s2s daily digest for 2026-11-23: 2 updates"), std::string::npos) << digest;
  EXPECT_NE(digest.find("New referral " + first + " for Ladybrook Fields Primary Academy"), std::string::npos);
  EXPECT_NE(digest.find("New referral " + second), std::string::npos) << digest;
  EXPECT_EQ(outbox_status(1), "sent");
  EXPECT_EQ(outbox_status(2), "sent");
  EXPECT_EQ(dispatcher.run_once().digests, 0u);  // nothing held is left

  // What comes after today's digest waits for tomorrow's.
  refer(146330);
  now += hours(1);
  EXPECT_EQ(dispatcher.run_once().digests, 0u);
  now += hours(24);
  EXPECT_EQ(dispatcher.run_once().digests, 1u);
}

TEST_F(DispatcherTest, ADeadlineRemindsEveryoneOnTheCaseThenEscalatesToTheLeadsWhenItPasses) {
  using namespace std::chrono;
  SmtpSink sink;
  (void)cases::add_user(*db_, "Head", "head@ladybrook.example", "school", "school:146330");
  // An engine whose days we move: the referral's triage deadline (5 working days) is
  // reminded 2 working days before and passes after.
  system_clock::time_point now = sys_days(year{2026} / 11 / 23) + hours(9);  // a Monday
  workflow::EngineOptions engine_options;
  engine_options.clock = [&] { return now; };
  workflow::Engine engine(db_, cases::all_kinds(), engine_options);
  const auto reference =
      engine.open_case("support_request", 146330, {{"source", "self"}, {"summary", "s"}}, "test").reference;
  Dispatcher dispatcher(db_, cases::all_kinds(), cases::directory(), Mailer(smtp(sink.url())), options());
  EXPECT_EQ(dispatcher.run_once().sent, 2u);  // the referral, to the two leads
  now += days(3);                             // Thursday: 2 working days before Monday's deadline
  EXPECT_GE(engine.fire_due_timers("t", 10, seconds(60)).fired, 1u);
  auto report = dispatcher.run_once();
  EXPECT_EQ(report.sent, 3u);  // the reminder: two leads and the school
  now += days(5);              // the next Saturday: Monday 30 November has passed
  EXPECT_GE(engine.fire_due_timers("t", 10, seconds(60)).fired, 1u);
  report = dispatcher.run_once();
  EXPECT_EQ(report.sent, 2u);  // the escalation: the leads only
  const auto messages = sink.messages();
  ASSERT_EQ(messages.size(), 7u);
  std::multiset<std::string> reminded;
  for (std::size_t i = 2; i < 5; ++i) {
    reminded.insert(std::string(messages[i].at("rcpt_tos").at(0).as_string()));
    EXPECT_NE(data_of(messages[i]).find("Subject: Reminder: Triage on " + reference + " is due 2026-11-30"),
              std::string::npos)
        << data_of(messages[i]);
  }
  EXPECT_TRUE(reminded.contains("head@ladybrook.example"));
  for (std::size_t i = 5; i < 7; ++i) {
    EXPECT_NE(std::string(messages[i].at("rcpt_tos").at(0).as_string()), "head@ladybrook.example");
    EXPECT_NE(data_of(messages[i]).find("Subject: Overdue: Triage on " + reference + " was due 2026-11-30"),
              std::string::npos)
        << data_of(messages[i]);
  }
}

TEST_F(DispatcherTest, AnUnreadableMessageIsADeadLetterAndTheOthersStillGo) {
  SmtpSink sink;
  {
    auto c = db_->acquire();
    c.session() << "INSERT INTO outbox (message, payload, status, next_attempt_at, created_at) VALUES"
                   " ('referral_received', '{\"school_urn\":\"not a number\"}', 'pending',"
                   " '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')";
  }
  refer(146330);
  Dispatcher dispatcher(db_, cases::all_kinds(), cases::directory(), Mailer(smtp(sink.url())), options());
  const auto report = dispatcher.run_once();
  EXPECT_EQ(report.sent, 2u);
  EXPECT_EQ(outbox_status(1), "dead");
  EXPECT_EQ(outbox_status(2), "sent");
  const auto dead = notifications(*db_, "dead", 10);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].outbox_id, 1);
}

TEST(WebhookSignatureTest, IsHmacSha256AsRfc4231Gives) {
  // RFC 4231, test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(TemplatesTest, EveryTemplateIsCheckedAndUnknownFieldsAreNamed) {
  EXPECT_NO_THROW(check_templates());
  try {
    check_template("greeting.txt", "Subject: x\n\nHello {{recipient_name}},\nsee {{nonsense}}\n");
    FAIL() << "an unknown field was accepted";
  } catch (const TemplateError& e) {
    EXPECT_NE(std::string(e.what()).find("greeting.txt line 4: unknown field {{nonsense}}"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(check_template("open.txt", "Hello {{recipient_name"), TemplateError);
  const auto r =
      render("referral_received",
             {{"reference", "SR-2026-0001"}, {"school_name", "A <b>bold</b> & school"}, {"recipient_name", "Amy"}});
  EXPECT_EQ(r.subject, "New referral SR-2026-0001 for A <b>bold</b> & school");
  EXPECT_NE(r.html.find("A &lt;b&gt;bold&lt;/b&gt; &amp; school"), std::string::npos) << r.html;
  EXPECT_NE(r.text.find("Hello Amy,"), std::string::npos) << r.text;
}


// The LA officer who asked for a risk assessment hears when its report is in,
// with the risk level and the recommendations, as the leads do.
TEST_F(DispatcherTest, ARiskAssessmentsReportReachesTheLaOfficerWhoAskedForItWithItsRecommendations) {
  const auto officer = cases::add_user(*db_, "Lou Officer", "lou@example.org", "la_officer", "la:891").user;
  const workflow::Actor as_officer("user:" + std::to_string(officer.id) + " " + officer.email, "la_officer", "la:891");
  const auto assessor = cases::create_system_leader(*db_, "Ash Assessor", "ash@example.org", 121877, std::nullopt);
  (void)cases::add_designation(*db_, assessor, "NLE", "", *workflow::parse_date("2020-09-01"), std::nullopt);
  cases::set_capacity(*db_, assessor, cases::academic_year_of(engine_->today()), 10);
  const auto id =
      engine_->open_case("risk_assessment", 146330, {{"source", "local_authority"}, {"summary", "Falling outcomes"}},
                         as_officer)
          .id;
  const auto today = engine_->today();
  engine_->apply(id, "accept_request", {}, "lead", today);
  engine_->apply(id, "propose_assessor", {{"provider_id", assessor}}, "lead", today);
  engine_->apply(id, "assessor_accepts", {}, "assessor", today);
  engine_->apply(id, "submit_report", {{"risk_level", "high"}, {"recommendations", "Coach the new leadership team"}},
                 "assessor", today);
  SmtpSink sink;
  Dispatcher dispatcher(db_, cases::all_kinds(), cases::directory(), Mailer(smtp(sink.url())), options());
  (void)dispatcher.run_once();
  std::set<std::string> told;
  for (const auto& m : sink.messages()) {
    const std::string data = data_of(m);
    if (data.find("Subject: Risk assessment report in for Ladybrook Fields Primary Academy") == std::string::npos) {
      continue;
    }
    told.insert(std::string(m.at("rcpt_tos").as_array().at(0).as_string()));
    EXPECT_NE(data.find("Risk level: high"), std::string::npos) << data;
    EXPECT_NE(data.find("Coach the new leadership team"), std::string::npos) << data;
  }
  EXPECT_EQ(told, (std::set<std::string>{"amy@example.org", "second@example.org", "lou@example.org"}));
}

// A lead narrowed to phases hears only of the schools in them.
TEST_F(DispatcherTest, ALeadNarrowedToPhasesHearsOnlyOfSchoolsInThosePhases) {
  (void)cases::add_user(*db_, "Sec Lead", "sec@example.org", "lead", "mini_region:Nottinghamshire", "secondary");
  (void)cases::add_user(*db_, "Prim Lead", "prim@example.org", "lead", "mini_region:Nottinghamshire", "primary,middle");
  (void)refer(146330);  // a primary
  SmtpSink sink;
  Dispatcher dispatcher(db_, cases::all_kinds(), cases::directory(), Mailer(smtp(sink.url())), options());
  (void)dispatcher.run_once();
  std::set<std::string> to;
  for (const auto& m : sink.messages()) to.insert(std::string(m.at("rcpt_tos").as_array().at(0).as_string()));
  EXPECT_EQ(to, (std::set<std::string>{"amy@example.org", "second@example.org", "prim@example.org"}));
}

}  // namespace
}  // namespace s2s::notifications

namespace s2s::notifications {
namespace {

TEST(WebhookAddressTest, LoopbackPrivateAndLinkLocalAddressesAreNotForWebhooks) {
  for (const char* ip : {"127.0.0.1", "127.8.9.10", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                         "169.254.169.254", "0.0.0.0", "100.64.0.1", "::1", "::", "fe80::1", "fd00::1",
                         "::ffff:127.0.0.1", "::ffff:10.0.0.1", "not an address"}) {
    EXPECT_TRUE(is_private_address(ip)) << ip;
  }
  for (const char* ip : {"8.8.8.8", "172.32.0.1", "192.169.0.1", "100.128.0.1", "2001:db8::1", "::ffff:8.8.8.8"}) {
    EXPECT_FALSE(is_private_address(ip)) << ip;
  }
}

TEST_F(DispatcherTest, AWebhookMayNotReachTheServersOwnNetworkUnlessAllowed) {
  std::string secret;
  for (const char* url : {"http://localhost:8080/x", "http://127.0.0.1/x", "https://10.0.0.5/x", "http://[::1]:9/x",
                          "http://user@192.168.0.2:80/x", "http://169.254.169.254/latest/meta-data",
                          "http://printer.localhost/x"}) {
    EXPECT_THROW((void)add_webhook(*db_, *cases::directory(), "alliance:1", url, secret,
                                   std::chrono::system_clock::now()),
                 NotificationError)
        << url;
  }
  EXPECT_EQ(testing::count_rows(*db_, "SELECT count(*) FROM webhooks"), 0);
  // A name is checked as the delivery connects: here one added with leave,
  // then delivered by a dispatcher that does not allow it. The receiver hears
  // nothing, and the record says why (never what the receiver said).
  SmtpSink mail;
  SmtpSink receiver("http_sink.py");
  (void)add_webhook(*db_, *cases::directory(), "alliance:1",
                    "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hooks", secret,
                    std::chrono::system_clock::now(), true);
  refer(146330);
  auto strict = options();
  strict.webhooks_to_private_addresses = false;
  strict.max_attempts = 1;
  Dispatcher dispatcher(db_, cases::all_kinds(), cases::directory(), Mailer(smtp(mail.url())), strict);
  (void)dispatcher.run_once();
  EXPECT_TRUE(receiver.messages().empty());
  bool refused = false;
  for (const auto& n : notifications(*db_, "dead", 10)) {
    for (const auto& d : n.deliveries) {
      if (d.channel == "webhook") refused = d.last_error.find("refused: the host is at 127.0.0.1") != std::string::npos;
    }
  }
  EXPECT_TRUE(refused);
  // A receiver's own words are not kept: only its status.
  SmtpSink other("http_sink.py");
  other.answer(500);
  EXPECT_THROW(
      {
        try {
          post_webhook("http://127.0.0.1:" + std::to_string(other.port()) + "/x", "s", "d", "{}",
                       std::chrono::seconds(5), true);
        } catch (const DeliveryError& e) {
          EXPECT_EQ(std::string(e.what()), "answered 500");
          throw;
        }
      },
      DeliveryError);
}

}  // namespace
}  // namespace s2s::notifications
