# Warning and sanitizer flags for the project's own targets. Applied per target through
# mmf_set_target_options(), never globally, so a parent project's flags stay its own.

function(mmf_set_target_options target)
  target_compile_features(${target} PUBLIC cxx_std_20)
  set_target_properties(${target} PROPERTIES CXX_EXTENSIONS OFF)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                             -Wno-sign-conversion -Wnon-virtual-dtor)
    if(MMF_WARNINGS_AS_ERRORS)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  endif()
endfunction()

if(MMF_SANITIZE)
  # Sanitizers must cover every object of the program, including tests and gtest's own main.
  add_compile_options(-fsanitize=${MMF_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${MMF_SANITIZE})
endif()
