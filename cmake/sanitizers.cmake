# Sanitizer and fuzzing instrumentation for every target of the build.
include(CheckCXXSourceCompiles)

if(BLOCKFORGE_SANITIZE)
    add_compile_options(-fsanitize=${BLOCKFORGE_SANITIZE} -fno-omit-frame-pointer -g)
    add_link_options(-fsanitize=${BLOCKFORGE_SANITIZE})
    if(BLOCKFORGE_SANITIZE MATCHES "undefined")
        add_compile_options(-fno-sanitize-recover=undefined)
    endif()
endif()

if(BLOCKFORGE_FUZZ)
    set(CMAKE_REQUIRED_FLAGS -fsanitize=fuzzer)
    check_cxx_source_compiles([[
        #include <cstdint>
        #include <cstddef>
        extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *, std::size_t) { return 0; }
    ]] BLOCKFORGE_HAVE_LIBFUZZER)
    unset(CMAKE_REQUIRED_FLAGS)
    if(NOT BLOCKFORGE_HAVE_LIBFUZZER)
        message(WARNING "This compiler has no -fsanitize=fuzzer: fuzz targets are not built")
        set(BLOCKFORGE_FUZZ OFF)
    else()
        add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -g)
        add_link_options(-fsanitize=address,undefined)
    endif()
endif()
