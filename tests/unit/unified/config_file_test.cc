// ObservabilityConfig's YAML file: keys, types, line numbers, limits, and its place between
// code and the environment.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "mmf/config.h"

namespace mmf {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

class ConfigFile : public ::testing::Test {
 protected:
  std::string write(const std::string& text) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = ::testing::TempDir() + "mmf_config_" + info->name() + ".yaml";
    std::ofstream(path_, std::ios::binary) << text;
    return path_;
  }
  void TearDown() override {
    if (!path_.empty()) std::remove(path_.c_str());
  }

  ObservabilityConfig load(const std::string& text, ConfigErrors& errors,
                           std::map<std::string, std::string, std::less<>> env = {},
                           ObservabilityConfig base = {}) {
    return ObservabilityConfig::load(std::move(base), environment_from(std::move(env)), write(text),
                                     errors);
  }

  std::string path_;
};

TEST_F(ConfigFile, ReadsEverySection) {
  ConfigErrors errors;
  const ObservabilityConfig config = load(R"(
service: {name: payment-service, version: 2.1.0, environment: production}
otlp:
  endpoint: http://otel-collector:4318
  protocol: http/json
  headers: {api-key: x, tenant: "a b"}
  timeout_ms: 2000
  compression: gzip
tracing:
  enabled: true
  exporter: [otlp, console]
  sampler: parentbased_traceidratio
  sample_rate: 0.2
  propagators: [tracecontext, baggage, b3]
  batch: {schedule_delay_ms: 1000, max_queue_size: 4096, max_export_batch_size: 256}
  span_limits: {attribute_count: 64, attribute_value_length: 1024}
  retention: {enabled: true, latency_threshold_ms: 500}
metrics:
  enabled: true
  exporter: prometheus,otlp
  prometheus_port: 9100
  bind_address: "::"
  token: abc123
  export_interval_ms: 10000
  cardinality_limit: 100
logging: {enabled: true, level: warn, format: console, debug_logging: true, exporter: console}
context: {allowed_business_fields: [cart_id]}
)",
                                          errors);
  EXPECT_THAT(errors, IsEmpty());
  EXPECT_EQ(config.service_name, "payment-service");
  EXPECT_EQ(config.service_version, "2.1.0");
  EXPECT_EQ(config.environment, "production");
  EXPECT_EQ(config.otlp_endpoint, "http://otel-collector:4318");
  EXPECT_EQ(config.otlp_protocol, OtlpProtocol::kHttpJson);
  EXPECT_THAT(config.otlp_headers, ElementsAre(Pair("api-key", "x"), Pair("tenant", "a b")));
  EXPECT_EQ(config.otlp_timeout, std::chrono::milliseconds(2000));
  EXPECT_THAT(config.traces_exporter, ElementsAre("otlp", "console"));
  EXPECT_DOUBLE_EQ(config.effective_trace_sample_rate(), 0.2);
  EXPECT_THAT(config.propagators, ElementsAre("tracecontext", "baggage", "b3"));
  EXPECT_EQ(config.batch.schedule_delay, std::chrono::milliseconds(1000));
  EXPECT_EQ(config.batch.max_queue_size, 4096u);
  EXPECT_EQ(config.batch.max_export_batch_size, 256u);
  EXPECT_EQ(config.span_limits.attribute_count, 64u);
  EXPECT_EQ(config.span_limits.attribute_value_length, 1024u);
  EXPECT_TRUE(config.retention.enabled);
  EXPECT_EQ(config.retention.latency_threshold, std::chrono::milliseconds(500));
  EXPECT_THAT(config.metrics_exporter, ElementsAre("prometheus", "otlp"));
  EXPECT_EQ(config.prometheus_port, 9100);
  EXPECT_EQ(config.metrics_bind_address, "::");
  EXPECT_EQ(config.metrics_token, "abc123");
  EXPECT_EQ(config.cardinality_limit, 100u);
  EXPECT_EQ(config.effective_log_level(), LogLevel::kWarn);
  EXPECT_EQ(config.effective_log_format(), LogFormat::kConsole);
  EXPECT_TRUE(config.effective_debug_logging());
  EXPECT_THAT(config.allowed_business_fields, ElementsAre("cart_id"));
  EXPECT_EQ(config.origins.at("metrics.prometheus_port").source,
            "metrics.prometheus_port in config file " + path_ + " line 21");
}

TEST_F(ConfigFile, PrecedenceIsCodeThenFileThenEnvironment) {
  ConfigErrors errors;
  const ObservabilityConfig config =
      load("service: {name: from-file, version: file-version}\nmetrics: {prometheus_port: 9100}\n",
           errors, {{"OTEL_SERVICE_NAME", "from-env"}},
           {.service_name = "from-code",
            .service_version = "code-version",
            .environment = "staging",
            .prometheus_port = 1234});
  EXPECT_THAT(errors, IsEmpty());
  EXPECT_EQ(config.service_name, "from-env");
  EXPECT_EQ(config.service_version, "file-version");
  EXPECT_EQ(config.environment, "staging");
  EXPECT_EQ(config.prometheus_port, 9100);
}

TEST_F(ConfigFile, FileNamedByTheVariableIsRead) {
  const std::string path = write("metrics:\n  prometheus_port: 9200\n");
  const ObservabilityConfig config =
      ObservabilityConfig::from_env(environment_from({{"MMF_CONFIG_FILE", path}}));
  EXPECT_EQ(config.prometheus_port, 9200);
}

TEST_F(ConfigFile, PresetOfTheFilesEnvironmentFillsUnsetSettings) {
  ConfigErrors errors;
  ObservabilityConfig config = load("service: {environment: production}\n", errors);
  EXPECT_DOUBLE_EQ(config.effective_trace_sample_rate(), 0.05);
  // The environment variable replaces the file's environment, and with it the preset.
  config = load("service: {environment: production}\n", errors, {{"MMF_ENVIRONMENT", "staging"}});
  EXPECT_DOUBLE_EQ(config.effective_trace_sample_rate(), 0.3);
  // A rate set in the file beats any preset.
  config = load("service: {environment: development}\ntracing: {sample_rate: 0.01}\n", errors);
  EXPECT_DOUBLE_EQ(config.effective_trace_sample_rate(), 0.01);
  EXPECT_THAT(errors, IsEmpty());
}

TEST_F(ConfigFile, UnknownKeysAreErrorsWithTheirLine) {
  ConfigErrors errors;
  load("service:\n  name: x\ntracing:\n  samplr: always_on\nmetrix: {}\n", errors);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].source, "config file " + path_ + " line 4");
  EXPECT_THAT(errors[0].message, HasSubstr("unknown key 'tracing.samplr'"));
  EXPECT_THAT(errors[0].message, HasSubstr("sampler"));  // lists what the section has
  EXPECT_EQ(errors[1].source, "config file " + path_ + " line 5");
  EXPECT_THAT(errors[1].message, HasSubstr("unknown key 'metrix'"));
}

TEST_F(ConfigFile, WrongTypesAreErrorsWithTheirLine) {
  ConfigErrors errors;
  const ObservabilityConfig config = load(R"(metrics:
  prometheus_port: lots
  enabled: yes
tracing:
  sample_rate: [0.1]
  propagators: {a: b}
  batch: 5
otlp:
  timeout_ms: -5
  headers: [a, b]
)",
                                          errors);
  std::vector<std::string> lines;
  for (const ConfigError& error : errors) lines.push_back(error.to_string());
  ASSERT_EQ(errors.size(), 7u) << testing::PrintToString(lines);
  EXPECT_EQ(errors[0].source, "metrics.prometheus_port in config file " + path_ + " line 2");
  EXPECT_THAT(errors[0].message, HasSubstr("'lots' is not a whole number"));
  EXPECT_EQ(errors[1].source, "metrics.enabled in config file " + path_ + " line 3");
  EXPECT_THAT(errors[1].message, HasSubstr("not a boolean"));
  EXPECT_EQ(errors[2].source, "tracing.sample_rate in config file " + path_ + " line 5");
  EXPECT_THAT(errors[2].message, HasSubstr("found a list"));
  EXPECT_EQ(errors[3].source, "tracing.propagators in config file " + path_ + " line 6");
  EXPECT_EQ(errors[4].source, "config file " + path_ + " line 7");
  EXPECT_THAT(errors[4].message, HasSubstr("'tracing.batch' must be a mapping"));
  EXPECT_EQ(errors[5].source, "otlp.timeout_ms in config file " + path_ + " line 9");
  EXPECT_EQ(errors[6].source, "otlp.headers in config file " + path_ + " line 10");
  EXPECT_EQ(config.prometheus_port, 9464);  // bad values keep the earlier value
}

TEST_F(ConfigFile, ValidationNamesTheFileAndLine) {
  ConfigErrors errors;
  load("metrics:\n  prometheus_port: 70000\notlp:\n  endpoint: collector:4318\n", errors);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].source, "otlp.endpoint in config file " + path_ + " line 4");
  EXPECT_EQ(errors[1].to_string(), "metrics.prometheus_port in config file " + path_ +
                                       " line 2: 70000 is outside [0, 65535]");
}

TEST_F(ConfigFile, MissingFileIsAnErrorNamingThePath) {
  ConfigErrors errors;
  ObservabilityConfig::load({}, environment_from({}), "/nonexistent/dir/mmf.yaml", errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].source, "config file /nonexistent/dir/mmf.yaml");
}

TEST_F(ConfigFile, MalformedYamlIsAnErrorNamingThePathAndLine) {
  ConfigErrors errors;
  load("service:\n  name: [unclosed\nmetrics: {}\n", errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].source, HasSubstr("config file " + path_ + " line "));
  EXPECT_THAT(errors[0].message, HasSubstr("not valid YAML"));
}

TEST_F(ConfigFile, TopLevelMustBeAMapping) {
  ConfigErrors errors;
  load("- a\n- b\n", errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].message, HasSubstr("must be a mapping"));
}

TEST_F(ConfigFile, EmptyFileAndNullValuesSetNothing) {
  ConfigErrors errors;
  ObservabilityConfig config = load("", errors);
  EXPECT_THAT(errors, IsEmpty());
  config = load("metrics:\n  prometheus_port:\n  token: ~\n", errors);
  EXPECT_THAT(errors, IsEmpty());
  EXPECT_EQ(config.prometheus_port, 9464);
}

TEST_F(ConfigFile, DuplicateKeysAreErrors) {
  ConfigErrors errors;
  load("metrics:\n  prometheus_port: 1\n  prometheus_port: 2\n", errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_THAT(errors[0].message, HasSubstr("duplicate key 'metrics.prometheus_port'"));
}

TEST_F(ConfigFile, OversizeFileIsRefused) {
  ConfigErrors errors;
  std::string text = "service: {name: x}\n";
  text.append(kMaxConfigFileBytes, '#');
  load(text, errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].source, "config file " + path_);
  EXPECT_THAT(errors[0].message, HasSubstr("larger than"));
}

TEST_F(ConfigFile, DeepNestingIsRefusedNotACrash) {
  ConfigErrors errors;
  load("service: " + std::string(100000, '[') + "\n", errors);
  ASSERT_FALSE(errors.empty());
  EXPECT_THAT(errors[0].source, HasSubstr("config file " + path_));
}

TEST_F(ConfigFile, SecretsFromTheFileAreMasked) {
  ConfigErrors errors;
  const ObservabilityConfig config =
      load("metrics: {token: file-secret}\notlp: {headers: {authorization: Bearer-xyz}}\n", errors);
  EXPECT_THAT(errors, IsEmpty());
  const std::string text = config.describe();
  EXPECT_THAT(text, ::testing::Not(HasSubstr("file-secret")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("Bearer-xyz")));
  EXPECT_THAT(
      text, HasSubstr("metrics.token = ***  (metrics.token in config file " + path_ + " line 1)"));
}

}  // namespace
}  // namespace mmf
