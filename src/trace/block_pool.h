// Per-thread pools of fixed-size blocks: where recording spans keep their data.
//
// A thread allocates blocks from its own pool without any atomic operation. A block goes back
// to the pool it came from: directly when the owning thread frees it, through a lock-free stack
// (one compare-and-swap per chain) when another thread does, typically the exporter thread after
// an export. So no thread ever frees memory that another thread's allocator handed out, and the
// allocator is never touched on the span path once a pool has grown to its working size.
//
// A pool outlives its thread: a thread that ends gives up its pool, and the next thread that
// needs one adopts it, with the blocks still out. Pools grow in slabs up to kMaxBlocksPerPool;
// beyond that, allocate() fails and the span is not recorded (counted by the tracer).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace mmf::detail {

class BlockPool;

inline constexpr std::size_t kBlockSize = 192;

struct alignas(64) Block {
  static constexpr std::size_t kHeaderSize = 24;
  static constexpr std::size_t kDataSize = kBlockSize - kHeaderSize;

  Block* next;
  BlockPool* pool;
  std::uint32_t used;  // bytes of data written
  std::uint32_t unused_;
  unsigned char data[kDataSize];
};
static_assert(sizeof(Block) == kBlockSize);

class BlockPool {
 public:
  static constexpr std::size_t kBlocksPerSlab = 64;
  static constexpr std::size_t kMaxBlocksPerPool = 16384;  // 3 MiB per thread at most

  // This thread's pool. Inline: it is asked for once or twice per recorded span.
  static BlockPool& local() noexcept;

  // A block with next = nullptr, used = 0. nullptr when the pool is at its limit (or memory is
  // exhausted). Owner thread only.
  Block* allocate() noexcept;

  // Frees a chain of blocks linked by next, from any pools, on any thread: each block returns
  // to its own pool.
  static void free_chain(Block* head) noexcept;

  std::size_t blocks_owned() const noexcept { return blocks_owned_; }

 private:
  friend struct PoolRegistry;
  friend struct PoolRelease;
  void give_back(Block* head, Block* tail) noexcept;  // any thread
  bool grow() noexcept;

  Block* free_ = nullptr;  // owner thread only
  std::size_t blocks_owned_ = 0;
  std::vector<std::unique_ptr<Block[]>> slabs_;
  alignas(64) std::atomic<Block*> returned_{nullptr};  // blocks freed by other threads
  std::atomic<bool> adopted_{false};                   // a live thread owns this pool
};

// This thread's pool, or null until the thread first needs one. A plain pointer, constant-
// initialised, so that reading it is one load; the object that gives the pool up when the
// thread ends (which has a destructor, and so an initialisation check on every access) is
// touched only when the pool is adopted.
extern constinit thread_local BlockPool* tls_block_pool;

// Adopts a pool for this thread (the first use in each thread).
[[gnu::noinline]] BlockPool& adopt_local_pool() noexcept;

inline BlockPool& BlockPool::local() noexcept {
  if (BlockPool* pool = tls_block_pool) [[likely]] {
    return *pool;
  }
  return adopt_local_pool();
}

}  // namespace mmf::detail
