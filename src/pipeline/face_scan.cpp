#include "pipeline/face_scan.hpp"

#include <algorithm>

#include "face/identity_clusters.hpp"
#include "media/video_reader.hpp"
#include "pipeline/job_models.hpp"

namespace dlc::pipeline {
namespace {

// The thumbnail shows the face with some of the head around it: its box grown by half of its
// size on each side, cut to the frame.
cv::Mat face_thumbnail(const cv::Mat& frame, const cv::Rect2f& box) {
  const cv::Rect2f around(box.x - box.width / 2, box.y - box.height / 2, box.width * 2, box.height * 2);
  const cv::Rect inside = cv::Rect(around) & cv::Rect(0, 0, frame.cols, frame.rows);
  if (inside.empty()) return {};
  return frame(inside).clone();
}

}  // namespace

FaceScanResult scan_faces(const std::filesystem::path& video, const FaceScanOptions& options,
                          const std::function<void(const FaceScanProgress&)>& progress) {
  // The recognizer is checked before anything is decoded: a scan without it finds no one.
  locate_models({&role_named("recognizer")}, options.analyser.search_path);
  FaceAnalyser analyser(options.analyser);
  media::VideoReader reader(video, options.decoder_threads);
  reader.probe_in_background();  // the stated frame count, for the progress
  const int every = std::max(1, options.detect_every);
  // An image's faces each begin a person: no cosine similarity reaches 2.
  face::IdentityClusters clusters(options.each_face_a_person ? 2.0f : 1.0f - options.max_distance);
  FaceScanResult result;
  std::vector<double> thumbnail_area;  // per person: the area of the face its thumbnail shows
  cv::Mat frame;
  for (std::int64_t index = 0; reader.read(frame); ++index) {
    result.frames = index + 1;
    if (options.stop != nullptr && options.stop->load()) {
      result.stopped = true;
      break;
    }
    if (index % every != 0) continue;
    ++result.key_frames;
    auto faces = analyser.detect(frame);
    if (options.each_face_a_person) {
      std::ranges::stable_sort(faces, [](const face::Face& a, const face::Face& b) { return a.box.x < b.box.x; });
    }
    for (auto& f : faces) {
      analyser.embed(frame, f);
      const auto joined = clusters.add(f.embedding);
      if (!joined) continue;
      ++result.faces;
      if (*joined == result.people.size()) {
        ScannedPerson person;
        person.id = static_cast<int>(*joined) + 1;
        person.first_frame = index;
        result.people.push_back(std::move(person));
        thumbnail_area.push_back(0.0);
      }
      auto& person = result.people[*joined];
      ++person.faces;
      person.last_frame = index;
      const double area = static_cast<double>(f.box.area());
      if (area > thumbnail_area[*joined]) {
        if (auto crop = face_thumbnail(frame, f.box); !crop.empty()) {
          person.thumbnail = std::move(crop);
          person.thumbnail_frame = index;
          thumbnail_area[*joined] = area;
        }
      }
    }
    if (progress) {
      const auto total = (reader.probed() ? reader.probed_info() : reader.info()).frame_count;
      progress({result.frames, total, result.people.size()});
    }
  }
  reader.finish();
  for (std::size_t i = 0; i < result.people.size(); ++i) result.people[i].centroid = clusters.centroid(i);
  return result;
}

}  // namespace dlc::pipeline
