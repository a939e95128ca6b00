#pragma once

#include <stdexcept>
#include <string>

// The workflow layer's error model: a small typed hierarchy. The API turns each
// into an HTTP problem in one place; the CLI prints what() on one line.
namespace s2s::workflow {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A setting (flag, environment variable, config file line, URL) is wrong.
class ConfigError : public Error {
 public:
  using Error::Error;
};

// The database cannot be reached, or the connection broke. Worth retrying later.
class DatabaseUnavailable : public Error {
 public:
  using Error::Error;
};

// The database answered with an error that retrying will not fix.
class DatabaseError : public Error {
 public:
  using Error::Error;
};

// Migrations cannot be applied, or applied ones no longer match their files.
class MigrationError : public Error {
 public:
  using Error::Error;
};

}  // namespace s2s::workflow
