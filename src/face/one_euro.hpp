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
};

class OneEuroFilter {
 public:
  explicit OneEuroFilter(OneEuroParams params = {}) : params_(params) {}

  // The filtered value of x at time t (seconds). The first sample, and a sample not after the
  // previous one, come back unfiltered (the latter keeps the state: a repeated timestamp).
  double filter(double x, double t);
  // The filtered speed (units per second) at the last sample; 0 before two samples.
  double speed() const { return dx_; }
  std::optional<double> value() const { return x_; }
  void reset();

 private:
  OneEuroParams params_;
  std::optional<double> x_;
  double raw_ = 0;
  double dx_ = 0;
  double t_ = 0;
};

}  // namespace dlc::face
