#include "workflow/kept_history.h"

#include <gtest/gtest.h>

#include <string>

namespace s2s::workflow {
namespace {

// A case's history of `entries` entries, each with a payload of about `payload_bytes`.
std::shared_ptr<KeptCaseHistory> history_of(std::int64_t id, int entries, std::size_t payload_bytes = 10) {
  auto out = std::make_shared<KeptCaseHistory>();
  out->case_id = id;
  out->reference = "SR-2026-" + std::to_string(1000 + id);
  out->opened_at = "2026-11-02T09:00:00Z";
  for (int i = 1; i <= entries; ++i) {
    HistoryEntry entry;
    entry.sequence = i;
    entry.event = "log_days";
    entry.to_state = "deployment";
    entry.actor = "user:7 amy@example.org";
    entry.payload["note"] = std::string(payload_bytes, 'x');
    out->entries.push_back(std::move(entry));
  }
  out->names.emplace("user:7 amy@example.org", "Amy Lead");
  return out;
}

TEST(KeptHistoryTest, AHistoryKeptIsFoundByItsCasesIdAndReference) {
  KeptHistory kept(1 << 20);
  EXPECT_EQ(kept.find(1), nullptr);
  kept.keep(history_of(1, 3));
  const auto by_id = kept.find(1);
  ASSERT_NE(by_id, nullptr);
  EXPECT_EQ(by_id->last_sequence(), 3);
  EXPECT_EQ(kept.find("SR-2026-1001"), by_id);
  EXPECT_EQ(kept.find("SR-2026-1002"), nullptr);
  EXPECT_EQ(kept.find(2), nullptr);
  EXPECT_EQ(kept.figures().cases, 1u);
  EXPECT_EQ(kept.figures().bytes, approximate_bytes(*by_id));
  kept.forget(1);
  EXPECT_EQ(kept.find(1), nullptr);
  EXPECT_EQ(kept.find("SR-2026-1001"), nullptr);
  EXPECT_EQ(kept.figures().cases, 0u);
  EXPECT_EQ(kept.figures().bytes, 0u);
}

// Two readers of one case keep what they read; the one that read further wins,
// whichever keeps last.
TEST(KeptHistoryTest, AShorterHistoryOfTheSameCaseNeverReplacesALongerOne) {
  KeptHistory kept(1 << 20);
  kept.keep(history_of(1, 5));
  kept.keep(history_of(1, 4));
  EXPECT_EQ(kept.find(1)->last_sequence(), 5);
  kept.keep(history_of(1, 6));
  EXPECT_EQ(kept.find(1)->last_sequence(), 6);
  // Another case given the same id (a database restored): its history replaces the other's.
  auto other = history_of(1, 2);
  other->opened_at = "2026-11-20T10:00:00Z";
  kept.keep(other);
  EXPECT_EQ(kept.find(1)->opened_at, "2026-11-20T10:00:00Z");
  EXPECT_EQ(kept.figures().cases, 1u);
  EXPECT_EQ(kept.figures().bytes, approximate_bytes(*other));
}

// Over its budget, the histories read longest ago go first; finding one counts as reading it.
TEST(KeptHistoryTest, OverItsBudgetTheHistoryReadLongestAgoGoesFirst) {
  const std::size_t one = approximate_bytes(*history_of(1, 4));
  KeptHistory kept(8 * one + one / 2);  // room for eight
  for (int id = 1; id <= 8; ++id) kept.keep(history_of(id, 4));
  EXPECT_EQ(kept.figures().cases, 8u);
  ASSERT_NE(kept.find(1), nullptr);  // 1 is now the latest read; 2 the longest ago
  kept.keep(history_of(9, 4));
  EXPECT_EQ(kept.find(2), nullptr);
  EXPECT_EQ(kept.find("SR-2026-1002"), nullptr);
  EXPECT_NE(kept.find(1), nullptr);
  EXPECT_NE(kept.find(3), nullptr);
  EXPECT_NE(kept.find(9), nullptr);
  EXPECT_EQ(kept.figures().cases, 8u);
  EXPECT_EQ(kept.figures().bytes, 8 * one);
}

TEST(KeptHistoryTest, AHistoryLargerThanAnEighthOfTheBudgetIsNotKept) {
  KeptHistory kept(64 * 1024);
  kept.keep(history_of(1, 100, 200));  // about 20 KB of payloads alone
  EXPECT_EQ(kept.find(1), nullptr);
  kept.keep(history_of(2, 2));
  EXPECT_NE(kept.find(2), nullptr);
  KeptHistory none(0);
  none.keep(history_of(3, 1));
  EXPECT_EQ(none.find(3), nullptr);
  EXPECT_EQ(none.figures().bytes, 0u);
}

// The estimate grows with what a history holds, so that the budget bounds memory.
TEST(KeptHistoryTest, ItsSizeGrowsWithItsEntriesAndTheirPayloads) {
  const std::size_t small = approximate_bytes(*history_of(1, 2, 10));
  EXPECT_GT(approximate_bytes(*history_of(1, 4, 10)), small + 2 * sizeof(HistoryEntry));
  EXPECT_GE(approximate_bytes(*history_of(1, 2, 1000)), small + 2 * 990);
}

// What is kept is used for a case only while it is that case's, as far as it goes.
TEST(KeptHistoryTest, AKeptHistoryBelongsOnlyToItsOwnCase) {
  const auto kept = history_of(1, 3);
  Case c;
  c.id = 1;
  c.reference = kept->reference;
  c.opened_at = kept->opened_at;
  c.version = 3;
  EXPECT_TRUE(kept->belongs_to(c));
  c.version = 5;
  EXPECT_TRUE(kept->belongs_to(c)) << "entries written since are read after it";
  c.version = 2;
  EXPECT_FALSE(kept->belongs_to(c)) << "a case with fewer entries than are kept";
  c.version = 3;
  c.opened_at = "2026-11-03T09:00:00Z";
  EXPECT_FALSE(kept->belongs_to(c)) << "another case opened at another time";
  c.opened_at = kept->opened_at;
  c.id = 2;
  EXPECT_FALSE(kept->belongs_to(c));
}

// The case whose history history_of(id, entries) is.
Case case_of(std::int64_t id, int version) {
  Case c;
  c.id = id;
  c.reference = "SR-2026-" + std::to_string(1000 + id);
  c.opened_at = "2026-11-02T09:00:00Z";
  c.version = version;
  return c;
}

// Texts made of the entries 1..`entries`, each in variant 0 and, for even
// sequences, in variant 1, each about `bytes` long.
std::shared_ptr<ShownEntries> texts_of(int entries, std::size_t bytes = 100) {
  auto out = std::make_shared<ShownEntries>();
  for (int sequence = 1; sequence <= entries; ++sequence) {
    out->set(sequence, 0, "<li>" + std::to_string(sequence) + std::string(bytes, 'x') + "</li>");
    if (sequence % 2 == 0) out->set(sequence, 1, "<li>" + std::to_string(sequence) + " (redacted)</li>");
  }
  return out;
}

// What a page made of a kept history's entries is kept with it, found by
// entry and variant, and counted in the budget; for its own case only.
TEST(KeptHistoryTest, TextsMadeOfAKeptHistoryAreKeptWithItForItsCaseOnly) {
  KeptHistory kept(1 << 20);
  kept.keep_shown(case_of(1, 3), texts_of(3));  // no history of case 1 kept: nothing to keep them with
  EXPECT_EQ(kept.shown(case_of(1, 3)), nullptr);
  kept.keep(history_of(1, 3));
  const std::size_t history_bytes = kept.figures().bytes;
  EXPECT_EQ(kept.shown(case_of(1, 3)), nullptr);
  const auto made = texts_of(3);
  kept.keep_shown(case_of(1, 3), made);
  const auto shown = kept.shown(case_of(1, 3));
  ASSERT_NE(shown, nullptr);
  ASSERT_NE(shown->text(1, 0), nullptr);
  EXPECT_EQ(*shown->text(1, 0), "<li>1" + std::string(100, 'x') + "</li>");
  EXPECT_EQ(*shown->text(2, 1), "<li>2 (redacted)</li>");
  EXPECT_EQ(shown->text(1, 1), nullptr) << "a variant not made";
  EXPECT_EQ(shown->text(4, 0), nullptr) << "an entry not made";
  EXPECT_EQ(shown->text(0, 0), nullptr);
  EXPECT_EQ(shown->text(1, ShownEntries::kVariants), nullptr);
  ShownEntries far;
  far.set(ShownEntries::kMostEntries + 1, 0, "<li>far</li>");
  EXPECT_TRUE(far.by_sequence.empty()) << "no place made for an entry past the last kept";
  EXPECT_EQ(far.text(ShownEntries::kMostEntries + 1, 0), nullptr);
  EXPECT_EQ(kept.figures().bytes, history_bytes + approximate_bytes(*made));
  EXPECT_GT(approximate_bytes(*made), 3 * 100u);
  // Not for another case given its id, nor for a case with fewer entries than are kept.
  Case other = case_of(1, 3);
  other.opened_at = "2026-11-20T10:00:00Z";
  EXPECT_EQ(kept.shown(other), nullptr);
  kept.keep_shown(other, texts_of(1));
  EXPECT_EQ(*kept.shown(case_of(1, 3))->text(1, 0), *made->text(1, 0));
  EXPECT_EQ(kept.shown(case_of(1, 2)), nullptr);
  // Forgetting the history forgets its texts.
  kept.forget(1);
  EXPECT_EQ(kept.figures().bytes, 0u);
  kept.keep(history_of(1, 3));
  EXPECT_EQ(kept.shown(case_of(1, 3)), nullptr);
}

// Entries never change, so what was made of the first ones still holds when
// the history read further is kept; not when another case takes the id.
TEST(KeptHistoryTest, TextsStayWithTheirCasesHistoryReadFurtherAndGoWithAnotherCases) {
  KeptHistory kept(1 << 20);
  kept.keep(history_of(1, 3));
  const auto made = texts_of(3);
  kept.keep_shown(case_of(1, 3), made);
  kept.keep(history_of(1, 5));
  const auto shown = kept.shown(case_of(1, 5));
  ASSERT_NE(shown, nullptr);
  ASSERT_NE(shown->text(3, 0), nullptr);
  EXPECT_EQ(*shown->text(3, 0), *made->text(3, 0));
  EXPECT_EQ(shown->text(5, 0), nullptr);
  EXPECT_EQ(kept.figures().bytes, approximate_bytes(*history_of(1, 5)) + approximate_bytes(*made));
  auto other = history_of(1, 5);
  other->opened_at = "2026-11-20T10:00:00Z";
  kept.keep(other);
  Case c = case_of(1, 5);
  c.opened_at = other->opened_at;
  EXPECT_EQ(kept.shown(c), nullptr);
  EXPECT_EQ(kept.figures().bytes, approximate_bytes(*other));
}

// Texts take what room the histories leave: keeping them never drops a
// history, whose pages read in turn would then never find theirs kept.
TEST(KeptHistoryTest, TextsNeverMakeAHistoryGo) {
  const std::size_t one = approximate_bytes(*history_of(1, 4));
  const std::size_t texts = approximate_bytes(*texts_of(4, 2000));
  ASSERT_GT(texts, 2 * one);
  const std::size_t budget = 8 * (one + texts);  // a case with its texts takes an eighth at most
  // Histories enough to leave room for one case's texts, not two.
  const int histories = static_cast<int>((budget - texts - texts / 2) / one);
  KeptHistory kept(budget);
  for (int id = 1; id <= histories; ++id) kept.keep(history_of(id, 4));
  EXPECT_EQ(kept.figures().cases, static_cast<std::size_t>(histories));
  kept.keep_shown(case_of(1, 4), texts_of(4, 2000));
  kept.keep_shown(case_of(2, 4), texts_of(4, 2000));
  EXPECT_NE(kept.shown(case_of(1, 4)), nullptr);
  EXPECT_EQ(kept.shown(case_of(2, 4)), nullptr) << "no room left for them";
  for (int id = 1; id <= histories; ++id) EXPECT_NE(kept.find(id), nullptr) << id;
  EXPECT_EQ(kept.figures().bytes, histories * one + texts);
  // Texts too large for an eighth of the budget, with their history, are not kept either.
  KeptHistory small(8 * (one + texts / 2));
  small.keep(history_of(1, 4));
  small.keep_shown(case_of(1, 4), texts_of(4, 2000));
  EXPECT_EQ(small.shown(case_of(1, 4)), nullptr);
  EXPECT_NE(small.find(1), nullptr);
  // A history kept later makes room as before, its texts going with it.
  kept.keep(history_of(histories + 1, 4));
  kept.keep(history_of(histories + 2, 4));
  EXPECT_LE(kept.figures().bytes, budget);
}

}  // namespace
}  // namespace s2s::workflow
