#pragma once

#include "core/engines/searchengine.h"

// The portable engine: OpenSSL's SHA-256 compression (which uses SHA-NI itself where
// the CPU has it) over the midstate, digits incremented in place. Builds everywhere.
class OpenSslEngine final : public SearchEngine
{
public:
    QString name() const override;
    SearchResult search(const Sha256::Midstate &midstate, int difficulty,
                        std::uint64_t first, std::uint64_t count) const override;
};
