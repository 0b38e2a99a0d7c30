// The file source of ObservabilityConfig: a YAML mapping whose nested keys are the settings
// table's keys ("tracing.batch.max_queue_size" is tracing: {batch: {max_queue_size: ...}}).
//
// The file is untrusted input: it is read up to kMaxConfigFileBytes, every key must be known,
// and every value must have the setting's type; each problem is one error naming the file and
// line. Scalars are parsed by the same readers as environment variables (mmf/environment.h),
// so that "true", numbers and durations mean the same in both places; YAML's other spellings
// of booleans (yes, on) are refused rather than guessed.
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "unified/config_settings.h"

namespace mmf::detail {
namespace {

class FileReader {
 public:
  FileReader(ObservabilityConfig& config, const std::string& path, ConfigErrors& errors)
      : config_(config), path_(path), errors_(errors) {}

  void read_mapping(const YAML::Node& mapping, const std::string& section) {
    for (auto item = mapping.begin(); item != mapping.end(); ++item) {
      // Copies: the iterator's pair is a temporary, and a Node is a cheap handle.
      const YAML::Node key_node = item->first;
      const YAML::Node value = item->second;
      if (!key_node.IsScalar()) {
        error(key_node.Mark(), "a key must be a name");
        continue;
      }
      const std::string key =
          section.empty() ? key_node.Scalar() : section + "." + key_node.Scalar();
      if (!seen_.insert(key).second) {
        error(key_node.Mark(), "duplicate key " + quoted(key));
        continue;
      }
      if (const Setting* setting = find_setting(key)) {
        read_setting(*setting, value);
      } else if (is_section(key)) {
        if (value.IsMap()) {
          read_mapping(value, key);
        } else if (!value.IsNull()) {
          error(value.Mark(),
                quoted(key) + " must be a mapping (with keys " + keys_in_section(key) + ")");
        }
      } else {
        const std::string known = keys_in_section(section);
        error(key_node.Mark(), "unknown key " + quoted(key) + " (" +
                                   (section.empty() ? std::string("top level") : section) +
                                   " has: " + known + ")");
      }
    }
  }

  void error(const YAML::Mark& mark, std::string message) {
    errors_.push_back({"config file " + path_ + line(mark), std::move(message)});
  }

  std::string line(const YAML::Mark& mark) const {
    return mark.line >= 0 ? " line " + std::to_string(mark.line + 1) : std::string();
  }

 private:
  // "tracing.sample_rate in config file /etc/svc.yaml line 3"
  std::string source(const Setting& setting, const YAML::Node& value) const {
    return std::string(setting.key) + " in config file " + path_ + line(value.Mark());
  }

  void read_setting(const Setting& setting, const YAML::Node& node) {
    if (node.IsNull()) return;  // "key:" without a value: not set, as an empty variable
    const std::string where = source(setting, node);
    std::optional<SettingValue> value = parse(setting, node, where);
    if (!value) return;
    if (std::optional<std::string> problem = setting.assign(config_, std::move(*value))) {
      errors_.push_back({where, std::move(*problem)});
      return;
    }
    record_origin(config_, setting, where);
  }

  std::optional<SettingValue> parse(const Setting& setting, const YAML::Node& node,
                                    const std::string& where) {
    switch (setting.kind) {
      case SettingKind::kList:
        if (node.IsSequence()) return list(node, where);
        if (node.IsScalar()) return SettingValue(split_list(node.Scalar()));
        errors_.push_back({where, "expected a list of names, found a mapping"});
        return std::nullopt;
      case SettingKind::kKeyValues:
        if (node.IsMap()) return pairs(node, where);
        errors_.push_back({where, "expected a mapping of names to values"});
        return std::nullopt;
      default:
        break;
    }
    if (!node.IsScalar()) {
      errors_.push_back({where, std::string("expected a single value, found a ") +
                                    (node.IsSequence() ? "list"
                                     : node.IsMap()    ? "mapping"
                                                       : "non-scalar")});
      return std::nullopt;
    }
    return scalar(setting, node.Scalar(), where);
  }

  // A scalar goes through the environment readers, whose errors then name the file instead of
  // a variable.
  std::optional<SettingValue> scalar(const Setting& setting, const std::string& text,
                                     const std::string& where) {
    if (text.empty() && setting.kind != SettingKind::kString) {
      errors_.push_back({where, "has an empty value"});
      return std::nullopt;
    }
    const EnvLookup lookup = environment_from({{std::string(setting.key), text}});
    ConfigErrors found;
    std::optional<SettingValue> value;
    switch (setting.kind) {
      case SettingKind::kString:
        value = SettingValue(text);
        break;
      case SettingKind::kBool:
        if (auto parsed = read_bool(lookup, setting.key, found)) value = SettingValue(*parsed);
        break;
      case SettingKind::kInt:
        if (auto parsed = read_int(lookup, setting.key, setting.min, setting.max, found)) {
          value = SettingValue(*parsed);
        }
        break;
      case SettingKind::kDouble:
        if (auto parsed = read_double(lookup, setting.key, -1e300, 1e300, found)) {
          value = SettingValue(*parsed);
        }
        break;
      case SettingKind::kMillis:
        if (auto parsed = read_milliseconds(lookup, setting.key, found)) {
          value = SettingValue(*parsed);
        }
        break;
      default:
        break;
    }
    for (ConfigError& problem : found) errors_.push_back({where, std::move(problem.message)});
    return value;
  }

  std::optional<SettingValue> list(const YAML::Node& node, const std::string& where) {
    std::vector<std::string> items;
    for (const auto& item : node) {  // a temporary, kept alive by the reference
      if (!item.IsScalar()) {
        errors_.push_back(
            {where, "expected a list of names" + line(item.Mark()) + " holds something else"});
        return std::nullopt;
      }
      items.push_back(item.Scalar());
    }
    return SettingValue(std::move(items));
  }

  std::optional<SettingValue> pairs(const YAML::Node& node, const std::string& where) {
    KeyValues items;
    for (auto item = node.begin(); item != node.end(); ++item) {
      if (!item->first.IsScalar() || !item->second.IsScalar()) {
        errors_.push_back({where, "expected name: value pairs" + line(item->first.Mark()) +
                                      " holds something else"});
        return std::nullopt;
      }
      items.emplace_back(item->first.Scalar(), item->second.Scalar());
    }
    return SettingValue(std::move(items));
  }

  ObservabilityConfig& config_;
  const std::string& path_;
  ConfigErrors& errors_;
  std::set<std::string> seen_;
};

// The file's text, or nullopt after an error (missing, unreadable, too large).
std::optional<std::string> read_text(const std::string& path, ConfigErrors& errors) {
  const std::string source = "config file " + path;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    errors.push_back({source, "cannot be opened (missing, or not readable)"});
    return std::nullopt;
  }
  // Read one byte more than allowed, to tell a full file from an oversized one without trusting
  // a size that may change (or be unknown, for a pipe) meanwhile.
  std::string text(kMaxConfigFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    errors.push_back({source, "cannot be read"});
    return std::nullopt;
  }
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxConfigFileBytes) {
    errors.push_back({source, "is larger than " + std::to_string(kMaxConfigFileBytes) +
                                  " bytes (a configuration needs a few KiB)"});
    return std::nullopt;
  }
  return text;
}

}  // namespace

void apply_file(ObservabilityConfig& config, const std::string& path, ConfigErrors& errors) {
  const std::optional<std::string> text = read_text(path, errors);
  if (!text) return;
  YAML::Node root;
  try {
    root = YAML::Load(*text);
  } catch (const YAML::Exception& e) {
    FileReader(config, path, errors).error(e.mark, "is not valid YAML: " + e.msg);
    return;
  }
  if (root.IsNull()) return;  // an empty file sets nothing
  FileReader reader(config, path, errors);
  if (!root.IsMap()) {
    reader.error(root.Mark(), "must be a mapping of sections (" + keys_in_section("") + ")");
    return;
  }
  try {
    reader.read_mapping(root, "");
  } catch (const YAML::Exception& e) {  // not expected once parsed; never let it escape
    reader.error(e.mark, "cannot be read: " + e.msg);
  }
}

}  // namespace mmf::detail
