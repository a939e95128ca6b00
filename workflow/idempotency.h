#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "workflow/database.h"

// Idempotency keys (table idempotency_keys): a write sent again with the same
// key by the same user gets the first answer back instead of running twice.
// This module is the table's only reader and writer; the HTTP API decides what
// a request and an answer are, this stores them.
namespace s2s::workflow {

// The answer stored for a key: what the first request was answered.
struct StoredAnswer {
  int status = 0;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, names as sent
  std::string body;
};

// What claiming a key found.
struct KeyClaim {
  bool claimed = false;                // true: the key is new (or its first request died first) and now this request's
  std::string request_hash;            // when not claimed: the hash of the request that holds the key
  std::optional<StoredAnswer> answer;  // when not claimed: its answer, none while it still runs
  // When not claimed and without an answer: the case its first request's
  // work wrote, committed although the answer was never stored (the process
  // died between them).
  std::optional<std::int64_t> committed_case_id;
};

// Claims (user_id, key) for a request to `method` `path` whose fingerprint is
// `request_hash`, at `now`; keys created before now - ttl are forgotten first.
// When the key was claimed before, returns what is stored for it instead;
// but a claim older than `lease` with no answer and no committed work is
// taken over (its request died before its work committed, so it did nothing).
// Runs in its own transaction. Throws DatabaseUnavailable or DatabaseError.
[[nodiscard]] KeyClaim claim_idempotency_key(Database& db, std::int64_t user_id, const std::string& key,
                                             const std::string& method, const std::string& path,
                                             const std::string& request_hash, std::chrono::system_clock::time_point now,
                                             std::chrono::seconds ttl,
                                             std::chrono::seconds lease = std::chrono::seconds(60));

// Notes on a claimed key, inside the transaction of the work it guards, the
// case that work wrote: the key's work and its record commit together.
void mark_idempotency_committed(Database::Connection& connection, std::int64_t user_id, const std::string& key,
                                std::int64_t case_id);

// Stores `answer` for a claimed key: later claims get it back. Throws
// DatabaseUnavailable or DatabaseError.
void complete_idempotency_key(Database& db, std::int64_t user_id, const std::string& key, const StoredAnswer& answer);

// Lets a claimed key go, so that a retry with it runs afresh. Throws
// DatabaseUnavailable or DatabaseError.
void forget_idempotency_key(Database& db, std::int64_t user_id, const std::string& key);

}  // namespace s2s::workflow
