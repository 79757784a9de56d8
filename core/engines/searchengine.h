#pragma once

#include <cstdint>
#include <optional>

#include <QString>

#include "core/sha256.h"

// What one engine call found: the smallest valid proof in its range, if any, and
// how many proofs it tried (up to and including that proof).
struct SearchResult
{
    std::optional<std::uint64_t> proof;
    std::uint64_t attempts = 0;
};

// A proof-search engine: a pure function of (midstate, difficulty, range), safe to
// call from several threads at once. Engines differ only in speed.
class SearchEngine
{
public:
    SearchEngine() = default;
    SearchEngine(const SearchEngine &) = delete;
    SearchEngine &operator=(const SearchEngine &) = delete;
    virtual ~SearchEngine() = default;

    virtual QString name() const = 0;

    // Searches [first, first + count), clamped to proofs below 2^63.
    virtual SearchResult search(const Sha256::Midstate &midstate, int difficulty,
                                std::uint64_t first, std::uint64_t count) const = 0;
};
