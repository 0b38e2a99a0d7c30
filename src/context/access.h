// Library-internal access to a Context's data block, for code that builds Contexts directly
// (the propagator) or moves them into the thread's current slot (the set_* functions).
#pragma once

#include <utility>

#include "mmf/context.h"

namespace mmf {

struct ContextAccess {
  // Wraps a freshly built block (refs == 1) in a Context that owns it.
  static Context adopt(const detail::ContextData* data) noexcept { return Context(data); }
  // The block of a Context (null for the empty one), without touching its reference count.
  static const detail::ContextData* data(const Context& context) noexcept { return context.data_; }
  // Takes the block out of a Context, with its reference.
  static const detail::ContextData* take(Context& context) noexcept {
    return std::exchange(context.data_, nullptr);
  }
};

}  // namespace mmf
