// A bounded single-producer, single-consumer ring of finished spans, as bytes.
//
// Each thread that ends spans has its own ring per pipeline (the producer); the pipeline's
// exporter thread drains them all (the consumer). Ending a span copies its record into the ring
// (a few hundred bytes at most, usually less) and frees the record's blocks on the spot, so the
// blocks never leave their thread and stay in its cache. reserve() never blocks: it fails when
// max_waiting spans wait to be read, or the ring has no room for this one.
//
// The consumer does not copy the spans out: it lends them to the exporter where they lie and
// gives their room back when the exporter is done (release_read()). Nor does it read them to
// find them: where each message lies is kept in a separate index (16 bytes a message, four to a
// cache line), so a span's bytes cross to the consumer's core once, when the exporter reads
// them, and not at all for an exporter that only counts them. (Finding the messages by a size
// word in front of each cost a cache miss per span, which the hardware prefetcher did not hide.)
//
// Layout: messages 8-byte aligned, one after another; a message that does not fit before the
// end of the buffer starts again at offset 0. The producer's and the consumer's positions live
// on separate cache lines; each side caches the other's.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace mmf::detail {

class SpanQueue {
 public:
  // At most max_waiting messages wait to be read, and the consumer holds at most max_read that
  // it has read and not released.
  SpanQueue(std::size_t max_waiting, std::size_t max_read, std::size_t bytes)
      : max_waiting_(max_waiting),
        max_read_(max_read),
        size_(round_up(bytes, 4096)),
        index_size_(round_up(max_waiting + max_read, 1)),
        buffer_(new std::uint64_t[size_ / 8]),  // not zeroed: pages are touched as used
        index_(new Entry[index_size_]) {}

  // Producer only. Space for a message of size bytes, or nullptr when full. Call commit() after
  // writing it.
  unsigned char* reserve(std::size_t size) noexcept {
    const std::size_t need = align(size);
    if (need > size_ / 2) return nullptr;  // never worth a wrap
    const std::size_t offset = offset_of(head_);
    const std::size_t wrap_waste = offset + need > size_ ? size_ - offset : 0;
    if (!has_room(wrap_waste + need)) return nullptr;
    if (spans_pushed_ - cached_spans_read_ >= max_waiting_) {
      cached_spans_read_ = spans_read_.load(std::memory_order_acquire);
      if (spans_pushed_ - cached_spans_read_ >= max_waiting_) return nullptr;
    }
    const std::uint64_t at = head_ + wrap_waste;
    pending_ = Entry{at + need, static_cast<std::uint32_t>(offset_of(at)),
                     static_cast<std::uint32_t>(size)};
    return bytes() + pending_.offset;
  }
  void commit() noexcept {
    index_[spans_pushed_ & (index_size_ - 1)] = pending_;
    head_ = pending_.end;
    ++spans_pushed_;
    // Publishes the message and its index entry, both written before.
    spans_pushed_published_.store(spans_pushed_, std::memory_order_release);
  }

  // Consumer only. The next message not yet read (and its size), or nullptr when there is none
  // or max_read messages are read and not released. It stays in place, and valid, until
  // release_read().
  const unsigned char* read(std::size_t& size) noexcept {
    if (read_ - released_ == max_read_) return nullptr;
    // The producer's count is read again only when what was seen is used up: reading it for
    // every message would pull its cache line away from the producer, who writes it each time.
    if (read_ == cached_pushed_) {
      cached_pushed_ = spans_pushed_published_.load(std::memory_order_acquire);
      if (read_ == cached_pushed_) return nullptr;
    }
    const Entry& entry = index_[read_ & (index_size_ - 1)];
    ++read_;
    read_end_ = entry.end;
    size = entry.size;
    return bytes() + entry.offset;
  }
  // Consumer only. Tells the producer how many messages are read (it counts only the unread
  // against max_waiting): after a run of reads, not after each, so that the line the producer
  // reads is written once a run.
  void publish_read() noexcept { spans_read_.store(read_, std::memory_order_release); }
  // Consumer only. Gives the room of every message read so far back to the producer.
  void release_read() noexcept {
    if (read_ == released_) return;
    publish_read();
    released_ = read_;
    tail_.store(read_end_, std::memory_order_release);
    spans_released_.store(read_, std::memory_order_release);
  }
  // Consumer only: the messages not read yet (approximate while the producer pushes).
  std::size_t unread() const noexcept {
    return static_cast<std::size_t>(spans_pushed_published_.load(std::memory_order_acquire) -
                                    read_);
  }

  // Producer only: whether at least n spans wait to be read, answered true at most once per n
  // spans pushed. Cheaper than size() on the producer's path: the consumer's count is read only
  // when the producer's own estimate reaches n, and then not again for n spans (the consumer may
  // be slow to come: reading its count on every span would pull its cache line away each time).
  bool holds_at_least(std::size_t n) noexcept {
    if (spans_pushed_ - cached_spans_read_ < n || spans_pushed_ < recheck_at_) return false;
    cached_spans_read_ = spans_read_.load(std::memory_order_acquire);
    if (spans_pushed_ - cached_spans_read_ < n) return false;
    recheck_at_ = spans_pushed_ + n;
    return true;
  }

  // Any thread: the messages not yet released (read or not); approximate while others push or
  // pop.
  std::size_t size() const noexcept {
    const std::uint64_t pushed = spans_pushed_published_.load(std::memory_order_acquire);
    const std::uint64_t released = spans_released_.load(std::memory_order_acquire);
    return pushed > released ? static_cast<std::size_t>(pushed - released) : 0;
  }

  // Whether a live thread produces into this queue (a queue is handed to a new thread when its
  // thread ends).
  std::atomic<bool> in_use{false};

 private:
  // Where a message lies: its offset in the buffer and size, and the producer's position after
  // it (what the consumer gives back up to when it releases the message).
  struct Entry {
    std::uint64_t end;
    std::uint32_t offset;
    std::uint32_t size;
  };

  static constexpr std::size_t align(std::size_t n) noexcept { return (n + 7) & ~std::size_t{7}; }
  static std::size_t round_up(std::size_t n, std::size_t at_least) noexcept {
    std::size_t size = at_least;
    while (size < n) size *= 2;
    return size;
  }
  unsigned char* bytes() const noexcept { return reinterpret_cast<unsigned char*>(buffer_.get()); }
  // A position's offset in the buffer. A mask, not "% size_": the compiler cannot know that
  // size_ is a power of two, and a 64-bit division costs tens of cycles.
  std::size_t offset_of(std::uint64_t position) const noexcept {
    return static_cast<std::size_t>(position & (size_ - 1));
  }
  bool has_room(std::size_t need) noexcept {
    if (head_ + need - cached_tail_ <= size_) return true;
    cached_tail_ = tail_.load(std::memory_order_acquire);
    return head_ + need - cached_tail_ <= size_;
  }

  const std::size_t max_waiting_;
  const std::size_t max_read_;
  const std::size_t size_;        // bytes, a power of two
  const std::size_t index_size_;  // entries, a power of two, at least max_waiting_ + max_read_
  const std::unique_ptr<std::uint64_t[]> buffer_;
  const std::unique_ptr<Entry[]> index_;

  // The producer's side: what it publishes...
  alignas(64) std::atomic<std::uint64_t> spans_pushed_published_{0};
  // ... and, on a line of their own, what only it reads.
  alignas(64) std::uint64_t head_ = 0;  // where the next message goes
  std::uint64_t spans_pushed_ = 0;
  Entry pending_{};
  std::uint64_t cached_tail_ = 0;
  std::uint64_t cached_spans_read_ = 0;
  std::uint64_t recheck_at_ = 0;

  // The consumer's side: what it publishes...
  alignas(64) std::atomic<std::uint64_t> spans_read_{0};
  std::atomic<std::uint64_t> tail_{0};
  std::atomic<std::uint64_t> spans_released_{0};
  // ... and, on a line of their own, what only it reads.
  alignas(64) std::uint64_t read_ = 0;  // messages read (released or not)
  std::uint64_t released_ = 0;          // messages released
  std::uint64_t read_end_ = 0;          // the position after the last message read
  std::uint64_t cached_pushed_ = 0;
};

}  // namespace mmf::detail
