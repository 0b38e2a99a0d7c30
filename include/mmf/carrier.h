// Carriers: how propagation reads and writes the headers of any request type.
//
// A carrier is whatever holds a request's headers or metadata. The propagator needs two
// operations on it, spelled by CarrierTraits<C>:
//
//   static void for_each(const C&, Fn&& fn);   // calls fn(name, value) for every header
//   static void set(C&, std::string_view name, std::string_view value);  // replaces any
//                                                                        // same-named header
//
// The primary template covers every container of name/value pairs whose parts expose data()
// and size() or length(): std::map, std::multimap (cpp-httplib's Headers), std::unordered_map,
// std::vector<std::pair<...>>, and gRPC's std::multimap<grpc::string_ref, grpc::string_ref>
// (read only). Anything else needs a tiny specialisation; see FunctionCarrier for one-off
// adapters. Header names are compared case-insensitively, as HTTP requires.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace mmf {

namespace detail {

// Each byte of word with 'A'..'Z' turned to lower case (bytes from 0x80 are left alone).
constexpr std::uint64_t fold_case8(std::uint64_t word) noexcept {
  constexpr std::uint64_t kEach = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const std::uint64_t seven_bits = word & ~kHigh;
  const std::uint64_t at_least_a = seven_bits + (0x80 - 'A') * kEach;
  const std::uint64_t above_z = seven_bits + (0x80 - 'Z' - 1) * kEach;
  const std::uint64_t upper = at_least_a & ~above_z & ~word & kHigh;
  return word | (upper >> 2);  // 0x80 >> 2 is the case bit 0x20
}

constexpr char fold_case(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

}  // namespace detail

// ASCII case-insensitive equality, for header names. Eight characters at a time; a name spelled
// the same way costs one comparison per eight characters. The rest of a name is compared as one
// more word overlapping the last whole one, and a name of four to seven characters as two
// overlapping halves: no loop over single characters.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  const std::size_t size = a.size();
  if (size != b.size()) return false;
  if (!std::is_constant_evaluated()) {
    const auto same_words = [](const char* x_at, const char* y_at, std::size_t bytes) noexcept {
      std::uint64_t x = 0;
      std::uint64_t y = 0;
      std::memcpy(&x, x_at, bytes);
      std::memcpy(&y, y_at, bytes);
      return x == y || detail::fold_case8(x) == detail::fold_case8(y);
    };
    if (size >= 8) {
      std::size_t i = 0;
      for (; i + 8 <= size; i += 8) {
        if (!same_words(a.data() + i, b.data() + i, 8)) return false;
      }
      return i == size || same_words(a.data() + size - 8, b.data() + size - 8, 8);
    }
    if (size >= 4) {  // two overlapping halves
      return same_words(a.data(), b.data(), 4) &&
             same_words(a.data() + size - 4, b.data() + size - 4, 4);
    }
  }
  for (std::size_t i = 0; i < size; ++i) {
    if (detail::fold_case(a[i]) != detail::fold_case(b[i])) return false;
  }
  return true;
}

namespace detail {

template <class T>
std::string_view as_view(const T& text) noexcept {
  if constexpr (std::is_convertible_v<const T&, std::string_view>) {
    return std::string_view(text);
  } else if constexpr (requires {
                         text.data();
                         text.size();
                       }) {
    return std::string_view(text.data(), text.size());
  } else {
    static_assert(
        requires {
          text.data();
          text.length();
        },
        "header names and values must expose data() and size() or length()");
    return std::string_view(text.data(), text.length());
  }
}

}  // namespace detail

template <class C>
struct CarrierTraits {
  template <class Fn>
  static void for_each(const C& carrier, Fn&& fn) {
    for (const auto& [name, value] : carrier) fn(detail::as_view(name), detail::as_view(value));
  }

  static void set(C& carrier, std::string_view name, std::string_view value) {
    using Key = typename C::value_type::first_type;
    using Key0 = std::remove_const_t<Key>;
    using Mapped = typename C::value_type::second_type;
    // Remove every header of that name, whatever its case, then add ours once.
    for (auto it = carrier.begin(); it != carrier.end();) {
      if (iequals(detail::as_view(it->first), name)) {
        if constexpr (requires { carrier.erase(it); }) {
          it = carrier.erase(it);
        } else {
          ++it;
        }
      } else {
        ++it;
      }
    }
    if constexpr (requires { carrier.emplace_back(Key0(name), Mapped(value)); }) {
      carrier.emplace_back(Key0(name), Mapped(value));
    } else {
      carrier.emplace(Key0(name), Mapped(value));
    }
  }
};

// A carrier made of two callables, for one-off adapters:
//   mmf::FunctionCarrier carrier{
//       [&](auto&& visit) { for (auto& h : my_headers) visit(h.name, h.value); },
//       [&](std::string_view name, std::string_view value) { my_headers.put(name, value); }};
template <class ForEach, class Set>
struct FunctionCarrier {
  ForEach for_each;
  Set set;
};
template <class ForEach, class Set>
FunctionCarrier(ForEach, Set) -> FunctionCarrier<ForEach, Set>;

template <class ForEach, class Set>
struct CarrierTraits<FunctionCarrier<ForEach, Set>> {
  template <class Fn>
  static void for_each(const FunctionCarrier<ForEach, Set>& carrier, Fn&& fn) {
    carrier.for_each(fn);
  }
  static void set(FunctionCarrier<ForEach, Set>& carrier, std::string_view name,
                  std::string_view value) {
    carrier.set(name, value);
  }
};

}  // namespace mmf
