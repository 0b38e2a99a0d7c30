// The retry loop the OTLP transports share: how it reports an attempt that runs into the
// caller's deadline, with attempts scripted here rather than made against a server (a real
// refused connection ends before or after the deadline as the machine's load decides).
#include "export/retry_loop.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>
#include <string>
#include <vector>

namespace mmf::detail {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Status = TransportResult::Status;

// Runs the loop over attempts that end as `script` says, in order (the last one repeats).
TransportResult run_script(const std::vector<AttemptEnd::Kind>& script) {
  OtlpHttpOptions options;
  options.max_attempts = 10;
  CancellableWait wait;
  std::minstd_rand random(1);
  std::size_t next = 0;
  return run_attempts(options, "http://collector/v1/traces", wait, random, Clock::now() + 10s,
                      [&](TransportResult& result, Clock::time_point, bool) {
                        const AttemptEnd::Kind kind = script[std::min(next, script.size() - 1)];
                        ++next;
                        if (kind == AttemptEnd::kRetryable) {
                          result.message = "Failed to connect: Connection refused";
                        }
                        return AttemptEnd{kind, 1ms};
                      });
}

TEST(RetryLoop, ARetryThatRunsIntoTheDeadlineReportsWhatTheAttemptBeforeMet) {
  const TransportResult result = run_script({AttemptEnd::kRetryable, AttemptEnd::kTimedOut});
  EXPECT_EQ(result.status, Status::kTimedOut);
  EXPECT_EQ(result.attempts, 2);
  EXPECT_EQ(result.message,
            "no answer from http://collector/v1/traces before the deadline; the attempt before: "
            "Failed to connect: Connection refused");
}

TEST(RetryLoop, AFirstAttemptThatRunsIntoTheDeadlineSaysOnlyThat) {
  const TransportResult result = run_script({AttemptEnd::kTimedOut});
  EXPECT_EQ(result.status, Status::kTimedOut);
  EXPECT_EQ(result.attempts, 1);
  EXPECT_EQ(result.message, "no answer from http://collector/v1/traces before the deadline");
}

TEST(RetryLoop, RetryableFailuresAreRetriedUntilOneSucceeds) {
  const TransportResult result =
      run_script({AttemptEnd::kRetryable, AttemptEnd::kRetryable, AttemptEnd::kSuccess});
  EXPECT_EQ(result.status, Status::kSuccess);
  EXPECT_EQ(result.attempts, 3);
  EXPECT_TRUE(result.message.empty());
}

}  // namespace
}  // namespace mmf::detail
