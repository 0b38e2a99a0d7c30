#include "mmf/resource.h"

#include <unistd.h>

#include <climits>
#include <cstdio>
#include <utility>

#include "mmf/ids.h"
#include "mmf/version.h"

namespace mmf {
namespace {

void put(std::vector<KeyValue>& attributes, std::string key, OwnedAttributeValue value) {
  for (KeyValue& existing : attributes) {
    if (existing.key == key) {
      existing.value = std::move(value);
      return;
    }
  }
  attributes.push_back({std::move(key), std::move(value)});
}

std::string executable_name() {
  char path[PATH_MAX];
  const ssize_t length = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (length <= 0) return {};
  const std::string_view full(path, static_cast<std::size_t>(length));
  const std::size_t slash = full.rfind('/');
  return std::string(slash == std::string_view::npos ? full : full.substr(slash + 1));
}

std::string host_name() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return {};
  return name;
}

}  // namespace

Resource::Resource(std::vector<KeyValue> attributes) {
  attributes_.reserve(attributes.size());
  for (KeyValue& attribute : attributes) {
    put(attributes_, std::move(attribute.key), std::move(attribute.value));
  }
}

const OwnedAttributeValue* Resource::get(std::string_view key) const noexcept {
  for (const KeyValue& attribute : attributes_) {
    if (attribute.key == key) return &attribute.value;
  }
  return nullptr;
}

std::string_view Resource::service_name() const noexcept {
  const OwnedAttributeValue* value = get("service.name");
  const auto* text = value != nullptr ? std::get_if<std::string>(value) : nullptr;
  return text != nullptr ? std::string_view(*text) : std::string_view();
}

Resource Resource::merge(const Resource& updating) const {
  Resource merged = *this;
  for (const KeyValue& attribute : updating.attributes_) {
    put(merged.attributes_, attribute.key, attribute.value);
  }
  return merged;
}

std::string random_uuid() {
  const std::uint64_t high = (random_u64() & ~std::uint64_t{0xF000}) | 0x4000;  // version 4
  const std::uint64_t low = (random_u64() & ~(std::uint64_t{3} << 62)) | (std::uint64_t{1} << 63);
  char text[37];
  std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(high >> 32),
                static_cast<unsigned>((high >> 16) & 0xFFFF), static_cast<unsigned>(high & 0xFFFF),
                static_cast<unsigned>(low >> 48),
                static_cast<unsigned long long>(low & 0xFFFFFFFFFFFFULL));
  return text;
}

Resource make_resource(const ResourceOptions& options, const EnvLookup& env, ConfigErrors& errors) {
  std::vector<KeyValue> attributes;
  put(attributes, "service.name", "unknown_service:" + executable_name());
  put(attributes, "service.instance.id", random_uuid());
  if (std::string host = host_name(); !host.empty()) put(attributes, "host.name", std::move(host));
  put(attributes, "process.pid", static_cast<std::int64_t>(::getpid()));
  put(attributes, "telemetry.sdk.name", std::string("mmf-observability"));
  put(attributes, "telemetry.sdk.language", std::string("cpp"));
  put(attributes, "telemetry.sdk.version", std::string(kVersion));
  for (const KeyValue& attribute : options.attributes) {
    put(attributes, attribute.key, attribute.value);
  }
  if (!options.service_name.empty()) put(attributes, "service.name", options.service_name);
  if (!options.service_version.empty()) {
    put(attributes, "service.version", options.service_version);
  }
  if (!options.environment.empty()) {
    put(attributes, "deployment.environment.name", options.environment);
  }
  // The specification: OTEL_RESOURCE_ATTRIBUTES overrides what the code detected, except that
  // OTEL_SERVICE_NAME wins over everything for service.name. A service name set in code is
  // the deliberate choice of the service's author, so it also wins over OTEL_RESOURCE_ATTRIBUTES.
  if (auto pairs = read_key_value_list(env, "OTEL_RESOURCE_ATTRIBUTES", errors)) {
    for (auto& [key, value] : *pairs) {
      if (key == "service.name" && !options.service_name.empty()) continue;
      put(attributes, std::move(key), std::move(value));
    }
  }
  if (auto service = read_string(env, "OTEL_SERVICE_NAME")) {
    put(attributes, "service.name", std::move(*service));
  }
  return Resource(std::move(attributes));
}

}  // namespace mmf
