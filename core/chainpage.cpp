#include "core/chainpage.h"

#include "core/canonicaljson.h"
#include "core/minerprotocol.h"

using namespace Qt::StringLiterals;
using Json = CanonicalJson::Json;

namespace ChainPage
{
QString path(std::int64_t start, int limit)
{
    return u"chain?start=%1&limit=%2"_s.arg(start).arg(limit);
}

QString wholePath()
{
    return u"chain"_s;
}

bool refusesQuery(int status)
{
    return status == 404 || status == 400 || status == 405;
}

Result<Page> parse(int status, const QByteArray &body, std::int64_t start)
{
    if (status != 200)
        return Error{u"HTTP %1: %2"_s.arg(status).arg(MinerProtocol::snippet(body))};
    const Result<Json> json = CanonicalJson::parse(body);
    if (!json)
        return Error{u"the answer is not JSON (%1): %2"_s.arg(json.errorMessage(),
                                                            MinerProtocol::snippet(body))};
    if (!json->is_object() || !json->contains("chain") || !(*json)["chain"].is_array())
        return Error{u"the answer has no \"chain\" list: %1"_s.arg(MinerProtocol::snippet(body))};
    const Json &chain = (*json)["chain"];
    Page page;
    page.paged = json->contains("start");
    if (json->contains("length")) {
        const Json &length = (*json)["length"];
        if (!length.is_number_integer() || length.get<std::int64_t>() < 0)
            return Error{u"the answer's \"length\" is not a count"_s};
        page.length = length.get<std::int64_t>();
    } else {
        page.length = static_cast<std::int64_t>(chain.size());
    }
    std::int64_t expected = page.paged ? start : 1;
    page.blocks.reserve(chain.size());
    for (const Json &value : chain) {
        Result<Block> block = Block::fromJson(value);
        if (!block)
            return Error{u"block %1 is not a block: %2"_s.arg(expected).arg(block.errorMessage())};
        if (block->index() != expected)
            return Error{u"block %1 is missing (block %2 came in its place)"_s.arg(expected)
                             .arg(block->index())};
        page.blocks.push_back(std::move(*block));
        ++expected;
    }
    if (!page.blocks.empty() && page.length < expected - 1)
        page.length = expected - 1;   // a length that undercounts what came
    return page;
}
}
