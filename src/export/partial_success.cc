#include "export/partial_success.h"

#include <charconv>

namespace mmf::detail {
namespace {

constexpr std::size_t kMaxMessage = 1024;  // what is kept of a collector's explanation

// Protobuf wire reading, just enough for the response: varints and length-delimited fields.
class Reader {
 public:
  explicit Reader(std::string_view bytes) noexcept : bytes_(bytes) {}
  bool done() const noexcept { return at_ >= bytes_.size(); }

  bool varint(std::uint64_t& value) noexcept {
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (at_ >= bytes_.size()) return false;
      const auto byte = static_cast<unsigned char>(bytes_[at_++]);
      value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }

  bool bytes(std::string_view& out) noexcept {
    std::uint64_t size = 0;
    if (!varint(size) || size > bytes_.size() - at_) return false;
    out = bytes_.substr(at_, size);
    at_ += size;
    return true;
  }

  // Skips a field of the given wire type; false for a malformed or unknown one.
  bool skip(std::uint64_t wire_type) noexcept {
    std::uint64_t ignored = 0;
    std::string_view ignored_bytes;
    switch (wire_type) {
      case 0:
        return varint(ignored);
      case 1:
        return advance(8);
      case 2:
        return bytes(ignored_bytes);
      case 5:
        return advance(4);
      default:
        return false;
    }
  }

 private:
  bool advance(std::size_t n) noexcept {
    if (n > bytes_.size() - at_) return false;
    at_ += n;
    return true;
  }

  std::string_view bytes_;
  std::size_t at_ = 0;
};

// The value of a JSON string that starts at text[at] (just after its opening quote), with the
// common escapes undone and \u escapes kept as written; nullopt when it does not end.
std::optional<std::string> json_string_at(std::string_view text, std::size_t at) {
  std::string out;
  while (at < text.size()) {
    const char c = text[at++];
    if (c == '"') return out;
    if (c != '\\') {
      if (out.size() < kMaxMessage) out.push_back(c);
      continue;
    }
    if (at >= text.size()) return std::nullopt;
    const char escaped = text[at++];
    char plain = escaped;
    switch (escaped) {
      case 'n':
        plain = '\n';
        break;
      case 't':
        plain = '\t';
        break;
      case 'r':
        plain = '\r';
        break;
      case 'u':
        if (out.size() < kMaxMessage) out.append("\\u");
        continue;
      default:
        break;  // \" \\ \/ and the rest stand for themselves
    }
    if (out.size() < kMaxMessage) out.push_back(plain);
  }
  return std::nullopt;
}

// The position just after `"name"` followed by optional spaces and a colon, or npos.
std::size_t value_after_key(std::string_view text, std::string_view name, std::size_t from) {
  std::size_t at = from;
  while ((at = text.find(name, at)) != std::string_view::npos) {
    std::size_t next = at + name.size();
    at = next;
    if (at < name.size() + 1 || text[at - name.size() - 1] != '"') continue;
    if (next >= text.size() || text[next] != '"') continue;
    ++next;
    while (next < text.size() && (text[next] == ' ' || text[next] == '\t' ||
                                  text[next] == '\n' || text[next] == '\r')) {
      ++next;
    }
    if (next >= text.size() || text[next] != ':') continue;
    ++next;
    while (next < text.size() && (text[next] == ' ' || text[next] == '\t' ||
                                  text[next] == '\n' || text[next] == '\r')) {
      ++next;
    }
    return next;
  }
  return std::string_view::npos;
}

}  // namespace

std::optional<PartialSuccess> parse_partial_success_proto(std::string_view body) noexcept {
  try {
    Reader response(body);
    std::optional<PartialSuccess> found;
    while (!response.done()) {
      std::uint64_t tag = 0;
      if (!response.varint(tag)) return std::nullopt;
      if (tag != ((1 << 3) | 2)) {
        if (!response.skip(tag & 7)) return std::nullopt;
        continue;
      }
      std::string_view message;
      if (!response.bytes(message)) return std::nullopt;
      PartialSuccess report;
      Reader fields(message);
      while (!fields.done()) {
        std::uint64_t field_tag = 0;
        if (!fields.varint(field_tag)) return std::nullopt;
        if (field_tag == ((1 << 3) | 0)) {
          std::uint64_t rejected = 0;
          if (!fields.varint(rejected)) return std::nullopt;
          report.rejected = static_cast<std::int64_t>(rejected);
        } else if (field_tag == ((2 << 3) | 2)) {
          std::string_view text;
          if (!fields.bytes(text)) return std::nullopt;
          report.error_message.assign(text.substr(0, kMaxMessage));
        } else if (!fields.skip(field_tag & 7)) {
          return std::nullopt;
        }
      }
      found = std::move(report);
    }
    if (!found || (found->rejected == 0 && found->error_message.empty())) return std::nullopt;
    return found;
  } catch (...) {
    return std::nullopt;
  }
}

std::optional<PartialSuccess> parse_partial_success_json(std::string_view body) noexcept {
  try {
    const std::size_t object = value_after_key(body, "partialSuccess", 0);
    if (object == std::string_view::npos || object >= body.size() || body[object] != '{') {
      return std::nullopt;
    }
    PartialSuccess report;
    for (std::string_view name : {"rejectedSpans", "rejectedDataPoints", "rejectedLogRecords"}) {
      std::size_t at = value_after_key(body, name, object);
      if (at == std::string_view::npos) continue;
      if (at < body.size() && body[at] == '"') ++at;  // int64 as a string, as OTLP/JSON writes
      std::int64_t rejected = 0;
      const auto [end, error] = std::from_chars(body.data() + at, body.data() + body.size(), rejected);
      if (error == std::errc() && end != body.data() + at) report.rejected = rejected;
      break;
    }
    const std::size_t message = value_after_key(body, "errorMessage", object);
    if (message != std::string_view::npos && message < body.size() && body[message] == '"') {
      if (auto text = json_string_at(body, message + 1)) report.error_message = std::move(*text);
    }
    if (report.rejected == 0 && report.error_message.empty()) return std::nullopt;
    return report;
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace mmf::detail
