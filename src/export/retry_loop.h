// The retry loop of the OTLP transports (HTTP over libcurl, and gRPC): attempts bounded by the
// caller's deadline and by each attempt's timeout, backoff with jitter or the collector's own
// delay between them, and a wait that cancel() interrupts. A transport supplies one attempt and
// says how it ended; the loop owns the rules and the messages the transports share.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "export/retry.h"
#include "mmf/otlp_transport.h"

namespace mmf::detail {

// A transport's cancel flag, and the wait between attempts that cancel() cuts short.
class CancellableWait {
 public:
  void cancel() noexcept {
    cancelled_.store(true);
    {
      // Taking the lock orders the store before a waiter's check of the predicate.
      std::lock_guard<std::mutex> lock(mutex_);
    }
    woken_.notify_all();
  }
  bool cancelled() const noexcept { return cancelled_.load(); }
  // Waits until `until`; false when cancel() came first.
  bool wait_until(std::chrono::steady_clock::time_point until) {
    std::unique_lock<std::mutex> lock(mutex_);
    return !woken_.wait_until(lock, until, [this] { return cancelled_.load(); });
  }

 private:
  std::atomic<bool> cancelled_{false};
  std::mutex mutex_;
  std::condition_variable woken_;
};

// How one attempt ended. For a failure the attempt has written result.message (and whatever it
// reports besides: the HTTP status); for a success, result.response_body.
struct AttemptEnd {
  enum Kind {
    kSuccess,
    kRetryable,  // worth another attempt
    kPermanent,  // the collector refused the payload, or the request cannot work
    kCancelled,  // cancel() ended it
    kTimedOut,   // the attempt's end passed while it was bounded by the caller's deadline
  };
  Kind kind = kRetryable;
  std::optional<std::chrono::milliseconds> delay{};  // the collector's wait before retrying
};

// Runs attempt(result, attempt_end, deadline_bounds) until one succeeds, fails for good, is
// cancelled, the attempts run out, or no time is left before deadline. deadline_bounds says
// whether attempt_end is the caller's deadline (rather than options.timeout after the start).
// `collector` names the collector in the messages.
template <class Attempt>
TransportResult run_attempts(const OtlpHttpOptions& options, std::string_view collector,
                             CancellableWait& wait, std::minstd_rand& random,
                             std::chrono::steady_clock::time_point deadline, Attempt&& attempt) {
  using Clock = std::chrono::steady_clock;
  using Status = TransportResult::Status;
  TransportResult result;
  result.status = Status::kRetryableFailure;
  for (int number = 1;; ++number) {
    const Clock::time_point start = Clock::now();
    if (start >= deadline && number == 1) {
      result.status = Status::kTimedOut;
      result.message =
          "the deadline passed before the request was sent to " + std::string(collector);
      break;
    }
    if (start >= deadline) {  // the backoff wait ended just at the deadline
      result.message += " (no time left to retry before the deadline)";
      break;
    }
    const bool deadline_bounds =
        options.timeout.count() == 0 || start + options.timeout >= deadline;
    const Clock::time_point attempt_end = deadline_bounds ? deadline : start + options.timeout;
    result.attempts = number;
    const AttemptEnd end = attempt(result, attempt_end, deadline_bounds);
    switch (end.kind) {
      case AttemptEnd::kSuccess:
        result.status = Status::kSuccess;
        result.message.clear();
        return result;
      case AttemptEnd::kCancelled:
        result.status = Status::kCancelled;
        result.message = "cancelled while sending to " + std::string(collector);
        return result;
      case AttemptEnd::kTimedOut: {
        // A retry that ran into the deadline keeps what the attempts before it met (a refused
        // connection, a 503): that, not the cut-short retry, is the trouble to report.
        std::string earlier = number > 1 ? "; the attempt before: " + result.message : "";
        result.status = Status::kTimedOut;
        result.message =
            "no answer from " + std::string(collector) + " before the deadline" + earlier;
        return result;
      }
      case AttemptEnd::kPermanent:
        result.status = Status::kPermanentFailure;
        return result;
      case AttemptEnd::kRetryable:
        break;
    }
    if (number >= options.max_attempts) {
      result.message += " (gave up after " + std::to_string(number) + " attempts)";
      break;
    }
    const std::chrono::milliseconds delay =
        end.delay ? *end.delay
                  : backoff_delay(options.initial_backoff, options.max_backoff,
                                  options.backoff_multiplier, number,
                                  std::uniform_real_distribution<double>(0.0, 1.0)(random));
    const Clock::time_point retry_at = Clock::now() + delay;
    if (retry_at >= deadline) {
      result.message += " (no time left to retry before the deadline)";
      break;
    }
    if (!wait.wait_until(retry_at)) {
      result.status = Status::kCancelled;
      result.message = "cancelled while waiting to retry; last failure: " + result.message;
      break;
    }
  }
  return result;
}

// What send() returns when an allocation failed. The message is a literal, so that writing it
// can fail only quietly.
inline TransportResult out_of_memory_result() noexcept {
  TransportResult result;
  result.status = TransportResult::Status::kPermanentFailure;
  try {
    result.message = "out of memory while sending";
  } catch (...) {
  }
  return result;
}

}  // namespace mmf::detail
