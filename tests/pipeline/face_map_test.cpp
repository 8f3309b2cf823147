#include "pipeline/face_map.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "pipeline/processor_chain.hpp"
#include "support/paths.hpp"

namespace dlc::pipeline {
namespace {

class FaceMap : public testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir(); }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& text) {
    const auto file = dir_ / "map.json";
    std::ofstream(file) << text;
    return file;
  }
  std::string error_of(const std::string& text) {
    try {
      read_face_map(write(text));
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  }
  std::filesystem::path dir_;
};

TEST_F(FaceMap, ReadsIndexAndReferenceMappings) {
  const auto map = read_face_map(write(R"({"mappings": [{"source": "alice.jpg", "target_face": 1},
                                                        {"source": "/abs/bob.jpg", "reference": "ref.png"}]})"));
  ASSERT_EQ(map.size(), 2u);
  EXPECT_EQ(map[0].source, dir_ / "alice.jpg");
  EXPECT_EQ(map[0].target_face, 1u);
  EXPECT_FALSE(map[0].reference);
  EXPECT_EQ(map[1].source, "/abs/bob.jpg");
  EXPECT_EQ(map[1].reference, dir_ / "ref.png");
}

TEST_F(FaceMap, ProblemsNameTheFileAndTheMapping) {
  EXPECT_NE(error_of("{not json").find("map.json': not JSON"), std::string::npos);
  EXPECT_NE(error_of(R"({"mappings": []})").find("expected {\"mappings\""), std::string::npos);
  EXPECT_NE(error_of(R"({"mappings": [{"target_face": 0}]})").find("mapping 0 has no \"source\""), std::string::npos);
  EXPECT_NE(error_of(R"({"mappings": [{"source": "a.jpg"}]})").find("exactly one of"), std::string::npos);
  EXPECT_NE(error_of(R"({"mappings": [{"source": "a.jpg", "target_face": -1}]})").find("must be 0, 1"),
            std::string::npos);
  EXPECT_THROW(read_face_map(dir_ / "missing.json"), InputError);
}

// The template `dlc faces scan` writes: a person whose "source" is left "" is not mapped; a
// centroid is read normalised.
TEST_F(FaceMap, ReadsAScanTemplateAndLeavesOutUnfilledPeople) {
  const auto map = read_face_map(write(R"({"video": "v.mp4", "mappings": [
      {"person": 1, "source": "", "thumbnail": "person_1.png", "centroid": [1, 0]},
      {"person": 2, "source": "bob.jpg", "thumbnail": "person_2.png", "centroid": [3, 4]}]})"));
  ASSERT_EQ(map.size(), 1u);
  EXPECT_EQ(map[0].source, dir_ / "bob.jpg");
  EXPECT_EQ(map[0].person, 2);
  ASSERT_TRUE(map[0].centroid);
  EXPECT_FLOAT_EQ((*map[0].centroid)[0], 0.6f);
  EXPECT_FLOAT_EQ((*map[0].centroid)[1], 0.8f);
  EXPECT_EQ(first_mapped_source(write(R"({"mappings": [{"source": "", "centroid": [1]},
                                                       {"source": "carol.jpg", "centroid": [1]}]})")),
            dir_ / "carol.jpg");
  EXPECT_NE(error_of(R"({"mappings": [{"source": "", "centroid": [1, 0]}]})").find("no mapping has a source"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"mappings": [{"source": "a.jpg", "centroid": "x"}]})").find("list of numbers"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"mappings": [{"source": "a.jpg", "centroid": [1], "target_face": 0}]})").find("exactly one of"),
            std::string::npos);
}

}  // namespace
}  // namespace dlc::pipeline
