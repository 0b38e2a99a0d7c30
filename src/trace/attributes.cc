#include "mmf/attributes.h"

#include <algorithm>

namespace mmf {

OwnedAttributeValue to_owned(const AttributeValue& value) {
  switch (value.type()) {
    case AttributeType::kString:
      return std::string(value.as_string());
    case AttributeType::kBool:
      return value.as_bool();
    case AttributeType::kInt:
      return value.as_int();
    case AttributeType::kDouble:
      return value.as_double();
    case AttributeType::kStringArray: {
      std::vector<std::string> strings;
      strings.reserve(value.as_strings().size());
      for (std::string_view text : value.as_strings()) strings.emplace_back(text);
      return strings;
    }
    case AttributeType::kBoolArray:
      return std::vector<bool>(value.as_bools().begin(), value.as_bools().end());
    case AttributeType::kIntArray:
      return std::vector<std::int64_t>(value.as_ints().begin(), value.as_ints().end());
    case AttributeType::kDoubleArray:
      return std::vector<double>(value.as_doubles().begin(), value.as_doubles().end());
  }
  return std::string();
}

AttributeValue to_view(const OwnedAttributeValue& value, AttributeScratch& scratch) {
  struct Visitor {
    AttributeScratch& scratch;
    AttributeValue operator()(const std::string& text) const { return std::string_view(text); }
    AttributeValue operator()(bool flag) const { return flag; }
    AttributeValue operator()(std::int64_t number) const { return number; }
    AttributeValue operator()(double number) const { return number; }
    AttributeValue operator()(const std::vector<std::string>& texts) const {
      scratch.strings.assign(texts.begin(), texts.end());
      return std::span<const std::string_view>(scratch.strings);
    }
    AttributeValue operator()(const std::vector<bool>& flags) const {
      scratch.bools = std::make_unique<bool[]>(flags.size());
      std::copy(flags.begin(), flags.end(), scratch.bools.get());
      return std::span<const bool>(scratch.bools.get(), flags.size());
    }
    AttributeValue operator()(const std::vector<std::int64_t>& numbers) const {
      return std::span<const std::int64_t>(numbers);
    }
    AttributeValue operator()(const std::vector<double>& numbers) const {
      return std::span<const double>(numbers);
    }
  };
  return std::visit(Visitor{scratch}, value);
}

}  // namespace mmf
