// A bounded single-producer, single-consumer ring of finished spans, as bytes.
//
// Each thread that ends spans has its own ring per pipeline (the producer); the pipeline's
// exporter thread drains them all (the consumer). Ending a span copies its record into the ring
// (a few hundred bytes at most, usually less) and frees the record's blocks on the spot, so the
// blocks never leave their thread and stay in its cache; the consumer only ever reads what the
// producer wrote. push() never blocks: it fails when the ring holds max_spans spans or has no
// room for this one.
//
// Layout: messages of [size: 4 bytes][padding to 8][payload], 8-byte aligned. A message that
// does not fit before the end of the buffer is preceded by a wrap marker (size kWrap) and starts
// again at offset 0. The two positions live on separate cache lines; each side caches the other's.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

namespace mmf::detail {

class SpanQueue {
 public:
  static constexpr std::size_t kHeader = 8;

  SpanQueue(std::size_t max_spans, std::size_t bytes)
      : max_spans_(max_spans),
        size_(round_up(bytes)),
        buffer_(new std::uint64_t[size_ / 8]) {}  // not zeroed: pages are touched as used

  // Producer only. Space for a message of size bytes, or nullptr when full. Call commit() after
  // writing it.
  unsigned char* reserve(std::size_t size) noexcept {
    const std::size_t need = kHeader + align(size);
    if (need > size_ / 2) return nullptr;  // never worth a wrap
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    const std::uint64_t offset = offset_of(head);
    const std::size_t wrap_waste = offset + need > size_ ? size_ - offset : 0;
    if (!has_room(head, wrap_waste + need)) return nullptr;
    if (spans_pushed_ - cached_spans_popped_ >= max_spans_) {
      cached_spans_popped_ = spans_popped_.load(std::memory_order_acquire);
      if (spans_pushed_ - cached_spans_popped_ >= max_spans_) return nullptr;
    }
    unsigned char* base = bytes();
    std::uint64_t at = head;
    if (wrap_waste != 0) {
      const std::uint32_t marker = kWrap;
      std::memcpy(base + offset, &marker, sizeof marker);
      at += wrap_waste;
    }
    const auto message_size = static_cast<std::uint32_t>(size);
    std::memcpy(base + offset_of(at), &message_size, sizeof message_size);
    pending_head_ = at + need;
    return base + offset_of(at) + kHeader;
  }
  void commit() noexcept {
    ++spans_pushed_;
    spans_pushed_published_.store(spans_pushed_, std::memory_order_relaxed);
    head_.store(pending_head_, std::memory_order_release);
  }

  // Consumer only. The next message (and its size), or nullptr when empty. It stays valid until
  // release().
  const unsigned char* peek(std::size_t& size) noexcept {
    const std::uint64_t tail = tail_.load(std::memory_order_relaxed);
    // The producer's position is read again only when what was seen is used up: reading it for
    // every message would pull its cache line away from the producer, who writes it each time.
    if (tail == cached_head_) {
      cached_head_ = head_.load(std::memory_order_acquire);
      if (tail == cached_head_) return nullptr;
    }
    const unsigned char* base = bytes();
    std::uint32_t message_size;
    std::memcpy(&message_size, base + offset_of(tail), sizeof message_size);
    std::uint64_t at = tail;
    if (message_size == kWrap) {
      at += size_ - offset_of(tail);
      std::memcpy(&message_size, base + offset_of(at), sizeof message_size);
    }
    size = message_size;
    peeked_next_ = at + kHeader + align(message_size);
    return base + offset_of(at) + kHeader;
  }
  void release() noexcept {
    spans_popped_.store(spans_popped_.load(std::memory_order_relaxed) + 1,
                        std::memory_order_release);
    tail_.store(peeked_next_, std::memory_order_release);
  }

  // Producer only: whether at least n spans are waiting. Cheaper than size() on the producer's
  // path: the consumer's count is read only when the producer's own estimate reaches n.
  bool holds_at_least(std::size_t n) noexcept {
    if (spans_pushed_ - cached_spans_popped_ < n) return false;
    cached_spans_popped_ = spans_popped_.load(std::memory_order_acquire);
    return spans_pushed_ - cached_spans_popped_ >= n;
  }

  // Any thread; approximate while others push or pop.
  std::size_t size() const noexcept {
    const std::uint64_t pushed = spans_pushed_published_.load(std::memory_order_acquire);
    const std::uint64_t popped = spans_popped_.load(std::memory_order_acquire);
    return pushed > popped ? static_cast<std::size_t>(pushed - popped) : 0;
  }

  // Whether a live thread produces into this queue (a queue is handed to a new thread when its
  // thread ends).
  std::atomic<bool> in_use{false};

 private:
  static constexpr std::uint32_t kWrap = 0xffffffffU;
  static constexpr std::size_t align(std::size_t n) noexcept { return (n + 7) & ~std::size_t{7}; }
  static std::size_t round_up(std::size_t n) noexcept {
    std::size_t size = 4096;
    while (size < n) size *= 2;
    return size;
  }
  unsigned char* bytes() const noexcept { return reinterpret_cast<unsigned char*>(buffer_.get()); }
  // A position's offset in the buffer. A mask, not "% size_": the compiler cannot know that
  // size_ is a power of two, and a 64-bit division costs tens of cycles, three times a span.
  std::size_t offset_of(std::uint64_t position) const noexcept {
    return static_cast<std::size_t>(position & (size_ - 1));
  }
  bool has_room(std::uint64_t head, std::size_t need) noexcept {
    if (head + need - cached_tail_ <= size_) return true;
    cached_tail_ = tail_.load(std::memory_order_acquire);
    return head + need - cached_tail_ <= size_;
  }

  const std::size_t max_spans_;
  const std::size_t size_;  // bytes, a power of two
  const std::unique_ptr<std::uint64_t[]> buffer_;

  // The producer's side.
  alignas(64) std::atomic<std::uint64_t> head_{0};
  std::atomic<std::uint64_t> spans_pushed_published_{0};
  std::uint64_t pending_head_ = 0;
  std::uint64_t spans_pushed_ = 0;
  std::uint64_t cached_tail_ = 0;
  std::uint64_t cached_spans_popped_ = 0;

  // The consumer's side.
  alignas(64) std::atomic<std::uint64_t> tail_{0};
  std::atomic<std::uint64_t> spans_popped_{0};
  std::uint64_t peeked_next_ = 0;
  std::uint64_t cached_head_ = 0;
};

}  // namespace mmf::detail
