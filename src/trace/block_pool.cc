#include "trace/block_pool.h"

#include <exception>
#include <mutex>
#include <new>
#include <utility>

namespace mmf::detail {

// Every pool ever made, never destroyed (threads may end after static destruction began).
struct PoolRegistry {
  std::mutex mutex;
  std::vector<std::unique_ptr<BlockPool>> pools;

  static PoolRegistry& instance() {
    static PoolRegistry* registry = new PoolRegistry();  // intentionally leaked
    return *registry;
  }

  BlockPool* adopt() {
    std::lock_guard<std::mutex> lock(mutex);
    for (const auto& pool : pools) {
      bool expected = false;
      if (pool->adopted_.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
        return pool.get();
      }
    }
    pools.push_back(std::make_unique<BlockPool>());
    pools.back()->adopted_.store(true, std::memory_order_relaxed);
    return pools.back().get();
  }
};

constinit thread_local BlockPool* tls_block_pool = nullptr;

namespace {

// Gives the pool up when the thread ends.
struct LocalPool {
  BlockPool* pool = nullptr;
  ~LocalPool();
};

thread_local LocalPool tls_pool_release;

}  // namespace

// Out of the anonymous namespace only to reach the private flag.
struct PoolRelease {
  static void release(BlockPool* pool) noexcept;
};

LocalPool::~LocalPool() {
  if (pool != nullptr) {
    tls_block_pool = nullptr;
    PoolRelease::release(std::exchange(pool, nullptr));
  }
}

BlockPool& adopt_local_pool() noexcept {
  try {
    BlockPool* pool = PoolRegistry::instance().adopt();
    tls_pool_release.pool = pool;
    tls_block_pool = pool;
    return *pool;
  } catch (...) {  // out of memory for the registry itself: nothing sensible is left to do
    std::terminate();
  }
}

Block* BlockPool::allocate() noexcept {
  if (free_ == nullptr) {
    free_ = returned_.exchange(nullptr, std::memory_order_acquire);
    if (free_ == nullptr && !grow()) return nullptr;
  }
  Block* block = free_;
  free_ = block->next;
  block->next = nullptr;
  block->used = 0;
  return block;
}

bool BlockPool::grow() noexcept {
  if (blocks_owned_ + kBlocksPerSlab > kMaxBlocksPerPool) return false;
  std::unique_ptr<Block[]> slab(new (std::nothrow) Block[kBlocksPerSlab]);
  if (!slab) return false;
  try {
    slabs_.push_back(std::move(slab));
  } catch (...) {
    return false;
  }
  Block* blocks = slabs_.back().get();
  for (std::size_t i = 0; i < kBlocksPerSlab; ++i) {
    blocks[i].pool = this;
    blocks[i].next = i + 1 < kBlocksPerSlab ? &blocks[i + 1] : nullptr;
  }
  free_ = blocks;
  blocks_owned_ += kBlocksPerSlab;
  return true;
}

void BlockPool::give_back(Block* head, Block* tail) noexcept {
  if (tls_block_pool == this) {  // the owner: no atomics needed
    tail->next = free_;
    free_ = head;
    return;
  }
  Block* top = returned_.load(std::memory_order_relaxed);
  do {
    tail->next = top;
  } while (!returned_.compare_exchange_weak(top, head, std::memory_order_release,
                                            std::memory_order_relaxed));
}

void BlockPool::free_chain(Block* head) noexcept {
  while (head != nullptr) {
    // The longest run of blocks of one pool goes back in one step.
    BlockPool* pool = head->pool;
    Block* tail = head;
    while (tail->next != nullptr && tail->next->pool == pool) tail = tail->next;
    Block* rest = tail->next;
    pool->give_back(head, tail);
    head = rest;
  }
}

void PoolRelease::release(BlockPool* pool) noexcept {
  // The blocks this thread had free stay in the pool for whoever adopts it next.
  pool->adopted_.store(false, std::memory_order_release);
}

}  // namespace mmf::detail
