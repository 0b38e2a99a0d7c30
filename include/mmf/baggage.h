// W3C Baggage: application key/value pairs that travel with a request.
//
// A Baggage is an immutable ordered list of entries; mutations return a new Baggage. Keys are
// RFC 7230 tokens; values are stored decoded (UTF-8) and percent-encoded on the wire; each entry
// keeps its property string (";k=v;flag") as received. The whole list stays within the limits
// every hop must propagate: at most kMaxEntries entries and kMaxHeaderSize bytes encoded.
//
// Thread-safety: immutable values; share freely.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mmf {

namespace detail {
struct BaggageAccess;
}  // namespace detail

class Baggage {
 public:
  static constexpr std::size_t kMaxEntries = 64;
  static constexpr std::size_t kMaxHeaderSize = 8192;

  struct Entry {
    std::string key{};
    std::string value{};     // decoded
    std::string metadata{};  // properties as received, without the leading ';' (may be empty)
    friend bool operator==(const Entry&, const Entry&) = default;
  };

  // What parse() had to leave out; the propagator adds these to its self-metrics.
  struct ParseStats {
    std::size_t invalid_members = 0;  // broke the grammar: skipped, the rest kept
    std::size_t dropped_members = 0;  // valid but over the entry or size limit
  };

  Baggage() = default;

  // Parses one or more baggage header values. Invalid members are skipped, never the whole
  // header; duplicate keys keep the last value. Never throws on bad input.
  static Baggage parse(std::string_view header, ParseStats* stats = nullptr);
  static Baggage parse(std::span<const std::string_view> headers, ParseStats* stats = nullptr);

  static bool is_valid_key(std::string_view key) noexcept;

  // The decoded value of key, or nullopt. The view is valid while this Baggage lives.
  std::optional<std::string_view> get(std::string_view key) const noexcept;

  // A copy with key set (replacing an earlier value in place, or appended). An invalid key, or
  // an entry that would break the limits, leaves the copy unchanged.
  Baggage set(std::string_view key, std::string_view value, std::string_view metadata = {}) const;
  Baggage erase(std::string_view key) const;

  bool empty() const noexcept { return entries_.empty(); }
  std::size_t size() const noexcept { return entries_.size(); }
  const std::vector<Entry>& entries() const noexcept { return entries_; }

  // The header value: "k1=v1;prop,k2=v2" with values percent-encoded. Empty when empty.
  std::string to_header() const;
  // Appends the encoded form of one entry to out (used when a header is assembled piecewise).
  static void append_encoded(std::string& out, std::string_view key, std::string_view value,
                             std::string_view metadata = {});

  friend bool operator==(const Baggage&, const Baggage&) = default;

 private:
  friend struct detail::BaggageAccess;
  std::size_t encoded_size() const noexcept;
  std::vector<Entry> entries_;
};

}  // namespace mmf
