#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

// The one error model of every module below the adapters: a small typed
// hierarchy under workflow::Error, each error with a category that says what
// kind of failure it is. The adapters turn categories into answers in one
// place each: the API into an HTTP problem (api/rest.cpp), the command line
// into an exit code (docs/architecture.md).
namespace s2s::workflow {

enum class ErrorCategory {
  invalid,      // the input is malformed or out of range (a bad value, an unknown option)
  not_found,    // what is addressed does not exist (or lies outside the caller's scope)
  conflict,     // it clashes with the state of things (changed since read, already done)
  refused,      // well-formed, but the rules refuse it (an unknown school named, too few days)
  forbidden,    // the caller's role may never do it
  unavailable,  // a service it needs cannot be reached now: worth retrying
  internal,     // anything else: a fault of ours or of the data
};

[[nodiscard]] std::string_view to_string(ErrorCategory category) noexcept;

class Error : public std::runtime_error {
 public:
  // `field`: the input at fault ("academic_year", "as_of", ...), for callers
  // that name it; empty when none is.
  Error(ErrorCategory category, const std::string& message, std::string field = {})
      : std::runtime_error(message), category_(category), field_(std::move(field)) {}

  [[nodiscard]] ErrorCategory category() const noexcept { return category_; }
  [[nodiscard]] const std::string& field() const noexcept { return field_; }

 private:
  ErrorCategory category_;
  std::string field_;
};

// An error of one category. `Tag` makes a type of its own for errors that
// callers catch apart from others of their category (ConfigError, ...).
template <ErrorCategory Category, class Tag = void>
class CategoryError : public Error {
 public:
  explicit CategoryError(const std::string& message, std::string field = {})
      : Error(Category, message, std::move(field)) {}
};

// The input is malformed or out of range; `field` names it.
using InvalidInput = CategoryError<ErrorCategory::invalid>;
// What is addressed does not exist.
using NotFound = CategoryError<ErrorCategory::not_found>;
// Well-formed, but the domain's rules refuse it: nothing was changed.
using Refused = CategoryError<ErrorCategory::refused>;
// It clashes with the state of things (already done, changed since read).
using Conflict = CategoryError<ErrorCategory::conflict>;

// A setting (flag, environment variable, config file line, URL) is wrong.
using ConfigError = CategoryError<ErrorCategory::invalid, struct ConfigErrorTag>;
// A file or folder cannot be read or written (a path that does not exist,
// no permission): something around the request went wrong.
using IoError = CategoryError<ErrorCategory::internal, struct IoErrorTag>;
// The database cannot be reached, or the connection broke. Worth retrying later.
using DatabaseUnavailable = CategoryError<ErrorCategory::unavailable, struct DatabaseUnavailableTag>;
// The database answered with an error that retrying will not fix.
using DatabaseError = CategoryError<ErrorCategory::internal, struct DatabaseErrorTag>;
// Migrations cannot be applied, or applied ones no longer match their files.
using MigrationError = CategoryError<ErrorCategory::internal, struct MigrationErrorTag>;

}  // namespace s2s::workflow
