#pragma once

#include <QList>
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
// one is given ("127.0.0.1:" with an empty port is refused). "127.0.0.1:5000" means
// http://127.0.0.1:5000. The error names the text and what is wrong with it, with any
// credentials in it masked and control characters escaped.
Result<QUrl> nodeUrl(const QString &text);

// Several nodes, in order of preference, separated by commas or white space, each
// checked as nodeUrl() does; the error names the one that is wrong.
Result<QList<QUrl>> nodeUrls(const QString &text);

// A URL as it may be shown (banner, log, window, errors): credentials masked
// ("http://***@node:5000"), everything else as given.
QString displayUrl(const QUrl &url);
// The same for a text that may not even parse as a URL: user:password@ becomes ***@.
QString displayUrlText(const QString &text);

// A proof-search thread count: a whole number from 1 to MaxThreads.
Result<int> threadCount(const QString &text);
}
