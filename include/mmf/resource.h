// Resource: the attributes that describe the process that produces telemetry.
//
//   mmf::ConfigErrors errors;
//   mmf::Resource resource = mmf::make_resource(
//       {.service_name = "payment-service", .service_version = "1.2.0",
//        .environment = "production"},
//       mmf::process_environment(), errors);
//
// make_resource() fills in what OpenTelemetry backends expect of every process:
//   service.name                 OTEL_SERVICE_NAME, else options, else
//                                OTEL_RESOURCE_ATTRIBUTES, else "unknown_service:<executable>"
//   service.version              options (when set)
//   deployment.environment.name  options (when set)
//   service.instance.id          a random UUID (version 4), new for each process
//   host.name, process.pid       from the operating system
//   telemetry.sdk.name/language/version   "mmf-observability", "cpp", this library's version
// then adds options.attributes and OTEL_RESOURCE_ATTRIBUTES (which win over options, except
// for service.name, where OTEL_SERVICE_NAME wins over both, as the specification says).
//
// Thread-safety: an immutable value once built; share const references freely.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mmf/attributes.h"
#include "mmf/environment.h"

namespace mmf {

class Resource {
 public:
  Resource() = default;
  // Keys are unique: a later duplicate replaces the earlier value in place.
  explicit Resource(std::vector<KeyValue> attributes);

  const std::vector<KeyValue>& attributes() const noexcept { return attributes_; }
  // The value of key, or nullptr.
  const OwnedAttributeValue* get(std::string_view key) const noexcept;
  // service.name when it is a string, else "".
  std::string_view service_name() const noexcept;
  // This resource with updating's attributes added; updating's value wins for a shared key.
  Resource merge(const Resource& updating) const;

  friend bool operator==(const Resource&, const Resource&) = default;

 private:
  std::vector<KeyValue> attributes_;
};

struct ResourceOptions {
  std::string service_name{};
  std::string service_version{};
  std::string environment{};           // deployment.environment.name
  std::vector<KeyValue> attributes{};  // any others
};

// The process's resource, as described at the top of this file. Bad OTEL_RESOURCE_ATTRIBUTES
// items are skipped with a ConfigError each.
Resource make_resource(const ResourceOptions& options, const EnvLookup& env, ConfigErrors& errors);

// A random UUID in its 36-character text form, e.g. "0f8fad5b-d9cb-469f-a165-70867728950e".
std::string random_uuid();

}  // namespace mmf
