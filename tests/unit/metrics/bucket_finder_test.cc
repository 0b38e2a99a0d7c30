#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "mmf/detail/metric_cells.h"
#include "mmf/metrics.h"

namespace mmf::detail {
namespace {

// The definition: how many bounds are below value.
std::size_t reference_bucket(const std::vector<double>& bounds, double value) {
  std::size_t bucket = 0;
  while (bucket < bounds.size() && value > bounds[bucket]) ++bucket;
  return bucket;
}

void expect_same_as_reference(const std::vector<double>& bounds) {
  const BucketFinder finder(bounds.data(), bounds.size());
  std::vector<double> values = {0.0,
                                -0.0,
                                -1.0,
                                1e-320,  // subnormal
                                std::numeric_limits<double>::min(),
                                std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::infinity(),
                                -std::numeric_limits<double>::infinity()};
  for (double bound : bounds) {
    values.push_back(bound);
    values.push_back(std::nextafter(bound, -INFINITY));
    values.push_back(std::nextafter(bound, INFINITY));
    values.push_back(bound * 2);
    values.push_back(bound / 2);
  }
  std::mt19937_64 random(42);
  std::uniform_real_distribution<double> exponent(-40, 40);
  for (int i = 0; i < 20000; ++i) {
    const double magnitude = std::pow(2.0, exponent(random));
    values.push_back(i % 3 == 0 ? -magnitude : magnitude);
  }
  for (double value : values) {
    ASSERT_EQ(finder.bucket_of(value), reference_bucket(bounds, value))
        << "value " << value << " with " << bounds.size() << " bounds";
  }
}

TEST(BucketFinder, AgreesWithTheDefinitionForTheDefaultBuckets) {
  expect_same_as_reference(default_seconds_buckets());
}

TEST(BucketFinder, AgreesWithTheDefinitionForUnusualBounds) {
  expect_same_as_reference({1});
  expect_same_as_reference({-5, -1, 0});  // no positive bound
  expect_same_as_reference({-10, -0.5, 0, 0.5, 10});
  expect_same_as_reference({0});
  expect_same_as_reference({1e-300, 1e300});  // the widest window
  expect_same_as_reference({std::numeric_limits<double>::max()});
  expect_same_as_reference({1, 1.0000001, 1.0000002, 1.5, 1.9999});  // many in one binade
  std::vector<double> many;
  for (int i = 1; i <= 200; ++i) many.push_back(i * 0.37);
  expect_same_as_reference(many);
  expect_same_as_reference({});
}

}  // namespace
}  // namespace mmf::detail
