#include "web/forms.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "workflow/date.h"
#include "workflow/text.h"

namespace s2s::web {
namespace {

namespace json = boost::json;
using workflow::FieldSpec;
using workflow::FieldType;

// Strings people write a line of; every other free string is a text area.
bool short_text(std::string_view name) {
  return name == "funding_source" || name == "linked_case" || name == "subject_name" || name == "scope" ||
         name == "phases" || name == "email" || name == "leader_name" || name == "alliance_name" ||
         name == "specialisms";
}

std::string lower_label(const FieldSpec& field) {
  std::string label = field_label(field);
  if (!label.empty()) label[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(label[0])));
  return label;
}

// A small whole-number range (a grade 1 to 4) is a set of radios, labelled
// from the help text "1 outstanding, 2 good, ..." when it names each value.
std::vector<std::pair<std::string, std::string>> integer_choices(const FieldSpec& field) {
  std::vector<std::pair<std::string, std::string>> out;
  if (field.type != FieldType::integer || !field.min || !field.max || *field.max - *field.min > 9) return out;
  const auto parts = workflow::split_list(field.help);
  for (auto v = static_cast<long long>(*field.min); v <= static_cast<long long>(*field.max); ++v) {
    const std::string value = std::to_string(v);
    std::string label = value;
    for (const auto part : parts) {
      if (part.starts_with(value + " ")) label = std::string(part);
    }
    out.emplace_back(value, label);
  }
  return out;
}

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<long long> parse_integer(std::string_view text) {
  long long value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string bounds_text(const FieldSpec& field) {
  if (field.min && field.max) {
    return " between " + workflow::number_text(*field.min) + " and " + workflow::number_text(*field.max);
  }
  if (field.min) return " of " + workflow::number_text(*field.min) + " or more";
  if (field.max) return " of " + workflow::number_text(*field.max) + " or less";
  return {};
}

}  // namespace

std::string field_label(const FieldSpec& field) {
  std::string name(field.name);
  if (name.ends_with("_id")) name = name.substr(0, name.size() - 3);
  if (name.ends_with("_on")) name = name.substr(0, name.size() - 3) + "_date";
  if (name.ends_with("_urn")) return words(name.substr(0, name.size() - 4)) + " URN";
  return words(name);
}

std::string value_text(const json::value& value) {
  if (value.is_string()) {
    const std::string_view text = value.get_string();
    // A day as people write it: "23 November 2026".
    if (text.size() == 10 && text[4] == '-' && text[7] == '-' && workflow::parse_date(text)) return long_date(text);
    return std::string(text);
  }
  if (value.is_bool()) return value.get_bool() ? "Yes" : "No";
  if (value.is_int64()) return std::to_string(value.get_int64());
  if (value.is_uint64()) return std::to_string(value.get_uint64());
  if (value.is_double()) return workflow::number_text(value.get_double());
  if (value.is_array()) {
    std::string out;
    for (const auto& item : value.get_array()) out += (out.empty() ? "" : ", ") + value_text(item);
    return out;
  }
  if (value.is_null()) return "";
  // A record within the case (its rating): each part as words, without who
  // made it (the timeline says who did what).
  std::string out;
  for (const auto& [key, item] : value.get_object()) {
    if (key == "by") continue;
    const std::string text = value_text(item);
    if (!text.empty()) out += (out.empty() ? "" : ", ") + words(std::string(key)) + ": " + text;
  }
  return out;
}

ReadPayload read_payload(std::span<const FieldSpec> fields, const Form& form) {
  ReadPayload out;
  const auto fail = [&](const FieldSpec& f, std::string message) {
    out.errors.push_back(FieldError{std::string(f.name), std::move(message)});
  };
  for (const FieldSpec& f : fields) {
    const std::string name(f.name);
    const std::string label = lower_label(f);
    if (f.type == FieldType::date) {
      const std::string day = form.text(name + "-day");
      const std::string month = form.text(name + "-month");
      const std::string year = form.text(name + "-year");
      if (day.empty() && month.empty() && year.empty()) {
        if (f.required) fail(f, "Enter the " + label);
        continue;
      }
      const auto d = parse_integer(day);
      const auto m = parse_integer(month);
      const auto y = parse_integer(year);
      if (!d || !m || !y || *y < 1900 || *y > 2200) {
        fail(f, "The " + label + " must be a real date, like 27 3 2027");
        continue;
      }
      const std::chrono::year_month_day ymd{std::chrono::year(static_cast<int>(*y)),
                                            std::chrono::month(static_cast<unsigned>(*m)),
                                            std::chrono::day(static_cast<unsigned>(*d))};
      if (*d < 1 || *d > 31 || *m < 1 || *m > 12 || !ymd.ok()) {
        fail(f, "The " + label + " must be a real date, like 27 3 2027");
        continue;
      }
      out.payload[name] = workflow::format_date(ymd);
      continue;
    }
    const std::string value = form.text(name);
    if (f.type == FieldType::boolean) {
      if (value == "true") out.payload[name] = true;
      continue;
    }
    if (value.empty()) {
      if (f.required) {
        const bool choose = !f.one_of.empty() || !integer_choices(f).empty() || f.name == "provider_id";
        fail(f, (choose ? "Select the " : "Enter the ") + label);
      }
      continue;
    }
    switch (f.type) {
      case FieldType::string:
        if (!f.one_of.empty()) {
          const auto allowed = workflow::split_list(f.one_of);
          if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
            fail(f, "Select the " + label);
            continue;
          }
        }
        out.payload[name] = value;
        break;
      case FieldType::string_list: {
        json::array items;
        std::string_view rest = value;
        while (!rest.empty()) {
          const auto cut = rest.find_first_of(",\n");
          std::string item(rest.substr(0, cut));
          while (!item.empty() && item.front() == ' ') item.erase(0, 1);
          while (!item.empty() && item.back() == ' ') item.pop_back();
          if (!item.empty()) items.emplace_back(item);
          if (cut == std::string_view::npos) break;
          rest.remove_prefix(cut + 1);
        }
        if (items.empty() && f.required) {
          fail(f, "Enter the " + label);
          continue;
        }
        out.payload[name] = std::move(items);
        break;
      }
      case FieldType::number: {
        const auto n = parse_number(value);
        if (!n) {
          fail(f, "The " + label + " must be a number, like 1 or 0.5");
          continue;
        }
        if ((f.min && *n < *f.min) || (f.max && *n > *f.max)) {
          fail(f, "The " + label + " must be a number" + bounds_text(f));
          continue;
        }
        out.payload[name] = *n;
        break;
      }
      case FieldType::integer: {
        const auto n = parse_integer(value);
        if (!n) {
          fail(f, "The " + label + " must be a whole number, like 3");
          continue;
        }
        if ((f.min && static_cast<double>(*n) < *f.min) || (f.max && static_cast<double>(*n) > *f.max)) {
          fail(f, "The " + label + " must be a whole number" + bounds_text(f));
          continue;
        }
        out.payload[name] = *n;
        break;
      }
      case FieldType::boolean:
      case FieldType::date:
        break;
    }
  }
  return out;
}

json::array field_models(std::span<const FieldSpec> fields, const Form* posted, const std::vector<FieldError>& errors) {
  json::array out;
  for (const FieldSpec& f : fields) {
    const std::string name(f.name);
    json::object m{{"name", name},
                   {"id", "f-" + name},
                   {"label", field_label(f) + (f.required ? "" : " (optional)")},
                   {"hint", std::string(f.help)}};
    for (const auto& e : errors) {
      if (e.field == name) {
        m["error"] = e.message;
        break;
      }
    }
    const std::string value = posted != nullptr ? posted->text(name) : std::string();
    const auto choices = integer_choices(f);
    if (f.type == FieldType::date) {
      m["is_date"] = true;
      m["day"] = posted != nullptr ? posted->text(name + "-day") : "";
      m["month"] = posted != nullptr ? posted->text(name + "-month") : "";
      m["year"] = posted != nullptr ? posted->text(name + "-year") : "";
    } else if (f.type == FieldType::boolean) {
      m["is_checkbox"] = true;
      m["checked"] = value == "true";
    } else if (!f.one_of.empty() || !choices.empty()) {
      m["is_radios"] = true;
      json::array options;
      if (!f.one_of.empty()) {
        for (const auto option : workflow::split_list(f.one_of)) {
          options.push_back(json::object{{"value", option},
                                         {"label", words(option)},
                                         {"id", "f-" + name + "-" + std::string(option)},
                                         {"checked", value == option}});
        }
      } else {
        for (const auto& [v, label] : choices) {
          options.push_back(json::object{
              {"value", v}, {"label", words(label)}, {"id", "f-" + name + "-" + v}, {"checked", value == v}});
        }
      }
      // The error summary's link lands on the first choice.
      if (!options.empty()) options[0].as_object()["id"] = "f-" + name;
      m["options"] = std::move(options);
    } else if (f.type == FieldType::number || f.type == FieldType::integer) {
      m["is_number"] = true;
      m["value"] = value;
      m["inputmode"] = f.type == FieldType::integer ? "numeric" : "decimal";
    } else if (f.type == FieldType::string && !short_text(f.name)) {
      m["is_textarea"] = true;
      m["value"] = value;
    } else {
      m["is_text"] = true;
      m["value"] = value;
      if (f.type == FieldType::string_list) m["hint"] = std::string(f.help) + (f.help.empty() ? "" : "; ") + "separate them with commas";
    }
    out.push_back(std::move(m));
  }
  return out;
}

json::array error_summary(const std::vector<FieldError>& errors) {
  json::array out;
  for (const auto& e : errors) out.push_back(json::object{{"href", "#f-" + e.field}, {"text", e.message}});
  return out;
}

}  // namespace s2s::web
