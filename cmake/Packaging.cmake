# `cmake --install` and `cpack -G DEB`: dlc in PREFIX/bin, its OpenCV and dlib modules, its decoder child
# dlc-decode and ONNX Runtime in PREFIX/lib/dlc (found through the binary's RPATH $ORIGIN/../lib/dlc and
# media/install_layout.hpp, wherever PREFIX is), BlazeFace and the model manifest in
# PREFIX/share/dlc. Models themselves are never packaged: `dlc models download` puts them in
# $XDG_DATA_HOME/dlc/models.
include(GNUInstallDirs)
# cpack and cmake --install package what is built (dlc, its module, dlc-gui) instead of building every
# test and benchmark first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(DLC_INSTALL_LIBDIR "lib/dlc")
# dlc is installed as a program whose RPATH is then set, not with install(TARGETS): for a target it
# installs, CMake ends the build tree's RPATH with an empty entry (room for the rewrite), and an empty
# entry makes the loader search the current folder, so build/dlc run from a folder holding a
# libopencv_core.so.406 would load that one. The new RPATH is shorter than the build tree's
# (.../third_party/onnxruntime-X/lib), as an in-place rewrite needs.
install(PROGRAMS "$<TARGET_FILE:dlc>" DESTINATION ${CMAKE_INSTALL_BINDIR})
install(CODE "file(RPATH_SET FILE \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/dlc\"
                            NEW_RPATH \"\$ORIGIN/../${DLC_INSTALL_LIBDIR}\")")
install(TARGETS dlc_opencv_live dlc_opencv_codecs dlc_dlib_face LIBRARY DESTINATION ${DLC_INSTALL_LIBDIR})
# The video decoder child dlc runs (media/video_reader.cpp looks for it in PREFIX/lib/dlc): a helper,
# not a command. It links Debian's libav* only, so it has no RPATH to rewrite.
install(TARGETS dlc-decode RUNTIME DESTINATION ${DLC_INSTALL_LIBDIR})
# The desktop window beside dlc, which it runs for every job (src/gui/dlc_process.cpp); its Qt 6
# libraries come from Debian (dpkg-shlibdeps adds them to Depends).
if(TARGET dlc-gui)
  install(TARGETS dlc-gui RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# ONNX Runtime under its soname (what dlc's DT_NEEDED names), plus any execution-provider
# libraries beside it (a --gpu setup's CUDA/TensorRT providers), which ORT loads from its own folder.
get_filename_component(_dlc_ort_real "${OnnxRuntime_LIBRARY}" REALPATH)
file(GLOB _dlc_ort_sonames "${OnnxRuntime_LIBRARY_DIR}/libonnxruntime.so.[0-9]")
list(GET _dlc_ort_sonames 0 _dlc_ort_soname)
get_filename_component(_dlc_ort_soname "${_dlc_ort_soname}" NAME)
install(FILES "${_dlc_ort_real}" DESTINATION ${DLC_INSTALL_LIBDIR} RENAME ${_dlc_ort_soname})
file(GLOB _dlc_ort_providers "${OnnxRuntime_LIBRARY_DIR}/libonnxruntime_providers_*.so")
if(_dlc_ort_providers)
  install(FILES ${_dlc_ort_providers} DESTINATION ${DLC_INSTALL_LIBDIR})
endif()

set(_dlc_blazeface "${PROJECT_SOURCE_DIR}/third_party/blazeface")
if(EXISTS "${_dlc_blazeface}/face_detection_front_128x128_barracuda.onnx")
  install(FILES "${_dlc_blazeface}/face_detection_front_128x128_barracuda.onnx"
                "${_dlc_blazeface}/face_detection_back_256x256_barracuda.onnx" "${_dlc_blazeface}/LICENSE"
          DESTINATION ${CMAKE_INSTALL_DATADIR}/dlc/blazeface)
else()
  message(WARNING "third_party/blazeface is missing (scripts/setup.sh fetches it): the package will have no BlazeFace")
endif()
install(FILES "${PROJECT_SOURCE_DIR}/models/manifest.json" DESTINATION ${CMAKE_INSTALL_DATADIR}/dlc)
install(FILES "${PROJECT_SOURCE_DIR}/README.md" DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME "dlc")
set(CPACK_PACKAGE_VENDOR "dlc")
set(CPACK_PACKAGE_CONTACT "dlc maintainers <dlc@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "face swap on images, videos and a live camera, within the memory you give it")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "graphics")
# Debian's libraries from dpkg-shlibdeps; ONNX Runtime is dlc's own copy in lib/dlc.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${OnnxRuntime_LIBRARY_DIR}")
# What dlc runs or reads besides its libraries: ffmpeg for videos, dlib's 68-point predictor.
# libcurl4: dlopen'd by `dlc models download`, libssl3 (libcrypto.so.3): dlopen'd by the first
# sha256 (`dlc models list`/`verify`, downloads, `join`), so dpkg-shlibdeps sees neither.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "ffmpeg, libdlib-data, libcurl4, libssl3")
include(CPack)
