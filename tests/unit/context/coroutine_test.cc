// Coroutines keep their own Context across suspensions (mmf/coroutine.h).
#include "mmf/coroutine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <coroutine>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace mmf {
namespace {

// A minimal eager coroutine type: starts at once, nobody awaits it; the test observes results
// through shared state. Frames free themselves at the end.
struct Detached {
  struct promise_type {
    Detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

// A queue of coroutine handles, run by one or more threads: an event loop or an executor.
class Scheduler {
 public:
  struct Schedule {
    Scheduler* scheduler;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> handle) { scheduler->push(handle); }
    void await_resume() const noexcept {}
  };
  Schedule schedule() { return Schedule{this}; }

  void push(std::coroutine_handle<> handle) {
    {
      std::lock_guard lock(mutex_);
      queue_.push_back(handle);
    }
    ready_.notify_one();
  }

  // Runs queued handles on the calling thread until the queue is empty.
  void drain() {
    while (run_one()) {
    }
  }

  // Runs the next queued handle, if any.
  bool run_one() {
    auto handle = pop(false);
    if (!handle) return false;
    handle->resume();
    return true;
  }

  // Runs queued handles on `threads` threads until stop() and the queue is empty.
  void run_on_threads(int threads, const std::function<void()>& between = {}) {
    std::vector<std::thread> workers;
    for (int i = 0; i < threads; ++i) {
      workers.emplace_back([this, &between] {
        while (auto handle = pop(true)) {
          handle->resume();
          if (between) between();
        }
      });
    }
    for (auto& worker : workers) worker.join();
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
  }

 private:
  std::optional<std::coroutine_handle<>> pop(bool wait) {
    std::unique_lock lock(mutex_);
    if (wait) ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return std::nullopt;
    auto handle = queue_.front();
    queue_.pop_front();
    return handle;
  }
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::coroutine_handle<>> queue_;
  bool stopping_ = false;
};

struct Results {
  std::atomic<int> mismatches{0};
  std::atomic<int> finished{0};
  std::mutex mutex;
  std::set<std::thread::id> threads_seen;
};

Detached request(Scheduler& scheduler, int id, int hops, Results& results) {
  const std::string correlation = "req-" + std::to_string(id);
  CorrelationScope scope({.correlation_id = correlation, .user_id = "u" + std::to_string(id)});
  for (int hop = 0; hop < hops; ++hop) {
    co_await with_context(scheduler.schedule());
    if (get_correlation_id() != correlation || get_user_id() != "u" + std::to_string(id)) {
      ++results.mismatches;
    }
    std::lock_guard lock(results.mutex);
    results.threads_seen.insert(std::this_thread::get_id());
  }
  ++results.finished;
}

TEST(WithContext, ManyCoroutinesInterleavedOnOneThreadEachSeeTheirOwnContext) {
  Scheduler scheduler;
  Results results;
  for (int i = 0; i < 50; ++i) {
    IsolationScope isolate;  // how an event loop starts each request
    request(scheduler, i, 10, results);
  }
  EXPECT_TRUE(Context::current().empty());
  scheduler.drain();
  EXPECT_EQ(results.finished.load(), 50);
  EXPECT_EQ(results.mismatches.load(), 0);
}

TEST(WithContext, TheLoopThreadGetsItsOwnContextBackAfterEveryResumption) {
  Scheduler scheduler;
  Results results;
  CorrelationScope loop_scope({.correlation_id = "event-loop"});
  for (int i = 0; i < 5; ++i) {
    IsolationScope isolate;
    request(scheduler, i, 3, results);
  }
  EXPECT_EQ(get_correlation_id(), "event-loop");
  int resumptions = 0;
  int leaks = 0;
  while (scheduler.run_one()) {
    ++resumptions;
    if (get_correlation_id() != "event-loop") ++leaks;
  }
  EXPECT_EQ(resumptions, 5 * 3);
  EXPECT_EQ(leaks, 0);
  EXPECT_EQ(results.finished.load(), 5);
  EXPECT_EQ(results.mismatches.load(), 0);
}

TEST(IsolationScope, WithoutItACoroutinesFirstRunLeaksIntoItsStarter) {
  // Why an event loop starts coroutines inside an IsolationScope: the scope opened by the
  // coroutine is still current on the starting thread after its first suspension.
  Scheduler scheduler;
  Results results;
  {
    CorrelationScope loop_scope({.correlation_id = "event-loop"});
    request(scheduler, 7, 1, results);
    EXPECT_EQ(get_correlation_id(), "req-7");
  }
  scheduler.drain();
  EXPECT_EQ(results.mismatches.load(), 0);
}

// Hops between two single-thread executors on every resumption.
Detached hopping_request(Scheduler& a, Scheduler& b, int id, int hops, Results& results) {
  const std::string correlation = "req-" + std::to_string(id);
  CorrelationScope scope({.correlation_id = correlation});
  for (int hop = 0; hop < hops; ++hop) {
    co_await with_context((hop % 2 == 0 ? a : b).schedule());
    if (get_correlation_id() != correlation) ++results.mismatches;
    std::lock_guard lock(results.mutex);
    results.threads_seen.insert(std::this_thread::get_id());
  }
  ++results.finished;
}

TEST(WithContext, CoroutinesResumedOnOtherThreadsKeepTheirContext) {
  Scheduler a;
  Scheduler b;
  Results results;
  constexpr int kRequests = 64;
  for (int i = 0; i < kRequests; ++i) {
    IsolationScope isolate;
    hopping_request(a, b, i, 20, results);
  }
  std::atomic<int> leaked_into_worker{0};
  auto check_worker = [&] {
    if (!Context::current().empty()) ++leaked_into_worker;
  };
  std::thread thread_a([&] { a.run_on_threads(1, check_worker); });
  std::thread thread_b([&] { b.run_on_threads(1, check_worker); });
  while (results.finished.load() < kRequests) std::this_thread::yield();
  a.stop();
  b.stop();
  thread_a.join();
  thread_b.join();
  EXPECT_EQ(results.mismatches.load(), 0);
  EXPECT_EQ(leaked_into_worker.load(), 0);
  EXPECT_EQ(results.threads_seen.size(), 2U);  // every request ran on both threads
}

Detached raw_request(Scheduler& scheduler, const std::string& correlation, std::string& seen) {
  CorrelationScope scope({.correlation_id = correlation});
  co_await scheduler.schedule();  // no wrapper
  seen = get_correlation_id();
}

TEST(WithContext, WithoutTheWrapperAResumedCoroutineSeesTheResumersContext) {
  // The failure the wrapper exists to prevent.
  Scheduler scheduler;
  std::string seen = "unset";
  {
    IsolationScope isolate;
    raw_request(scheduler, "mine", seen);
  }
  CorrelationScope loop({.correlation_id = "loop"});
  scheduler.drain();
  EXPECT_NE(seen, "mine");
}

Detached changes_user_then_hops(Scheduler& scheduler, std::string& seen) {
  CorrelationScope scope({.correlation_id = "c"});
  EXPECT_TRUE(set_user_id("changed-before-suspending"));
  co_await with_context(scheduler.schedule());
  seen = get_user_id();
}

TEST(WithContext, ChangesMadeBeforeSuspendingSurviveTheHop) {
  Scheduler scheduler;
  std::string seen;
  {
    IsolationScope isolate;
    changes_user_then_hops(scheduler, seen);
  }
  scheduler.drain();
  EXPECT_EQ(seen, "changed-before-suspending");
}

// An awaitable whose await_suspend may decline to suspend, and one with operator co_await.
struct MaybeSuspend {
  Scheduler* scheduler;
  bool suspend;
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> handle) {
    if (!suspend) return false;
    scheduler->push(handle);
    return true;
  }
  int await_resume() const noexcept { return 42; }
};

struct HasCoAwaitOperator {
  Scheduler* scheduler;
  MaybeSuspend operator co_await() && { return MaybeSuspend{scheduler, true}; }
};

Detached mixed_awaits(Scheduler& scheduler, int& sum, std::string& seen) {
  CorrelationScope scope({.correlation_id = "mixed"});
  sum += co_await with_context(MaybeSuspend{&scheduler, false});  // continues at once
  sum += co_await with_context(MaybeSuspend{&scheduler, true});
  sum += co_await with_context(HasCoAwaitOperator{&scheduler});
  MaybeSuspend lvalue{&scheduler, true};
  sum += co_await with_context(lvalue);
  seen = get_correlation_id();
}

TEST(WithContext, WorksWithBoolAwaitersOperatorCoAwaitAndLvalues) {
  Scheduler scheduler;
  int sum = 0;
  std::string seen;
  {
    IsolationScope isolate;
    mixed_awaits(scheduler, sum, seen);
  }
  scheduler.drain();
  EXPECT_EQ(sum, 4 * 42);
  EXPECT_EQ(seen, "mixed");
}

// An operation that is cancelled: it destroys the handle it was given instead of resuming it.
struct Cancelled {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> handle) { handle.destroy(); }
  void await_resume() const noexcept {}
};

struct Flag {
  bool* set;
  ~Flag() { *set = true; }
};

Detached cancelled_request(bool& frame_destroyed) {
  Flag flag{&frame_destroyed};
  CorrelationScope scope({.correlation_id = "cancelled"});
  co_await with_context(Cancelled{});
  ADD_FAILURE() << "a cancelled coroutine must never continue";
}

TEST(WithContext, DestroyingTheGivenHandleDestroysTheAwaitingCoroutine) {
  bool frame_destroyed = false;
  {
    IsolationScope isolate;
    cancelled_request(frame_destroyed);
  }
  EXPECT_TRUE(frame_destroyed);  // and ASan would report a leaked frame otherwise
  EXPECT_TRUE(Context::current().empty());
}

struct Throws {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) { throw std::runtime_error("cannot start"); }
  void await_resume() const noexcept {}
};

Detached throwing_await(std::string& error) {
  CorrelationScope scope({.correlation_id = "throwing"});
  try {
    co_await with_context(Throws{});
  } catch (const std::runtime_error& e) {
    error = e.what();
  }
  if (get_correlation_id() != "throwing") error += " (context lost)";
}

TEST(WithContext, AnExceptionFromAwaitSuspendReachesTheCoroutine) {
  std::string error;
  {
    IsolationScope isolate;
    throwing_await(error);
  }
  EXPECT_EQ(error, "cannot start");
}

}  // namespace
}  // namespace mmf
