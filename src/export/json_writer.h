// JsonWriter: writes compact JSON text into a std::string, for OTLP/JSON.
//
//   std::string out;
//   JsonWriter w(out);
//   w.begin_object();
//   w.key("name");
//   w.string(span_name);
//   w.end_object();
//   w.finish();  // out is {"name":"..."}
//
// The writer places commas itself: a value or key that follows another in the same object or
// array gets one. It does not check that calls nest properly; the encoders' structure does.
//
// Text values are escaped as RFC 8259 requires (quote, backslash and every control character;
// \n, \t and the like in their short forms, the others as \u00XX) and written as well-formed
// UTF-8, each ill-formed subsequence replaced with U+FFFD (export/utf8.h). Doubles are written
// in their shortest form that reads back to the same value (std::to_chars); NaN and the
// infinities, which JSON numbers cannot express, as the strings "NaN", "Infinity" and
// "-Infinity", as the proto3 JSON mapping does. 64-bit integers can be written as numbers or,
// for proto3 JSON's int64/fixed64 fields, as decimal strings.
//
// Like ProtoWriter, it writes through a raw pointer into out, grown ahead and trimmed by
// finish(): a token costs a bounds check and a copy, not a std::string::append call.
//
// Errors: writing may grow out and so throw std::bad_alloc.
//
// Thread-safety: a writer is used by one thread; it holds a reference to out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace mmf::detail {

class JsonWriter {
 public:
  // Appends to out. Until finish(), out may hold scratch bytes beyond what was written.
  explicit JsonWriter(std::string& out) noexcept
      : out_(out), data_(out.data()), size_(out.size()), capacity_(out.size()) {}
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;
  ~JsonWriter() { finish(); }

  // Trims out to what was written. Idempotent; the destructor calls it.
  void finish() noexcept { out_.resize(size_); }

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  // An object member's name. name is written unescaped: it must be a literal of the encoders
  // (ASCII letters, digits, '.' and '_').
  void key(std::string_view name);
  // An object member's name that comes from data (an attribute key): escaped and repaired
  // like string().
  void key_text(std::string_view name);

  void string(std::string_view text);
  void boolean(bool value);
  void null();
  void number(std::int64_t value);
  void number(std::uint64_t value);
  void number(std::uint32_t value) { number(static_cast<std::uint64_t>(value)); }
  void number(double value);
  // proto3 JSON writes int64, uint64 and fixed64 fields as decimal strings ("123"), because
  // JavaScript numbers lose precision above 2^53.
  void int64_string(std::int64_t value);
  void uint64_string(std::uint64_t value);
  // Lowercase hexadecimal, as OTLP/JSON writes trace and span IDs (not base64).
  void hex_string(std::span<const std::uint8_t> bytes);

 private:
  // Room for n more bytes at data_ + size_.
  char* reserve(std::size_t n) {
    if (capacity_ - size_ < n) grow(n);
    return data_ + size_;
  }
  void grow(std::size_t n);
  void put(char c) {
    *reserve(1) = c;
    ++size_;
  }
  void put(std::string_view text) {
    char* at = reserve(text.size());
    if (!text.empty()) std::memcpy(at, text.data(), text.size());
    size_ += text.size();
  }
  void separate() {
    if (need_comma_) put(',');
    need_comma_ = true;
  }
  void open(char bracket) {
    separate();
    put(bracket);
    need_comma_ = false;
  }
  void close(char bracket) {
    put(bracket);
    need_comma_ = true;
  }
  void write_escaped(std::string_view text);
  template <class Int>
  void put_integer(Int value);

  std::string& out_;
  char* data_;  // out_.data(), valid until the next grow()
  std::size_t size_;
  std::size_t capacity_;  // out_.size(): the bytes usable before growing
  // A comma goes before the next value or key: one was just written at this level. An opened
  // object or array, and a key, clear it; so no stack of levels is needed.
  bool need_comma_ = false;
};

}  // namespace mmf::detail
