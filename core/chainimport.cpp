#include "core/chainimport.h"

#include <QFileInfo>

#include "core/chainstore.h"
#include "core/logging.h"

using namespace Qt::StringLiterals;

namespace ChainImport
{
Result<void> run(const QString &source, const QString &target, Counts *counts)
{
    if (!ChainStore::isDatabaseUrl(source) && !QFileInfo(source).isFile())
        return Error{u"Cannot import \"%1\": no such file"_s.arg(source)};
    const std::unique_ptr<ChainStore> from = ChainStore::create(source);
    const std::unique_ptr<ChainStore> to = ChainStore::create(target);
    if (from->displayName() == to->displayName())
        return Error{u"Cannot import \"%1\" into itself"_s.arg(from->displayName())};
    if (const Result<void> opened = from->open(); !opened)
        return opened;
    // The difficulty only matters for a new chain, and a source without blocks is refused.
    const Result<Chain> chain = from->load(Pow::DefaultDifficulty);
    from->close();
    if (!chain)
        return chain.error();
    if (const Result<void> opened = to->open(); !opened)
        return opened;
    const QString what = u"Cannot import into \"%1\": "_s.arg(to->displayName());
    if (const Result<void> imported = to->importChain(*chain); !imported)
        return Error{what + imported.errorMessage()};
    // Read it back the way a server will: verified, then compared block by block.
    to->close();
    if (const Result<void> reopened = to->open(); !reopened)
        return Error{what + reopened.errorMessage()};
    const Result<Chain> copy = to->load(Pow::DefaultDifficulty);
    if (!copy)
        return Error{what + u"the copy does not verify: "_s + copy.errorMessage()};
    if (copy->length() != chain->length())
        return Error{what + u"the copy holds %1 blocks, not %2"_s.arg(copy->length())
                                .arg(chain->length())};
    for (qsizetype i = 0; i < chain->length(); ++i) {
        const auto at = static_cast<std::size_t>(i);
        if (copy->blocks()[at].blockString() != chain->blocks()[at].blockString()
            || copy->difficulties()[at] != chain->difficulties()[at])
            return Error{what + u"block %1 differs in the copy"_s.arg(i + 1)};
    }
    if (CanonicalJson::dump(copy->pendingTransactions())
        != CanonicalJson::dump(chain->pendingTransactions()))
        return Error{what + u"the pending transactions differ in the copy"_s};
    counts->blocks = chain->length();
    counts->pending = static_cast<qint64>(chain->pendingTransactions().size());
    return {};
}
}
