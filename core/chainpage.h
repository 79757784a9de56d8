#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <QByteArray>
#include <QString>

#include "core/block.h"
#include "core/result.h"

// What a GET /chain answer holds, for readers of a node's chain (the coin balance and
// the chain explorer). Our server pages (`/chain?start=S&limit=L` gives blocks S to
// S+L-1, the whole chain's "length", and "start"); a classic server ignores the query
// and sends the whole chain. Pure functions, tested without sockets.
namespace ChainPage
{
constexpr int MaxLimit = 1000;   // the server's cap on a page

struct Page
{
    std::vector<Block> blocks;     // consecutive indexes
    std::int64_t length = 0;       // of the whole chain
    bool paged = false;            // the server honoured start and limit
    std::int64_t firstIndex() const { return blocks.empty() ? 0 : blocks.front().index(); }
};

// "chain?start=S&limit=L", relative to a node's base URL; "chain" for a server that
// refuses the query (some classic servers match the path with its query: 404).
QString path(std::int64_t start, int limit);
QString wholePath();
// Whether an answer to path() says to ask wholePath() instead (404, 400, 405).
bool refusesQuery(int status);

// The answer to path(start, limit): the blocks, checked for shape and for consecutive
// indexes from `start` (paged) or from 1 (a whole chain); or what is wrong with it
// ("HTTP 404: ...", "the answer is not JSON: ...", "block 7 is missing").
Result<Page> parse(int status, const QByteArray &body, std::int64_t start);
}
