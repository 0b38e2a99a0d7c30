// The readable name of an exception's dynamic type, for exception.type and error.type.
#pragma once

#include <exception>
#include <string>

namespace mmf::detail {

// "std::runtime_error", "payments::CardDeclined"; the mangled name when it cannot be demangled.
std::string exception_type_name(const std::exception& exception);

}  // namespace mmf::detail
