// Attributes: the key/value pairs that describe a span, an event, a link or a resource.
//
// Two forms:
//   - AttributeValue / Attribute borrow their text and arrays. They are what the hot path takes
//     (Span::set_attribute, SpanOptions, samplers): building one costs nothing and copies
//     nothing. What they point to must stay alive for the duration of the call that takes them.
//   - OwnedAttributeValue / KeyValue own their data, for what lives long (a Resource, a
//     finished span kept by the in-memory exporter, a sampler's added attributes).
//
// A value is one of the OpenTelemetry attribute types: string, bool, 64-bit integer, double, or
// a homogeneous array of one of those. Integers of any width convert to int64 (unsigned values
// above INT64_MAX are clamped, never wrapped).
//
// Thread-safety: plain values; share const ones freely.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace mmf {

enum class AttributeType : std::uint8_t {
  kString,
  kBool,
  kInt,
  kDouble,
  kStringArray,
  kBoolArray,
  kIntArray,
  kDoubleArray,
};

class AttributeValue {
 public:
  AttributeValue(std::string_view text) noexcept  // NOLINT(google-explicit-constructor)
      : type_(AttributeType::kString), text_(text) {}
  AttributeValue(const char* text) noexcept  // NOLINT(google-explicit-constructor)
      : AttributeValue(std::string_view(text != nullptr ? text : "")) {}
  AttributeValue(const std::string& text) noexcept  // NOLINT(google-explicit-constructor)
      : AttributeValue(std::string_view(text)) {}
  AttributeValue(bool value) noexcept  // NOLINT(google-explicit-constructor)
      : type_(AttributeType::kBool), bool_(value) {}
  template <class Int>
  requires(std::is_integral_v<Int> && !std::is_same_v<Int, bool> && !std::is_same_v<Int, char>)
      AttributeValue(Int value)
  noexcept  // NOLINT(google-explicit-constructor)
      : type_(AttributeType::kInt), int_(to_int64(value)) {}
  AttributeValue(double value) noexcept  // NOLINT(google-explicit-constructor)
      : type_(AttributeType::kDouble), double_(value) {}
  AttributeValue(float value) noexcept  // NOLINT(google-explicit-constructor)
      : AttributeValue(static_cast<double>(value)) {}
  AttributeValue(std::span<const std::string_view> values) noexcept  // NOLINT
      : type_(AttributeType::kStringArray), strings_(values) {}
  AttributeValue(std::span<const bool> values) noexcept  // NOLINT
      : type_(AttributeType::kBoolArray), bools_(values) {}
  AttributeValue(std::span<const std::int64_t> values) noexcept  // NOLINT
      : type_(AttributeType::kIntArray), ints_(values) {}
  AttributeValue(std::span<const double> values) noexcept  // NOLINT
      : type_(AttributeType::kDoubleArray), doubles_(values) {}

  AttributeType type() const noexcept { return type_; }
  bool is_array() const noexcept { return type_ >= AttributeType::kStringArray; }

  // The value of the type() kind; asking for another kind is a programming error (it returns
  // an empty or zero value rather than crash).
  std::string_view as_string() const noexcept {
    return type_ == AttributeType::kString ? text_ : std::string_view();
  }
  bool as_bool() const noexcept { return type_ == AttributeType::kBool && bool_; }
  std::int64_t as_int() const noexcept { return type_ == AttributeType::kInt ? int_ : 0; }
  double as_double() const noexcept { return type_ == AttributeType::kDouble ? double_ : 0.0; }
  std::span<const std::string_view> as_strings() const noexcept {
    return type_ == AttributeType::kStringArray ? strings_ : std::span<const std::string_view>();
  }
  std::span<const bool> as_bools() const noexcept {
    return type_ == AttributeType::kBoolArray ? bools_ : std::span<const bool>();
  }
  std::span<const std::int64_t> as_ints() const noexcept {
    return type_ == AttributeType::kIntArray ? ints_ : std::span<const std::int64_t>();
  }
  std::span<const double> as_doubles() const noexcept {
    return type_ == AttributeType::kDoubleArray ? doubles_ : std::span<const double>();
  }

 private:
  template <class Int>
  static constexpr std::int64_t to_int64(Int value) noexcept {
    if constexpr (std::is_unsigned_v<Int> && sizeof(Int) >= sizeof(std::int64_t)) {
      constexpr auto kMax = static_cast<Int>(std::numeric_limits<std::int64_t>::max());
      return value > kMax ? std::numeric_limits<std::int64_t>::max()
                          : static_cast<std::int64_t>(value);
    } else {
      return static_cast<std::int64_t>(value);
    }
  }

  AttributeType type_;
  union {
    std::string_view text_;
    bool bool_;
    std::int64_t int_;
    double double_;
    std::span<const std::string_view> strings_;
    std::span<const bool> bools_;
    std::span<const std::int64_t> ints_;
    std::span<const double> doubles_;
  };
};

// A borrowed key/value pair, e.g. in SpanOptions{.attributes = {{"http.route", route}}}.
struct Attribute {
  std::string_view key;
  AttributeValue value;
};

// An owning attribute value. Alternatives in the order of AttributeType.
using OwnedAttributeValue =
    std::variant<std::string, bool, std::int64_t, double, std::vector<std::string>,
                 std::vector<bool>, std::vector<std::int64_t>, std::vector<double>>;

OwnedAttributeValue to_owned(const AttributeValue& value);

// Where to_view() puts the contiguous arrays that string and bool arrays need.
struct AttributeScratch {
  std::vector<std::string_view> strings;
  std::unique_ptr<bool[]> bools;
};

// A borrowed view of an owned value, valid while both the value and scratch live unchanged.
AttributeValue to_view(const OwnedAttributeValue& value, AttributeScratch& scratch);

struct KeyValue {
  std::string key;
  OwnedAttributeValue value;

  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

}  // namespace mmf
