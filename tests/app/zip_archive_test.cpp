#include "app/zip_archive.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "media/subprocess.hpp"
#include "support/paths.hpp"

namespace dlc::app {
namespace {

namespace fs = std::filesystem;

std::string contents(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class ZipArchive : public testing::Test {
 protected:
  void SetUp() override { dir_ = test::make_temp_dir(); }
  void TearDown() override { fs::remove_all(dir_); }

  // A zip made by Python's zipfile: a deflated member of 1.5 MiB (more than one 1 MiB piece,
  // compressible), a stored one, and one dlc does not want.
  fs::path make_zip() {
    const auto zip = dir_ / "bundle.zip";
    const auto r = media::run_process(
        {"/usr/bin/python3", "-c",
         "import sys, zipfile\n"
         "z = zipfile.ZipFile(sys.argv[1], 'w')\n"
         "z.writestr('pack/big.onnx', bytes((i * 7 + i // 4096) % 251 for i in range(3 << 19)), zipfile.ZIP_DEFLATED)\n"
         "z.writestr('pack/small.onnx', b'stored bytes', zipfile.ZIP_STORED)\n"
         "z.writestr('pack/other.onnx', b'not wanted', zipfile.ZIP_DEFLATED)\n",
         zip.string()});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return zip;
  }
  fs::path dir_;
};

TEST_F(ZipArchive, ExtractsOnlyTheWantedMembersByFileName) {
  const auto zip = make_zip();
  const auto out = dir_ / "out";
  fs::create_directories(out);
  const auto files = extract_zip_members(zip, {"big.onnx", "small.onnx"}, out);
  ASSERT_EQ(files, (std::vector<fs::path>{out / "big.onnx", out / "small.onnx"}));
  const auto big = contents(out / "big.onnx");
  ASSERT_EQ(big.size(), 3u << 19);
  bool same = true;
  for (std::size_t i = 0; i < big.size() && same; ++i) same = static_cast<unsigned char>(big[i]) == (i * 7 + i / 4096) % 251;
  EXPECT_TRUE(same);
  EXPECT_EQ(contents(out / "small.onnx"), "stored bytes");
  EXPECT_FALSE(fs::exists(out / "other.onnx"));
  EXPECT_FALSE(fs::exists(out / "big.onnx.part"));
}

TEST_F(ZipArchive, MissingMemberIsNamed) {
  const auto zip = make_zip();
  try {
    extract_zip_members(zip, {"det_10g.onnx"}, dir_);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), zip.string() + ": holds no det_10g.onnx");
  }
}

TEST_F(ZipArchive, DamagedDataLeavesNoFileUnderTheName) {
  const auto zip = make_zip();
  // Flip a byte inside the deflated member's data (it starts right after the first local header).
  {
    std::fstream f(zip, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(30 + 13 + 2000);
    char c = 0;
    f.seekg(30 + 13 + 2000);
    f.get(c);
    f.seekp(30 + 13 + 2000);
    f.put(static_cast<char>(c ^ 0x5a));
  }
  const auto out = dir_ / "out";
  fs::create_directories(out);
  EXPECT_THROW(extract_zip_members(zip, {"big.onnx"}, out), std::runtime_error);
  EXPECT_FALSE(fs::exists(out / "big.onnx"));
  EXPECT_FALSE(fs::exists(out / "big.onnx.part"));
}

TEST_F(ZipArchive, NotAZipIsSaidSo) {
  const auto file = dir_ / "page.zip";
  std::ofstream(file) << "<html>rate limited</html>";
  try {
    extract_zip_members(file, {"x.onnx"}, dir_);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not a zip archive"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace dlc::app
