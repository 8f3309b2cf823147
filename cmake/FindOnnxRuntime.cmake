# Finds ONNX Runtime and defines the imported target onnxruntime::onnxruntime.
# Search order:
#   1. -DONNXRUNTIME_ROOT=<folder>: any official ONNX Runtime release folder (include/, lib/)
#   2. pkg-config libonnxruntime (a system package)
#   3. the copy scripts/setup.sh fetched into third_party/onnxruntime-<version>
# Sets OnnxRuntime_FOUND, OnnxRuntime_INCLUDE_DIR, OnnxRuntime_LIBRARY, OnnxRuntime_LIBRARY_DIR,
# OnnxRuntime_SOURCE (which of the three was used).

set(ONNXRUNTIME_ROOT "" CACHE PATH "ONNX Runtime release folder (include/ and lib/)")

function(_dlc_ort_from_folder folder)
  find_path(_ort_inc onnxruntime_cxx_api.h
    PATHS "${folder}/include" "${folder}/include/onnxruntime"
          "${folder}/include/onnxruntime/core/session"
    NO_DEFAULT_PATH)
  find_library(_ort_lib NAMES onnxruntime PATHS "${folder}/lib" "${folder}/lib64" NO_DEFAULT_PATH)
  if(_ort_inc AND _ort_lib)
    set(OnnxRuntime_INCLUDE_DIR "${_ort_inc}" PARENT_SCOPE)
    set(OnnxRuntime_LIBRARY "${_ort_lib}" PARENT_SCOPE)
  endif()
  unset(_ort_inc CACHE)
  unset(_ort_lib CACHE)
endfunction()

unset(OnnxRuntime_INCLUDE_DIR)
unset(OnnxRuntime_LIBRARY)

if(ONNXRUNTIME_ROOT)
  _dlc_ort_from_folder("${ONNXRUNTIME_ROOT}")
  if(NOT OnnxRuntime_LIBRARY)
    message(FATAL_ERROR "ONNXRUNTIME_ROOT=${ONNXRUNTIME_ROOT} holds no include/onnxruntime_cxx_api.h "
                        "and lib/libonnxruntime.so; point it at an ONNX Runtime release folder")
  endif()
  set(OnnxRuntime_SOURCE "ONNXRUNTIME_ROOT")
endif()

if(NOT OnnxRuntime_LIBRARY)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(_ORT_PC QUIET libonnxruntime)
    if(_ORT_PC_FOUND)
      find_path(_ort_pc_inc onnxruntime_cxx_api.h
        HINTS ${_ORT_PC_INCLUDE_DIRS} PATH_SUFFIXES onnxruntime onnxruntime/core/session)
      find_library(_ort_pc_lib NAMES onnxruntime HINTS ${_ORT_PC_LIBRARY_DIRS})
      if(_ort_pc_inc AND _ort_pc_lib)
        set(OnnxRuntime_INCLUDE_DIR "${_ort_pc_inc}")
        set(OnnxRuntime_LIBRARY "${_ort_pc_lib}")
        set(OnnxRuntime_SOURCE "pkg-config libonnxruntime ${_ORT_PC_VERSION}")
      endif()
      unset(_ort_pc_inc CACHE)
      unset(_ort_pc_lib CACHE)
    endif()
  endif()
endif()

if(NOT OnnxRuntime_LIBRARY)
  file(GLOB _ort_fetched LIST_DIRECTORIES true "${PROJECT_SOURCE_DIR}/third_party/onnxruntime-*")
  foreach(_dir IN LISTS _ort_fetched)
    if(EXISTS "${_dir}/.complete")
      _dlc_ort_from_folder("${_dir}")
      if(OnnxRuntime_LIBRARY)
        set(OnnxRuntime_SOURCE "fetched copy ${_dir}")
        break()
      endif()
    endif()
  endforeach()
endif()

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(OnnxRuntime
  REQUIRED_VARS OnnxRuntime_LIBRARY OnnxRuntime_INCLUDE_DIR
  FAIL_MESSAGE "ONNX Runtime not found: run scripts/setup.sh, or pass -DONNXRUNTIME_ROOT=<release folder>")

if(OnnxRuntime_FOUND AND NOT TARGET onnxruntime::onnxruntime)
  get_filename_component(OnnxRuntime_LIBRARY_DIR "${OnnxRuntime_LIBRARY}" DIRECTORY)
  add_library(onnxruntime::onnxruntime SHARED IMPORTED)
  set_target_properties(onnxruntime::onnxruntime PROPERTIES
    IMPORTED_LOCATION "${OnnxRuntime_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${OnnxRuntime_INCLUDE_DIR}")
  message(STATUS "ONNX Runtime: ${OnnxRuntime_LIBRARY} (${OnnxRuntime_SOURCE})")
endif()
