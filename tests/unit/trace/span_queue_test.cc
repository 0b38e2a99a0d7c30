// The per-thread span ring: messages come back whole and in order across wrap-arounds, read
// messages keep their room until released, and both bounds (spans and bytes) hold.
#include "trace/span_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

namespace mmf::detail {
namespace {

// A message of size bytes that says which it is: its number in every byte (mod 251).
bool push(SpanQueue& queue, std::uint64_t number, std::size_t size) {
  unsigned char* at = queue.reserve(size);
  if (at == nullptr) return false;
  std::memset(at, static_cast<int>(number % 251), size);
  queue.commit();
  return true;
}

::testing::AssertionResult is_message(const unsigned char* at, std::size_t size,
                                      std::uint64_t number, std::size_t expected_size) {
  if (at == nullptr) return ::testing::AssertionFailure() << "no message " << number;
  if (size != expected_size) {
    return ::testing::AssertionFailure() << "message " << number << " has size " << size;
  }
  for (std::size_t i = 0; i < size; ++i) {
    if (at[i] != number % 251) {
      return ::testing::AssertionFailure()
             << "message " << number << " byte " << i << " is " << static_cast<int>(at[i]);
    }
  }
  return ::testing::AssertionSuccess();
}

// Reads the next message and checks it is the given one.
::testing::AssertionResult reads_message(SpanQueue& queue, std::uint64_t number,
                                         std::size_t expected_size) {
  std::size_t size = 0;
  const unsigned char* at = queue.read(size);
  return is_message(at, size, number, expected_size);
}

std::size_t size_of(std::uint64_t number) { return 1 + (number * 37) % 700; }

TEST(SpanQueueTest, MessagesOfEverySizeComeBackWholeAndInOrderAcrossManyWraps) {
  SpanQueue queue(64, 64, 4096);
  std::uint64_t pushed = 0;
  std::uint64_t read = 0;
  for (int round = 0; round < 2000; ++round) {
    // Push a few, read some of them (and more than once release nothing), release.
    const int pushes = 1 + round % 5;
    for (int i = 0; i < pushes; ++i) {
      if (push(queue, pushed, size_of(pushed))) ++pushed;
    }
    const int reads = round % 4;
    for (int i = 0; i < reads && read < pushed; ++i) {
      std::size_t size = 0;
      const unsigned char* at = queue.read(size);
      ASSERT_TRUE(is_message(at, size, read, size_of(read)));
      ++read;
    }
    if (round % 3 != 0) queue.release_read();
    EXPECT_EQ(queue.unread(), pushed - read);
  }
  EXPECT_GT(pushed, 2000u) << "the ring went round many times";
  std::size_t size = 0;
  while (const unsigned char* at = queue.read(size)) {
    ASSERT_TRUE(is_message(at, size, read, size_of(read)));
    ++read;
  }
  EXPECT_EQ(read, pushed);
}

// The bound on waiting spans counts what the consumer has not read; what it has read and not
// released stays in the ring (and in its index) until release_read().
TEST(SpanQueueTest, AtMostMaxWaitingWaitAndAtMostMaxReadAreHeldUnreleased) {
  SpanQueue queue(4, 4, 64 * 1024);
  for (std::uint64_t i = 0; i < 4; ++i) ASSERT_TRUE(push(queue, i, 100));
  EXPECT_FALSE(push(queue, 4, 100)) << "four wait";
  for (std::uint64_t i = 0; i < 3; ++i) ASSERT_TRUE(reads_message(queue, i, 100));
  EXPECT_FALSE(push(queue, 4, 100)) << "the reads are not published yet";
  queue.publish_read();
  for (std::uint64_t i = 4; i < 7; ++i) ASSERT_TRUE(push(queue, i, 100)) << "three were read";
  EXPECT_FALSE(push(queue, 7, 100)) << "four wait again";
  EXPECT_EQ(queue.size(), 7u) << "none released";
  EXPECT_EQ(queue.unread(), 4u);
  ASSERT_TRUE(reads_message(queue, 3, 100));
  std::size_t size = 0;
  EXPECT_EQ(queue.read(size), nullptr) << "four read and held: no more until they are released";
  queue.release_read();
  EXPECT_EQ(queue.size(), 3u);
  for (std::uint64_t i = 4; i < 7; ++i) ASSERT_TRUE(reads_message(queue, i, 100));
  EXPECT_EQ(queue.read(size), nullptr);
}

TEST(SpanQueueTest, TheBytesOfReadMessagesAreNotReusedBeforeRelease) {
  SpanQueue queue(1000, 1000, 4096);  // the bytes bound comes first
  std::uint64_t pushed = 0;
  while (push(queue, pushed, 1000)) ++pushed;
  EXPECT_EQ(pushed, 4u);
  std::size_t size = 0;
  const unsigned char* first = queue.read(size);
  ASSERT_TRUE(is_message(first, size, 0, 1000));
  EXPECT_FALSE(push(queue, 4, 1000)) << "the first message is read, not released";
  EXPECT_TRUE(is_message(first, size, 0, 1000));
  queue.release_read();
  EXPECT_TRUE(push(queue, 4, 1000)) << "released: its room is free again (after a wrap)";
  for (std::uint64_t i = 1; i < 5; ++i) ASSERT_TRUE(reads_message(queue, i, 1000));
}

TEST(SpanQueueTest, AMessageOverHalfTheBufferIsRefused) {
  SpanQueue queue(16, 16, 4096);
  EXPECT_EQ(queue.reserve(2049), nullptr);
  EXPECT_TRUE(push(queue, 0, 2048));
  EXPECT_EQ(queue.size(), 1u);
}

TEST(SpanQueueTest, WhetherABatchIsWaitingIsAnsweredAtMostOncePerBatch) {
  SpanQueue queue(100, 100, 64 * 1024);
  std::uint64_t pushed = 0;
  int answers = 0;
  for (int i = 0; i < 40; ++i) {
    ASSERT_TRUE(push(queue, pushed++, 16));
    if (queue.holds_at_least(8)) ++answers;
  }
  // 8 or more wait from the 8th span on: true at the 8th, 16th, 24th, 32nd and 40th.
  EXPECT_EQ(answers, 5);
}

// One thread pushes, another reads and releases in batches: every message arrives, in order,
// whole (run under ThreadSanitizer in the sanitizer builds as well).
TEST(SpanQueueTest, AProducerAndAConsumerThreadPassEveryMessageInOrder) {
  SpanQueue queue(256, 64, 64 * 1024);
  constexpr std::uint64_t kMessages = 200000;
  std::atomic<bool> stop{false};
  std::thread producer([&] {
    for (std::uint64_t i = 0; i < kMessages && !stop.load();) {
      if (push(queue, i, size_of(i))) {
        ++i;
      } else {
        std::this_thread::yield();
      }
    }
  });
  std::uint64_t read = 0;
  std::size_t batch = 0;
  while (read < kMessages) {
    std::size_t size = 0;
    const unsigned char* at = queue.read(size);
    if (at == nullptr) {
      queue.release_read();
      batch = 0;
      std::this_thread::yield();
      continue;
    }
    const ::testing::AssertionResult whole = is_message(at, size, read, size_of(read));
    if (!whole) {
      ADD_FAILURE() << whole.message();
      break;
    }
    ++read;
    if (++batch == 64) {
      queue.release_read();
      batch = 0;
    }
  }
  stop.store(true);
  producer.join();
  EXPECT_EQ(read, kMessages);
  EXPECT_EQ(queue.unread(), 0u);
}

}  // namespace
}  // namespace mmf::detail
