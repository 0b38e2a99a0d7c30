// ObservabilityConfig from code and the environment: defaults, presets, precedence, validation
// and describe(). The file source has its own tests (config_file_test.cc).
#include "mmf/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace mmf {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

ObservabilityConfig load_env(std::map<std::string, std::string, std::less<>> variables,
                             ConfigErrors& errors, ObservabilityConfig base = {}) {
  return ObservabilityConfig::load(std::move(base), environment_from(std::move(variables)), "",
                                   errors);
}

TEST(ObservabilityConfig, DefaultsAreValidAndProductionSane) {
  const ObservabilityConfig config;
  EXPECT_THAT(config.validate(), IsEmpty());
  EXPECT_EQ(config.otlp_endpoint, "http://localhost:4318");
  EXPECT_EQ(config.prometheus_port, 9464);
  EXPECT_EQ(config.sampler, "parentbased_traceidratio");
  // No environment stated: the "other" preset, 10% of traces and JSON logs at info.
  EXPECT_DOUBLE_EQ(config.effective_trace_sample_rate(), 0.1);
  EXPECT_EQ(config.effective_log_level(), LogLevel::kInfo);
  EXPECT_EQ(config.effective_log_format(), LogFormat::kJson);
  EXPECT_FALSE(config.effective_debug_logging());
}

TEST(ObservabilityConfig, PresetsFollowTheEnvironmentName) {
  EXPECT_DOUBLE_EQ(environment_preset("development").trace_sample_rate, 1.0);
  EXPECT_EQ(environment_preset("development").log_level, LogLevel::kDebug);
  EXPECT_EQ(environment_preset("development").log_format, LogFormat::kConsole);
  EXPECT_TRUE(environment_preset("development").debug_logging);
  EXPECT_DOUBLE_EQ(environment_preset("staging").trace_sample_rate, 0.3);
  EXPECT_DOUBLE_EQ(environment_preset("production").trace_sample_rate, 0.05);
  EXPECT_EQ(environment_preset("production").log_format, LogFormat::kJson);
  EXPECT_EQ(environment_preset("production").log_level, LogLevel::kInfo);
  EXPECT_DOUBLE_EQ(environment_preset("qa-7").trace_sample_rate, 0.1);
}

TEST(ObservabilityConfig, EnvironmentSetInCodeAfterFromEnvPicksItsPreset) {
  ObservabilityConfig config = ObservabilityConfig::from_env(environment_from({}));
  config.environment = "production";
  EXPECT_DOUBLE_EQ(config.effective_trace_sample_rate(), 0.05);
  config.environment = "development";
  EXPECT_DOUBLE_EQ(config.effective_trace_sample_rate(), 1.0);
  EXPECT_EQ(config.effective_log_format(), LogFormat::kConsole);
}

TEST(ObservabilityConfig, CodeSetRateSurvivesThePreset) {
  ConfigErrors errors;
  const ObservabilityConfig config =
      load_env({{"MMF_ENVIRONMENT", "production"}}, errors, {.trace_sample_rate = 0.5});
  EXPECT_THAT(errors, IsEmpty());
  EXPECT_EQ(config.environment, "production");
  EXPECT_DOUBLE_EQ(config.effective_trace_sample_rate(), 0.5);
  EXPECT_EQ(config.effective_log_format(), LogFormat::kJson);  // the preset fills the rest
}

TEST(ObservabilityConfig, EnvironmentVariableChangesThePresetOfCodeDefaults) {
  ConfigErrors errors;
  const ObservabilityConfig config =
      load_env({{"MMF_ENVIRONMENT", "production"}}, errors, {.environment = "development"});
  EXPECT_DOUBLE_EQ(config.effective_trace_sample_rate(), 0.05);
  EXPECT_EQ(config.effective_log_level(), LogLevel::kInfo);
  EXPECT_FALSE(config.effective_debug_logging());
}

TEST(ObservabilityConfig, UserSettingsBeatThePresetFromEverySource) {
  ConfigErrors errors;
  const ObservabilityConfig config = load_env({{"MMF_ENVIRONMENT", "development"},
                                               {"MMF_LOG_LEVEL", "warn"},
                                               {"MMF_LOG_FORMAT", "json"},
                                               {"MMF_DEBUG_LOGGING", "false"},
                                               {"OTEL_TRACES_SAMPLER_ARG", "0.25"}},
                                              errors);
  EXPECT_THAT(errors, IsEmpty());
  EXPECT_DOUBLE_EQ(config.effective_trace_sample_rate(), 0.25);
  EXPECT_EQ(config.effective_log_level(), LogLevel::kWarn);
  EXPECT_EQ(config.effective_log_format(), LogFormat::kJson);
  EXPECT_FALSE(config.effective_debug_logging());
}

TEST(ObservabilityConfig, DebugLoggingChoosesTheLevelUnlessTheLevelIsSet) {
  ConfigErrors errors;
  ObservabilityConfig config =
      load_env({{"MMF_ENVIRONMENT", "production"}, {"MMF_DEBUG_LOGGING", "true"}}, errors);
  EXPECT_EQ(config.effective_log_level(), LogLevel::kDebug);
  EXPECT_THAT(config.describe(),
              HasSubstr("logging.level = debug  (follows logging.debug_logging)\n"));
  config.log_level = LogLevel::kError;
  EXPECT_EQ(config.effective_log_level(), LogLevel::kError);
  config = load_env({{"MMF_ENVIRONMENT", "development"}, {"MMF_DEBUG_LOGGING", "false"}}, errors);
  EXPECT_EQ(config.effective_log_level(), LogLevel::kInfo);
  EXPECT_THAT(errors, IsEmpty());
}

TEST(ObservabilityConfig, EnvironmentWinsOverCode) {
  ConfigErrors errors;
  const ObservabilityConfig config =
      load_env({{"OTEL_SERVICE_NAME", "from-env"}, {"MMF_PROMETHEUS_PORT", "9100"}}, errors,
               {.service_name = "from-code", .service_version = "2.1.0", .prometheus_port = 9464});
  EXPECT_THAT(errors, IsEmpty());
  EXPECT_EQ(config.service_name, "from-env");
  EXPECT_EQ(config.service_version, "2.1.0");  // not in the environment: code's value stays
  EXPECT_EQ(config.prometheus_port, 9100);
}

TEST(ObservabilityConfig, ReadsTheStandardVariables) {
  ConfigErrors errors;
  const ObservabilityConfig config =
      load_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"},
                {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://tempo:4318/v1/traces"},
                {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
                {"OTEL_EXPORTER_OTLP_HEADERS", "api-key=s%3Dcret, tenant=a"},
                {"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
                {"OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"},
                {"OTEL_TRACES_SAMPLER", "parentbased_always_on"},
                {"OTEL_BSP_MAX_QUEUE_SIZE", "4096"},
                {"OTEL_BSP_SCHEDULE_DELAY", "250"},
                {"OTEL_SPAN_EVENT_COUNT_LIMIT", "16"},
                {"OTEL_ATTRIBUTE_COUNT_LIMIT", "64"},
                {"OTEL_METRIC_EXPORT_INTERVAL", "15000"},
                {"MMF_METRICS_BIND_ADDRESS", "127.0.0.1"},
                {"MMF_CARDINALITY_LIMIT", "500"},
                {"MMF_ALLOWED_BUSINESS_FIELDS", "cart_id, tenant"},
                {"MMF_RETENTION_ENABLED", "true"},
                {"MMF_RETENTION_LATENCY_THRESHOLD", "2000"}},
               errors);
  EXPECT_THAT(errors, IsEmpty());
  EXPECT_EQ(config.otlp_endpoint, "http://collector:4318");
  EXPECT_EQ(config.otlp_protocol, OtlpProtocol::kHttpJson);
  EXPECT_THAT(config.otlp_headers, ElementsAre(Pair("api-key", "s=cret"), Pair("tenant", "a")));
  EXPECT_EQ(config.otlp_timeout, std::chrono::milliseconds(2500));
  EXPECT_EQ(config.sampler, "parentbased_always_on");
  EXPECT_EQ(config.batch.max_queue_size, 4096u);
  EXPECT_EQ(config.batch.schedule_delay, std::chrono::milliseconds(250));
  EXPECT_EQ(config.span_limits.event_count, 16u);
  EXPECT_EQ(config.span_limits.attribute_count, 64u);
  EXPECT_EQ(config.metrics_export_interval, std::chrono::milliseconds(15000));
  EXPECT_EQ(config.metrics_bind_address, "127.0.0.1");
  EXPECT_EQ(config.cardinality_limit, 500u);
  EXPECT_THAT(config.allowed_business_fields, ElementsAre("cart_id", "tenant"));
  EXPECT_TRUE(config.retention.enabled);
  EXPECT_EQ(config.retention.latency_threshold, std::chrono::milliseconds(2000));

  const OtlpExporterOptions traces = config.otlp_exporter_options("traces");
  EXPECT_EQ(traces.http.endpoint, "http://tempo:4318/v1/traces");
  EXPECT_TRUE(traces.http.endpoint_is_full_url);
  EXPECT_TRUE(traces.http.gzip);
  EXPECT_EQ(traces.protocol, OtlpProtocol::kHttpJson);
  const OtlpExporterOptions metrics = config.otlp_exporter_options("metrics");
  EXPECT_EQ(metrics.http.endpoint, "http://collector:4318");
  EXPECT_FALSE(metrics.http.endpoint_is_full_url);
  EXPECT_EQ(metrics.http.timeout, std::chrono::milliseconds(2500));
}

TEST(ObservabilityConfig, EmptyVariablesAreUnset) {
  ConfigErrors errors;
  const ObservabilityConfig config =
      load_env({{"MMF_PROMETHEUS_PORT", ""}, {"OTEL_SDK_DISABLED", ""}}, errors);
  EXPECT_THAT(errors, IsEmpty());
  EXPECT_EQ(config.prometheus_port, 9464);
  EXPECT_FALSE(config.sdk_disabled);
}

TEST(ObservabilityConfig, SamplerArgumentIsTheRatioOrTheRateByTheSampler) {
  ConfigErrors errors;
  ObservabilityConfig config = load_env(
      {{"OTEL_TRACES_SAMPLER", "parentbased_ratelimiting"}, {"OTEL_TRACES_SAMPLER_ARG", "250"}},
      errors);
  EXPECT_THAT(errors, IsEmpty());
  EXPECT_DOUBLE_EQ(config.traces_per_second, 250);
  EXPECT_FALSE(config.trace_sample_rate.has_value());

  // Ignored by samplers without an argument, as OpenTelemetry says.
  config =
      load_env({{"OTEL_TRACES_SAMPLER", "always_on"}, {"OTEL_TRACES_SAMPLER_ARG", "x"}}, errors);
  EXPECT_THAT(errors, IsEmpty());

  config = load_env({{"OTEL_TRACES_SAMPLER_ARG", "1.5"}}, errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].source, "environment variable OTEL_TRACES_SAMPLER_ARG");
}

TEST(ObservabilityConfig, SampleRateIsReallyApplied) {
  ObservabilityConfig config{.environment = "production"};
  EXPECT_EQ(config.make_sampler()->description(),
            parent_based_sampler(trace_id_ratio_sampler(0.05))->description());
  config.trace_sample_rate = 1.0;
  EXPECT_EQ(config.make_sampler()->description(),
            parent_based_sampler(trace_id_ratio_sampler(1.0))->description());
  config.sampler = "always_off";
  EXPECT_EQ(config.make_sampler(), always_off_sampler());
}

TEST(ObservabilityConfig, SdkDisabledIsHonouredAndSilencesOtherProblems) {
  ConfigErrors errors;
  const ObservabilityConfig config = load_env(
      {{"OTEL_SDK_DISABLED", "TRUE"}, {"MMF_PROMETHEUS_PORT", "abc"}, {"OTEL_PROPAGATORS", "x"}},
      errors);
  EXPECT_TRUE(config.sdk_disabled);
  EXPECT_THAT(errors, IsEmpty());
  EXPECT_THAT(config.validate(), IsEmpty());
  EXPECT_NO_THROW(ObservabilityConfig::from_env(
      environment_from({{"OTEL_SDK_DISABLED", "true"}, {"MMF_PROMETHEUS_PORT", "99999"}})));

  // A bad value of the switch itself is reported, and the SDK stays on.
  const ObservabilityConfig on = load_env({{"OTEL_SDK_DISABLED", "yes"}}, errors);
  EXPECT_FALSE(on.sdk_disabled);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].source, "environment variable OTEL_SDK_DISABLED");
}

TEST(ObservabilityConfig, NoneExportersAreHonoured) {
  ConfigErrors errors;
  const ObservabilityConfig config = load_env({{"OTEL_TRACES_EXPORTER", "none"},
                                               {"OTEL_METRICS_EXPORTER", "none"},
                                               {"OTEL_LOGS_EXPORTER", "otlp,console"}},
                                              errors);
  EXPECT_THAT(errors, IsEmpty());
  EXPECT_FALSE(ObservabilityConfig::names_exporter(config.traces_exporter, "otlp"));
  EXPECT_FALSE(ObservabilityConfig::names_exporter(config.metrics_exporter, "prometheus"));
  EXPECT_TRUE(ObservabilityConfig::names_exporter(config.logs_exporter, "otlp"));
  EXPECT_TRUE(ObservabilityConfig::names_exporter(config.logs_exporter, "console"));
  EXPECT_FALSE(ObservabilityConfig::names_exporter({"otlp", "none"}, "otlp"));

  const ObservabilityConfig bad =
      load_env({{"OTEL_METRICS_EXPORTER", "prometheus,zipkin"}}, errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].source, "environment variable OTEL_METRICS_EXPORTER");
  EXPECT_THAT(errors[0].message, HasSubstr("'zipkin'"));
}

TEST(ObservabilityConfig, PropagatorsListSelectsTheFormats) {
  ConfigErrors errors;
  ObservabilityConfig config = load_env({{"OTEL_PROPAGATORS", "tracecontext,b3multi"}}, errors);
  EXPECT_THAT(errors, IsEmpty());
  PropagationOptions options = config.propagation_options();
  EXPECT_TRUE(options.trace_context);
  EXPECT_FALSE(options.baggage);
  EXPECT_TRUE(options.b3);

  config = load_env({{"OTEL_PROPAGATORS", "none"}}, errors);
  options = config.propagation_options();
  EXPECT_FALSE(options.trace_context || options.baggage || options.b3);
  EXPECT_THAT(errors, IsEmpty());

  options = ObservabilityConfig{}.propagation_options();  // default: tracecontext, baggage
  EXPECT_TRUE(options.trace_context && options.baggage);
  EXPECT_FALSE(options.b3);

  load_env({{"OTEL_PROPAGATORS", "tracecontext,jaeger,bogus"}}, errors);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].source, "environment variable OTEL_PROPAGATORS");
  EXPECT_THAT(errors[0].message, HasSubstr("'jaeger' is not supported"));
  EXPECT_THAT(errors[1].message, HasSubstr("unknown propagator 'bogus'"));
}

// One error per problem, each naming the variable it came from.
TEST(ObservabilityConfig, ASampleRateOutsideTheUnitIntervalIsRefused) {
  ConfigErrors errors;
  load_env({{"OTEL_TRACES_SAMPLER_ARG", "2"}}, errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(),
            "environment variable OTEL_TRACES_SAMPLER_ARG: 2 is outside [0, 1]");
}

TEST(ObservabilityConfig, ValidationNamesEachVariable) {
  ConfigErrors errors;
  load_env({{"MMF_PROMETHEUS_PORT", "70000"},
            {"OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://collector"},
            {"OTEL_TRACES_SAMPLER", "sometimes"},
            {"MMF_METRICS_BIND_ADDRESS", "localhost"},
            {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4096"},
            {"MMF_LOG_LEVEL", "loud"},
            {"MMF_ALLOWED_BUSINESS_FIELDS", "9lives"},
            {"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"}},
           errors);
  std::vector<std::string> lines;
  for (const ConfigError& error : errors) lines.push_back(error.to_string());
  EXPECT_EQ(errors.size(), 8u) << testing::PrintToString(lines);
  const auto has = [&](std::string_view source, std::string_view text) {
    for (const ConfigError& error : errors) {
      if (error.source == source && error.message.find(text) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("environment variable MMF_PROMETHEUS_PORT", "70000 is outside [0, 65535]"));
  EXPECT_TRUE(has("environment variable OTEL_EXPORTER_OTLP_ENDPOINT", "http"));
  EXPECT_TRUE(has("environment variable OTEL_TRACES_SAMPLER", "unknown sampler 'sometimes'"));
  EXPECT_TRUE(has("environment variable MMF_METRICS_BIND_ADDRESS", "'localhost'"));
  EXPECT_TRUE(has("environment variable OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "max_queue_size"));
  EXPECT_TRUE(has("environment variable MMF_LOG_LEVEL", "'loud' is not a log level"));
  EXPECT_TRUE(has("environment variable MMF_ALLOWED_BUSINESS_FIELDS", "'9lives'"));
  EXPECT_TRUE(has("environment variable OTEL_EXPORTER_OTLP_PROTOCOL", "'grpc'"));
}

TEST(ObservabilityConfig, ValidationNamesTheMemberForCodeValues) {
  ObservabilityConfig config{.trace_sample_rate = 1.5, .prometheus_port = -1};
  config.batch.max_queue_size = 0;
  config.otlp_traces_endpoint = "not a url";
  const ConfigErrors errors = config.validate();
  EXPECT_THAT(errors, ::testing::Contains(ConfigError{"ObservabilityConfig.trace_sample_rate",
                                                      "1.5 is outside [0, 1]"}));
  EXPECT_THAT(errors, ::testing::Contains(ConfigError{"ObservabilityConfig.prometheus_port",
                                                      "-1 is outside [0, 65535]"}));
  EXPECT_THAT(errors, ::testing::Contains(ConfigError{"ObservabilityConfig.batch.max_queue_size",
                                                      "must be at least 1"}));
  bool endpoint = false;
  for (const ConfigError& error : errors) {
    endpoint |= error.source == "ObservabilityConfig.otlp_traces_endpoint";
  }
  EXPECT_TRUE(endpoint);
}

TEST(ObservabilityConfig, ValueChangedInCodeAfterLoadIsBlamedOnCode) {
  ConfigErrors errors;
  ObservabilityConfig config = load_env({{"MMF_PROMETHEUS_PORT", "9100"}}, errors);
  config.prometheus_port = 123456;
  const ConfigErrors problems = config.validate();
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].source, "ObservabilityConfig.prometheus_port");
}

TEST(ObservabilityConfig, FromEnvThrowsOneLinePerProblem) {
  try {
    ObservabilityConfig::from_env(
        environment_from({{"MMF_PROMETHEUS_PORT", "abc"}, {"OTEL_TRACES_SAMPLER_ARG", "-1"}}));
    FAIL() << "expected ConfigurationError";
  } catch (const ConfigurationError& error) {
    ASSERT_EQ(error.errors().size(), 2u);
    const std::string what = error.what();
    EXPECT_THAT(what, HasSubstr("2 problems"));
    EXPECT_THAT(what, HasSubstr("\n  environment variable MMF_PROMETHEUS_PORT: 'abc' is not a "
                                "whole number"));
    EXPECT_THAT(what, HasSubstr("\n  environment variable OTEL_TRACES_SAMPLER_ARG: "));
  }
}

TEST(ObservabilityConfig, DescribeMasksSecrets) {
  ConfigErrors errors;
  const ObservabilityConfig config =
      load_env({{"OTEL_EXPORTER_OTLP_HEADERS", "api-key=topsecret"},
                {"OTEL_EXPORTER_OTLP_ENDPOINT", "https://user:hunter2@collector:4318"},
                {"MMF_ENVIRONMENT", "staging"}},
               errors, {.metrics_token = "scrape-secret"});
  EXPECT_THAT(errors, IsEmpty());
  const std::string text = config.describe();
  EXPECT_THAT(text, ::testing::Not(HasSubstr("topsecret")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("hunter2")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("scrape-secret")));
  EXPECT_THAT(text, HasSubstr("otlp.headers = api-key=***  (environment variable "
                              "OTEL_EXPORTER_OTLP_HEADERS)\n"));
  EXPECT_THAT(text, HasSubstr("otlp.endpoint = https://***@collector:4318"));
  EXPECT_THAT(text, HasSubstr("metrics.token = ***  (code)\n"));
  EXPECT_THAT(text, HasSubstr("tracing.sample_rate = 0.3  (preset for environment 'staging')\n"));
  EXPECT_THAT(text, HasSubstr("metrics.prometheus_port = 9464  (default)\n"));

  const std::string plain = config.describe(false);
  EXPECT_THAT(plain, HasSubstr("api-key=topsecret"));
  EXPECT_THAT(plain, HasSubstr("metrics.token = scrape-secret"));
}

TEST(ObservabilityConfig, ConfigArgumentNamesTheFile) {
  const char* argv[] = {"service", "--config", "/nonexistent/mmf.yaml"};
  try {
    ObservabilityConfig::from_args(3, argv, environment_from({}));
    FAIL() << "expected ConfigurationError";
  } catch (const ConfigurationError& error) {
    ASSERT_EQ(error.errors().size(), 1u);
    EXPECT_EQ(error.errors()[0].source, "config file /nonexistent/mmf.yaml");
  }
  const char* empty[] = {"service", "--config="};
  EXPECT_THROW(ObservabilityConfig::from_args(2, empty, environment_from({})), ConfigurationError);
  const char* other[] = {"service", "--port", "80"};
  EXPECT_NO_THROW(ObservabilityConfig::from_args(3, other, environment_from({})));
}

TEST(ObservabilityConfig, ResourceOptionsCarryTheIdentity) {
  const ObservabilityConfig config{
      .service_name = "payments", .service_version = "2.1.0", .environment = "production"};
  const ResourceOptions options = config.resource_options();
  EXPECT_EQ(options.service_name, "payments");
  EXPECT_EQ(options.service_version, "2.1.0");
  EXPECT_EQ(options.environment, "production");
}

}  // namespace
}  // namespace mmf
