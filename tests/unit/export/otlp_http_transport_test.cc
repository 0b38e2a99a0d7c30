// OtlpHttpTransport against a real HTTP server on 127.0.0.1: what a request carries, gzip, the
// OTLP/HTTP retry rules (retryable statuses, Retry-After, refused connections), deadlines,
// cancellation from another thread, connection reuse, redaction of credentials; then the retry
// arithmetic in export/retry.h and the OTEL_EXPORTER_OTLP_* environment variables.
#include <gtest/gtest.h>
#include <zlib.h>

#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

#include "export/retry.h"
#include "mmf/otlp_transport.h"
#include "mmf/version.h"
#include "test_http_server.h"
#include "unit/gzip_support.h"

namespace mmf {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Status = TransportResult::Status;
using testing_support::ScriptedResponse;
using testing_support::TestHttpServer;

constexpr std::string_view kProtobuf = "application/x-protobuf";

long long millis_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

class OtlpHttpTransportTest : public ::testing::Test {
 protected:
  // Fast retries, so that the suite takes seconds.
  OtlpHttpOptions options() const {
    return {.endpoint = server_.url(), .initial_backoff = 10ms, .max_backoff = 50ms};
  }
  TransportResult send(OtlpHttpTransport& transport, std::string_view body = "payload",
                       Clock::duration budget = 5s) {
    return transport.send("/v1/traces", body, kProtobuf, Clock::now() + budget);
  }

  TestHttpServer server_;
};

TEST_F(OtlpHttpTransportTest, PostsBodyWithPathContentTypeHeadersAndUserAgent) {
  OtlpHttpOptions opts = options();
  opts.headers = {{"api-key", "secret value"}, {"X-Tenant", "blue"}};
  OtlpHttpTransport transport(opts);
  const TransportResult result = send(transport, std::string_view("\x0a\x00\x01", 3));
  EXPECT_EQ(result.status, Status::kSuccess) << result.message;
  EXPECT_EQ(result.http_status, 200);
  EXPECT_EQ(result.attempts, 1);
  EXPECT_TRUE(result.message.empty());
  const auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/v1/traces");
  EXPECT_EQ(requests[0].header("Content-Type"), kProtobuf);
  EXPECT_EQ(requests[0].header("api-key"), "secret value");
  EXPECT_EQ(requests[0].header("x-tenant"), "blue");
  EXPECT_EQ(requests[0].header("user-agent"), std::string(kLibraryName) + "/" + kVersion);
  EXPECT_EQ(requests[0].header("content-encoding"), "");
  EXPECT_EQ(requests[0].header("expect"), "");
  EXPECT_EQ(requests[0].body, std::string("\x0a\x00\x01", 3));
}

TEST_F(OtlpHttpTransportTest, OwnContentTypeWinsOverAConfiguredOne) {
  OtlpHttpOptions opts = options();
  opts.headers = {{"content-type", "text/plain"}};
  opts.user_agent = "my-service/2";
  OtlpHttpTransport transport(opts);
  ASSERT_TRUE(transport.send("/v1/logs", "{}", "application/json", Clock::now() + 5s).ok());
  EXPECT_EQ(server_.requests().at(0).header("content-type"), "application/json");
  EXPECT_EQ(server_.requests().at(0).header("user-agent"), "my-service/2");
}

TEST_F(OtlpHttpTransportTest, JoinsBaseEndpointAndPathWithOneSlash) {
  OtlpHttpOptions opts = options();
  opts.endpoint = server_.url() + "/collector/";
  OtlpHttpTransport transport(opts);
  ASSERT_TRUE(send(transport).ok());
  EXPECT_EQ(server_.requests().at(0).target, "/collector/v1/traces");
}

TEST_F(OtlpHttpTransportTest, FullUrlEndpointIsUsedAsIs) {
  OtlpHttpOptions opts = options();
  opts.endpoint = server_.url() + "/custom/traces";
  opts.endpoint_is_full_url = true;
  OtlpHttpTransport transport(opts);
  ASSERT_TRUE(send(transport).ok());
  EXPECT_EQ(server_.requests().at(0).target, "/custom/traces");
}

TEST_F(OtlpHttpTransportTest, GzipBodyInflatesToTheOriginal) {
  OtlpHttpOptions opts = options();
  opts.gzip = true;
  OtlpHttpTransport transport(opts);
  std::string body;
  for (int i = 0; i < 2000; ++i) body += "span " + std::to_string(i % 7) + ";";
  ASSERT_TRUE(send(transport, body).ok());
  const auto request = server_.requests().at(0);
  EXPECT_EQ(request.header("content-encoding"), "gzip");
  EXPECT_LT(request.body.size(), body.size() / 4);
  EXPECT_EQ(testing_support::gunzip(request.body), body);
}

TEST_F(OtlpHttpTransportTest, ReusesOneConnection) {
  OtlpHttpTransport transport(options());
  ASSERT_TRUE(send(transport).ok());
  ASSERT_TRUE(send(transport).ok());
  EXPECT_EQ(server_.connections(), 1);
  EXPECT_EQ(server_.requests().at(1).connection, 1);
}

TEST_F(OtlpHttpTransportTest, RetriesAfter503AndSucceeds) {
  server_.respond({.status = 503, .body = "busy"});
  OtlpHttpTransport transport(options());
  const TransportResult result = send(transport);
  EXPECT_EQ(result.status, Status::kSuccess) << result.message;
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(result.http_status, 200);
  ASSERT_EQ(server_.requests().size(), 2u);
  EXPECT_EQ(server_.requests()[1].body, "payload");
}

TEST_F(OtlpHttpTransportTest, RetriesEachRetryableStatus) {
  for (int status : {429, 502, 504}) server_.respond({.status = status});
  OtlpHttpTransport transport(options());
  const TransportResult result = send(transport);
  EXPECT_EQ(result.status, Status::kSuccess) << result.message;
  EXPECT_EQ(result.attempts, 4);
}

TEST_F(OtlpHttpTransportTest, HonoursRetryAfterSeconds) {
  server_.respond({.status = 429, .headers = {{"Retry-After", "1"}}});
  OtlpHttpTransport transport(options());
  const auto start = Clock::now();
  const TransportResult result = send(transport);
  const long long elapsed = millis_since(start);
  EXPECT_EQ(result.status, Status::kSuccess) << result.message;
  EXPECT_EQ(result.attempts, 2);
  EXPECT_GE(elapsed, 900);
  EXPECT_LT(elapsed, 4000);
}

TEST_F(OtlpHttpTransportTest, RetryAfterBeyondTheDeadlineGivesUpAtOnce) {
  server_.respond({.status = 503, .headers = {{"Retry-After", "30"}}});
  OtlpHttpTransport transport(options());
  const auto start = Clock::now();
  const TransportResult result = send(transport, "payload", 2s);
  EXPECT_LT(millis_since(start), 1000);
  EXPECT_EQ(result.status, Status::kRetryableFailure);
  EXPECT_EQ(result.http_status, 503);
  EXPECT_EQ(result.attempts, 1);
  EXPECT_NE(result.message.find("deadline"), std::string::npos) << result.message;
}

TEST_F(OtlpHttpTransportTest, GivesUpAfterMaxAttempts) {
  server_.set_default_response({.status = 502});
  OtlpHttpOptions opts = options();
  opts.max_attempts = 3;
  OtlpHttpTransport transport(opts);
  const TransportResult result = send(transport);
  EXPECT_EQ(result.status, Status::kRetryableFailure);
  EXPECT_EQ(result.attempts, 3);
  EXPECT_EQ(server_.requests().size(), 3u);
  EXPECT_NE(result.message.find("HTTP 502"), std::string::npos) << result.message;
}

TEST_F(OtlpHttpTransportTest, Status400IsPermanentAndNotRetried) {
  server_.respond({.status = 400, .body = "bad payload\n"});
  OtlpHttpTransport transport(options());
  const TransportResult result = send(transport);
  EXPECT_EQ(result.status, Status::kPermanentFailure);
  EXPECT_EQ(result.http_status, 400);
  EXPECT_EQ(result.attempts, 1);
  EXPECT_EQ(server_.requests().size(), 1u);
  EXPECT_NE(result.message.find("HTTP 400"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("bad payload"), std::string::npos) << result.message;
}

TEST_F(OtlpHttpTransportTest, Status500IsPermanent) {
  server_.respond({.status = 500});
  OtlpHttpTransport transport(options());
  EXPECT_EQ(send(transport).status, Status::kPermanentFailure);
}

TEST_F(OtlpHttpTransportTest, ConnectionClosedWithoutAnswerIsRetried) {
  server_.respond({.close_without_answer = true});
  OtlpHttpTransport transport(options());
  const TransportResult result = send(transport);
  EXPECT_EQ(result.status, Status::kSuccess) << result.message;
  EXPECT_EQ(result.attempts, 2);
}

TEST_F(OtlpHttpTransportTest, RefusedConnectionIsRetriedUntilTheDeadline) {
  OtlpHttpOptions opts = options();
  opts.endpoint = "http://127.0.0.1:" + std::to_string(testing_support::closed_port());
  opts.max_attempts = 1000;
  OtlpHttpTransport transport(opts);
  const auto start = Clock::now();
  const TransportResult result = send(transport, "payload", 300ms);
  EXPECT_LT(millis_since(start), 1500);
  // Which of the two ends it is depends on where the deadline falls: between attempts (no time
  // left to retry), or during the last one, which a loaded machine may not finish connecting
  // in the little time left (it runs into the deadline). Either way the refusal is reported.
  EXPECT_TRUE(result.status == Status::kRetryableFailure || result.status == Status::kTimedOut)
      << result.message;
  EXPECT_GT(result.attempts, 1);
  EXPECT_EQ(result.http_status, 0);
  EXPECT_NE(result.message.find("connect"), std::string::npos) << result.message;
}

TEST_F(OtlpHttpTransportTest, HangingServerTimesOutAtTheDeadline) {
  server_.respond({.hang = true});
  OtlpHttpTransport transport(options());
  const auto start = Clock::now();
  const TransportResult result = send(transport, "payload", 300ms);
  const long long elapsed = millis_since(start);
  EXPECT_EQ(result.status, Status::kTimedOut) << result.message;
  EXPECT_EQ(result.attempts, 1);
  EXPECT_GE(elapsed, 250);
  EXPECT_LT(elapsed, 2000);
}

TEST_F(OtlpHttpTransportTest, AttemptTimeoutShorterThanTheDeadlineIsRetried) {
  server_.respond({.hang = true});
  OtlpHttpOptions opts = options();
  opts.timeout = 200ms;
  OtlpHttpTransport transport(opts);
  const TransportResult result = send(transport);
  EXPECT_EQ(result.status, Status::kSuccess) << result.message;
  EXPECT_EQ(result.attempts, 2);
}

TEST_F(OtlpHttpTransportTest, PassedDeadlineSendsNothing) {
  OtlpHttpTransport transport(options());
  const TransportResult result = transport.send("/v1/traces", "x", kProtobuf, Clock::now());
  EXPECT_EQ(result.status, Status::kTimedOut);
  EXPECT_EQ(result.attempts, 0);
  EXPECT_TRUE(server_.requests().empty());
}

// Cancels from another thread once the server has seen `requests` requests, plus `after`.
std::future<Clock::time_point> cancel_later(OtlpHttpTransport& transport,
                                            const TestHttpServer& server, std::size_t requests,
                                            std::chrono::milliseconds after = 0ms) {
  return std::async(std::launch::async, [&transport, &server, requests, after] {
    EXPECT_TRUE(server.wait_for_requests(requests, 5s));
    std::this_thread::sleep_for(after);
    const auto cancelled_at = Clock::now();
    transport.cancel();
    return cancelled_at;
  });
}

TEST_F(OtlpHttpTransportTest, CancelEndsASendToAHangingServerPromptly) {
  server_.respond({.hang = true});
  OtlpHttpTransport transport(options());
  auto cancelled_at = cancel_later(transport, server_, 1, 50ms);
  const TransportResult result = send(transport, "payload", 10s);
  const auto returned_at = Clock::now();
  EXPECT_EQ(result.status, Status::kCancelled) << result.message;
  EXPECT_LT(returned_at - cancelled_at.get(), 500ms);
}

TEST_F(OtlpHttpTransportTest, CancelEndsABackoffWaitPromptly) {
  server_.respond({.status = 503, .headers = {{"Retry-After", "10"}}});
  OtlpHttpTransport transport(options());
  auto cancelled_at = cancel_later(transport, server_, 1, 50ms);
  const TransportResult result = send(transport, "payload", 30s);
  const auto returned_at = Clock::now();
  EXPECT_EQ(result.status, Status::kCancelled) << result.message;
  EXPECT_EQ(result.attempts, 1);
  EXPECT_LT(returned_at - cancelled_at.get(), 500ms);
}

TEST_F(OtlpHttpTransportTest, SendAfterCancelFailsFast) {
  OtlpHttpTransport transport(options());
  transport.cancel();
  const TransportResult result = send(transport);
  EXPECT_EQ(result.status, Status::kCancelled);
  EXPECT_EQ(result.attempts, 0);
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(OtlpHttpTransportTest, MessagesNeverShowEndpointCredentials) {
  server_.respond({.status = 400});
  OtlpHttpOptions opts = options();
  opts.endpoint = "http://alice:s3cret@127.0.0.1:" + std::to_string(server_.port());
  OtlpHttpTransport transport(opts);
  const TransportResult rejected = send(transport);
  EXPECT_EQ(rejected.status, Status::kPermanentFailure);
  EXPECT_EQ(rejected.message.find("s3cret"), std::string::npos) << rejected.message;

  opts.endpoint = "http://alice:s3cret@127.0.0.1:" + std::to_string(testing_support::closed_port());
  opts.max_attempts = 1;
  OtlpHttpTransport refused(opts);
  const TransportResult failed = send(refused);
  EXPECT_EQ(failed.status, Status::kRetryableFailure);
  EXPECT_EQ(failed.message.find("s3cret"), std::string::npos) << failed.message;
}

TEST(OtlpHttpOptionsTest, ValidateNamesEachBadSetting) {
  ConfigErrors errors;
  validate(OtlpHttpOptions{.endpoint = "ftp://bob:pw@host",
                           .headers = {{"bad name", "v"}, {"ok", "line\r\nbreak"}},
                           .timeout = -1ms,
                           .max_attempts = 0,
                           .backoff_multiplier = 0.5},
           "exporter", errors);
  std::vector<std::string> sources;
  for (const ConfigError& error : errors) {
    sources.push_back(error.source);
    EXPECT_EQ(error.message.find("pw"), std::string::npos) << error.to_string();
  }
  EXPECT_EQ(sources,
            (std::vector<std::string>{"exporter.endpoint", "exporter.headers", "exporter.headers",
                                      "exporter.timeout", "exporter.max_attempts",
                                      "exporter.backoff_multiplier"}));
  errors.clear();
  validate(OtlpHttpOptions{}, "exporter", errors);
  EXPECT_TRUE(errors.empty());
}

TEST(OtlpHttpOptionsTest, ConstructorRejectsInvalidOptions) {
  EXPECT_THROW(OtlpHttpTransport(OtlpHttpOptions{.endpoint = "localhost:4318"}),
               std::invalid_argument);
  EXPECT_THROW(OtlpHttpTransport(OtlpHttpOptions{.max_attempts = 0}), std::invalid_argument);
}

TEST(RetryRulesTest, ClassifiesStatusesAsTheSpecificationDoes) {
  using detail::HttpOutcome;
  for (long status : {200L, 202L, 204L}) {
    EXPECT_EQ(detail::classify_http_status(status), HttpOutcome::kSuccess);
  }
  for (long status : {429L, 502L, 503L, 504L}) {
    EXPECT_EQ(detail::classify_http_status(status), HttpOutcome::kRetryable);
  }
  for (long status : {301L, 400L, 401L, 404L, 413L, 500L, 501L}) {
    EXPECT_EQ(detail::classify_http_status(status), HttpOutcome::kPermanent);
  }
  EXPECT_TRUE(detail::is_retryable_curl_error(CURLE_COULDNT_CONNECT));
  EXPECT_FALSE(detail::is_retryable_curl_error(CURLE_URL_MALFORMAT));
}

TEST(RetryRulesTest, BackoffGrowsIsCappedAndJittersWithinTwentyPercent) {
  const auto delay = [](int retry, double jitter) {
    return detail::backoff_delay(1000ms, 5000ms, 1.5, retry, jitter);
  };
  EXPECT_EQ(delay(1, 0.5), 1000ms);
  EXPECT_EQ(delay(2, 0.5), 1500ms);
  EXPECT_EQ(delay(3, 0.5), 2250ms);
  EXPECT_EQ(delay(50, 0.5), 5000ms);
  EXPECT_EQ(delay(1000000, 0.5), 5000ms);
  EXPECT_EQ(delay(1, 0.0), 800ms);
  EXPECT_EQ(delay(1, 0.999), 1199ms);
}

TEST(RetryRulesTest, ParsesRetryAfterSecondsAndDates) {
  const auto now = std::chrono::system_clock::from_time_t(1445412480);  // 2015-10-21 07:28:00
  EXPECT_EQ(detail::parse_retry_after(" 120 ", now), 120s);
  EXPECT_EQ(detail::parse_retry_after("0", now), 0s);
  EXPECT_EQ(detail::parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now), 30s);
  EXPECT_EQ(detail::parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), 0s);
  EXPECT_EQ(detail::parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", now),
            std::chrono::seconds(std::int64_t{1} << 31));  // capped, not overflowing
  EXPECT_EQ(detail::parse_retry_after("99999999999999999999999", now),
            std::chrono::seconds(std::int64_t{1} << 31));
  EXPECT_EQ(detail::parse_retry_after("soon", now), std::nullopt);
  EXPECT_EQ(detail::parse_retry_after("", now), std::nullopt);
  EXPECT_EQ(detail::parse_retry_after("-5", now), std::nullopt);
}

OtlpHttpOptions from_env(std::map<std::string, std::string, std::less<>> variables,
                         ConfigErrors& errors, std::string_view signal = "TRACES") {
  return otlp_http_options_from_env(environment_from(std::move(variables)), signal, errors);
}

TEST(OtlpHttpOptionsFromEnvTest, KeepsDefaultsWhenNothingIsSet) {
  ConfigErrors errors;
  const OtlpHttpOptions options = from_env({}, errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(options.endpoint, "http://localhost:4318");
  EXPECT_FALSE(options.endpoint_is_full_url);
  EXPECT_EQ(options.timeout, 10000ms);
  EXPECT_FALSE(options.gzip);
  EXPECT_TRUE(options.headers.empty());
}

TEST(OtlpHttpOptionsFromEnvTest, GenericEndpointIsABaseAndPerSignalOneAFullUrl) {
  ConfigErrors errors;
  const OtlpHttpOptions generic = from_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318"},
                                            {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m/x"}},
                                           errors);
  EXPECT_EQ(generic.endpoint, "https://c:4318");
  EXPECT_FALSE(generic.endpoint_is_full_url);
  const OtlpHttpOptions specific = from_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "https://c:4318"},
                                             {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t/v"}},
                                            errors);
  EXPECT_EQ(specific.endpoint, "http://t/v");
  EXPECT_TRUE(specific.endpoint_is_full_url);
  EXPECT_TRUE(errors.empty());
}

TEST(OtlpHttpOptionsFromEnvTest, ReadsPercentEncodedHeadersPerSignalReplacingGeneric) {
  ConfigErrors errors;
  const OtlpHttpOptions generic =
      from_env({{"OTEL_EXPORTER_OTLP_HEADERS", "api-key=a%20b%2Cc , tenant=blue"}}, errors);
  using Headers = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(generic.headers, (Headers{{"api-key", "a b,c"}, {"tenant", "blue"}}));
  const OtlpHttpOptions specific =
      from_env({{"OTEL_EXPORTER_OTLP_HEADERS", "a=1"}, {"OTEL_EXPORTER_OTLP_LOGS_HEADERS", "b=2"}},
               errors, "LOGS");
  EXPECT_EQ(specific.headers, (Headers{{"b", "2"}}));
  EXPECT_TRUE(errors.empty());
}

TEST(OtlpHttpOptionsFromEnvTest, ReadsTimeoutCompressionAndCertificates) {
  ConfigErrors errors;
  const OtlpHttpOptions options = from_env({{"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"},
                                            {"OTEL_EXPORTER_OTLP_METRICS_COMPRESSION", "GZIP"},
                                            {"OTEL_EXPORTER_OTLP_CERTIFICATE", "/ca.pem"},
                                            {"OTEL_EXPORTER_OTLP_METRICS_CLIENT_KEY", "/k.pem"},
                                            {"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/c.pem"}},
                                           errors, "METRICS");
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(options.timeout, 2500ms);
  EXPECT_TRUE(options.gzip);
  EXPECT_EQ(options.certificate_file, "/ca.pem");
  EXPECT_EQ(options.client_key_file, "/k.pem");
  EXPECT_EQ(options.client_certificate_file, "/c.pem");
}

TEST(OtlpHttpOptionsFromEnvTest, BadValuesAreErrorsNamingTheVariableAndKeepDefaults) {
  ConfigErrors errors;
  const OtlpHttpOptions options = from_env({{"OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://user:pw@c"},
                                            {"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "soon"},
                                            {"OTEL_EXPORTER_OTLP_COMPRESSION", "brotli"},
                                            {"OTEL_EXPORTER_OTLP_HEADERS", "novalue"}},
                                           errors);
  std::vector<std::string> sources;
  for (const ConfigError& error : errors) {
    sources.push_back(error.source);
    EXPECT_EQ(error.message.find("pw"), std::string::npos) << error.to_string();
  }
  EXPECT_EQ(sources,
            (std::vector<std::string>{"environment variable OTEL_EXPORTER_OTLP_ENDPOINT",
                                      "environment variable OTEL_EXPORTER_OTLP_HEADERS",
                                      "environment variable OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
                                      "environment variable OTEL_EXPORTER_OTLP_COMPRESSION"}));
  EXPECT_EQ(options.endpoint, "http://localhost:4318");
  EXPECT_EQ(options.timeout, 10000ms);
  EXPECT_FALSE(options.gzip);
}

}  // namespace
}  // namespace mmf
