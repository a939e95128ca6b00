#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "workflow/errors.h"

// Command-line plumbing for s2sd: subcommands declare their options once, and
// each option's value comes from, in order of precedence, a flag
// (--name value or --name=value), the environment (S2S_NAME), the config file
// (name = value lines) and the option's default.

namespace s2s::cli {

// A usage mistake: unknown flag, missing value, bad config line. Exit status 2.
class UsageError : public workflow::InvalidInput {
 public:
  explicit UsageError(const std::string& message) : workflow::InvalidInput(message) {}
};

struct OptionSpec {
  std::string name{};        // "listen": --listen, S2S_LISTEN, "listen = ..." in the config file
  std::string value_name{};  // "HOST:PORT"; empty for a switch that takes no value
  std::string help{};
  std::string default_value{};  // empty: none
  std::string environment{};    // empty: S2S_ + the name upper-cased, '-' as '_'
};

struct CommandSpec {
  std::string name;       // "serve", or "calendar holidays"
  std::string arguments;  // positional arguments for the usage line, e.g. "YEAR"
  std::string summary;
  std::vector<OptionSpec> options;
  std::size_t positional_count = 0;  // exactly this many positional arguments
};

// The resolved values of one command's options, and its positional arguments.
class Settings {
 public:
  // The value, or nullopt when no source set it and it has no default.
  [[nodiscard]] std::optional<std::string> get(std::string_view name) const;
  // The value or throws UsageError naming the option.
  [[nodiscard]] std::string require(std::string_view name) const;
  // A switch: true when given as a flag, or set to true/yes/1/on elsewhere.
  [[nodiscard]] bool enabled(std::string_view name) const;
  // An integer in [min, max]; throws UsageError naming the option, the value and where it came from.
  [[nodiscard]] long long integer(std::string_view name, long long min, long long max) const;
  // The same, or `machine` when the value is "auto" (a default decided from
  // the machine, such as the threads for its cores).
  [[nodiscard]] long long integer_or_auto(std::string_view name, long long min, long long max,
                                          long long machine) const;
  // Where the value came from: "--listen", "S2S_LISTEN", "config file s2s.conf line 3", "default".
  [[nodiscard]] std::string source(std::string_view name) const;

  std::vector<std::string> positional;

 private:
  friend Settings resolve_settings(const CommandSpec&, std::span<const std::string>,
                                   const std::function<std::optional<std::string>(const std::string&)>&,
                                   const std::vector<std::string>&);
  struct Value {
    std::string text;
    std::string source;
  };
  std::map<std::string, Value, std::less<>> values_;
};

// Resolves `spec`'s options from `args` (the words after the subcommand),
// `getenv` (looked up as S2S_NAME) and the config file named by --config or
// S2S_CONFIG, if any. `known_config_keys` lists every option name of every
// command: config file keys outside it are errors, keys for other commands are
// ignored. Throws UsageError.
[[nodiscard]] Settings resolve_settings(const CommandSpec& spec, std::span<const std::string> args,
                                        const std::function<std::optional<std::string>(const std::string&)>& getenv,
                                        const std::vector<std::string>& known_config_keys);

// "S2S_LOG_LEVEL" for "log-level".
[[nodiscard]] std::string environment_name(std::string_view option);
// The option's environment variable: its own, or environment_name(name).
[[nodiscard]] std::string environment_name(const OptionSpec& option);

// The --help text of a command.
[[nodiscard]] std::string help_text(const CommandSpec& spec);

}  // namespace s2s::cli
