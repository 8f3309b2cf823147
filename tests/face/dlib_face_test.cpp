#include "face/dlib_face.hpp"

#include <dlib/image_processing/shape_predictor.h>
#include <dlib/opencv/cv_image.h>
#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "face/nms.hpp"
#include "support/paths.hpp"

namespace dlc::face {
namespace {

bool model_present() { return std::filesystem::exists(DlibLandmarks::kDefaultModel); }

cv::Mat load_photo(const char* relative) {
  const auto path = test::source_tree_file(relative);
  return std::filesystem::exists(path) ? cv::imread(path.string(), cv::IMREAD_COLOR) : cv::Mat();
}

bool inside(const cv::Rect2f& box, const cv::Mat& image) {
  return box.x >= 0 && box.y >= 0 && box.width > 0 && box.height > 0 && box.x + box.width <= image.cols &&
         box.y + box.height <= image.rows;
}

// Points i = (i, 2i + 1): every mean the keypoints take is exact in float.
std::vector<cv::Point2f> synthetic_68() {
  std::vector<cv::Point2f> points;
  for (int i = 0; i < 68; ++i) points.emplace_back(static_cast<float>(i), static_cast<float>(2 * i + 1));
  return points;
}

TEST(DlibKeypoints, From68TakesEyeMeansNoseTipAndMouthCorners) {
  const auto kps = keypoints_from_68(synthetic_68());
  EXPECT_EQ(kps[kLeftEye], cv::Point2f(38.5f, 78.0f));   // mean of 36..41
  EXPECT_EQ(kps[kRightEye], cv::Point2f(44.5f, 90.0f));  // mean of 42..47
  EXPECT_EQ(kps[kNose], cv::Point2f(30.0f, 61.0f));
  EXPECT_EQ(kps[kLeftMouth], cv::Point2f(48.0f, 97.0f));
  EXPECT_EQ(kps[kRightMouth], cv::Point2f(54.0f, 109.0f));
}

TEST(DlibKeypoints, From68RejectsAnotherCount) {
  EXPECT_THROW(keypoints_from_68(std::vector<cv::Point2f>(106)), std::invalid_argument);
  EXPECT_THROW(keypoints_from_68({}), std::invalid_argument);
}

TEST(DlibKeypoints, CompleteKeypointsFillsTheFace) {
  Face face;
  complete_keypoints(face, synthetic_68());
  EXPECT_TRUE(face.has_kps);
  EXPECT_EQ(face.landmarks.size(), 68u);
  EXPECT_EQ(face.kps[kNose], cv::Point2f(30.0f, 61.0f));
}

TEST(DlibLandmarks, MissingModelNamesTheFileAndThePackage) {
  const std::filesystem::path missing = "/nonexistent/dlc/shape_predictor_68_face_landmarks.dat";
  const DlibLandmarks landmarks(missing);  // lazy: constructing never touches the file
  const cv::Mat image(64, 64, CV_8UC3, cv::Scalar::all(128));
  try {
    landmarks.landmarks(image, {8, 8, 48, 48});
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(missing.string()), std::string::npos) << message;
    EXPECT_NE(message.find("libdlib-data"), std::string::npos) << message;
  }
}

TEST(DlibLandmarks, GarbageModelNamesTheFile) {
  const auto dir = test::make_temp_dir();
  const auto garbage = dir / "garbage.dat";
  std::ofstream(garbage) << "not a shape predictor";
  const DlibLandmarks landmarks(garbage);
  const cv::Mat image(64, 64, CV_8UC3, cv::Scalar::all(128));
  try {
    landmarks.landmarks(image, {8, 8, 48, 48});
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(garbage.string()), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(DlibDetector, RejectsWhatIsNotBgr) {
  DlibDetector detector;
  EXPECT_THROW(detector.detect(cv::Mat(64, 64, CV_8UC1, cv::Scalar::all(0))), std::invalid_argument);
  EXPECT_THROW(detector.detect(cv::Mat()), std::invalid_argument);
  EXPECT_THROW(DlibDetector(-1), std::invalid_argument);
}

// dlib is in dlc_dlib_face.so, loaded by the first detector: without it the error names the file
// and where it belongs (this process's first load; each test runs in its own process).
TEST(DlibDetector, AMissingModuleNamesTheFileAndWhereItBelongs) {
  const auto dir = test::make_temp_dir();
  const auto missing = (dir / "dlc_dlib_face.so").string();
  const char* saved = std::getenv("DLC_DLIB_MODULE");
  const std::string restore = saved != nullptr ? saved : "";
  setenv("DLC_DLIB_MODULE", missing.c_str(), 1);
  try {
    DlibDetector detector;
    ADD_FAILURE() << "a detector was made without its module";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("DLC_DLIB_MODULE names it"), std::string::npos) << e.what();
  }
  setenv("DLC_DLIB_MODULE", restore.c_str(), 1);
  std::filesystem::remove_all(dir);
}

TEST(DlibDetector, FindsNothingInAFlatImage) {
  DlibDetector detector;
  EXPECT_TRUE(detector.detect(cv::Mat(200, 200, CV_8UC3, cv::Scalar(90, 120, 150))).empty());
}

class DlibPhoto : public testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    photo_ = load_photo(GetParam());
    if (photo_.empty()) GTEST_SKIP() << GetParam() << " is missing (scripts/setup.sh fetches it)";
  }
  cv::Mat photo_;
};

TEST_P(DlibPhoto, HogFindsTheOneFaceInsideTheImage) {
  DlibDetector detector;
  const auto faces = detector.detect(photo_);
  ASSERT_EQ(faces.size(), 1u);
  EXPECT_TRUE(inside(faces[0].box, photo_)) << faces[0].box;
  EXPECT_GE(faces[0].score, 0.5f);
  EXPECT_LE(faces[0].score, 1.0f);
  EXPECT_FALSE(faces[0].has_kps);
}

TEST_P(DlibPhoto, LandmarksLieAroundTheFaceAndKeypointsAreInOrder) {
  if (!model_present()) GTEST_SKIP() << DlibLandmarks::kDefaultModel << " is missing (Debian package libdlib-data)";
  DlibDetector detector;
  auto faces = detector.detect(photo_);
  ASSERT_EQ(faces.size(), 1u);
  Face& face = faces[0];

  const DlibLandmarks predictor;
  const auto points = predictor.landmarks(photo_, face.box);
  ASSERT_EQ(points.size(), 68u);
  // The box grown by 25 % of its size, 12.5 % on each side.
  const cv::Rect2f grown(face.box.x - face.box.width / 8, face.box.y - face.box.height / 8, face.box.width * 1.25f,
                         face.box.height * 1.25f);
  for (std::size_t i = 0; i < points.size(); ++i) EXPECT_TRUE(grown.contains(points[i])) << i << ": " << points[i];

  complete_keypoints(face, points);
  ASSERT_TRUE(face.has_kps);
  const auto& k = face.kps;
  EXPECT_LT(k[kLeftEye].x, k[kRightEye].x);
  EXPECT_LT(k[kLeftMouth].x, k[kRightMouth].x);
  EXPECT_LT(k[kLeftEye].y, k[kNose].y);
  EXPECT_LT(k[kRightEye].y, k[kNose].y);
  EXPECT_LT(k[kNose].y, k[kLeftMouth].y);
  EXPECT_LT(k[kNose].y, k[kRightMouth].y);
}

// DlibLandmarks walks dlib's model from its own packed copy: its points must be those of dlib's
// shape_predictor on the same image and box, for boxes as detectors give them (shifted, grown,
// shrunk), a face at twice the photo's size, and a box reaching past the image (feature pixels
// outside it read 0).
TEST_P(DlibPhoto, LandmarksAreDlibsShapePredictorsExactly) {
  if (!model_present()) GTEST_SKIP() << DlibLandmarks::kDefaultModel << " is missing (Debian package libdlib-data)";
  dlib::shape_predictor reference;
  dlib::deserialize(DlibLandmarks::kDefaultModel) >> reference;
  const DlibLandmarks predictor;
  DlibDetector detector;
  cv::Mat doubled;
  cv::resize(photo_, doubled, cv::Size(), 2.0, 2.0, cv::INTER_LINEAR);
  const auto faces = detector.detect(photo_);
  ASSERT_EQ(faces.size(), 1u);
  int compared = 0;
  for (const cv::Mat* image : {&photo_, &doubled}) {
    const float scale = static_cast<float>(image->cols) / static_cast<float>(photo_.cols);
    const cv::Rect2f b(faces[0].box.tl() * scale, faces[0].box.size() * scale);
    const std::vector<cv::Rect2f> boxes{b,
                                        {b.x + b.width / 10, b.y - b.height / 12, b.width, b.height},
                                        {b.x - b.width / 6, b.y - b.height / 6, b.width * 4 / 3, b.height * 4 / 3},
                                        {b.x + b.width / 8, b.y + b.height / 8, b.width * 3 / 4, b.height * 3 / 4},
                                        {-b.width / 3, b.y, b.width, b.height}};
    for (const auto& box : boxes) {
      const dlib::rectangle rect(std::lround(box.x), std::lround(box.y), std::lround(box.x + box.width) - 1,
                                 std::lround(box.y + box.height) - 1);
      const auto expected = reference(dlib::cv_image<dlib::bgr_pixel>(*image), rect);
      const auto points = predictor.landmarks(*image, box);
      ASSERT_EQ(points.size(), expected.num_parts());
      for (unsigned long i = 0; i < expected.num_parts(); ++i) {
        EXPECT_EQ(points[i], cv::Point2f(static_cast<float>(expected.part(i).x()), static_cast<float>(expected.part(i).y())))
            << "point " << i << " of the box " << box << " in a " << image->cols << "x" << image->rows << " image";
      }
      ++compared;
    }
  }
  EXPECT_EQ(compared, 10);
}

// The photo turned by 35° about its face: upright_landmarks() finds the face's points where the
// upright photo's are (turned with it), where the predictor alone, started upright in the box, is
// farther off. Its first pass is the predictor's own, so an upright face keeps dlib's points.
TEST_P(DlibPhoto, UprightLandmarksFollowARolledHead) {
  if (!model_present()) GTEST_SKIP() << DlibLandmarks::kDefaultModel << " is missing (Debian package libdlib-data)";
  const auto faces = DlibDetector().detect(photo_);
  ASSERT_EQ(faces.size(), 1u);
  const DlibLandmarks predictor;
  const auto upright = predictor.landmarks(photo_, faces[0].box);
  EXPECT_EQ(predictor.upright_landmarks(photo_, faces[0].box), upright);

  const auto& box = faces[0].box;
  const cv::Point2f centre(box.x + box.width / 2, box.y + box.height / 2);
  const cv::Mat turn = cv::getRotationMatrix2D(centre, 35.0, 1.0);
  cv::Mat rolled;
  cv::warpAffine(photo_, rolled, turn, photo_.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
  std::vector<cv::Point2f> expected;
  cv::transform(upright, expected, turn);
  const double eyes = cv::norm(upright[45] - upright[36]);
  const auto error = [&](const std::vector<cv::Point2f>& points) {
    double sum = 0;
    for (std::size_t i = 0; i < points.size(); ++i) sum += cv::norm(points[i] - expected[i]);
    return sum / static_cast<double>(points.size()) / eyes;
  };
  const double plain = error(predictor.landmarks(rolled, box));
  const double corrected = error(predictor.upright_landmarks(rolled, box));
  std::cout << "35° roll, mean error in eye distances: predictor " << plain << ", upright " << corrected << "\n";
  EXPECT_LT(corrected, 0.06);  // measured 0.011 (astronaut) and 0.041 (Grace Hopper: her glasses)
  EXPECT_LT(corrected, plain / 2);
}

TEST_P(DlibPhoto, ConcurrentDetectionsAgree) {
  DlibDetector detector;
  const auto expected = detector.detect(photo_);
  ASSERT_EQ(expected.size(), 1u);
  std::vector<std::vector<Face>> results(4);
  {
    std::vector<std::jthread> threads;
    for (auto& r : results) threads.emplace_back([&] { r = detector.detect(photo_); });
  }
  for (const auto& r : results) {
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].box, expected[0].box);
    EXPECT_EQ(r[0].score, expected[0].score);
  }
}

INSTANTIATE_TEST_SUITE_P(Photos, DlibPhoto, testing::Values(".cache/media/astronaut.png", ".cache/media/grace_hopper.jpg"),
                         [](const testing::TestParamInfo<const char*>& param) {
                           return std::string(param.index == 0 ? "Astronaut" : "GraceHopper");
                         });

// HOG's window is 80 pixels: the astronaut's face (88 pixels at 512×512) shrunk to 256×256 is
// only found once the image is doubled. At 128×128 (22 pixels) even one doubling is not enough.
TEST(DlibDetector, UpsamplingFindsASmallFace) {
  const auto photo = load_photo(".cache/media/astronaut.png");
  if (photo.empty()) GTEST_SKIP() << ".cache/media/astronaut.png is missing (scripts/setup.sh fetches it)";
  DlibDetector full_size;
  const auto reference = full_size.detect(photo);
  ASSERT_EQ(reference.size(), 1u);
  const cv::Rect2f expected(reference[0].box.x / 2, reference[0].box.y / 2, reference[0].box.width / 2,
                            reference[0].box.height / 2);

  cv::Mat half;
  cv::resize(photo, half, {256, 256}, 0, 0, cv::INTER_AREA);
  DlibDetector detector(1);
  EXPECT_EQ(detector.upsample(), 1);
  const auto faces = detector.detect(half);
  ASSERT_FALSE(faces.empty());
  EXPECT_TRUE(inside(faces[0].box, half)) << faces[0].box;
  // The best face is the astronaut's, where the full-size image has it.
  EXPECT_GT(iou(faces[0].box, expected), 0.6f) << faces[0].box << " vs " << expected;
}

}  // namespace
}  // namespace dlc::face
