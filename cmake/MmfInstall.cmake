# Install rules and the package configuration (the fmt model, STYLE.md): included by the top-level
# CMakeLists.txt when MMF_INSTALL is on, after every target is defined. `cmake --install` then gives
#
#   <prefix>/include/mmf/...                                   public headers, and mmf/version.h
#   <prefix>/<libdir>/libmmf_observability.a (or .so)
#   <prefix>/<libdir>/cmake/mmf_observability/                 mmf_observabilityConfig.cmake,
#       ...ConfigVersion.cmake, ...Targets.cmake, and ..._<component>Targets.cmake per component
#   <prefix>/<libdir>/pkgconfig/mmf_observability.pc
#   <prefix>/bin/marty                                         when the tool was built
#
# so that consumers write find_package(mmf_observability 0.1 REQUIRED [COMPONENTS grpc ...]) and
# link mmf::observability (and mmf::observability_<component>).
#
# Adding an optional component (httplib, grpc, redis, postgres, sqlite) needs nothing here: define
# the alias target mmf::observability_<component>, and list the packages a consumer must find for
# it in its target property MMF_FIND_DEPENDENCIES, one find_package() argument string per entry:
#
#   set_property(TARGET mmf_observability_grpc
#                PROPERTY MMF_FIND_DEPENDENCIES "gRPC CONFIG" Protobuf)
#
# The core library may carry the same property (for example "CURL" once it links libcurl). Each
# built component gets its own export set, loaded only when a consumer asks for the component.

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(MMF_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/mmf_observability" CACHE STRING
    "Where the package configuration files are installed, relative to the install prefix")
set(MMF_INSTALL_PKGCONFIGDIR "${CMAKE_INSTALL_LIBDIR}/pkgconfig" CACHE STRING
    "Where mmf_observability.pc is installed, relative to the install prefix")

# The optional components the package configuration knows by name. Keep in sync with DESIGN.md §3
# (and docs/architecture.md for testing: the test kit, whose target is mmf::testing).
# A component that builds on others lists them (its target property MMF_REQUIRES_COMPONENTS):
# asking for it loads them first.
set(MMF_KNOWN_COMPONENTS httplib grpc hybrid redis postgres sqlite testing)

# mmf_install_library(<target> <export-set>): installs one library into its export set.
function(mmf_install_library target export_set)
  install(TARGETS ${target} EXPORT ${export_set}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT mmf_development
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT mmf_runtime
            NAMELINK_COMPONENT mmf_development
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT mmf_runtime)
  install(EXPORT ${export_set}
    FILE ${export_set}.cmake
    NAMESPACE mmf::
    DESTINATION ${MMF_INSTALL_CMAKEDIR}
    COMPONENT mmf_development)
endfunction()

# mmf_find_dependencies_of(<target> <out-var>): the target's MMF_FIND_DEPENDENCIES as a CMake list
# of quoted find_package() argument strings, ready to paste into the package configuration.
function(mmf_find_dependencies_of target out_var)
  get_target_property(dependencies ${target} MMF_FIND_DEPENDENCIES)
  set(quoted "")
  if(dependencies)
    foreach(dependency IN LISTS dependencies)
      string(APPEND quoted " \"${dependency}\"")
    endforeach()
  endif()
  set(${out_var} "${quoted}" PARENT_SCOPE)
endfunction()

# --- The core library and the public headers.
mmf_install_library(mmf_observability mmf_observabilityTargets)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/mmf
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT mmf_development
  FILES_MATCHING PATTERN "*.h")
install(FILES ${MMF_GENERATED_INCLUDE_DIR}/mmf/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/mmf
  COMPONENT mmf_development)
mmf_find_dependencies_of(mmf_observability MMF_CORE_DEPENDENCIES)

# --- The optional components that were built, each in its own export set.
set(MMF_INSTALLED_COMPONENTS "")
set(MMF_COMPONENT_DEPENDENCIES "")
foreach(component IN LISTS MMF_KNOWN_COMPONENTS)
  # Consumers see a component as mmf::observability_<component> (the test kit: mmf::testing),
  # whatever the real target's name.
  if(component STREQUAL "testing")
    set(export_name testing)
  else()
    set(export_name observability_${component})
  endif()
  if(NOT TARGET mmf::${export_name})
    continue()
  endif()
  get_target_property(target mmf::${export_name} ALIASED_TARGET)
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${export_name})
  mmf_install_library(${target} mmf_observability_${component}Targets)
  mmf_find_dependencies_of(${target} dependencies)
  get_target_property(required ${target} MMF_REQUIRES_COMPONENTS)
  if(NOT required)
    set(required "")
  endif()
  list(APPEND MMF_INSTALLED_COMPONENTS ${component})
  string(APPEND MMF_COMPONENT_DEPENDENCIES
         "set(_mmf_${component}_dependencies${dependencies})\n"
         "set(_mmf_${component}_components ${required})\n")
endforeach()
list(JOIN MMF_INSTALLED_COMPONENTS " " MMF_INSTALLED_COMPONENTS)
list(JOIN MMF_KNOWN_COMPONENTS " " MMF_KNOWN_COMPONENTS_TEXT)
if(MMF_INSTALLED_COMPONENTS)
  set(MMF_INSTALLED_COMPONENTS_TEXT "${MMF_INSTALLED_COMPONENTS}")
else()
  set(MMF_INSTALLED_COMPONENTS_TEXT "none")
endif()

# --- The package configuration and its version file. 0.x releases follow the same rule as later
# ones: a consumer asking for 0.1 accepts any 0.y.z at least 0.1.
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/mmf_observabilityConfig.cmake.in
  ${PROJECT_BINARY_DIR}/mmf_observabilityConfig.cmake
  INSTALL_DESTINATION ${MMF_INSTALL_CMAKEDIR})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/mmf_observabilityConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMajorVersion)
install(FILES
    ${PROJECT_BINARY_DIR}/mmf_observabilityConfig.cmake
    ${PROJECT_BINARY_DIR}/mmf_observabilityConfigVersion.cmake
  DESTINATION ${MMF_INSTALL_CMAKEDIR}
  COMPONENT mmf_development)

# --- pkg-config. The file finds its prefix relative to its own location (${pcfiledir}), so the
# tree can be installed with `cmake --install --prefix` anywhere, or moved, and still work.
function(mmf_pc_path out_var dir)
  if(IS_ABSOLUTE "${dir}")
    set(${out_var} "${dir}" PARENT_SCOPE)
  else()
    set(${out_var} "\${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()
if(IS_ABSOLUTE "${MMF_INSTALL_PKGCONFIGDIR}")
  set(MMF_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH MMF_PC_PREFIX_FROM_PCFILEDIR
       "${CMAKE_INSTALL_PREFIX}/${MMF_INSTALL_PKGCONFIGDIR}" "${CMAKE_INSTALL_PREFIX}")
  string(REGEX REPLACE "/$" "" MMF_PC_PREFIX_FROM_PCFILEDIR "${MMF_PC_PREFIX_FROM_PCFILEDIR}")
  set(MMF_PC_PREFIX "\${pcfiledir}/${MMF_PC_PREFIX_FROM_PCFILEDIR}")
endif()
mmf_pc_path(MMF_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
mmf_pc_path(MMF_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
# A static library brings its own dependencies to the link line; a shared one keeps them private.
get_target_property(MMF_LIBRARY_TYPE mmf_observability TYPE)
if(MMF_LIBRARY_TYPE STREQUAL "STATIC_LIBRARY")
  set(MMF_PC_LIBS "-L\${libdir} -lmmf_observability -pthread")
  set(MMF_PC_LIBS_PRIVATE "")
  set(MMF_PC_REQUIRES "libcurl zlib yaml-cpp")  # the OTLP transport, the configuration file
  set(MMF_PC_REQUIRES_PRIVATE "")
else()
  set(MMF_PC_LIBS "-L\${libdir} -lmmf_observability")
  set(MMF_PC_LIBS_PRIVATE "-pthread")
  set(MMF_PC_REQUIRES "")
  set(MMF_PC_REQUIRES_PRIVATE "libcurl zlib yaml-cpp")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/mmf_observability.pc.in
               ${PROJECT_BINARY_DIR}/mmf_observability.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/mmf_observability.pc
  DESTINATION ${MMF_INSTALL_PKGCONFIGDIR}
  COMPONENT mmf_development)

# --- The marty tool, when it was built. With a shared library it finds it beside the install.
if(TARGET marty)
  if(NOT MMF_LIBRARY_TYPE STREQUAL "STATIC_LIBRARY")
    file(RELATIVE_PATH MMF_BIN_TO_LIB "${CMAKE_INSTALL_FULL_BINDIR}" "${CMAKE_INSTALL_FULL_LIBDIR}")
    set_target_properties(marty PROPERTIES INSTALL_RPATH "\$ORIGIN/${MMF_BIN_TO_LIB}")
  endif()
  install(TARGETS marty RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT mmf_runtime)
endif()
