#include "workflow/kept_history.h"

#include <boost/json/value.hpp>

namespace s2s::workflow {

namespace {

std::size_t json_bytes(const boost::json::value& value);

// A JSON object's bytes in memory, roughly: its members' own storage and their keys' and values' text.
std::size_t object_bytes(const boost::json::object& object) {
  std::size_t out = sizeof(boost::json::object);
  for (const auto& member : object)
    out += sizeof(boost::json::key_value_pair) + member.key().size() + json_bytes(member.value());
  return out;
}

// The same for any JSON value.
std::size_t json_bytes(const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::string:
      return sizeof(boost::json::value) + value.get_string().size();
    case boost::json::kind::array: {
      std::size_t out = sizeof(boost::json::value) + sizeof(boost::json::array);
      for (const auto& item : value.get_array()) out += json_bytes(item);
      return out;
    }
    case boost::json::kind::object:
      return sizeof(boost::json::value) + object_bytes(value.get_object());
    default:
      return sizeof(boost::json::value);
  }
}

}  // namespace

std::size_t approximate_bytes(const KeptCaseHistory& history) {
  // Each string and map node also costs its allocation's header: a small constant each.
  constexpr std::size_t kNode = 48;
  std::size_t out = sizeof(KeptCaseHistory) + history.reference.size() + history.opened_at.size();
  for (const auto& entry : history.entries) {
    out += sizeof(HistoryEntry) + entry.event.size() + entry.to_state.size() + entry.actor.size() +
           entry.recorded_at.size() + (entry.from_state ? entry.from_state->size() : 0) + 4 * kNode;
    out += object_bytes(entry.payload);
  }
  for (const auto& [actor, name] : history.names) out += actor.size() + name.size() + 2 * kNode;
  return out;
}

void ShownEntries::set(int sequence, std::size_t variant, std::string text) {
  // A place for every entry up to the last: past kMostEntries, none is kept
  // rather than a vector that long made.
  if (sequence < 1 || sequence > kMostEntries || variant >= kVariants) return;
  if (static_cast<std::size_t>(sequence) > by_sequence.size()) by_sequence.resize(static_cast<std::size_t>(sequence));
  by_sequence[static_cast<std::size_t>(sequence) - 1][variant] = std::make_shared<const std::string>(std::move(text));
}

std::size_t approximate_bytes(const ShownEntries& shown) {
  constexpr std::size_t kNode = 48;  // a text's allocations: its control block and its characters
  std::size_t out = sizeof(ShownEntries) + shown.by_sequence.capacity() * sizeof(ShownEntries::Texts);
  for (const auto& texts : shown.by_sequence) {
    for (const auto& text : texts) {
      if (text) out += sizeof(std::string) + text->capacity() + 2 * kNode;
    }
  }
  return out;
}

KeptHistory::KeptHistory(std::size_t budget_bytes) : budget_(budget_bytes) {}

std::shared_ptr<const KeptCaseHistory> KeptHistory::found(std::unordered_map<std::int64_t, Kept>::iterator it) {
  used_.splice(used_.end(), used_, it->second.used);
  return it->second.history;
}

std::shared_ptr<const KeptCaseHistory> KeptHistory::find(std::int64_t case_id) {
  const std::lock_guard lock(mutex_);
  const auto it = by_id_.find(case_id);
  return it == by_id_.end() ? nullptr : found(it);
}

std::shared_ptr<const KeptCaseHistory> KeptHistory::find(std::string_view reference) {
  const std::lock_guard lock(mutex_);
  const auto id = by_reference_.find(std::string(reference));
  if (id == by_reference_.end()) return nullptr;
  const auto it = by_id_.find(id->second);
  return it == by_id_.end() ? nullptr : found(it);
}

void KeptHistory::drop(std::unordered_map<std::int64_t, Kept>::iterator it) {
  bytes_ -= it->second.bytes();
  used_.erase(it->second.used);
  const auto ref = by_reference_.find(it->second.history->reference);
  if (ref != by_reference_.end() && ref->second == it->first) by_reference_.erase(ref);
  by_id_.erase(it);
}

void KeptHistory::keep(std::shared_ptr<const KeptCaseHistory> history) {
  const std::int64_t case_id = history->case_id;
  const std::size_t bytes = approximate_bytes(*history);
  if (bytes > budget_ / 8) return;
  const std::lock_guard lock(mutex_);
  std::shared_ptr<const ShownEntries> shown;
  std::size_t shown_bytes = 0;
  if (const auto it = by_id_.find(case_id); it != by_id_.end()) {
    const auto& kept = *it->second.history;
    const bool same_case = kept.opened_at == history->opened_at && kept.reference == history->reference;
    // Another reader's, of the same case, read further: keep theirs.
    if (same_case && kept.last_sequence() >= history->last_sequence()) return;
    // The same case's entries read further: what was made of the first ones still holds.
    if (same_case && bytes + it->second.shown_bytes <= budget_ / 8) {
      shown = std::move(it->second.shown);
      shown_bytes = it->second.shown_bytes;
    }
    drop(it);
  }
  by_reference_[history->reference] = case_id;
  used_.push_back(case_id);
  by_id_.emplace(case_id,
                 Kept{std::move(history), bytes, std::move(shown), shown_bytes, std::prev(used_.end())});
  bytes_ += bytes + shown_bytes;
  while (bytes_ > budget_ && !used_.empty()) drop(by_id_.find(used_.front()));
}

void KeptHistory::forget(std::int64_t case_id) {
  const std::lock_guard lock(mutex_);
  if (const auto it = by_id_.find(case_id); it != by_id_.end()) drop(it);
}

std::shared_ptr<const ShownEntries> KeptHistory::shown(const Case& c) {
  const std::lock_guard lock(mutex_);
  const auto it = by_id_.find(c.id);
  if (it == by_id_.end() || !it->second.history->belongs_to(c)) return nullptr;
  return it->second.shown;
}

void KeptHistory::keep_shown(const Case& c, std::shared_ptr<const ShownEntries> shown) {
  const std::size_t shown_bytes = shown ? approximate_bytes(*shown) : 0;
  const std::lock_guard lock(mutex_);
  const auto it = by_id_.find(c.id);
  if (it == by_id_.end() || !it->second.history->belongs_to(c)) return;
  Kept& kept = it->second;
  if (kept.history_bytes + shown_bytes > budget_ / 8) return;  // as a history that large is not kept
  // Texts take the room the histories leave and never make one go: pages
  // read in turn, more than the budget holds, would otherwise drop each
  // case's history just before its page is read again, and nothing kept
  // would ever be used.
  if (bytes_ - kept.shown_bytes + shown_bytes > budget_) return;
  bytes_ = bytes_ - kept.shown_bytes + shown_bytes;
  kept.shown = std::move(shown);
  kept.shown_bytes = shown_bytes;
}

KeptHistory::Figures KeptHistory::figures() const {
  const std::lock_guard lock(mutex_);
  return {by_id_.size(), bytes_};
}

}  // namespace s2s::workflow
