// Trace identity: TraceId, SpanId, TraceFlags, TraceState and SpanContext.
//
// These are the W3C Trace Context (Level 2) values that travel with a request. All of them are
// plain values: copying a SpanContext copies 26 bytes plus the tracestate text. Parsing
// functions take untrusted text, never throw, and reject anything outside the specification.
//
// Thread-safety: values are immutable once built; share them freely between threads.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mmf {

namespace detail {
struct IdBytes;           // the parsers' write access (src/propagation/trace_access.h)
struct TraceStateAccess;  // likewise
}  // namespace detail

// A 16-byte trace identifier. The all-zero value is the invalid ("unset") trace ID.
class TraceId {
 public:
  static constexpr std::size_t kSize = 16;
  static constexpr std::size_t kHexSize = 32;

  constexpr TraceId() noexcept = default;
  constexpr explicit TraceId(const std::array<std::uint8_t, kSize>& bytes) noexcept
      : bytes_(bytes) {}

  // Parses exactly 32 lowercase hex digits. Rejects upper case, other lengths and all zeros.
  static std::optional<TraceId> from_hex(std::string_view hex) noexcept;

  constexpr bool is_valid() const noexcept {
    const auto words = std::bit_cast<std::array<std::uint64_t, 2>>(bytes_);
    return (words[0] | words[1]) != 0;
  }
  constexpr const std::array<std::uint8_t, kSize>& bytes() const noexcept { return bytes_; }

  // Writes 32 lowercase hex digits to out (no terminator).
  void to_hex(std::span<char, kHexSize> out) const noexcept;
  std::string to_hex() const;

  friend constexpr bool operator==(const TraceId&, const TraceId&) noexcept = default;

 private:
  friend struct detail::IdBytes;
  std::array<std::uint8_t, kSize> bytes_{};
};

// An 8-byte span identifier. The all-zero value is invalid.
class SpanId {
 public:
  static constexpr std::size_t kSize = 8;
  static constexpr std::size_t kHexSize = 16;

  constexpr SpanId() noexcept = default;
  constexpr explicit SpanId(const std::array<std::uint8_t, kSize>& bytes) noexcept
      : bytes_(bytes) {}

  // Parses exactly 16 lowercase hex digits. Rejects upper case, other lengths and all zeros.
  static std::optional<SpanId> from_hex(std::string_view hex) noexcept;

  constexpr bool is_valid() const noexcept { return std::bit_cast<std::uint64_t>(bytes_) != 0; }
  constexpr const std::array<std::uint8_t, kSize>& bytes() const noexcept { return bytes_; }

  void to_hex(std::span<char, kHexSize> out) const noexcept;
  std::string to_hex() const;

  friend constexpr bool operator==(const SpanId&, const SpanId&) noexcept = default;

 private:
  friend struct detail::IdBytes;
  std::array<std::uint8_t, kSize> bytes_{};
};

// The 8-bit trace-flags field. Level 2 defines two bits; the others are reserved and are
// cleared whenever the flags are written to a traceparent.
class TraceFlags {
 public:
  static constexpr std::uint8_t kSampled = 0x01;
  static constexpr std::uint8_t kRandom =
      0x02;  // the right-most 7 bytes of the trace ID are random
  static constexpr std::uint8_t kKnown = kSampled | kRandom;

  constexpr TraceFlags() noexcept = default;
  constexpr explicit TraceFlags(std::uint8_t bits) noexcept : bits_(bits) {}

  constexpr bool sampled() const noexcept { return (bits_ & kSampled) != 0; }
  constexpr bool random() const noexcept { return (bits_ & kRandom) != 0; }
  constexpr std::uint8_t bits() const noexcept { return bits_; }
  constexpr TraceFlags with_sampled(bool on) const noexcept {
    return TraceFlags(on ? (bits_ | kSampled) : (bits_ & ~kSampled & 0xff));
  }

  friend constexpr bool operator==(TraceFlags, TraceFlags) noexcept = default;

 private:
  std::uint8_t bits_ = 0;
};

// The W3C tracestate list: up to 32 vendor key/value members, newest first.
//
// Held as its normalised header text (members joined by ',' with no optional whitespace), so
// passing it through a service costs one copy of that text. Lists of up to kInlineSize characters
// (nearly all in practice) live inside the object, so receiving, copying and sending one never
// touches the heap; longer ones take one allocation. Mutations return a new TraceState and follow
// the specification: a set key moves to the front, the list never exceeds 32 members or
// kMaxHeaderSize characters.
class TraceState {
 public:
  static constexpr std::size_t kMaxMembers = 32;
  static constexpr std::size_t kMaxHeaderSize = 512;  // what is propagated; larger is truncated
  static constexpr std::size_t kMaxKeySize = 256;
  static constexpr std::size_t kMaxValueSize = 256;
  static constexpr std::size_t kInlineSize = 116;  // makes sizeof(TraceState) 128 bytes

  TraceState() noexcept {}
  TraceState(const TraceState& other) { assign(other.header()); }
  TraceState(TraceState&& other) noexcept { take(other); }
  TraceState& operator=(const TraceState& other) {
    if (this != &other) {
      TraceState copy(other);
      release();
      take(copy);
    }
    return *this;
  }
  TraceState& operator=(TraceState&& other) noexcept {
    if (this != &other) {
      release();
      take(other);
    }
    return *this;
  }
  ~TraceState() { release(); }

  // Parses one or more tracestate header values (several header fields combine as one list).
  // Returns an empty TraceState when any member breaks the grammar, a key repeats, or there are
  // more than kMaxMembers members (the specification lets a receiver drop such a list). A list
  // longer than kMaxHeaderSize characters is truncated by whole members, as the specification
  // orders: members over 128 characters go first, then members from the end.
  static TraceState parse(std::string_view header) noexcept;
  static TraceState parse(std::span<const std::string_view> headers) noexcept;

  static bool is_valid_key(std::string_view key) noexcept;
  static bool is_valid_value(std::string_view value) noexcept;

  // The value of key, or nullopt. The view is valid while this TraceState lives.
  std::optional<std::string_view> get(std::string_view key) const noexcept;

  // A copy with key=value at the front (any earlier member with that key removed). Returns an
  // unchanged copy when the key or value is invalid.
  TraceState set(std::string_view key, std::string_view value) const;
  // A copy without key.
  TraceState erase(std::string_view key) const;

  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept;  // number of members
  // The normalised header value, ready to send. Valid while this TraceState lives unchanged.
  std::string_view header() const noexcept { return std::string_view(data(), size_); }

  // Calls fn(key, value) for each member, left to right.
  template <class Fn>
  void for_each(Fn&& fn) const {
    std::string_view rest = header();
    while (!rest.empty()) {
      std::size_t comma = rest.find(',');
      std::string_view member = rest.substr(0, comma);
      std::size_t eq = member.find('=');
      fn(member.substr(0, eq), member.substr(eq + 1));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }

  friend bool operator==(const TraceState& a, const TraceState& b) noexcept {
    return a.header() == b.header();
  }

 private:
  friend struct detail::TraceStateAccess;
  // text must already be a valid, normalised list.
  explicit TraceState(std::string_view text) { assign(text); }
  static TraceState invalid_tracestate() noexcept;  // counts the refusal

  const char* data() const noexcept { return heap_ != nullptr ? heap_ : inline_; }
  void assign(std::string_view text);
  void take(TraceState& other) noexcept {
    heap_ = other.heap_;
    size_ = other.size_;
    if (heap_ == nullptr) std::copy(other.inline_, other.inline_ + size_, inline_);
    other.heap_ = nullptr;
    other.size_ = 0;
  }
  void release() noexcept {
    delete[] heap_;
    heap_ = nullptr;
    size_ = 0;
  }

  char* heap_ = nullptr;  // owned; null when the text is inline
  std::uint32_t size_ = 0;
  char inline_[kInlineSize];
};

// The trace part of a request's Context: which trace and span it belongs to.
struct SpanContext {
  TraceId trace_id{};
  SpanId span_id{};
  TraceFlags flags{};
  bool is_remote = false;  // true when it arrived from another process
  TraceState trace_state{};

  // Both IDs set. An invalid SpanContext means "no trace yet": the next span starts a new trace.
  bool is_valid() const noexcept { return trace_id.is_valid() && span_id.is_valid(); }
  bool is_sampled() const noexcept { return flags.sampled(); }

  friend bool operator==(const SpanContext&, const SpanContext&) = default;
};

}  // namespace mmf
