#include "face/one_euro.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace dlc::face {
namespace {

double rms_of_noise_after(OneEuroParams params, double fps) {
  OneEuroFilter filter(params);
  std::mt19937 rng(7);
  std::normal_distribution<double> noise(0.0, 1.0);
  double squared = 0;
  for (int i = 0; i < 500; ++i) {
    const double y = filter.filter(10.0 + noise(rng), i / fps);
    if (i >= 50) squared += (y - 10.0) * (y - 10.0);
  }
  return std::sqrt(squared / 450);
}

TEST(OneEuro, FirstSampleComesBackAndAStillPointStopsJittering) {
  OneEuroFilter filter({1.0, 0.0, 1.0});
  EXPECT_DOUBLE_EQ(filter.filter(3.5, 0.0), 3.5);
  // Unit noise on a still point at 25 fps with a 1 Hz cutoff: alpha = 0.2, so the variance
  // falls to alpha / (2 - alpha) = 1/9 of the input's.
  EXPECT_NEAR(rms_of_noise_after({1.0, 0.0, 1.0}, 25.0), 1.0 / 3.0, 0.06);
  // A high cutoff passes the noise through.
  EXPECT_GT(rms_of_noise_after({1e6, 0.0, 1.0}, 25.0), 0.9);
}

TEST(OneEuro, SpeedRaisesTheCutoffSoAMovingPointLagsLess) {
  const auto lag_at_the_end = [](double beta) {
    OneEuroFilter filter({1.0, beta, 1.0});
    double y = 0;
    for (int i = 0; i <= 100; ++i) y = filter.filter(100.0 * i / 25.0, i / 25.0);  // 100 units/s
    return 400.0 - y;
  };
  // Without beta the filter trails a ramp by speed x tau = 100 / (2 pi) units.
  EXPECT_NEAR(lag_at_the_end(0.0), 100.0 / (2 * 3.14159265), 1.0);
  EXPECT_LT(lag_at_the_end(0.1), lag_at_the_end(0.0) / 4);
}

// The lead: a first-order low-pass trails a steady motion by its time constant; adding the
// filtered speed times that constant puts the output back on the ramp.
TEST(OneEuro, TheLeadCancelsTheLagOnASteadyMotion) {
  const auto lag_at_the_end = [](double lead) {
    OneEuroFilter filter({1.0, 0.0, 1.0, lead});
    double y = 0;
    for (int i = 0; i <= 100; ++i) y = filter.filter(100.0 * i / 25.0, i / 25.0);  // 100 units/s
    return 400.0 - y;
  };
  EXPECT_NEAR(lag_at_the_end(0.0), 100.0 / (2 * 3.14159265), 1.0);
  EXPECT_NEAR(lag_at_the_end(1.0), 0.0, 0.5);
  EXPECT_NEAR(lag_at_the_end(0.5), 100.0 / (4 * 3.14159265), 0.5);
}

TEST(OneEuro, SpeedIsTheInputsAndTimeIsTheTimestamps) {
  OneEuroFilter fast({1.0, 0.0, 1e6});
  fast.filter(0.0, 0.0);
  fast.filter(2.0, 0.5);  // the speed's own filter passes it through: 2 units in 0.5 s
  EXPECT_NEAR(fast.speed(), 4.0, 1e-4);
  // The same samples at half the rate are filtered less: the timestamps set the step.
  OneEuroFilter a({1.0, 0.0, 1.0});
  OneEuroFilter b({1.0, 0.0, 1.0});
  a.filter(0.0, 0.0);
  b.filter(0.0, 0.0);
  EXPECT_LT(a.filter(1.0, 0.04), b.filter(1.0, 0.08));
  // A repeated timestamp changes nothing; reset forgets the history.
  const double kept = *a.value();
  EXPECT_DOUBLE_EQ(a.filter(50.0, 0.04), kept);
  a.reset();
  EXPECT_FALSE(a.value());
  EXPECT_DOUBLE_EQ(a.filter(50.0, 1.0), 50.0);
}

}  // namespace
}  // namespace dlc::face
