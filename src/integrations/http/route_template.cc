#include <stdexcept>

#include "mmf/http_server.h"

namespace mmf {
namespace {

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

[[noreturn]] void refuse(const std::string& route_template, const std::string& why) {
  throw std::invalid_argument("route template '" + route_template + "': " + why);
}

}  // namespace

RouteTemplate::RouteTemplate(std::string route_template) : text_(std::move(route_template)) {
  if (!text_.starts_with('/')) refuse(text_, "must start with '/'");
  std::string literal;
  for (std::size_t i = 0; i < text_.size(); ++i) {
    const char c = text_[i];
    if (c == '}') refuse(text_, "'}' without '{'");
    if (c != '{') {
      literal += c;
      continue;
    }
    const std::size_t close = text_.find('}', i);
    if (close == std::string::npos) refuse(text_, "'{' without '}'");
    const std::string name = text_.substr(i + 1, close - i - 1);
    if (name.empty()) refuse(text_, "a parameter without a name");
    for (char n : name) {
      if (!is_name_char(n)) refuse(text_, "parameter name '" + name + "': use letters, digits, _");
    }
    for (const std::string& earlier : names_) {
      if (earlier == name) refuse(text_, "parameter '" + name + "' twice");
    }
    if (!literal.ends_with('/') || (close + 1 < text_.size() && text_[close + 1] != '/')) {
      refuse(text_, "parameter '" + name + "' must be a whole path segment");
    }
    names_.push_back(name);
    literals_.push_back(std::move(literal));
    literal.clear();
    i = close;
  }
  literals_.push_back(std::move(literal));
}

std::optional<std::vector<std::string_view>> RouteTemplate::match(std::string_view path) const {
  std::vector<std::string_view> values;
  values.reserve(names_.size());
  for (std::size_t i = 0; i < literals_.size(); ++i) {
    if (!path.starts_with(literals_[i])) return std::nullopt;
    path.remove_prefix(literals_[i].size());
    if (i == names_.size()) break;
    const std::size_t end = std::min(path.find('/'), path.size());
    if (end == 0) return std::nullopt;
    values.push_back(path.substr(0, end));
    path.remove_prefix(end);
  }
  if (!path.empty()) return std::nullopt;
  return values;
}

std::string RouteTemplate::regex() const {
  std::string out;
  const auto escaped = [&out](const std::string& literal) {
    for (char c : literal) {
      if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out += '\\';
      out += c;
    }
  };
  for (std::size_t i = 0; i < literals_.size(); ++i) {
    escaped(literals_[i]);
    if (i < names_.size()) out += "([^/]+)";
  }
  return out;
}

}  // namespace mmf
