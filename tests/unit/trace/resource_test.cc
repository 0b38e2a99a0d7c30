#include "mmf/resource.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "mmf/ids.h"
#include "mmf/version.h"

namespace mmf {
namespace {

std::string text(const Resource& resource, std::string_view key) {
  const OwnedAttributeValue* value = resource.get(key);
  if (value == nullptr) return "<missing>";
  const auto* string = std::get_if<std::string>(value);
  return string != nullptr ? *string : "<not a string>";
}

TEST(Resource, DefaultsDescribeTheProcess) {
  ConfigErrors errors;
  const Resource resource = make_resource({}, environment_from({}), errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(text(resource, "service.name").rfind("unknown_service:", 0), 0u);
  EXPECT_GT(text(resource, "service.name").size(), std::string_view("unknown_service:").size());
  EXPECT_TRUE(is_uuid(text(resource, "service.instance.id")));
  EXPECT_EQ(text(resource, "telemetry.sdk.name"), "mmf-observability");
  EXPECT_EQ(text(resource, "telemetry.sdk.language"), "cpp");
  EXPECT_EQ(text(resource, "telemetry.sdk.version"), kVersion);
  EXPECT_NE(text(resource, "host.name"), "<missing>");
  const OwnedAttributeValue* pid = resource.get("process.pid");
  ASSERT_NE(pid, nullptr);
  EXPECT_EQ(std::get<std::int64_t>(*pid), ::getpid());
  EXPECT_EQ(resource.get("service.version"), nullptr);  // only when set
}

TEST(Resource, OptionsAndEnvironmentInTheSpecifiedOrder) {
  ConfigErrors errors;
  const Resource resource = make_resource(
      {.service_name = "payment-service",
       .service_version = "1.2.0",
       .environment = "production",
       .attributes = {{"team", std::string("payments")}, {"region", std::string("eu")}}},
      environment_from({{"OTEL_RESOURCE_ATTRIBUTES",
                         "region=us%2Ceast,service.name=ignored,k8s.pod.name=pod-1"}}),
      errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(resource.service_name(), "payment-service");  // code wins over the attribute list
  EXPECT_EQ(text(resource, "service.version"), "1.2.0");
  EXPECT_EQ(text(resource, "deployment.environment.name"), "production");
  EXPECT_EQ(text(resource, "team"), "payments");
  EXPECT_EQ(text(resource, "region"), "us,east");  // the environment wins over code
  EXPECT_EQ(text(resource, "k8s.pod.name"), "pod-1");
}

TEST(Resource, ServiceNameVariableWinsOverEverything) {
  ConfigErrors errors;
  const Resource resource =
      make_resource({.service_name = "from-code"},
                    environment_from({{"OTEL_SERVICE_NAME", "from-env"},
                                      {"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-list"}}),
                    errors);
  EXPECT_EQ(resource.service_name(), "from-env");
  const Resource from_list = make_resource(
      {}, environment_from({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-list"}}), errors);
  EXPECT_EQ(from_list.service_name(), "from-list");
  EXPECT_TRUE(errors.empty());
}

TEST(Resource, BadAttributeItemsAreReportedAndSkipped) {
  ConfigErrors errors;
  const Resource resource = make_resource(
      {}, environment_from({{"OTEL_RESOURCE_ATTRIBUTES", "good=1,broken,bad=%G1"}}), errors);
  EXPECT_EQ(text(resource, "good"), "1");
  EXPECT_EQ(resource.get("broken"), nullptr);
  EXPECT_EQ(resource.get("bad"), nullptr);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].source, "environment variable OTEL_RESOURCE_ATTRIBUTES");
}

TEST(Resource, KeysAreUniqueAndMergeLetsTheUpdateWin) {
  const Resource base({{"a", std::string("1")}, {"b", std::string("2")}, {"a", std::string("3")}});
  ASSERT_EQ(base.attributes().size(), 2u);
  EXPECT_EQ(text(base, "a"), "3");
  const Resource merged = base.merge(Resource({{"b", std::int64_t{7}}, {"c", true}}));
  ASSERT_EQ(merged.attributes().size(), 3u);
  EXPECT_EQ(std::get<std::int64_t>(*merged.get("b")), 7);
  EXPECT_EQ(std::get<bool>(*merged.get("c")), true);
  EXPECT_EQ(merged.service_name(), "");
}

TEST(Resource, InstanceIdsDifferAndAreVersion4) {
  const std::string a = random_uuid();
  const std::string b = random_uuid();
  EXPECT_NE(a, b);
  ASSERT_TRUE(is_uuid(a));
  EXPECT_EQ(a[14], '4');
  EXPECT_NE(std::string_view("89ab").find(a[19]), std::string_view::npos);
}

}  // namespace
}  // namespace mmf
