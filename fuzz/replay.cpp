// Replays inputs through a libFuzzer target's entry point without libFuzzer, so the
// normal build checks every seed and past finding on each test run.
//   <target>_replay DIR...
// Every DIR must exist and hold at least one input (files not starting with '.'):
// a replay that finds nothing to run fails rather than pass having checked nothing.
// A crash or a failed check in the target aborts the run; the input is named first.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

namespace
{
std::vector<std::filesystem::path> inputsIn(const std::filesystem::path &dir)
{
    std::vector<std::filesystem::path> inputs;
    std::error_code error;
    for (const auto &entry : std::filesystem::directory_iterator(dir, error)) {
        if (entry.is_regular_file() && !entry.path().filename().string().starts_with('.'))
            inputs.push_back(entry.path());
    }
    if (error)
        std::fprintf(stderr, "cannot read %s: %s\n", dir.c_str(), error.message().c_str());
    std::sort(inputs.begin(), inputs.end());
    return inputs;
}
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s DIR...\n", argv[0]);
        return 2;
    }
    const std::vector<std::string> dirNames(argv + 1, argv + argc);
    std::vector<std::vector<std::filesystem::path>> dirs;
    for (const std::string &name : dirNames) {
        dirs.push_back(inputsIn(name));
        if (dirs.back().empty()) {
            std::fprintf(stderr, "no inputs in %s: nothing would be checked\n", name.c_str());
            return 1;
        }
    }
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (std::size_t d = 0; d < dirs.size(); ++d) {
        for (const std::filesystem::path &path : dirs[d]) {
            std::printf("%s\n", path.c_str());
            std::fflush(stdout);
            std::ifstream file(path, std::ios::binary);
            const std::vector<char> bytes{std::istreambuf_iterator<char>(file),
                                          std::istreambuf_iterator<char>()};
            if (!file.good() && !file.eof()) {
                std::fprintf(stderr, "cannot read %s\n", path.c_str());
                return 1;
            }
            // A copy of exactly the input's size, so a sanitizer sees any read past it.
            const std::vector<std::uint8_t> input(bytes.begin(), bytes.end());
            LLVMFuzzerTestOneInput(input.data(), input.size());
        }
        std::printf("%zu inputs replayed from %s\n", dirs[d].size(), dirNames[d].c_str());
    }
    return 0;
}
