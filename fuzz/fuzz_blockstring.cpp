// libFuzzer target: wire JSON -> block -> block_string.
// Properties: never crashes; a parsed value writes a canonical form that parses back
// to the same value and writes the same bytes again (the block string is a fixed point).
#include <cstdint>
#include <cstdlib>

#include <QByteArray>

#include "core/block.h"
#include "core/canonicaljson.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray input(reinterpret_cast<const char *>(data), static_cast<qsizetype>(size));
    const auto json = CanonicalJson::parse(input);
    if (!json) {
        if (json.errorMessage().isEmpty())
            std::abort();   // every rejection names its reason
        return 0;
    }
    const QByteArray canonical = CanonicalJson::dump(*json);
    const auto again = CanonicalJson::parse(canonical);
    if (!again || CanonicalJson::dump(*again) != canonical)
        std::abort();
    if (const auto block = Block::fromJson(*json)) {
        if (block->blockString() != canonical || block->hash().size() != 64)
            std::abort();
        (void)block->index();
        (void)block->proof();
        (void)block->previousHash();
    }
    return 0;
}
