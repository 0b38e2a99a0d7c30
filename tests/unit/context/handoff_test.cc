// Carrying the Context to other threads: mmf::bind, capture()/restore(), a thread pool.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mmf/context.h"

namespace mmf {
namespace {

// A small fixed-size thread pool, as a service would have.
class ThreadPool {
 public:
  explicit ThreadPool(int threads) {
    for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { run(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& worker : workers_) worker.join();
  }
  void post(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    ready_.notify_one();
  }

 private:
  void run() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
  }
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

TEST(Bind, CarriesTheContextToAnotherThread) {
  CorrelationScope scope({.correlation_id = "corr-thread", .user_id = "u1"});
  std::string seen_correlation;
  std::string seen_user;
  std::thread worker(bind([&] {
    seen_correlation = get_correlation_id();
    seen_user = get_user_id();
  }));
  worker.join();
  EXPECT_EQ(seen_correlation, "corr-thread");
  EXPECT_EQ(seen_user, "u1");
}

TEST(Bind, WithoutBindAnotherThreadSeesNoContext) {
  CorrelationScope scope({.correlation_id = "corr-thread"});
  std::string seen = "unset";
  std::thread worker([&] { seen = get_correlation_id(); });
  worker.join();
  EXPECT_EQ(seen, "");
}

TEST(Bind, LeavesTheRunningThreadsContextAsItFoundIt) {
  const Context a = Context().with_correlation_id("a");
  const Context b = Context().with_correlation_id("b");
  auto task = bind(b, [] { return std::string(get_correlation_id()); });
  ContextScope scope(a);
  EXPECT_EQ(task(), "b");
  EXPECT_EQ(get_correlation_id(), "a");
}

TEST(Bind, PassesArgumentsAndReturnsResults) {
  CorrelationScope scope({.correlation_id = "args"});
  auto task = bind([](int x, const std::string& suffix) {
    return std::string(get_correlation_id()) + suffix + std::to_string(x);
  });
  EXPECT_EQ(std::async(std::launch::async, task, 7, "-").get(), "args-7");
}

TEST(Bind, TheBoundContextIsASnapshot) {
  CorrelationScope scope({.correlation_id = "c", .user_id = "before"});
  auto task = bind([] { return std::string(get_user_id()); });
  ASSERT_TRUE(set_user_id("after"));
  EXPECT_EQ(std::async(std::launch::async, task).get(), "before");
}

TEST(CaptureRestore, HandsTheContextToAPoolTask) {
  ThreadPool pool(2);
  CorrelationScope scope({.correlation_id = "captured"});
  std::promise<std::string> result;
  const Context context = capture();
  pool.post([context, &result] {
    auto restored = restore(context);
    result.set_value(get_correlation_id());
  });
  EXPECT_EQ(result.get_future().get(), "captured");
}

TEST(ThreadPool, ManyInterleavedRequestsEachSeeTheirOwnContext) {
  constexpr int kRequests = 400;
  ThreadPool pool(3);
  std::atomic<int> mismatches{0};
  std::atomic<int> done{0};
  std::promise<void> all_done;
  for (int i = 0; i < kRequests; ++i) {
    const std::string id = "req-" + std::to_string(i);
    CorrelationScope scope({.correlation_id = id, .user_id = "user-" + std::to_string(i)});
    // Each request posts two steps, like a handler that continues in a pool.
    for (int step = 0; step < 2; ++step) {
      pool.post(bind([id, i, &mismatches, &done, &all_done] {
        if (get_correlation_id() != id || get_user_id() != "user-" + std::to_string(i)) {
          ++mismatches;
        }
        if (++done == 2 * kRequests) all_done.set_value();
      }));
    }
  }
  all_done.get_future().wait();
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(ThreadPool, PoolThreadsAreLeftWithoutAContextAfterEachTask) {
  ThreadPool pool(1);
  {
    CorrelationScope scope({.correlation_id = "task-1"});
    pool.post(bind([] {}));
  }
  std::promise<bool> empty_after;
  pool.post([&] { empty_after.set_value(Context::current().empty()); });
  EXPECT_TRUE(empty_after.get_future().get());
}

TEST(Context, SharedBetweenThreadsIsSafe) {
  // Many threads copy, scope and drop one shared Context at once; the reference count must stay
  // exact (ASan and TSan builds catch a premature free).
  const Context shared = Context().with_correlation_id("shared").with_user_id("u");
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20000; ++i) {
        ContextScope scope(shared);
        if (get_correlation_id() != "shared") ++wrong;
        Context copy = Context::current();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(shared.correlation_id(), "shared");
}

TEST(SetUserId, OnAThreadThatEndsIsReleased) {
  // Run under ASan/LSan: a Context left current at thread exit must be freed, not leaked.
  std::thread worker([] {
    ASSERT_TRUE(set_user_id("short-lived"));
    EXPECT_EQ(get_user_id(), "short-lived");
  });
  worker.join();
  EXPECT_EQ(get_user_id(), "");
}

}  // namespace
}  // namespace mmf
