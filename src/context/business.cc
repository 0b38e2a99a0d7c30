#include "context/business.h"

#include "context/counters.h"

namespace mmf {

bool is_valid_business_key(std::string_view key) noexcept {
  if (key.empty() || key.size() > BusinessContextLimits::kMaxKeyLength) return false;
  const char first = key.front();
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z'))) return false;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

namespace detail {

bool add_business_field(BusinessContext& fields, std::string_view key, std::string_view value) {
  if (!is_valid_business_key(key) || value.size() > BusinessContextLimits::kMaxValueLength) {
    count(counters().business_fields_dropped);
    return false;
  }
  std::size_t total = 0;
  for (const auto& [k, v] : fields) {
    if (k != key) total += k.size() + v.size();
  }
  auto existing = fields.find(key);
  const bool is_new = existing == fields.end();
  if ((is_new && fields.size() >= BusinessContextLimits::kMaxFields) ||
      total + key.size() + value.size() > BusinessContextLimits::kMaxTotalBytes) {
    count(counters().business_fields_dropped);
    return false;
  }
  if (is_new) {
    fields.emplace(std::string(key), std::string(value));
  } else {
    existing->second.assign(value);
  }
  return true;
}

}  // namespace detail
}  // namespace mmf
