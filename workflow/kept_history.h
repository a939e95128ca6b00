#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "workflow/engine.h"

// Cases' histories as their pages last read them, kept in memory so that the
// next reading of a page asks the database only for the entries written since
// (docs/architecture.md, "Storage"). What makes that safe: a history
// entry is never changed once written (the history is append-only, and each
// case's entries commit in sequence order under the case's row lock), and
// the name of the user an entry's actor names never changes either. A reader
// takes what is kept, reads the entries after its last sequence, and keeps
// the whole again; whatever another process has written since is among what
// it reads. Bounded by an estimate of the bytes kept: the cases read longest
// ago go first. Thread-safe.
namespace s2s::workflow {

struct KeptCaseHistory {
  std::int64_t case_id = 0;
  std::string reference;  // the case's, stored upper case
  // The case's, which tells it from another case given its id later (a
  // database restored from a copy): what is kept is used only for a case that
  // has the same opened_at and a version at least its last sequence.
  std::string opened_at;
  std::vector<HistoryEntry> entries;         // oldest first
  std::map<std::string, std::string> names;  // by actor, the users the entries name

  [[nodiscard]] int last_sequence() const noexcept { return entries.empty() ? 0 : entries.back().sequence; }
  // Whether it is the history of `c` as far as it goes.
  [[nodiscard]] bool belongs_to(const Case& c) const noexcept {
    return c.id == case_id && c.opened_at == opened_at && c.reference == reference && last_sequence() <= c.version;
  }
};

// About how many bytes `history` holds in memory (its strings, payloads and names).
[[nodiscard]] std::size_t approximate_bytes(const KeptCaseHistory& history);

// What a reader made of a kept history's entries to show them (the web's
// HTML of each), kept with the history: an entry's text never has to change,
// for the reasons the entry itself never does. An entry has a text in each of
// two variants at most: as whoever may read all of it sees it, and as those
// from whom some of it is kept see it (a proposal's note).
struct ShownEntries {
  static constexpr std::size_t kVariants = 2;
  static constexpr int kMostEntries = 10000;  // texts are kept for entries up to this sequence
  using Texts = std::array<std::shared_ptr<const std::string>, kVariants>;
  std::vector<Texts> by_sequence;  // the entry of sequence N at N - 1; null where no text is made

  // The text made of the entry of `sequence` in `variant`; nullptr when none is.
  [[nodiscard]] const std::string* text(int sequence, std::size_t variant) const noexcept {
    if (sequence < 1 || variant >= kVariants || static_cast<std::size_t>(sequence) > by_sequence.size()) {
      return nullptr;
    }
    return by_sequence[static_cast<std::size_t>(sequence) - 1][variant].get();
  }
  // Sets the text of the entry of `sequence` (at least 1) in `variant`.
  void set(int sequence, std::size_t variant, std::string text);
};

// About how many bytes `shown` holds in memory.
[[nodiscard]] std::size_t approximate_bytes(const ShownEntries& shown);

class KeptHistory {
 public:
  // Keeps about `budget_bytes` at most; a case's history larger than an
  // eighth of that is never kept. 0 keeps nothing.
  explicit KeptHistory(std::size_t budget_bytes);
  KeptHistory(const KeptHistory&) = delete;
  KeptHistory& operator=(const KeptHistory&) = delete;

  // Whether it keeps anything at all (a budget above 0).
  [[nodiscard]] bool keeps_any() const noexcept { return budget_ > 0; }
  // The history kept for the case with this id, or this reference (as stored,
  // upper case); nullptr when none is.
  [[nodiscard]] std::shared_ptr<const KeptCaseHistory> find(std::int64_t case_id);
  [[nodiscard]] std::shared_ptr<const KeptCaseHistory> find(std::string_view reference);
  // Keeps `history` as its case's, unless what is kept already goes further
  // (another reader's, read meanwhile).
  void keep(std::shared_ptr<const KeptCaseHistory> history);
  // Forgets the case's history (kept for another case with its id).
  void forget(std::int64_t case_id);

  // The texts kept with the history kept for `c` (ShownEntries); nullptr
  // when none are, or when no history of `c` is kept.
  [[nodiscard]] std::shared_ptr<const ShownEntries> shown(const Case& c);
  // Keeps `shown` with the history kept for `c`, in place of what was kept
  // with it, counted in the budget; nothing when no history of `c` is kept,
  // or when keeping it would take the budget over (texts never make a
  // history go). A longer history of the same case, kept later, keeps them too.
  void keep_shown(const Case& c, std::shared_ptr<const ShownEntries> shown);

  struct Figures {
    std::size_t cases = 0;
    std::size_t bytes = 0;
  };
  [[nodiscard]] Figures figures() const;

 private:
  struct Kept {
    std::shared_ptr<const KeptCaseHistory> history;
    std::size_t history_bytes = 0;
    std::shared_ptr<const ShownEntries> shown;
    std::size_t shown_bytes = 0;
    std::list<std::int64_t>::iterator used;  // its place in used_, last read last

    [[nodiscard]] std::size_t bytes() const noexcept { return history_bytes + shown_bytes; }
  };
  std::shared_ptr<const KeptCaseHistory> found(std::unordered_map<std::int64_t, Kept>::iterator it);
  void drop(std::unordered_map<std::int64_t, Kept>::iterator it);

  const std::size_t budget_;
  mutable std::mutex mutex_;
  std::unordered_map<std::int64_t, Kept> by_id_;
  std::unordered_map<std::string, std::int64_t> by_reference_;
  std::list<std::int64_t> used_;  // read longest ago first
  std::size_t bytes_ = 0;
};

}  // namespace s2s::workflow
