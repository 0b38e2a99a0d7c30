#include "metrics/exposition.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "export/utf8.h"

namespace mmf::detail {
namespace {

// ---- Numbers -----------------------------------------------------------------------------------

// Room for any number written here: the longest shortest-round-trip double is 24 characters
// ("-2.2250738585072014e-308"), an integer 20, a timestamp 31, an le value 26.
constexpr std::size_t kNumberSize = 40;

// Go's strconv.FormatFloat(v, 'g', -1, 64), the rendering Prometheus's clients use and the one
// the OpenMetrics canonical numbers are defined from: the shortest digits that round-trip, in
// exponent form when the decimal exponent is < -4 or >= 6 (Go's "%e is used if the exponent ...
// is greater than or equal to the precision", with precision 6 for the shortest form), else in
// fixed form. std::to_chars gives the same digits and the same two-digit exponent ("1e+06").
// v is finite.
char* write_go_float(char* first, double v) noexcept {
  char* const last = first + kNumberSize;
  const auto scientific = std::to_chars(first, last, v, std::chars_format::scientific);
  const char* e = std::find(first, scientific.ptr, 'e');
  int exponent = 0;
  std::from_chars(e + (e[1] == '+' ? 2 : 1), scientific.ptr, exponent);
  if (exponent < -4 || exponent >= 6) return scientific.ptr;
  return std::to_chars(first, last, v, std::chars_format::fixed).ptr;
}

// A sample value: the spellings Prometheus parses for non-finite values, integers in plain
// decimal (counts read best as "1234567", not "1.234567e+06"), anything else as Go would.
char* write_value(char* first, double v) noexcept {
  const auto literal = [first](std::string_view text) {
    return std::copy(text.begin(), text.end(), first);
  };
  if (std::isnan(v)) return literal("NaN");
  if (std::isinf(v)) return literal(v > 0 ? "+Inf" : "-Inf");
  // Up to 2^53: beyond, not every integer is a double, and the exponent form is as exact.
  constexpr double kExactIntegers = 9007199254740992.0;
  const auto integer = static_cast<std::int64_t>(std::clamp(v, -kExactIntegers, kExactIntegers));
  if (static_cast<double>(integer) == v) {
    return std::to_chars(first, first + kNumberSize, integer).ptr;
  }
  return write_go_float(first, v);
}

// A histogram bound as the le label value (bounds are finite). OpenMetrics' canonical form is
// Go's %g with ".0" appended when there is neither a point nor an exponent.
char* write_le(char* first, double bound, bool openmetrics) noexcept {
  char* end = write_go_float(first, bound);
  if (openmetrics && std::find_if(first, end, [](char c) { return c == '.' || c == 'e'; }) == end) {
    *end++ = '.';
    *end++ = '0';
  }
  return end;
}

// Nanoseconds since the epoch as decimal seconds, exact to the nanosecond (OpenMetrics asks for
// no exponent form there, since a double cannot hold nanoseconds): "1700000000.5".
char* write_timestamp(char* first, std::int64_t unix_nano) noexcept {
  constexpr std::int64_t kNanosPerSecond = 1'000'000'000;
  std::int64_t seconds = unix_nano / kNanosPerSecond;
  std::int64_t nanos = unix_nano % kNanosPerSecond;
  if (nanos < 0) {  // floor, so that the fraction counts forward from the seconds
    --seconds;
    nanos += kNanosPerSecond;
  }
  char* end = std::to_chars(first, first + kNumberSize, seconds).ptr;
  if (nanos == 0) return end;
  *end = '.';
  for (int k = 9; k > 0; --k, nanos /= 10) end[k] = static_cast<char>('0' + nanos % 10);
  end += 10;
  while (end[-1] == '0') --end;
  return end;
}

// ---- Text ------------------------------------------------------------------------------------

// The bytes that need more than a copy: \ and LF (escaped everywhere), " (when quote: in label
// values and OpenMetrics HELP) and those >= 0x80 (checked as UTF-8).
constexpr std::array<bool, 256> special_bytes(bool quote) {
  std::array<bool, 256> table{};
  table['\\'] = table['\n'] = true;
  table['"'] = quote;
  for (std::size_t b = 0x80; b < 256; ++b) table[b] = true;
  return table;
}
constexpr std::array<bool, 256> kSpecial = special_bytes(false);
constexpr std::array<bool, 256> kSpecialOrQuote = special_bytes(true);

// Whether any of the eight bytes of word is special (above). A byte equal to c is found with the
// classic "has zero byte" test on word ^ c.
[[gnu::always_inline]] inline bool needs_care(std::uint64_t word, bool quote) noexcept {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
  constexpr std::uint64_t kHigh = 0x8080808080808080ULL;
  const auto has = [word](unsigned char c) {
    const std::uint64_t x = word ^ (kOnes * c);
    return (x - kOnes) & ~x & kHigh;
  };
  return ((word & kHigh) | has('\\') | has('\n') | (quote ? has('"') : 0)) != 0;
}

// ---- Output ------------------------------------------------------------------------------------

// Where the writer puts text: a 4 KiB buffer in front of a std::string. A line is a handful of
// short pieces, and std::string::append is compiled into libstdc++ (never inlined), so appending
// each piece to the string would cost more than copying it; here it is an inline copy. It also
// lets a line repeat text still in the buffer (a point's labels) with one copy.
class Sink {
 public:
  explicit Sink(std::string& out) noexcept : out_(out) {}
  void push_back(char c) {
    if (used_ == kSize) flush();
    buffer_[used_++] = c;
  }
  [[gnu::always_inline]] Sink& append(std::string_view text) {
    const std::size_t n = text.size();
    if (n > kInline || kSize - used_ < kInline) return append_long(text);
    copy(buffer_.data() + used_, text.data(), n);
    used_ += n;
    return *this;
  }
  // Appends text if none of its bytes is special (above), checking each word as it is copied;
  // otherwise appends nothing and returns false.
  bool append_plain(std::string_view text, bool quote) {
    const std::size_t n = text.size();
    if (n > kPlain || kSize - used_ < kPlain) return false;
    char* to = buffer_.data() + used_;
    const auto* from = reinterpret_cast<const unsigned char*>(text.data());
    std::size_t k = 0;
    for (std::uint64_t word; k + 8 <= n; k += 8) {
      std::memcpy(&word, from + k, sizeof word);
      if (needs_care(word, quote)) return false;
      std::memcpy(to + k, &word, sizeof word);
    }
    const std::array<bool, 256>& special = quote ? kSpecialOrQuote : kSpecial;
    for (; k < n; ++k) {
      if (special[from[k]]) return false;
      to[k] = static_cast<char>(from[k]);
    }
    used_ += n;
    return true;
  }
  // A number: written straight into the buffer.
  template <class Write, class... Args>
  void number(Write write, Args... args) {
    if (kSize - used_ < kNumberSize) flush();
    used_ = static_cast<std::size_t>(write(buffer_.data() + used_, args...) - buffer_.data());
  }
  // Where the next byte goes, counting from the first byte this sink wrote.
  std::size_t offset() const noexcept { return flushed_ + used_; }
  // Appends a copy of what was written at [begin, end) (offsets), if that is still in the buffer
  // and fits after it; otherwise appends nothing and returns false.
  bool repeat(std::size_t begin, std::size_t end) {
    if (begin < flushed_ || end - begin > kSize - used_) return false;
    std::memcpy(buffer_.data() + used_, buffer_.data() + (begin - flushed_), end - begin);
    used_ += end - begin;
    return true;
  }
  void flush() {  // the owner calls it at the end (a destructor must not throw bad_alloc)
    out_.append(buffer_.data(), used_);
    flushed_ += used_;
    used_ = 0;
  }

 private:
  static constexpr std::size_t kSize = 4096;
  static constexpr std::size_t kInline = 32;  // pieces up to this size are copied inline
  static constexpr std::size_t kPlain = 256;  // append_plain's limit

  // Most pieces are short: two overlapping fixed-size moves, inline, beat a call to memcpy.
  [[gnu::always_inline]] static void copy(char* to, const char* from, std::size_t n) {
    const auto two_moves = [&](auto size) {
      std::memcpy(to, from, size);
      std::memcpy(to + n - size, from + n - size, size);
    };
    if (n >= 16) {
      two_moves(std::integral_constant<std::size_t, 16>());
    } else if (n >= 8) {
      two_moves(std::integral_constant<std::size_t, 8>());
    } else if (n >= 4) {
      two_moves(std::integral_constant<std::size_t, 4>());
    } else {
      for (std::size_t k = 0; k < n; ++k) to[k] = from[k];
    }
  }

  [[gnu::noinline]] Sink& append_long(std::string_view text) {
    if (text.size() > kSize - used_) flush();
    if (text.size() > kSize) return out_.append(text), *this;
    std::memcpy(buffer_.data() + used_, text.data(), text.size());
    used_ += text.size();
    return *this;
  }

  std::string& out_;
  std::size_t flushed_ = 0;
  std::size_t used_ = 0;
  std::array<char, kSize> buffer_;  // left uninitialized: only [0, used_) is read
};

// Appends text escaped (\ as \\, LF as \n, and " as \" when quote) with each ill-formed UTF-8
// subsequence replaced by U+FFFD. Clean text, the usual case, is scanned eight bytes at a time
// and copied in one append.
void append_escaped(Sink& out, std::string_view text, bool quote) {
  const std::array<bool, 256>& special = quote ? kSpecialOrQuote : kSpecial;
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  std::size_t run = 0;  // start of the bytes not yet appended
  std::size_t i = 0;
  while (true) {
    for (std::uint64_t word; i + 8 <= n; i += 8) {
      std::memcpy(&word, bytes + i, sizeof word);
      if (needs_care(word, quote)) break;
    }
    while (i < n && !special[bytes[i]]) ++i;
    if (i == n) break;
    std::size_t bad = 0;
    if (bytes[i] >= 0x80) {
      const std::size_t length = utf8_char_length(bytes + i, n - i, bad);
      i += length;
      if (length != 0) continue;
    }
    out.append(std::string_view(text.data() + run, i - run));
    if (bad != 0) {
      out.append(kReplacementCharacter);
      i += bad;
    } else {
      out.push_back('\\');
      out.push_back(bytes[i] == '\n' ? 'n' : static_cast<char>(bytes[i]));
      ++i;
    }
    run = i;
  }
  out.append(std::string_view(text.data() + run, n - run));
}

// ---- target_info -------------------------------------------------------------------------------

// An attribute key as a label name, by the OpenTelemetry Prometheus compatibility rules.
std::string label_name_for(std::string_view key) {
  std::string name;
  for (const char c : key) {
    const bool valid = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (valid) {
      name.push_back(c);
    } else if (name.empty() || name.back() != '_') {
      name.push_back('_');
    }
  }
  // Label names cannot start with a digit, and those starting with "_" are reserved.
  if (!name.empty() && name[0] >= '0' && name[0] <= '9') name.insert(0, "key_");
  if (!name.empty() && name[0] == '_') name.insert(0, "key");
  return name;
}

// An attribute value as label text; arrays as JSON (the attribute specification's rule), whose
// strings need only their quotes and backslashes escaped: the label escaping does the rest.
std::string label_value_for(const OwnedAttributeValue& value) {
  std::string text;
  const auto scalar = [&text](const auto& v, bool in_array) {
    using T = std::decay_t<decltype(v)>;
    char number[kNumberSize];
    if constexpr (std::is_same_v<T, std::string>) {
      if (!in_array) return void(text.append(v));
      text.push_back('"');
      for (const char c : v) {
        if (c == '"' || c == '\\') text.push_back('\\');
        text.push_back(c);
      }
      text.push_back('"');
    } else if constexpr (std::is_same_v<T, bool>) {
      text.append(v ? "true" : "false");
    } else if constexpr (std::is_same_v<T, std::int64_t>) {
      text.append(number, std::to_chars(number, number + kNumberSize, v).ptr);
    } else {
      text.append(number, write_value(number, v));
    }
  };
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string> || !requires { v.size(); }) {
          scalar(v, false);
        } else {
          text.push_back('[');
          for (std::size_t i = 0; i < v.size(); ++i) {
            if (i != 0) text.push_back(',');
            scalar(typename T::value_type(v[i]), true);  // a copy: vector<bool> has no bool&
          }
          text.push_back(']');
        }
      },
      value);
  return text;
}

struct TargetLabel {
  std::string name;
  std::string_view key;
  std::string value;
};

// The target_info labels, sorted by name (a stable order between scrapes), with the values of
// keys that map to the same name joined by ";" in the order of the original keys.
std::vector<TargetLabel> target_labels(const Resource& resource) {
  std::vector<TargetLabel> labels;
  for (const KeyValue& attribute : resource.attributes()) {
    std::string name = label_name_for(attribute.key);
    if (!name.empty()) labels.push_back({name, attribute.key, label_value_for(attribute.value)});
  }
  std::sort(labels.begin(), labels.end(), [](const TargetLabel& a, const TargetLabel& b) {
    return std::tie(a.name, a.key) < std::tie(b.name, b.key);
  });
  std::size_t kept = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (kept != 0 && labels[kept - 1].name == labels[i].name) {
      labels[kept - 1].value.append(";").append(labels[i].value);
    } else if (kept++ != i) {
      labels[kept - 1] = std::move(labels[i]);  // never onto itself, which would empty it
    }
  }
  labels.resize(kept);
  return labels;
}

// ---- The writer --------------------------------------------------------------------------------

// Writes families in turn. Per family it prepares what every point repeats (sample names, label
// names with their punctuation, le values). A point's label set is rendered once, after its first
// sample name; its other lines copy it from the buffer (or render it again once it has left).
class Writer {
 public:
  Writer(ExpositionFormat format, std::string& out)
      : openmetrics_(format == ExpositionFormat::kOpenMetrics), out_(out) {}

  void target_info(const Resource& resource);
  void family(const MetricFamilyData& family);
  void finish() {
    if (openmetrics_) out_.append("# EOF\n");
    out_.flush();
  }

 private:
  void metadata(const MetricFamilyData& family);
  void prepare(const MetricFamilyData& family);
  void labels(const PointData& point, bool open);
  // "<name><labels> <value>\n", the value written by write(first, args...).
  template <class Write, class... Args>
  void sample(std::string_view name, const PointData& point, Write write, Args... args) {
    out_.append(name);
    labels(point, false);
    out_.push_back(' ');
    out_.number(write, args...);
    out_.push_back('\n');
  }
  void exemplar(const std::vector<std::optional<Exemplar>>& exemplars, std::size_t i);
  void histogram_point(const PointData& point);

  const bool openmetrics_;
  Sink out_;
  // Prepared per family.
  std::string sample_name_;   // name_total for counters, name for gauges, name_bucket
  std::string created_name_;  // name_created
  std::string sum_name_;
  std::string count_name_;
  std::string label_pieces_;                   // {a=" ",b=" ... each label's name and punctuation
  std::vector<std::size_t> label_piece_ends_;  // where each one ends in label_pieces_
  std::string les_;                            // histogram: le="0.005"} ... le="+Inf"}
  std::vector<std::size_t> le_ends_;
  bool omit_sum_ = false;  // OpenMetrics, a histogram with a negative bound
  // Where the current point's labels were written, without the closing brace (out_ offsets).
  std::size_t labels_begin_ = 0;
  std::size_t labels_end_ = 0;
  // The last _created value written: most series of a family start together.
  std::int64_t created_nanos_ = 0;
  std::array<char, kNumberSize> created_text_;
  std::string_view created_;
};

char* write_count(char* first, std::uint64_t count) noexcept {
  return std::to_chars(first, first + kNumberSize, count).ptr;
}

std::string_view piece(std::string_view pieces, const std::vector<std::size_t>& ends,
                       std::size_t i) noexcept {
  const std::size_t begin = i == 0 ? 0 : ends[i - 1];
  return pieces.substr(begin, ends[i] - begin);
}

void Writer::target_info(const Resource& resource) {
  const std::vector<TargetLabel> labels = target_labels(resource);
  if (labels.empty()) return;
  out_.append(openmetrics_ ? "# TYPE target info\n# HELP target Target metadata\n"
                           : "# HELP target_info Target metadata\n# TYPE target_info gauge\n");
  out_.append("target_info{");
  for (std::size_t i = 0; i < labels.size(); ++i) {
    out_.append(i == 0 ? "" : ",").append(labels[i].name).append("=\"");
    append_escaped(out_, labels[i].value, true);
    out_.push_back('"');
  }
  out_.append("} 1\n");
}

void Writer::metadata(const MetricFamilyData& family) {
  const bool counter = family.kind == MetricKind::kCounter;
  std::string_view type = counter ? "counter" : "gauge";
  if (family.kind == MetricKind::kHistogram) type = "histogram";
  // Text 0.0.4 names a counter family like its samples; OpenMetrics without the suffix.
  const std::string_view suffix = counter && !openmetrics_ ? "_total" : "";
  const auto help = [&] {
    if (family.help.empty()) return;
    out_.append("# HELP ").append(family.name).append(suffix).push_back(' ');
    append_escaped(out_, family.help, openmetrics_);
    out_.push_back('\n');
  };
  if (!openmetrics_) help();
  out_.append("# TYPE ").append(family.name).append(suffix).push_back(' ');
  out_.append(type).push_back('\n');
  if (!openmetrics_) return;
  // The specification's order: TYPE, UNIT, HELP. A unit that is not the name's suffix would make
  // the whole exposition invalid, so such a unit is dropped rather than written.
  const std::string_view name = family.name;
  const std::string_view unit = family.unit;
  if (!unit.empty() && name.size() > unit.size() && name.ends_with(unit) &&
      name[name.size() - unit.size() - 1] == '_') {
    out_.append("# UNIT ").append(name).push_back(' ');
    out_.append(unit).push_back('\n');
  }
  help();
}

void Writer::prepare(const MetricFamilyData& family) {
  const bool histogram = family.kind == MetricKind::kHistogram;
  const auto suffixed = [&family](std::string& target, std::string_view suffix) {
    target.assign(family.name).append(suffix);
  };
  suffixed(sample_name_, histogram                             ? "_bucket"
                         : family.kind == MetricKind::kCounter ? "_total"
                                                               : "");
  suffixed(created_name_, "_created");
  suffixed(sum_name_, "_sum");
  suffixed(count_name_, "_count");
  label_pieces_.clear();
  label_piece_ends_.clear();
  for (const std::string& name : family.label_names) {
    label_pieces_.append(label_pieces_.empty() ? "{" : "\",").append(name).append("=\"");
    label_piece_ends_.push_back(label_pieces_.size());
  }
  les_.clear();
  le_ends_.clear();
  omit_sum_ = false;
  if (!histogram) return;
  for (const double bound : family.bounds) {
    char number[kNumberSize];
    les_.append("le=\"").append(number, write_le(number, bound, openmetrics_)).append("\"} ");
    le_ends_.push_back(les_.size());
    omit_sum_ = omit_sum_ || (openmetrics_ && bound < 0);
  }
  les_.append("le=\"+Inf\"} ");
  le_ends_.push_back(les_.size());
}

// Writes the point's label set: {a="x",b="y"} (nothing without labels); open leaves off the
// closing brace, for a bucket's le to follow.
void Writer::labels(const PointData& point, bool open) {
  if (labels_end_ == labels_begin_ || !out_.repeat(labels_begin_, labels_end_)) {
    labels_begin_ = out_.offset();
    if (point.overflow) {  // the series past the cardinality limit stands for all the others
      out_.append("{otel_metric_overflow=\"true\"");
    } else if (!label_piece_ends_.empty()) {
      for (std::size_t i = 0; i < label_piece_ends_.size(); ++i) {
        out_.append(piece(label_pieces_, label_piece_ends_, i));
        if (i >= point.label_values.size()) continue;
        const std::string_view value = point.label_values[i];
        if (!out_.append_plain(value, true)) append_escaped(out_, value, true);
      }
      out_.push_back('"');
    }
    labels_end_ = out_.offset();
  }
  if (!open && labels_end_ != labels_begin_) out_.push_back('}');
}

void Writer::exemplar(const std::vector<std::optional<Exemplar>>& exemplars, std::size_t i) {
  if (!openmetrics_ || i >= exemplars.size() || !exemplars[i]) return;
  const Exemplar& exemplar = *exemplars[i];
  if (!exemplar.trace_id.is_valid()) return;  // nothing to link to
  std::array<char, TraceId::kHexSize> trace_hex;
  exemplar.trace_id.to_hex(trace_hex);
  out_.append(" # {trace_id=\"").append({trace_hex.data(), trace_hex.size()});
  if (exemplar.span_id.is_valid()) {
    std::array<char, SpanId::kHexSize> span_hex;
    exemplar.span_id.to_hex(span_hex);
    out_.append("\",span_id=\"").append({span_hex.data(), span_hex.size()});
  }
  out_.append("\"} ");
  out_.number(write_value, exemplar.value);
  if (exemplar.time_unix_nano == 0) return;
  out_.push_back(' ');
  out_.number(write_timestamp, exemplar.time_unix_nano);
}

void Writer::histogram_point(const PointData& point) {
  // No bucket counts at all means every observation is above the bounds we know of.
  std::uint64_t cumulative = point.bucket_counts.empty() ? point.count : 0;
  // Where "name_bucket{a=\"x\"" of the first bucket line is: the other lines copy it.
  std::size_t prefix_begin = 0;
  std::size_t prefix_end = 0;
  for (std::size_t i = 0; i < le_ends_.size(); ++i) {
    if (i < point.bucket_counts.size()) cumulative += point.bucket_counts[i];
    if (i == 0 || !out_.repeat(prefix_begin, prefix_end)) {
      prefix_begin = out_.offset();
      out_.append(sample_name_);
      labels(point, true);
      prefix_end = out_.offset();
    }
    out_.push_back(labels_end_ == labels_begin_ ? '{' : ',');
    out_.append(piece(les_, le_ends_, i));
    out_.number(write_count, cumulative);
    exemplar(point.exemplars, i);
    out_.push_back('\n');
  }
  // OpenMetrics: the sum is a counter, so it must not be negative or NaN, nor present with
  // negative bounds; and _count comes if and only if _sum does. Text 0.0.4 has no such rule.
  if (!openmetrics_ || (!omit_sum_ && point.sum >= 0)) {
    sample(sum_name_, point, write_value, point.sum);
    sample(count_name_, point, write_count, cumulative);  // equal to +Inf, as both require
  }
}

void Writer::family(const MetricFamilyData& family) {
  metadata(family);
  prepare(family);
  for (const PointData& point : family.points) {
    labels_begin_ = labels_end_ = 0;
    if (family.kind == MetricKind::kHistogram) {
      histogram_point(point);
    } else {
      out_.append(sample_name_);
      labels(point, false);
      out_.push_back(' ');
      out_.number(write_value, point.value);
      if (family.kind == MetricKind::kCounter) exemplar(point.exemplars, 0);
      out_.push_back('\n');
    }
    const bool has_created =
        family.kind == MetricKind::kCounter || family.kind == MetricKind::kHistogram;
    if (openmetrics_ && has_created && point.start_time_unix_nano != 0) {
      if (point.start_time_unix_nano != created_nanos_) {
        created_nanos_ = point.start_time_unix_nano;
        created_ = {created_text_.data(), write_timestamp(created_text_.data(), created_nanos_)};
      }
      out_.append(created_name_);
      labels(point, false);
      out_.push_back(' ');
      out_.append(created_).push_back('\n');
    }
  }
}

}  // namespace

void write_exposition(ExpositionFormat format, std::span<const MetricFamilyData> families,
                      const Resource* resource, std::string& out) {
  Writer writer(format, out);
  if (resource != nullptr) writer.target_info(*resource);
  for (const MetricFamilyData& family : families) writer.family(family);
  writer.finish();
}

}  // namespace mmf::detail
