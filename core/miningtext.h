#pragma once

#include <cstdint>
#include <optional>

#include <QString>

#include "core/miningsnapshot.h"

// How the figures of a MiningSnapshot read, the same in the window and the terminal.
namespace MiningText
{
QString hashRate(double attemptsPerSecond);                 // "129.55 MH/s", "0 H/s"
QString hashRate(const std::optional<double> &attemptsPerSecond);   // "n/a" when unknown
// "10 s: 129.55 MH/s, 60 s: 128.90 MH/s, 15 min: 128.75 MH/s"
QString averages(const MiningSnapshot &snapshot);
QString duration(std::int64_t ms);                          // "3.9 s", "1 min 9 s", "2 h 5 min"
QString seconds(int ms);                                    // "1 s", "0.02 s": a delay
QString clock(std::int64_t ms);                             // "00:09", "1:02:03"
QString threads(int count);                                 // "1 thread", "2 threads"
// What the miner is doing, in a few words: "searching", "searching (server
// unreachable: retrying)", "waiting to retry: HTTP 500: ...".
QString activity(const MiningSnapshot &snapshot);
// How new blocks reach the miner: "push (long poll)", "polling every 1 s", or "-" while
// not known.
QString updates(const MiningSnapshot &snapshot);
// "Blocks: 3 accepted, 0 stale, 1 rejected. Coins: 3. Average 1.20 MH/s over 12.0 s."
QString summary(const MiningSnapshot &snapshot);
}
