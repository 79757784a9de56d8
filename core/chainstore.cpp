#include "core/chainstore.h"

#include "core/postgreschainstore.h"
#include "core/sqlitechainstore.h"

using namespace Qt::StringLiterals;

bool ChainStore::isDatabaseUrl(const QString &location)
{
    return location.startsWith(u"postgresql://"_s, Qt::CaseInsensitive)
        || location.startsWith(u"postgres://"_s, Qt::CaseInsensitive);
}

std::unique_ptr<ChainStore> ChainStore::create(const QString &location)
{
    if (isDatabaseUrl(location))
        return std::make_unique<PostgresChainStore>(location);
    return std::make_unique<SqliteChainStore>(location);
}
