#include "export/otlp_common.h"

#include <type_traits>
#include <variant>

namespace mmf::detail {
namespace {

namespace f = otlp_field;

// ArrayValue from any range of one attribute type, so that borrowed (std::span) and owned
// (std::vector, including std::vector<bool>) arrays share one encoder.
template <class Range, class WriteElement>
void write_array_value(ProtoWriter& w, std::uint32_t field, const Range& values,
                       WriteElement write_element) {
  // A few numbers fit in 127 bytes; strings and long arrays pay one move of the body.
  const ProtoWriter::Message array = w.begin_message(field, values.size() > 8 ? 2 : 1);
  for (const auto& value : values) {
    const ProtoWriter::Message element = w.begin_message(f::kArrayValueValues);
    write_element(value);
    w.end_message(element);
  }
  w.end_message(array);
}

template <class Range, class WriteElement>
void write_array_value(JsonWriter& w, const Range& values, WriteElement write_element) {
  w.begin_object();
  w.key("arrayValue");
  w.begin_object();
  if (!values.empty()) {
    w.key("values");
    w.begin_array();
    for (const auto& value : values) {
      w.begin_object();
      write_element(value);
      w.end_object();
    }
    w.end_array();
  }
  w.end_object();
  w.end_object();
}

// The AnyValue member for each scalar type. Array elements (std::string included, which
// converts to std::string_view) come through the same overloads.
struct ProtoScalars {
  ProtoWriter& w;
  void operator()(std::string_view text) const { w.oneof_string(f::kAnyValueString, text); }
  void operator()(bool value) const { w.oneof_bool(f::kAnyValueBool, value); }
  void operator()(std::int64_t value) const { w.oneof_int64(f::kAnyValueInt, value); }
  void operator()(double value) const { w.oneof_double(f::kAnyValueDouble, value); }
};

struct JsonScalars {
  JsonWriter& w;
  void operator()(std::string_view text) const {
    w.key("stringValue");
    w.string(text);
  }
  void operator()(bool value) const {
    w.key("boolValue");
    w.boolean(value);
  }
  void operator()(std::int64_t value) const {
    w.key("intValue");
    w.int64_string(value);
  }
  void operator()(double value) const {
    w.key("doubleValue");
    w.number(value);
  }
};

// Calls scalar(x) for a scalar value, or array(range) for an array, so that borrowed and owned
// values share the encoders below.
template <class Scalar, class Array>
void visit_value(const AttributeValue& value, Scalar&& scalar, Array&& array) {
  switch (value.type()) {
    case AttributeType::kString:
      return scalar(value.as_string());
    case AttributeType::kBool:
      return scalar(value.as_bool());
    case AttributeType::kInt:
      return scalar(value.as_int());
    case AttributeType::kDouble:
      return scalar(value.as_double());
    case AttributeType::kStringArray:
      return array(value.as_strings());
    case AttributeType::kBoolArray:
      return array(value.as_bools());
    case AttributeType::kIntArray:
      return array(value.as_ints());
    case AttributeType::kDoubleArray:
      return array(value.as_doubles());
  }
}

template <class Scalar, class Array>
void visit_value(const OwnedAttributeValue& value, Scalar&& scalar, Array&& array) {
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::string>) {
          scalar(std::string_view(v));
        } else if constexpr (std::is_same_v<V, bool> || std::is_same_v<V, std::int64_t> ||
                             std::is_same_v<V, double>) {
          scalar(v);
        } else {
          array(v);
        }
      },
      value);
}

template <class Value>
void write_any_value_proto(ProtoWriter& w, std::uint32_t field, const Value& value) {
  // An attribute with a short text or a number fits in 127 bytes: no move.
  const ProtoWriter::Message any = w.begin_message(field);
  const ProtoScalars scalar{w};
  visit_value(value, scalar,
              [&](const auto& values) { write_array_value(w, f::kAnyValueArray, values, scalar); });
  w.end_message(any);
}

template <class Value>
void write_any_value_json(JsonWriter& w, const Value& value) {
  const JsonScalars scalar{w};
  visit_value(
      value,
      [&](auto x) {
        w.begin_object();
        scalar(x);
        w.end_object();
      },
      [&](const auto& values) { write_array_value(w, values, scalar); });
}

}  // namespace

void write_any_value(ProtoWriter& w, std::uint32_t field, const AttributeValue& value) {
  write_any_value_proto(w, field, value);
}

void write_any_value(ProtoWriter& w, std::uint32_t field, const OwnedAttributeValue& value) {
  write_any_value_proto(w, field, value);
}

void write_key_value(ProtoWriter& w, std::uint32_t field, std::string_view key,
                     const AttributeValue& value) {
  const ProtoWriter::Message key_value = w.begin_message(field);
  w.string_field(f::kKeyValueKey, key);
  write_any_value_proto(w, f::kKeyValueValue, value);
  w.end_message(key_value);
}

void write_key_value(ProtoWriter& w, std::uint32_t field, const KeyValue& attribute) {
  const ProtoWriter::Message key_value = w.begin_message(field);
  w.string_field(f::kKeyValueKey, attribute.key);
  write_any_value_proto(w, f::kKeyValueValue, attribute.value);
  w.end_message(key_value);
}

void write_resource(ProtoWriter& w, std::uint32_t field, const Resource& resource) {
  // A process's resource (a dozen attributes) is usually 128 bytes to 16 KiB.
  const ProtoWriter::Message message = w.begin_message(field, 2);
  for (const KeyValue& attribute : resource.attributes()) {
    write_key_value(w, f::kResourceAttributes, attribute);
  }
  w.end_message(message);
}

void write_scope(ProtoWriter& w, std::uint32_t field, const InstrumentationScope& scope) {
  const ProtoWriter::Message message = w.begin_message(field);
  w.string_field(f::kScopeName, scope.name);
  w.string_field(f::kScopeVersion, scope.version);
  w.end_message(message);
}

void write_any_value(JsonWriter& w, const AttributeValue& value) { write_any_value_json(w, value); }

void write_any_value(JsonWriter& w, const OwnedAttributeValue& value) {
  write_any_value_json(w, value);
}

void write_key_value(JsonWriter& w, std::string_view key, const AttributeValue& value) {
  w.begin_object();
  w.key("key");
  w.string(key);
  w.key("value");
  write_any_value_json(w, value);
  w.end_object();
}

void write_key_value(JsonWriter& w, const KeyValue& attribute) {
  w.begin_object();
  w.key("key");
  w.string(attribute.key);
  w.key("value");
  write_any_value_json(w, attribute.value);
  w.end_object();
}

void write_resource(JsonWriter& w, const Resource& resource) {
  w.begin_object();
  if (!resource.attributes().empty()) {
    w.key("attributes");
    w.begin_array();
    for (const KeyValue& attribute : resource.attributes()) write_key_value(w, attribute);
    w.end_array();
  }
  w.end_object();
}

void write_scope(JsonWriter& w, const InstrumentationScope& scope) {
  w.begin_object();
  if (!scope.name.empty()) {
    w.key("name");
    w.string(scope.name);
  }
  if (!scope.version.empty()) {
    w.key("version");
    w.string(scope.version);
  }
  w.end_object();
}

}  // namespace mmf::detail
