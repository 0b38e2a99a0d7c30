// Adding business fields within the budget of BusinessContextLimits.
#pragma once

#include <string_view>

#include "mmf/context.h"

namespace mmf::detail {

// Inserts or replaces key=value when the key is well-formed and the budgets allow it;
// otherwise drops it, counts it, and returns false.
bool add_business_field(BusinessContext& fields, std::string_view key, std::string_view value);

}  // namespace mmf::detail
