#include "core/httphead.h"

#include <algorithm>
#include <optional>

using namespace Qt::StringLiterals;

namespace
{
using HttpHead::Head;
using HttpHead::Rejection;
using HttpHead::Result;

constexpr qsizetype MaxLengthDigits = 18;   // any Content-Length we accept is far shorter

bool isTokenChar(char c)
{
    const auto u = static_cast<unsigned char>(c);
    return u > 32 && u < 127 && !QByteArrayView("()<>@,;:\\\"/[]?={}").contains(c);
}

bool isToken(QByteArrayView text)
{
    return !text.isEmpty() && std::all_of(text.begin(), text.end(), isTokenChar);
}

// A field value's characters: visible ASCII, obs-text, spaces and tabs (RFC 9110, 5.5).
bool isFieldValue(QByteArrayView text)
{
    return std::all_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u == '\t' || (u >= 32 && u != 127);
    });
}

QByteArrayView trimmed(QByteArrayView text)
{
    while (!text.isEmpty() && (text.front() == ' ' || text.front() == '\t'))
        text = text.sliced(1);
    while (!text.isEmpty() && (text.back() == ' ' || text.back() == '\t'))
        text.chop(1);
    return text;
}

bool listsToken(QByteArrayView list, QByteArrayView token)
{
    while (!list.isEmpty()) {
        const qsizetype comma = list.indexOf(',');
        const QByteArrayView item = trimmed(comma < 0 ? list : list.first(comma));
        if (item.compare(token, Qt::CaseInsensitive) == 0)
            return true;
        list = comma < 0 ? QByteArrayView() : list.sliced(comma + 1);
    }
    return false;
}

Rejection refuse(int status, const QString &message, const QByteArray &extraHeaders = {})
{
    Rejection rejection;
    rejection.status = status;
    rejection.message = message;
    rejection.extraHeaders = extraHeaders;
    return rejection;
}

Rejection malformedRequestLine()
{
    return refuse(400, u"Malformed request line"_s);
}

// What any request line starting with `line` (without its line ending; when partial, a
// CR at its very end may be the start of one) is refused for, if anything: characters
// other than visible ASCII and single spaces, more than two spaces, a method that is not
// a token, a target that cannot start an origin, asterisk or absolute form. Each holds for
// every continuation.
std::optional<Rejection> judgeRequestLineStart(QByteArrayView line, bool partial)
{
    int spaces = 0;
    for (qsizetype i = 0; i < line.size(); ++i) {
        const auto c = static_cast<unsigned char>(line[i]);
        if (partial && c == '\r' && i + 1 == line.size())
            break;
        if (c == ' ') {
            if (i == 0 || line[i - 1] == ' ' || ++spaces > 2)
                return malformedRequestLine();
            continue;
        }
        if (c < 33 || c > 126 || (spaces == 0 && !isTokenChar(line[i])))
            return malformedRequestLine();
        if (spaces == 1 && line[i - 1] == ' ' && c != '/' && c != '*' && c != 'h')
            return malformedRequestLine();
    }
    return std::nullopt;
}

bool isTarget(QByteArrayView target)
{
    return target.startsWith('/') || target == "*" || target.startsWith("http://")
        || target.startsWith("https://");
}

// A complete request line (without its line ending) into head.
std::optional<Rejection> judgeRequestLine(QByteArrayView line, Head *head)
{
    if (std::optional<Rejection> rejection = judgeRequestLineStart(line, false))
        return rejection;
    const qsizetype first = line.indexOf(' ');
    const qsizetype second = first < 0 ? -1 : line.indexOf(' ', first + 1);
    if (second < 0 || second + 1 == line.size())
        return malformedRequestLine();
    const QByteArrayView method = line.first(first);
    const QByteArrayView target = line.sliced(first + 1, second - first - 1);
    const QByteArrayView version = line.sliced(second + 1);
    if (!isTarget(target))
        return malformedRequestLine();
    head->method = method.toByteArray();
    head->target = target.toByteArray();
    if (version != "HTTP/1.1" && version != "HTTP/1.0")
        return refuse(400, u"Unsupported HTTP version \"%1\""_s
                                  .arg(QString::fromLatin1(version)));
    head->minorVersion = version.back() - '0';
    const QString name = QString::fromLatin1(method);
    if (method == "CONNECT" || method == "TRACE")
        return refuse(405, u"Method %1 is not allowed"_s.arg(name),
                      "Allow: GET, HEAD, POST\r\n"_ba);
    if (method != "GET" && method != "HEAD" && method != "POST" && method != "PUT"
        && method != "DELETE" && method != "OPTIONS" && method != "PATCH")
        return refuse(501, u"Method %1 is not implemented"_s.arg(name));
    return std::nullopt;
}

// A complete header line (without its line ending), the number-th line of the head.
std::optional<Rejection> judgeField(QByteArrayView line, int number, const HttpHead::Limits &limits,
                                    HttpHead::Progress *fields)
{
    Head *head = &fields->head;
    const qsizetype colon = line.indexOf(':');
    if (colon <= 0 || !isToken(line.first(colon)))   // also folding and space before ':'
        return refuse(400, u"Malformed header line %1"_s.arg(number));
    const QByteArrayView value = trimmed(line.sliced(colon + 1));
    if (!isFieldValue(value))
        return refuse(400, u"Malformed value in header line %1"_s.arg(number));
    const QByteArrayView name = line.first(colon);
    if (name.compare("Content-Length", Qt::CaseInsensitive) == 0) {
        const bool digits = !value.isEmpty() && value.size() <= MaxLengthDigits
            && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
        const qint64 length = digits ? value.toLongLong() : -1;
        if (!digits || (fields->hasLength && length != head->contentLength))
            return refuse(400, u"Invalid Content-Length"_s);
        if (length > limits.maxBodyBytes)
            return refuse(413, u"Request body of %1 bytes is over the %2-byte limit"_s
                                      .arg(length).arg(limits.maxBodyBytes));
        fields->hasLength = true;
        head->contentLength = length;
    } else if (name.compare("Transfer-Encoding", Qt::CaseInsensitive) == 0) {
        return refuse(411, u"Chunked request bodies are not supported: send a Content-Length"_s);
    } else if (name.compare("Expect", Qt::CaseInsensitive) == 0) {
        if (value.compare("100-continue", Qt::CaseInsensitive) != 0)
            return refuse(417, u"Unsupported expectation \"%1\""_s
                                      .arg(QString::fromLatin1(value)));
        head->expectContinue = true;
    } else if (name.compare("Connection", Qt::CaseInsensitive) == 0) {
        fields->close = fields->close || listsToken(value, "close");
        fields->keepAlive = fields->keepAlive || listsToken(value, "keep-alive");
    }
    return std::nullopt;
}
}

namespace HttpHead
{
QByteArray Head::path() const
{
    QByteArrayView path = target;
    if (path.startsWith("http")) {   // absolute form: drop the scheme and authority
        const qsizetype slash = path.indexOf('/', path.indexOf("//") + 2);
        path = slash < 0 ? QByteArrayView("/") : path.sliced(slash);
    }
    const qsizetype question = path.indexOf('?');
    return (question < 0 ? path : path.first(question)).toByteArray();
}

QByteArray Head::query() const
{
    const qsizetype question = target.indexOf('?');
    return question < 0 ? QByteArray() : target.sliced(question + 1);
}

qsizetype emptyLinesAt(QByteArrayView bytes)
{
    qsizetype at = 0;
    while (at < bytes.size()) {
        if (bytes[at] == '\n')
            at += 1;
        else if (bytes[at] == '\r' && at + 1 < bytes.size() && bytes[at + 1] == '\n')
            at += 2;
        else
            break;
    }
    return at;
}

Result parse(QByteArrayView bytes, const Limits &limits)
{
    Progress progress;
    return resume(bytes, limits, &progress);
}

Result resume(QByteArrayView bytes, const Limits &limits, Progress *progress)
{
    Result result;
    const auto reject = [&result, progress](Rejection rejection) {
        result.kind = Result::Kind::Rejected;
        result.rejection = std::move(rejection);
        result.rejection.method = progress->head.method;
        result.rejection.target = progress->head.target;
        return result;
    };
    const qsizetype start = emptyLinesAt(bytes);
    // Only the first maxHeadBytes bytes are ever looked at, so that the verdict on a head
    // over the limit does not depend on how much of it has arrived.
    const QByteArrayView window = bytes.sliced(start).first(
        std::min(bytes.size() - start, limits.maxHeadBytes));
    for (;;) {
        const qsizetype at = progress->judged;
        const int number = progress->lines + 1;   // the request line is line 1
        const qsizetype end = window.indexOf('\n', at);
        if (end < 0) {
            if (number == 1) {
                const QByteArrayView partial = window.sliced(at);
                if (std::optional<Rejection> rejection = judgeRequestLineStart(partial, true))
                    return reject(std::move(*rejection));
            }
            if (bytes.size() - start >= limits.maxHeadBytes)
                return reject(refuse(431, u"Request head is over the %1-byte limit"_s
                                              .arg(limits.maxHeadBytes)));
            return result;   // Incomplete
        }
        QByteArrayView line = window.sliced(at, end - at);
        if (line.endsWith('\r'))
            line.chop(1);
        progress->judged = end + 1;
        progress->lines = number;
        std::optional<Rejection> rejection;
        if (number == 1) {
            rejection = judgeRequestLine(line, &progress->head);
        } else if (line.isEmpty()) {
            Head &head = progress->head;
            head.keepAlive = !progress->close && (head.minorVersion == 1 || progress->keepAlive);
            result.kind = Result::Kind::Complete;
            result.size = start + progress->judged;
            result.head = head;
            return result;
        } else {
            rejection = judgeField(line, number, limits, progress);
        }
        if (rejection)
            return reject(std::move(*rejection));
    }
}
}
