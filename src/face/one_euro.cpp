#include "face/one_euro.hpp"

#include <cmath>
#include <numbers>

namespace dlc::face {
namespace {

// The smoothing factor of a first-order low-pass filter with cutoff fc sampled every dt
// seconds (the paper's eq. 4: alpha = 1 / (1 + tau / dt), tau = 1 / (2 pi fc)).
double time_constant(double cutoff) { return 1.0 / (2.0 * std::numbers::pi * cutoff); }

double alpha(double cutoff, double dt) { return 1.0 / (1.0 + time_constant(cutoff) / dt); }

}  // namespace

double OneEuroFilter::filter(double x, double t) {
  if (!x_) {
    x_ = x;
    raw_ = x;
    dx_ = 0;
    t_ = t;
    out_ = x;
    return x;
  }
  const double dt = t - t_;
  if (!(dt > 0)) return out_;
  // From the previous raw sample, as MediaPipe's OneEuroFilter does: the speed of the input,
  // not inflated by the gap between the input and the smoothed value.
  const double raw_speed = (x - raw_) / dt;
  raw_ = x;
  dx_ += alpha(params_.d_cutoff, dt) * (raw_speed - dx_);
  const double cutoff = params_.min_cutoff + params_.beta * std::abs(dx_);
  *x_ += alpha(cutoff, dt) * (x - *x_);
  t_ = t;
  out_ = *x_ + params_.lead * dx_ * time_constant(cutoff);
  return out_;
}

void OneEuroFilter::reset() {
  x_.reset();
  dx_ = 0;
  t_ = 0;
}

}  // namespace dlc::face
