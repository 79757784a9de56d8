#pragma once

#include <QString>
#include <QUrl>

#include "core/result.h"

// The checks of what a user types for the miner, shared by the command line, the
// settings file and the window, so that all three accept and refuse the same values
// with the same words.
namespace Validate
{
constexpr int MaxThreads = 1024;

// A chain server's address: http or https, a host, and a port from 1 to 65535 when
// one is given. "127.0.0.1:5000" means http://127.0.0.1:5000. The error names the text
// and what is wrong with it.
Result<QUrl> nodeUrl(const QString &text);

// A proof-search thread count: a whole number from 1 to MaxThreads.
Result<int> threadCount(const QString &text);
}
