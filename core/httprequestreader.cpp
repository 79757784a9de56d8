#include "core/httprequestreader.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr qsizetype CompactAfter = 64 * 1024;   // framed bytes kept before moving the rest
}

HttpRequestReader::HttpRequestReader(const HttpHead::Limits &limits)
    : m_limits{limits}
{
}

void HttpRequestReader::append(QByteArrayView bytes)
{
    if (m_state == State::Done || m_finished)
        return;
    if (m_at >= CompactAfter) {
        m_buffer.remove(0, m_at);
        m_dropped += m_at;
        m_at = 0;
    }
    m_buffer.append(bytes);
}

void HttpRequestReader::finish()
{
    m_finished = true;
}

void HttpRequestReader::dropEmptyLines()
{
    if (m_progress.judged == 0)   // only before the request line
        m_at += HttpHead::emptyLinesAt(QByteArrayView(m_buffer).sliced(m_at));
}

HttpRequestReader::Event HttpRequestReader::next()
{
    if (m_state == State::Head) {
        dropEmptyLines();
        if (m_at == m_buffer.size()) {
            if (m_finished)
                m_state = State::Done;
            return Event::None;
        }
        // Each line is judged once, as soon as it is complete.
        HttpHead::Result result = HttpHead::resume(QByteArrayView(m_buffer).sliced(m_at), m_limits,
                                                   &m_progress);
        switch (result.kind) {
        case HttpHead::Result::Kind::Incomplete:
            if (m_finished)
                m_state = State::Done;   // a request cut short: nobody is left to answer
            return Event::None;
        case HttpHead::Result::Kind::Rejected:
            m_state = State::Done;
            m_rejection = std::move(result.rejection);
            return Event::Rejected;
        case HttpHead::Result::Kind::Complete:
            m_request.head = std::move(result.head);
            m_request.body.clear();
            m_progress = HttpHead::Progress();
            m_at += result.size;
            m_state = State::Body;
            m_continued = false;
            break;
        }
    }
    if (m_state == State::Body) {
        const qint64 length = m_request.head.contentLength;
        if (m_buffer.size() - m_at >= length) {
            m_request.body = m_buffer.mid(m_at, length);
            m_at += length;
            m_state = m_request.head.keepAlive ? State::Head : State::Done;
            return Event::Request;
        }
        if (m_finished) {
            m_state = State::Done;
            return Event::None;
        }
        if (m_request.head.expectContinue && !m_continued) {
            m_continued = true;
            return Event::Continue;
        }
    }
    return Event::None;
}

bool HttpRequestReader::isMidRequest() const
{
    return m_state == State::Body || (m_state == State::Head && m_at < m_buffer.size());
}

std::optional<HttpHead::Rejection> HttpRequestReader::expire(int timeoutMs)
{
    if (!isMidRequest())
        return std::nullopt;
    const bool inHead = m_state == State::Head;
    m_state = State::Done;
    if (inHead) {
        HttpHead::Result result = HttpHead::resume(QByteArrayView(m_buffer).sliced(m_at),
                                                   m_limits, &m_progress);
        if (result.kind == HttpHead::Result::Kind::Rejected)
            return std::move(result.rejection);
    }
    HttpHead::Rejection rejection;
    rejection.status = 408;
    rejection.message = u"Request not completed within %1 ms"_s.arg(timeoutMs);
    if (!inHead) {
        rejection.method = m_request.head.method;
        rejection.target = m_request.head.target;
    }
    return rejection;
}
