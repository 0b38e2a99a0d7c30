// C++20 coroutines: keeping each coroutine's Context across suspensions.
//
// The current Context is per thread, but a coroutine may suspend on one thread and be resumed
// on another, or share one thread with many other coroutines (an event loop serving many
// requests). Wrap each co_await that suspends on something outside the coroutine (I/O, a timer,
// a hop to an executor or another thread) in mmf::with_context:
//
//   Task<void> handle(Request request) {
//     mmf::CorrelationScope scope({.correlation_id = request.id()});
//     auto body = co_await mmf::with_context(socket.async_read());
//     mmf::get_correlation_id();   // this request's, whichever thread resumed us
//   }
//
// What it guarantees:
//   - After every resumption the coroutine sees the Context it had when it suspended
//     (including set_user_id() changes and scopes it opened), whichever thread resumes it.
//   - A thread that resumes the coroutine through the wrapper gets its own Context back as
//     soon as the coroutine suspends again or finishes, so nothing leaks from one request to
//     the next on a shared thread.
// What it cannot see is the coroutine's first run, before its first wrapped suspension: that
// runs on whatever thread started it, and scopes it opened are still current there when it
// first suspends. Code that starts coroutines for many requests (an event loop, an executor,
// a spawn function) should start each one inside an mmf::IsolationScope, or through
// mmf::bind, which restore the thread's Context as soon as the start returns.
// How: at suspension, the wrapper captures the current Context and hands the awaited operation
// a small resumer coroutine instead of the caller's handle; when the operation resumes it, the
// resumer makes the captured Context current, resumes the caller, and restores the thread's
// Context when the caller next suspends. That costs one small allocation per suspension.
//
// Awaiting a child coroutine directly (co_await child_task()) needs no wrapper: the child runs
// inline under the parent's Context. Use with_context for awaitables that take a plain
// std::coroutine_handle<> in await_suspend (nearly all do; those that require a specific
// promise type cannot be wrapped). If the awaited operation destroys the handle it was given
// instead of resuming it (cancellation), the awaiting coroutine is destroyed with it, exactly as
// if the operation had been given the coroutine's own handle.
#pragma once

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>

#include "mmf/context.h"

namespace mmf {
namespace detail {

// A small coroutine that resumes another one with a given Context current, then restores the
// resuming thread's Context. Created suspended; whoever holds its handle runs it once.
struct ContextResumer {
  struct promise_type {
    Context context;
    std::coroutine_handle<> caller;

    // Destroyed without having run: the operation dropped the handle it was given, which means
    // dropping the awaiting coroutine, so take it along as a plain handle would have.
    ~promise_type() {
      if (caller) caller.destroy();
    }
    ContextResumer get_return_object() noexcept {
      return ContextResumer{std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }  // frees itself when done
    void return_void() noexcept {}
    // resume() of a coroutine does not throw (its own promise catches), so this never runs.
    void unhandled_exception() noexcept { std::terminate(); }
  };
  using Handle = std::coroutine_handle<promise_type>;

  // Hands the running coroutine its own promise.
  struct OwnPromise {
    promise_type* promise = nullptr;
    bool await_ready() const noexcept { return false; }
    bool await_suspend(Handle self) noexcept {
      promise = &self.promise();
      return false;  // continue at once
    }
    promise_type& await_resume() const noexcept { return *promise; }
  };

  Handle handle;
};

inline ContextResumer run_resumer() {
  ContextResumer::promise_type& promise = co_await ContextResumer::OwnPromise{};
  std::coroutine_handle<> caller = std::exchange(promise.caller, nullptr);
  ContextScope scope(std::move(promise.context));
  caller.resume();
}

inline ContextResumer::Handle make_resumer(Context context, std::coroutine_handle<> caller) {
  ContextResumer::Handle handle = run_resumer().handle;
  handle.promise().context = std::move(context);
  handle.promise().caller = caller;
  return handle;
}

// Frees a resumer that will not run, leaving its caller alone.
inline void discard_resumer(ContextResumer::Handle handle) noexcept {
  handle.promise().caller = nullptr;
  handle.destroy();
}

// The awaiter of an awaitable, as the co_await operator would find it.
template <class A>
decltype(auto) get_awaiter(A&& awaitable) {
  if constexpr (requires { std::forward<A>(awaitable).operator co_await(); }) {
    return std::forward<A>(awaitable).operator co_await();
  } else if constexpr (requires { operator co_await(std::forward<A>(awaitable)); }) {
    return operator co_await(std::forward<A>(awaitable));
  } else {
    return std::forward<A>(awaitable);
  }
}

}  // namespace detail

template <class Awaitable>
class [[nodiscard]] ContextAwaiter {
  using Awaiter = decltype(detail::get_awaiter(std::declval<Awaitable&&>()));

 public:
  template <class A>
  explicit ContextAwaiter(A&& awaitable)
      : awaitable_(std::forward<A>(awaitable)),
        awaiter_(detail::get_awaiter(static_cast<Awaitable&&>(awaitable_))) {}
  ContextAwaiter(const ContextAwaiter&) = delete;
  ContextAwaiter& operator=(const ContextAwaiter&) = delete;

  bool await_ready() { return awaiter_.await_ready(); }

  auto await_suspend(std::coroutine_handle<> caller) {
    detail::ContextResumer::Handle resumer = detail::make_resumer(Context::current(), caller);
    using Result = decltype(awaiter_.await_suspend(std::coroutine_handle<>(resumer)));
    try {
      if constexpr (std::is_void_v<Result>) {
        awaiter_.await_suspend(std::coroutine_handle<>(resumer));
      } else if constexpr (std::is_same_v<Result, bool>) {
        if (awaiter_.await_suspend(std::coroutine_handle<>(resumer))) return true;
        detail::discard_resumer(resumer);  // not suspended after all: the caller continues
        return false;
      } else {
        return awaiter_.await_suspend(std::coroutine_handle<>(resumer));  // a handle to run next
      }
    } catch (...) {
      detail::discard_resumer(resumer);
      throw;
    }
  }

  decltype(auto) await_resume() { return awaiter_.await_resume(); }

 private:
  Awaitable awaitable_;  // held by value for a temporary, by reference for an lvalue
  Awaiter awaiter_;      // a reference into awaitable_ when it is its own awaiter
};

// Wraps an awaitable so that the awaiting coroutine keeps its Context (see above).
template <class Awaitable>
ContextAwaiter<Awaitable> with_context(Awaitable&& awaitable) {
  return ContextAwaiter<Awaitable>(std::forward<Awaitable>(awaitable));
}

}  // namespace mmf
