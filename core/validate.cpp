#include "core/validate.h"

#include <QRegularExpression>
#include <QStringList>

#include "core/printable.h"

using namespace Qt::StringLiterals;

namespace
{
// Where the authority of a URL text is: after "scheme://" (or from the start) up to the
// first '/', '?' or '#'.
std::pair<qsizetype, qsizetype> authoritySpan(const QString &text)
{
    const qsizetype scheme = text.indexOf(u"://"_s);
    const qsizetype begin = scheme < 0 ? 0 : scheme + 3;
    qsizetype end = begin;
    while (end < text.size() && text[end] != u'/' && text[end] != u'?' && text[end] != u'#')
        ++end;
    return {begin, end};
}
}

namespace Validate
{
QString displayUrlText(const QString &text)
{
    const auto [begin, end] = authoritySpan(text);
    const qsizetype at = text.lastIndexOf(u'@', end - 1);
    if (at < begin)
        return text;
    return text.left(begin) + u"***"_s + text.mid(at);
}

QString displayUrl(const QUrl &url)
{
    if (url.userInfo().isEmpty())
        return url.toString();
    return displayUrlText(url.toString());
}

Result<QUrl> nodeUrl(const QString &text)
{
    const QString trimmed = text.trimmed();
    auto refuse = [&text](const QString &why) {
        return Error{u"'%1' is not an http:// or https:// URL%2"_s.arg(
            Printable::escaped(displayUrlText(text)), why)};
    };
    if (trimmed.isEmpty())
        return Error{u"no URL given (for example http://127.0.0.1:5000)"_s};
    const QUrl url(trimmed.contains(u"://"_s) ? trimmed : u"http://"_s + trimmed,
                   QUrl::StrictMode);
    if (url.scheme() != u"http"_s && url.scheme() != u"https"_s)
        return refuse({});
    if (!url.isValid())
        return refuse(u" (%1)"_s.arg(url.errorString().section(u';', 0, 0)));
    if (url.host().isEmpty())
        return refuse(u" (no host)"_s);
    if (url.port() == 0)
        return refuse(u" (the port must be 1 to 65535)"_s);
    const auto [begin, end] = authoritySpan(trimmed);
    if (end > begin && trimmed[end - 1] == u':')
        return refuse(u" (the port is empty: give one from 1 to 65535, or no colon)"_s);
    return url;
}

Result<QList<QUrl>> nodeUrls(const QString &text)
{
    static const QRegularExpression separators(u"[,\\s]+"_s);
    const QStringList parts = text.split(separators, Qt::SkipEmptyParts);
    if (parts.isEmpty())
        return nodeUrl(QString()).error();
    QList<QUrl> urls;
    for (const QString &part : parts) {
        const Result<QUrl> url = nodeUrl(part);
        if (!url)
            return url.error();
        urls << *url;
    }
    return urls;
}

Result<int> threadCount(const QString &text)
{
    bool ok = false;
    const int threads = text.trimmed().toInt(&ok);
    if (!ok || threads < 1 || threads > MaxThreads)
        return Error{u"'%1' is not a number from 1 to %2"_s.arg(text).arg(MaxThreads)};
    return threads;
}
}
