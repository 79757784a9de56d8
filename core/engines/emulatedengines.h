#pragma once

#include <vector>

class SearchEngine;

// The SIMD engines' kernel sources built from portable C++, so that tests verify them
// on any CPU, also one that cannot run the engine itself: "avx512-emulated",
// "avx2-emulated", "shani-x3-emulated", "shani-x4-emulated" and "shani-avx512-emulated"
// run the kernel of the engine of that name (lanekernel.h, shanikernel.h,
// hybridkernel.h) through the same driver, with the
// vector operations done word by word and sha256rnds2/msg1/msg2 as Intel's manual
// defines them. Only the few lines that map each operation to its intrinsic are left
// to the real engine's tests. Slow (a few M attempts/s); never offered for mining.
namespace EmulatedEngines
{
std::vector<const SearchEngine *> all();
}
