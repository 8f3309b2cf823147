#pragma once

#include <optional>

namespace dlc::face {

// The One-Euro filter (Casiez, Roussel, Vogel, CHI 2012): a low-pass filter whose cutoff rises
// with the signal's speed, so that a still point stops jittering and a moving one does not lag.
// Timed by each sample's timestamp, so a variable frame rate (live) is filtered correctly.
struct OneEuroParams {
  double min_cutoff = 1.0;  // Hz: the cutoff at rest (lower = less jitter when still)
  double beta = 0.0;        // how fast the cutoff rises with speed (per unit of speed)
  double d_cutoff = 1.0;    // Hz: the cutoff of the speed estimate (the paper's value)
  // The share of the low-pass filter's lag that a constant-velocity prediction cancels: the
  // output is the smoothed value plus lead x the filtered speed x the filter's time constant
  // (a first-order low-pass trails a steady motion by exactly its time constant). 0: the
  // paper's filter.
  double lead = 0.0;
};

class OneEuroFilter {
 public:
  explicit OneEuroFilter(OneEuroParams params = {}) : params_(params) {}

  // The filtered value of x at time t (seconds), led by params.lead. The first sample comes back
  // unfiltered; a sample not after the previous one gives the previous value again (a repeated
  // timestamp keeps the state).
  double filter(double x, double t);
  // The filtered speed (units per second) at the last sample; 0 before two samples.
  double speed() const { return dx_; }
  std::optional<double> value() const { return x_; }
  void reset();

 private:
  OneEuroParams params_;
  std::optional<double> x_;
  double raw_ = 0;
  double out_ = 0;  // the last value filter() gave (with the lead)
  double dx_ = 0;
  double t_ = 0;
};

}  // namespace dlc::face
