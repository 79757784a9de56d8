#include "core/httpresponsereader.h"

#include <algorithm>

#include <QList>

using namespace Qt::StringLiterals;

namespace
{
bool isDigits(QByteArrayView text)
{
    return !text.isEmpty()
        && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}
}

HttpResponseReader::HttpResponseReader(qint64 maxBodyBytes, bool headRequest)
    : m_maxBody{maxBodyBytes}
    , m_headRequest{headRequest}
{
}

HttpResponseReader::State HttpResponseReader::fail(const QString &error)
{
    m_state = State::Failed;
    m_error = error;
    m_buffer.clear();
    m_body.clear();
    return m_state;
}

qint64 HttpResponseReader::wants() const
{
    switch (m_state) {
    case State::Head:
        return MaxHeadBytes - m_headBytes + 1;
    case State::Body:
        if (m_framing == Framing::Length)
            return m_contentLength - m_body.size();
        return std::max<qint64>(1, m_maxBody - m_body.size() + 1 - m_buffer.size());
    case State::Done:
    case State::Failed:
        break;
    }
    return 0;
}

// Takes the next line (without CRLF or LF) off the buffer, searching only bytes not yet
// searched; false when no line end is in yet, or when the line would be over cap.
bool HttpResponseReader::takeLine(QByteArray *line, qsizetype cap, const char *what,
                                  qsizetype shownCap)
{
    const qsizetype end = m_buffer.indexOf('\n', m_scanned);
    if (end < 0 ? m_buffer.size() > cap : end > cap) {
        fail(u"the %1 is longer than %2 bytes"_s.arg(QLatin1StringView(what)).arg(shownCap));
        return false;
    }
    if (end < 0) {
        m_scanned = m_buffer.size();
        return false;
    }
    *line = m_buffer.left(end);
    if (line->endsWith('\r'))
        line->chop(1);
    m_buffer.remove(0, end + 1);
    m_scanned = 0;
    return true;
}

HttpResponseReader::State HttpResponseReader::append(QByteArrayView bytes)
{
    if (m_state == State::Done || m_state == State::Failed)
        return m_state;
    m_buffer.append(bytes);
    while (m_state == State::Head) {
        QByteArray line;
        const qsizetype before = m_buffer.size();
        if (!takeLine(&line, MaxHeadBytes - m_headBytes, "answer's head", MaxHeadBytes))
            return m_state;
        m_headBytes += before - m_buffer.size();
        if (readHeadLine(line) == State::Failed)
            return m_state;
    }
    if (m_state == State::Body)
        return readBody();
    return m_state;
}

HttpResponseReader::State HttpResponseReader::readHeadLine(const QByteArray &line)
{
    if (!m_statusSeen) {
        // HTTP/1.1 200 OK
        const QList<QByteArray> parts = line.split(' ');
        if (parts.size() < 2 || !parts[0].startsWith("HTTP/1.") || parts[1].size() != 3
            || !isDigits(parts[1]))
            return fail(u"the answer is not HTTP (it starts \"%1\")"_s.arg(
                QString::fromLatin1(line.left(40))));
        m_status = parts[1].toInt();
        m_statusSeen = true;
        return m_state;
    }
    if (!line.isEmpty()) {
        if (++m_headers > MaxHeaders)
            return fail(u"the answer has more than %1 header lines"_s.arg(MaxHeaders));
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return fail(u"the answer has a malformed header line"_s);
        const QByteArray sentName = line.left(colon).trimmed();
        const QByteArray name = sentName.toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        m_headerLines.append({sentName, value});
        if (name == "content-length") {
            if (!isDigits(value) || value.size() > 18
                || (m_contentLength >= 0 && m_contentLength != value.toLongLong()))
                return fail(u"the answer has a bad Content-Length"_s);
            m_contentLength = value.toLongLong();
        } else if (name == "transfer-encoding") {
            if (value.toLower() != "chunked")
                return fail(u"the answer's Transfer-Encoding \"%1\" is not supported"_s.arg(
                    QString::fromLatin1(value.left(40))));
            m_chunked = true;
        }
        return m_state;
    }
    // The empty line: the head is complete. An interim answer (100 Continue) is skipped.
    if (m_status >= 100 && m_status < 200) {
        m_statusSeen = false;
        m_headerLines.clear();
        m_contentLength = -1;
        m_chunked = false;
        return m_state;
    }
    return startBody();
}

HttpResponseReader::State HttpResponseReader::startBody()
{
    m_state = State::Body;
    if (m_headRequest || m_status == 204 || m_status == 304) {
        m_framing = Framing::None;
    } else if (m_chunked) {
        m_framing = Framing::Chunked;
    } else if (m_contentLength >= 0) {
        if (m_contentLength > m_maxBody)
            return fail(u"answer larger than %1 bytes"_s.arg(m_maxBody));
        m_framing = Framing::Length;
        m_body.reserve(m_contentLength);
    } else {
        m_framing = Framing::UntilClose;
    }
    if (m_framing == Framing::None || (m_framing == Framing::Length && m_contentLength == 0))
        m_state = State::Done;
    return m_state;
}

HttpResponseReader::State HttpResponseReader::addBody(QByteArrayView bytes)
{
    if (m_body.size() + bytes.size() > m_maxBody)
        return fail(u"answer larger than %1 bytes"_s.arg(m_maxBody));
    m_body.append(bytes);
    return m_state;
}

HttpResponseReader::State HttpResponseReader::readBody()
{
    switch (m_framing) {
    case Framing::None:
        m_state = State::Done;
        break;
    case Framing::UntilClose:
        addBody(m_buffer);
        m_buffer.clear();
        break;
    case Framing::Length: {
        const qint64 take = std::min<qint64>(m_buffer.size(), m_contentLength - m_body.size());
        m_body.append(QByteArrayView(m_buffer).first(take));
        m_buffer.clear();
        if (m_body.size() == m_contentLength)
            m_state = State::Done;
        break;
    }
    case Framing::Chunked:
        while (m_state == State::Body) {
            QByteArray line;
            if (m_chunk == ChunkState::Data) {
                const qint64 take = std::min<qint64>(m_buffer.size(), m_chunkLeft);
                if (take == 0)
                    break;
                if (addBody(QByteArrayView(m_buffer).first(take)) == State::Failed)
                    return m_state;
                m_buffer.remove(0, take);
                m_chunkLeft -= take;
                if (m_chunkLeft == 0)
                    m_chunk = ChunkState::DataEnd;
                continue;
            }
            if (!takeLine(&line, MaxChunkLineBytes, "chunk line", MaxChunkLineBytes))
                break;
            if (m_chunk == ChunkState::DataEnd) {
                if (!line.isEmpty())
                    return fail(u"the answer's chunks are malformed"_s);
                m_chunk = ChunkState::Size;
            } else if (m_chunk == ChunkState::Size) {
                const qsizetype extension = line.indexOf(';');
                const QByteArray size = (extension < 0 ? line : line.left(extension)).trimmed();
                bool ok = false;
                const qint64 length = size.size() <= 15 ? size.toLongLong(&ok, 16) : -1;
                if (!ok || length < 0)
                    return fail(u"the answer's chunks are malformed"_s);
                if (m_body.size() + length > m_maxBody)
                    return fail(u"answer larger than %1 bytes"_s.arg(m_maxBody));
                m_chunkLeft = length;
                m_chunk = length == 0 ? ChunkState::Trailer : ChunkState::Data;
            } else {   // trailer lines, up to an empty one
                if (line.isEmpty()) {
                    m_state = State::Done;
                } else if (++m_headers > MaxHeaders) {
                    return fail(u"the answer has more than %1 header lines"_s.arg(MaxHeaders));
                }
            }
        }
        break;
    }
    return m_state;
}

HttpResponseReader::State HttpResponseReader::finish()
{
    switch (m_state) {
    case State::Head:
        return fail(m_statusSeen || !m_buffer.isEmpty()
                        ? u"the connection closed in the middle of the answer's head"_s
                        : u"the connection closed without an answer"_s);
    case State::Body:
        if (m_framing == Framing::UntilClose) {
            m_state = State::Done;
            return m_state;
        }
        if (m_framing == Framing::Length)
            return fail(u"answer cut short: %1 of %2 bytes"_s.arg(m_body.size())
                            .arg(m_contentLength));
        return fail(u"answer cut short: the connection closed before its last chunk"_s);
    case State::Done:
    case State::Failed:
        break;
    }
    return m_state;
}
