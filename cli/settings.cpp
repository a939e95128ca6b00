#include "cli/settings.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>

namespace s2s::cli {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

const OptionSpec* find_option(const CommandSpec& spec, std::string_view name) {
  for (const OptionSpec& o : spec.options) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

struct ConfigLine {
  std::string value;
  int line = 0;
};

// name = value lines; blank lines and lines starting with # are ignored;
// values may be wrapped in double quotes.
std::map<std::string, ConfigLine> read_config_file(const std::string& path,
                                                   const std::vector<std::string>& known_keys) {
  std::ifstream in(path);
  if (!in) throw UsageError("cannot read config file " + path);
  std::map<std::string, ConfigLine> out;
  std::string raw;
  int number = 0;
  while (std::getline(in, raw)) {
    ++number;
    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#') continue;
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) {
      throw UsageError("config file " + path + " line " + std::to_string(number) + ": expected name = value, got '" +
                       std::string(line) + "'");
    }
    const std::string key(trim(line.substr(0, eq)));
    std::string_view value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
    if (std::find(known_keys.begin(), known_keys.end(), key) == known_keys.end()) {
      throw UsageError("config file " + path + " line " + std::to_string(number) + ": unknown setting '" + key + "'");
    }
    if (out.contains(key)) {
      throw UsageError("config file " + path + " line " + std::to_string(number) + ": '" + key +
                       "' is already set on line " + std::to_string(out[key].line));
    }
    out[key] = ConfigLine{std::string(value), number};
  }
  return out;
}

}  // namespace

std::string environment_name(std::string_view option) {
  std::string out = "S2S_";
  for (char c : option) out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string environment_name(const OptionSpec& option) {
  return option.environment.empty() ? environment_name(option.name) : option.environment;
}

std::optional<std::string> Settings::get(std::string_view name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second.text;
}

std::string Settings::require(std::string_view name) const {
  auto value = get(name);
  if (!value || value->empty()) {
    throw UsageError("--" + std::string(name) + " is required (or set " + environment_name(name) + ")");
  }
  return *value;
}

bool Settings::enabled(std::string_view name) const {
  const auto value = get(name);
  if (!value) return false;
  std::string lower = *value;
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  if (lower == "true" || lower == "yes" || lower == "1" || lower == "on") return true;
  if (lower == "false" || lower == "no" || lower == "0" || lower == "off" || lower.empty()) return false;
  throw UsageError(source(name) + ": expected true or false for " + std::string(name) + ", got '" + *value + "'");
}

long long Settings::integer(std::string_view name, long long min, long long max) const {
  const std::string text = require(name);
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    throw UsageError(source(name) + ": " + std::string(name) + " must be a whole number from " + std::to_string(min) +
                     " to " + std::to_string(max) + ", got '" + text + "'");
  }
  return value;
}

long long Settings::integer_or_auto(std::string_view name, long long min, long long max, long long machine) const {
  if (require(name) == "auto") return machine;
  try {
    return integer(name, min, max);
  } catch (const UsageError&) {
    throw UsageError(source(name) + ": " + std::string(name) + " must be auto or a whole number from " +
                     std::to_string(min) + " to " + std::to_string(max) + ", got '" + require(name) + "'");
  }
}

std::string Settings::source(std::string_view name) const {
  const auto it = values_.find(name);
  return it == values_.end() ? "unset" : it->second.source;
}

Settings resolve_settings(const CommandSpec& spec, std::span<const std::string> args,
                          const std::function<std::optional<std::string>(const std::string&)>& getenv,
                          const std::vector<std::string>& known_config_keys) {
  Settings settings;
  std::map<std::string, Settings::Value> flags;
  const std::string usage_hint = " (see s2sd " + spec.name + " --help)";
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!arg.starts_with("--") || arg == "--") {
      if (arg == "--") {
        for (++i; i < args.size(); ++i) settings.positional.push_back(args[i]);
        break;
      }
      if (arg.starts_with("-") && arg.size() > 1 && !std::isdigit(static_cast<unsigned char>(arg[1]))) {
        throw UsageError("unknown option " + arg + usage_hint);
      }
      settings.positional.push_back(arg);
      continue;
    }
    const auto eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const OptionSpec* option = find_option(spec, name);
    if (option == nullptr) throw UsageError("unknown option --" + name + usage_hint);
    std::string value;
    if (option->value_name.empty()) {
      value = eq == std::string::npos ? "true" : arg.substr(eq + 1);
    } else if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      throw UsageError("--" + name + " needs a value (" + option->value_name + ")");
    }
    flags[name] = Settings::Value{value, "--" + name};
  }
  if (settings.positional.size() != spec.positional_count) {
    throw UsageError("expected " +
                     (spec.positional_count == 0
                          ? std::string("no arguments")
                          : std::to_string(spec.positional_count) + " argument(s) " + spec.arguments) +
                     ", got " + std::to_string(settings.positional.size()) + usage_hint);
  }

  std::map<std::string, ConfigLine> config;
  std::string config_path;
  if (const auto it = flags.find("config"); it != flags.end()) {
    config_path = it->second.text;
  } else if (auto env = getenv(environment_name("config")); env && !env->empty()) {
    config_path = *env;
  }
  if (!config_path.empty()) config = read_config_file(config_path, known_config_keys);

  for (const OptionSpec& option : spec.options) {
    if (auto it = flags.find(option.name); it != flags.end()) {
      settings.values_[option.name] = it->second;
    } else if (auto env = getenv(environment_name(option)); env) {
      settings.values_[option.name] = Settings::Value{*env, environment_name(option)};
    } else if (auto line = config.find(option.name); line != config.end()) {
      settings.values_[option.name] = Settings::Value{
          line->second.value, "config file " + config_path + " line " + std::to_string(line->second.line)};
    } else if (!option.default_value.empty()) {
      settings.values_[option.name] = Settings::Value{option.default_value, "default"};
    }
  }
  return settings;
}

std::string help_text(const CommandSpec& spec) {
  std::ostringstream out;
  out << "Usage: s2sd " << spec.name;
  if (!spec.options.empty()) out << " [options]";
  if (!spec.arguments.empty()) out << ' ' << spec.arguments;
  out << "\n\n" << spec.summary << "\n";
  if (!spec.options.empty()) {
    out << "\nOptions (flag, then environment variable, then config file, then default):\n";
    for (const OptionSpec& o : spec.options) {
      std::string left = "  --" + o.name + (o.value_name.empty() ? "" : " " + o.value_name);
      out << left;
      out << std::string(left.size() < 28 ? 28 - left.size() : 1, ' ') << o.help;
      out << " [" << environment_name(o);
      if (!o.default_value.empty()) out << "; default " << o.default_value;
      out << "]\n";
    }
  }
  return out.str();
}

}  // namespace s2s::cli
