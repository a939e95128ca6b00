#include "workflow/idempotency.h"

#include <soci/soci.h>
#include <boost/json.hpp>

#include "workflow/timestamp.h"

namespace s2s::workflow {

namespace json = boost::json;

KeyClaim claim_idempotency_key(Database& db, std::int64_t user_id, const std::string& key, const std::string& method,
                               const std::string& path, const std::string& request_hash,
                               std::chrono::system_clock::time_point now, std::chrono::seconds ttl,
                               std::chrono::seconds lease) {
  const long long user = user_id;
  const std::string created = format_timestamp(now);
  const std::string expired = format_timestamp(now - ttl);
  const std::string abandoned = format_timestamp(now - lease);
  return db.transact([&](soci::session& sql) -> KeyClaim {
    // Keys are forgotten after the TTL (an indexed range, usually empty).
    sql << "DELETE FROM idempotency_keys WHERE created_at < :e", soci::use(expired);
    soci::statement insert =
        (sql.prepare << "INSERT INTO idempotency_keys (user_id, key, method, path, request_hash, created_at)"
                        " VALUES (:u, :k, :m, :p, :h, :c) ON CONFLICT (user_id, key) DO NOTHING",
         soci::use(user), soci::use(key), soci::use(method), soci::use(path), soci::use(request_hash),
         soci::use(created));
    insert.execute(true);
    KeyClaim claim;
    if (insert.get_affected_rows() > 0) {
      claim.claimed = true;
      return claim;
    }
    int status = 0;
    std::string type;
    std::string headers;
    std::string body;
    soci::indicator status_ind = soci::i_ok;
    soci::indicator type_ind = soci::i_ok;
    soci::indicator headers_ind = soci::i_ok;
    soci::indicator body_ind = soci::i_ok;
    long long committed_case = 0;
    soci::indicator committed_ind = soci::i_ok;
    sql << "SELECT request_hash, status, response_type, response_headers, response_body, committed_case_id"
           " FROM idempotency_keys WHERE user_id = :u AND key = :k",
        soci::use(user), soci::use(key), soci::into(claim.request_hash), soci::into(status, status_ind),
        soci::into(type, type_ind), soci::into(headers, headers_ind), soci::into(body, body_ind),
        soci::into(committed_case, committed_ind);
    if (committed_ind != soci::i_null) claim.committed_case_id = committed_case;
    if (status_ind == soci::i_null && committed_ind == soci::i_null && claim.request_hash == request_hash) {
      // A first request that has run past its lease without committing any
      // work has died: the key is this request's (only one can take it).
      soci::statement take = (sql.prepare << "UPDATE idempotency_keys SET created_at = :c WHERE user_id = :u AND key = :k"
                                             " AND status IS NULL AND committed_case_id IS NULL AND created_at < :a",
                              soci::use(created), soci::use(user), soci::use(key), soci::use(abandoned));
      take.execute(true);
      if (take.get_affected_rows() > 0) {
        claim.claimed = true;
        return claim;
      }
    }
    if (status_ind != soci::i_null) {
      StoredAnswer answer;
      answer.status = status;
      answer.content_type = type_ind == soci::i_null ? "application/json" : type;
      answer.body = body_ind == soci::i_null ? std::string() : body;
      if (headers_ind != soci::i_null) {
        const json::value stored_headers = json::parse(headers);
        for (const auto& pair : stored_headers.as_array()) {
          const auto& p = pair.as_array();
          answer.headers.emplace_back(std::string(p.at(0).as_string()), std::string(p.at(1).as_string()));
        }
      }
      claim.answer = std::move(answer);
    }
    return claim;
  });
}

void complete_idempotency_key(Database& db, std::int64_t user_id, const std::string& key, const StoredAnswer& answer) {
  const long long user = user_id;
  json::array headers;
  for (const auto& [name, value] : answer.headers) {
    json::array pair;
    pair.emplace_back(json::string(name));
    pair.emplace_back(json::string(value));
    headers.emplace_back(std::move(pair));
  }
  const std::string headers_text = json::serialize(headers);
  db.transact([&](soci::session& sql) {
    sql << "UPDATE idempotency_keys SET status = :s, response_type = :t, response_headers = :h, response_body = :b"
           " WHERE user_id = :u AND key = :k",
        soci::use(answer.status), soci::use(answer.content_type), soci::use(headers_text), soci::use(answer.body),
        soci::use(user), soci::use(key);
  });
}

void mark_idempotency_committed(Database::Connection& connection, std::int64_t user_id, const std::string& key,
                                std::int64_t case_id) {
  const long long user = user_id;
  const long long id = case_id;
  connection.session() << "UPDATE idempotency_keys SET committed_case_id = :c WHERE user_id = :u AND key = :k",
      soci::use(id), soci::use(user), soci::use(key);
}

void forget_idempotency_key(Database& db, std::int64_t user_id, const std::string& key) {
  const long long user = user_id;
  db.transact([&](soci::session& sql) {
    sql << "DELETE FROM idempotency_keys WHERE user_id = :u AND key = :k", soci::use(user), soci::use(key);
  });
}

}  // namespace s2s::workflow
