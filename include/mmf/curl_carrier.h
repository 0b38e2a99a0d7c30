// libcurl adapter: a propagation carrier for code that calls libcurl directly.
//
// What it promises: CurlHeaderList owns the curl_slist that CURLOPT_HTTPHEADER takes, and is a
// carrier (mmf/carrier.h), so a Propagator can write the request's headers into it:
//
//   mmf::CurlHeaderList headers;
//   headers.append("Content-Type", "application/json");
//   propagator.inject(headers);                       // the current Context
//   curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
//   curl_easy_perform(curl);
//
// set() (what inject uses) writes one "Name: value" line and removes every other line for that
// name, in any case; append() adds a line and keeps the others. for_each() (what extract uses)
// reports each "Name: value" line with the value's optional whitespace trimmed, and a line
// "Name;" (curl's way to send an empty header) with an empty value; it skips "Name:" lines,
// which tell curl to leave a header out, and anything else. A name must be an HTTP token and a
// value must not hold CR, LF or NUL: anything else is refused, so no call can inject a header
// line. Refused lines and failed allocations leave the list as it was and are counted in
// dropped(); nothing here throws, except std::bad_alloc while a line is composed.
//
// Ownership: the list belongs to the CurlHeaderList and is freed with curl_slist_free_all when
// it is destroyed. Adopt a list built elsewhere with the constructor, and take it back with
// release(). libcurl does not copy the list given to CURLOPT_HTTPHEADER: keep the
// CurlHeaderList alive, and do not change it, until the transfer is done or the option is reset.
//
// Thread-safety: none of its own, like the curl_slist inside: one thread at a time per object.
//
// Cost: set() walks the list once (a few lines in practice) and allocates three times (the
// composed line, and curl's node and copy); erase() and for_each() allocate nothing.
#pragma once

#include <curl/curl.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

#include "mmf/carrier.h"

namespace mmf {

namespace detail {

// RFC 7230 tchar: the characters of a header name.
constexpr bool is_curl_header_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (char c : name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    constexpr std::string_view kOthers = "!#$%&'*+-.^_`|~";
    if (!alnum && kOthers.find(c) == std::string_view::npos) return false;
  }
  return true;
}

constexpr bool is_curl_header_value(std::string_view value) noexcept {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

constexpr std::string_view trim_curl_ows(std::string_view text) noexcept {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Splits one curl header line into name and value. False for lines that send no header.
constexpr bool split_curl_header_line(std::string_view line, std::string_view& name,
                                      std::string_view& value) noexcept {
  const std::size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    name = trim_curl_ows(line.substr(0, colon));
    value = trim_curl_ows(line.substr(colon + 1));
    return !name.empty() && !value.empty();  // "Name:" removes a header instead
  }
  const std::size_t semicolon = line.find(';');
  if (semicolon == std::string_view::npos) return false;
  if (!trim_curl_ows(line.substr(semicolon + 1)).empty()) return false;
  name = trim_curl_ows(line.substr(0, semicolon));
  value = {};
  return !name.empty();
}

}  // namespace detail

class CurlHeaderList {
 public:
  CurlHeaderList() noexcept = default;
  // Takes ownership of list (which may be null).
  explicit CurlHeaderList(curl_slist* list) noexcept : list_(list) {}

  CurlHeaderList(CurlHeaderList&& other) noexcept
      : list_(std::exchange(other.list_, nullptr)), dropped_(std::exchange(other.dropped_, 0)) {}
  CurlHeaderList& operator=(CurlHeaderList&& other) noexcept {
    if (this != &other) {
      curl_slist_free_all(list_);
      list_ = std::exchange(other.list_, nullptr);
      dropped_ = std::exchange(other.dropped_, 0);
    }
    return *this;
  }
  CurlHeaderList(const CurlHeaderList&) = delete;
  CurlHeaderList& operator=(const CurlHeaderList&) = delete;
  ~CurlHeaderList() { curl_slist_free_all(list_); }

  // The list to pass to CURLOPT_HTTPHEADER; null while empty. Still owned by this object.
  curl_slist* get() const noexcept { return list_; }
  // Gives up ownership: the caller frees the result with curl_slist_free_all.
  [[nodiscard]] curl_slist* release() noexcept { return std::exchange(list_, nullptr); }

  // Adds "name: value" (or "name;" for an empty value) at the end. False when refused or out
  // of memory; the list is then unchanged.
  bool append(std::string_view name, std::string_view value) {
    return append_line(name, value) != nullptr;
  }

  // Replaces every line for name, in any case, with one "name: value" at the end.
  bool set(std::string_view name, std::string_view value) {
    const curl_slist* added = append_line(name, value);
    if (added == nullptr) return false;
    remove_lines(name, added);
    return true;
  }

  // Removes every line for name, in any case. Returns how many went.
  std::size_t erase(std::string_view name) noexcept { return remove_lines(name, nullptr); }

  // Calls fn(name, value) for every line that sends a header, first to last.
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (const curl_slist* node = list_; node != nullptr; node = node->next) {
      std::string_view name;
      std::string_view value;
      if (node->data != nullptr && detail::split_curl_header_line(node->data, name, value)) {
        fn(name, value);
      }
    }
  }

  // How many lines were refused or could not be allocated since construction.
  std::size_t dropped() const noexcept { return dropped_; }

 private:
  // Appends one line; returns its node, or null when it was refused or curl ran out of memory.
  const curl_slist* append_line(std::string_view name, std::string_view value) {
    if (!detail::is_curl_header_name(name) || !detail::is_curl_header_value(value)) {
      ++dropped_;
      return nullptr;
    }
    std::string line;
    line.reserve(name.size() + 2 + value.size());
    line.append(name);
    if (value.empty()) {
      line.push_back(';');
    } else {
      line.append(": ").append(value);
    }
    curl_slist* head = curl_slist_append(list_, line.c_str());
    if (head == nullptr) {  // curl leaves the list as it was
      ++dropped_;
      return nullptr;
    }
    list_ = head;
    const curl_slist* last = head;
    while (last->next != nullptr) last = last->next;
    return last;
  }

  // Unlinks and frees every line for name except keep.
  std::size_t remove_lines(std::string_view name, const curl_slist* keep) noexcept {
    std::size_t removed = 0;
    curl_slist** link = &list_;
    while (*link != nullptr) {
      curl_slist* node = *link;
      std::string_view line_name;
      std::string_view line_value;
      const bool same_name = node != keep && node->data != nullptr &&
                             line_names(node->data, line_name, line_value) &&
                             iequals(line_name, name);
      if (same_name) {
        *link = node->next;
        node->next = nullptr;
        curl_slist_free_all(node);
        ++removed;
      } else {
        link = &node->next;
      }
    }
    return removed;
  }

  // The name of any header line, including the "Name:" form that sends no header.
  static bool line_names(std::string_view line, std::string_view& name,
                         std::string_view& value) noexcept {
    if (detail::split_curl_header_line(line, name, value)) return true;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return false;
    name = detail::trim_curl_ows(line.substr(0, colon));
    return true;
  }

  curl_slist* list_ = nullptr;
  std::size_t dropped_ = 0;
};

template <>
struct CarrierTraits<CurlHeaderList> {
  template <class Fn>
  static void for_each(const CurlHeaderList& headers, Fn&& fn) {
    headers.for_each(fn);
  }
  static void set(CurlHeaderList& headers, std::string_view name, std::string_view value) {
    static_cast<void>(headers.set(name, value));
  }
};

}  // namespace mmf
