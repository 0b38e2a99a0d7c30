// MetricSnapshot (mmf/testing.h): a collection of the registry, and lookups by name and labels.
#include <memory>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "metrics/metric_data.h"
#include "metrics/registry.h"
#include "mmf/testing.h"

namespace mmf::test {
namespace {

using detail::MetricFamilyData;
using detail::MetricKind;
using detail::PointData;

constexpr std::string_view kOverflowLabel = "otel_metric_overflow";

// The registry strips "_total" from a counter's name, and users write it either way.
bool answers_to(const MetricFamilyData& family, std::string_view name) {
  if (family.name == name) return true;
  constexpr std::string_view kTotal = "_total";
  return family.kind == MetricKind::kCounter && name.size() == family.name.size() + kTotal.size() &&
         name.starts_with(family.name) && name.ends_with(kTotal);
}

const MetricFamilyData* find_family(const std::vector<MetricFamilyData>& families,
                                    std::string_view name) {
  for (const MetricFamilyData& family : families) {
    if (answers_to(family, name)) return &family;
  }
  return nullptr;
}

bool is_overflow_query(LabelValues labels) {
  return labels.size() == 1 && labels.begin()->first == kOverflowLabel &&
         labels.begin()->second == "true";
}

// Whether labels give a value to each of the family's label names, and nothing else.
bool names_fit(const MetricFamilyData& family, LabelValues labels) {
  if (is_overflow_query(labels)) return true;
  if (labels.size() != family.label_names.size()) return false;
  for (const std::string& label_name : family.label_names) {
    bool given = false;
    for (const auto& label : labels) given = given || label.first == label_name;
    if (!given) return false;
  }
  return true;
}

const PointData* find_point(const MetricFamilyData& family, LabelValues labels) {
  if (!names_fit(family, labels)) return nullptr;
  const bool overflow = is_overflow_query(labels);
  for (const PointData& point : family.points) {
    if (point.overflow != overflow) continue;
    if (overflow) return &point;
    bool same = true;
    for (std::size_t i = 0; i < family.label_names.size() && same; ++i) {
      for (const auto& label : labels) {
        if (label.first == family.label_names[i]) same = label.second == point.label_values[i];
      }
    }
    if (same) return &point;
  }
  return nullptr;
}

const PointData* find_point(const std::vector<MetricFamilyData>& families, std::string_view name,
                            LabelValues labels) {
  const MetricFamilyData* family = find_family(families, name);
  return family != nullptr ? find_point(*family, labels) : nullptr;
}

std::string describe_labels(LabelValues labels) {
  std::string text = "{";
  for (const auto& label : labels) {
    if (text.size() > 1) text += ", ";
    text.append(label.first).append("=\"").append(label.second).append("\"");
  }
  return text + "}";
}

// The point named by name and labels in before (null when absent) and after (null when absent
// while the instrument exists); throws when after has no such instrument or labels.
std::pair<const PointData*, const PointData*> points_for_delta(
    const std::vector<MetricFamilyData>& before, const std::vector<MetricFamilyData>& after,
    std::string_view name, LabelValues labels, bool histogram, const std::string& listing) {
  const MetricFamilyData* family = find_family(after, name);
  std::string problem;
  if (family == nullptr) {
    problem = "there is no metric called " + std::string(name);
  } else if ((family->kind == MetricKind::kHistogram) != histogram) {
    problem = std::string(name) + (histogram ? " is not a histogram: use delta()"
                                             : " is a histogram: use count_delta() or sum_delta()");
  } else if (!names_fit(*family, labels)) {
    std::string names;
    for (const std::string& label_name : family->label_names) names += " " + label_name;
    problem = "the labels " + describe_labels(labels) + " do not name the labels of " +
              std::string(name) + " (" + (names.empty() ? " none" : names) + " )";
  }
  if (!problem.empty()) {
    throw std::invalid_argument("MetricSnapshot: " + problem + "; the snapshot has:\n" + listing);
  }
  return {find_point(before, name, labels), find_point(*family, labels)};
}

}  // namespace

MetricSnapshot MetricSnapshot::of(const MetricRegistry& registry) {
  return MetricSnapshot(std::make_shared<const Families>(registry.state().collect()));
}

std::optional<double> MetricSnapshot::value(std::string_view name, LabelValues labels) const {
  const MetricFamilyData* family = find_family(*families_, name);
  if (family == nullptr || family->kind == MetricKind::kHistogram) return std::nullopt;
  const PointData* point = find_point(*family, labels);
  return point != nullptr ? std::optional<double>(point->value) : std::nullopt;
}

std::optional<std::uint64_t> MetricSnapshot::count(std::string_view name,
                                                   LabelValues labels) const {
  const MetricFamilyData* family = find_family(*families_, name);
  if (family == nullptr || family->kind != MetricKind::kHistogram) return std::nullopt;
  const PointData* point = find_point(*family, labels);
  return point != nullptr ? std::optional<std::uint64_t>(point->count) : std::nullopt;
}

std::optional<double> MetricSnapshot::sum(std::string_view name, LabelValues labels) const {
  const MetricFamilyData* family = find_family(*families_, name);
  if (family == nullptr || family->kind != MetricKind::kHistogram) return std::nullopt;
  const PointData* point = find_point(*family, labels);
  return point != nullptr ? std::optional<double>(point->sum) : std::nullopt;
}

double MetricSnapshot::delta(const MetricSnapshot& before, const MetricSnapshot& after,
                             std::string_view name, LabelValues labels) {
  auto [was, now] = points_for_delta(*before.families_, *after.families_, name, labels,
                                     /*histogram=*/false, after.to_string());
  return (now != nullptr ? now->value : 0.0) - (was != nullptr ? was->value : 0.0);
}

std::uint64_t MetricSnapshot::count_delta(const MetricSnapshot& before, const MetricSnapshot& after,
                                          std::string_view name, LabelValues labels) {
  auto [was, now] = points_for_delta(*before.families_, *after.families_, name, labels,
                                     /*histogram=*/true, after.to_string());
  return (now != nullptr ? now->count : 0) - (was != nullptr ? was->count : 0);
}

double MetricSnapshot::sum_delta(const MetricSnapshot& before, const MetricSnapshot& after,
                                 std::string_view name, LabelValues labels) {
  auto [was, now] = points_for_delta(*before.families_, *after.families_, name, labels,
                                     /*histogram=*/true, after.to_string());
  return (now != nullptr ? now->sum : 0.0) - (was != nullptr ? was->sum : 0.0);
}

std::string MetricSnapshot::to_string() const {
  std::ostringstream out;
  for (const MetricFamilyData& family : *families_) {
    const bool histogram = family.kind == MetricKind::kHistogram;
    const std::string name =
        family.kind == MetricKind::kCounter ? family.name + "_total" : family.name;
    if (family.points.empty()) out << "  " << name << " (no series yet)\n";
    for (const PointData& point : family.points) {
      out << "  " << name << "{";
      if (point.overflow) out << kOverflowLabel << "=\"true\"";
      for (std::size_t i = 0; i < point.label_values.size(); ++i) {
        out << (i > 0 ? ", " : "") << family.label_names[i] << "=\"" << point.label_values[i]
            << "\"";
      }
      out << "} ";
      if (histogram) {
        out << "count " << point.count << " sum " << point.sum << "\n";
      } else {
        out << point.value << "\n";
      }
    }
  }
  return out.str();
}

}  // namespace mmf::test
