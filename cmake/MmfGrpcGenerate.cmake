# mmf_grpc_generate(<target> PROTO_DIR <dir> PROTOS <file>...): a static library <target> with the
# protobuf messages and gRPC stubs that protoc and grpc_cpp_plugin generate from the .proto files
# (paths relative to PROTO_DIR, which is also the import root). For the project's own tests,
# benchmarks and demo; the library itself never generates code.
function(mmf_grpc_generate target)
  cmake_parse_arguments(ARG "" "PROTO_DIR" "PROTOS" ${ARGN})
  # Imported targets are visible in the directory that found them: find them here too.
  find_package(Protobuf REQUIRED)
  find_package(gRPC CONFIG REQUIRED)
  find_program(MMF_GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
  set(gen ${CMAKE_CURRENT_BINARY_DIR}/${target}_gen)
  set(sources "")
  set(inputs "")
  foreach(proto IN LISTS ARG_PROTOS)
    string(REGEX REPLACE "\\.proto$" "" stem ${proto})
    list(APPEND sources ${gen}/${stem}.pb.cc ${gen}/${stem}.grpc.pb.cc)
    list(APPEND inputs ${ARG_PROTO_DIR}/${proto})
  endforeach()
  add_custom_command(
    OUTPUT ${sources}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${gen}
    COMMAND protobuf::protoc --cpp_out=${gen} --grpc_out=${gen}
            --plugin=protoc-gen-grpc=${MMF_GRPC_CPP_PLUGIN} -I ${ARG_PROTO_DIR} ${inputs}
    DEPENDS ${inputs} protobuf::protoc
    COMMENT "Generating C++ messages and gRPC stubs for ${target}"
    VERBATIM)
  add_library(${target} STATIC ${sources})
  # SYSTEM: generated code; its warnings are not this project's.
  target_include_directories(${target} SYSTEM PUBLIC ${gen})
  target_link_libraries(${target} PUBLIC gRPC::grpc++ protobuf::libprotobuf)
endfunction()
