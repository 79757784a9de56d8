#pragma once

#include <optional>

#include <QString>
#include <QUrl>

#include "core/result.h"

struct Options;

// The miner options the terminal and the window share (--url, --threads, --id-file,
// --engine), each checked as the settings and the window check it (core/validate.h);
// unset ones are empty.
struct MinerOptions
{
    // --url, as often as given, each one node or several separated by commas: the nodes
    // in order of preference (failover), checked, joined by ", ".
    std::optional<QString> nodes;
    std::optional<int> threads;
    std::optional<QString> idFile;
    std::optional<QString> engine;   // an available engine's name, or "auto"

    // The error names the option: "--threads: '0' is not a number from 1 to 1024".
    static Result<MinerOptions> read(const Options &options);
};
