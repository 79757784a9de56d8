#include "core/httpconnection.h"

#include <algorithm>
#include <cerrno>

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <QSocketNotifier>

#include "core/httpdeferred.h"
#include "core/httplistener.h"
#include "core/logging.h"
#include "core/printable.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr qint64 LingerMs = 2000;        // how long a closing client may go on sending
constexpr qint64 PieceBytes = 64 * 1024; // produced from a source at a time
constexpr std::size_t MaxQueuedAnswers = 64;   // pipelined answers waiting to be written
constexpr int MaxWriteParts = 16;        // answers gathered into one sendmsg()
constexpr qsizetype ReadChunk = 64 * 1024;
constexpr int ReadsPerWakeUp = 4;        // then other connections get their turn
}

HttpConnection::HttpConnection(int descriptor, HttpListener *listener)
    : QObject{listener}
    , m_listener{listener}
    , m_descriptor{descriptor}
    , m_readNotifier{new QSocketNotifier(descriptor, QSocketNotifier::Read, this)}
    , m_writeNotifier{new QSocketNotifier(descriptor, QSocketNotifier::Write, this)}
    , m_reader{listener->limits().head}
    , m_lastActivity{listener->now()}
    , m_lastProgress{m_lastActivity}
{
    m_writeNotifier->setEnabled(false);
    connect(m_readNotifier, &QSocketNotifier::activated, this, &HttpConnection::readable);
    connect(m_writeNotifier, &QSocketNotifier::activated, this, &HttpConnection::flush);
}

HttpConnection::~HttpConnection()
{
    close();
}

bool HttpConnection::isIdle() const
{
    return m_state == State::Open && m_output.empty() && !m_reader.isMidRequest();
}

bool HttpConnection::isWaiting() const
{
    // Nothing after a later answer is handled, so it is always the last.
    return !m_output.empty() && m_output.back().deferred != nullptr;
}

bool HttpConnection::hasDeadlines() const
{
    return m_descriptor >= 0 && !(isWaiting() && m_output.size() == 1);
}

bool HttpConnection::hasUnreadInput() const
{
    int bytes = 0;
    return m_descriptor >= 0 && ::ioctl(m_descriptor, FIONREAD, &bytes) == 0 && bytes > 0;
}

QHostAddress HttpConnection::peerAddress() const
{
    sockaddr_storage address = {};
    socklen_t size = sizeof address;
    auto *generic = reinterpret_cast<sockaddr *>(&address);
    if (m_descriptor < 0 || ::getpeername(m_descriptor, generic, &size) != 0)
        return QHostAddress();
    return QHostAddress(reinterpret_cast<const sockaddr *>(&address));
}

void HttpConnection::readable()
{
    if (isWaiting()) {
        watchWhileWaiting();
        return;
    }
    char chunk[ReadChunk];
    for (int i = 0; i < ReadsPerWakeUp && m_descriptor >= 0; ++i) {
        const ssize_t got = ::recv(m_descriptor, chunk, sizeof chunk, 0);
        if (got > 0) {
            if (m_state == State::Open)
                m_reader.append(QByteArrayView(chunk, got));
            continue;   // a closing connection drops what the client still sends
        }
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (got < 0 || m_state == State::Lingering) {   // reset, or the drain is over
            close();
            return;
        }
        // The client sent its last byte. What it asked for is still answered.
        m_peerEnded = true;
        m_reader.finish();
        break;
    }
    process();
}

// While an answer is awaited, bytes from the client are looked at, not taken: a request
// pipelined after it waits in the kernel (reading stops), and the end of the stream
// gets the awaited answer at once (then it is read as usual).
void HttpConnection::watchWhileWaiting()
{
    char byte = 0;
    const ssize_t got = ::recv(m_descriptor, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (got < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
        return;
    if (got < 0) {   // reset
        close();
        return;
    }
    m_inputWhileWaiting = true;
    updateReadNotifier();
    if (got == 0)
        m_output.back().deferred->resolveNow();
}

void HttpConnection::deliver(const HttpDeferred *deferred, const HttpAnswer &answer)
{
    if (m_descriptor < 0)
        return;
    const auto waiting = std::find_if(m_output.begin(), m_output.end(),
                                      [deferred](const Output &o) {
                                          return o.deferred.get() == deferred;
                                      });
    if (waiting == m_output.end())
        return;
    Output &output = *waiting;
    output.deferred.reset();
    output.bytes = answer.head(output.connection);
    output.written = 0;
    if (!output.headOnly && answer.source) {
        output.source = answer.source;
        output.sourceSize = answer.sourceSize;
    } else if (!output.headOnly) {
        output.bytes += answer.body;
    }
    m_inputWhileWaiting = false;
    const qint64 now = m_listener->now();
    m_lastActivity = now;
    if (waiting == m_output.begin())
        m_lastProgress = now;   // the wait for the client to read starts now
    addQueued(output.bytes.size());
    if (m_state != State::Open)
        countFinishing();
    m_listener->wakeTimers();
    // Delivered from inside another request's handler (a POST /mine forging a block):
    // requests pipelined after the wait are handled from the event loop, never nested.
    const bool processing = m_processing;
    m_processing = true;
    flush();
    if (m_descriptor < 0)
        return;
    m_processing = processing;
    if (!processing && m_reader.buffered() > 0)
        QMetaObject::invokeMethod(this, [this] { process(); }, Qt::QueuedConnection);
}

void HttpConnection::process()
{
    if (m_processing || m_descriptor < 0)
        return;
    m_processing = true;
    for (;;) {
        HttpRequestReader::Event event = HttpRequestReader::Event::None;
        while (m_state == State::Open && !isPaused() && m_descriptor >= 0) {
            event = m_reader.next();
            if (event == HttpRequestReader::Event::None)
                break;
            if (event == HttpRequestReader::Event::Continue)
                queue("HTTP/1.1 100 Continue\r\n\r\n"_ba);
            else if (event == HttpRequestReader::Event::Request)
                answer(m_reader.request());
            else
                reject(m_reader.rejection());
        }
        if (m_descriptor < 0)
            break;
        if (m_state == State::Open && m_reader.isDone())
            finish();   // the stream ended or asked to close
        if (!m_reader.isMidRequest() || isPaused())   // a paused request waits for us
            m_requestSince = -1;
        else if (m_requestSince < 0)
            m_requestSince = m_listener->now();
        const bool waiting = event != HttpRequestReader::Event::None;   // stopped while paused
        flush();
        // Go on only with requests that waited for answers to be read, if they now were.
        if (!waiting || m_descriptor < 0 || m_state != State::Open || isPaused())
            break;
    }
    m_processing = false;
}

void HttpConnection::answer(const HttpRequest &request)
{
    const HttpAnswer reply = m_listener->handle(request);
    if (m_descriptor < 0)
        return;   // the handler closed the server
    m_lastActivity = m_listener->now();
    const bool closing = !request.head.keepAlive;
    const HttpAnswer::Connection connection = closing ? HttpAnswer::Connection::Close
        : request.head.minorVersion == 0              ? HttpAnswer::Connection::KeepAlive
                                                      : HttpAnswer::Connection::Default;
    if (reply.deferred) {
        if (m_output.empty())
            m_lastProgress = m_lastActivity;
        Output waiting;
        waiting.deferred = reply.deferred;
        waiting.headOnly = request.head.method == "HEAD";
        waiting.connection = connection;
        m_output.push_back(std::move(waiting));
        reply.deferred->attach([this, deferred = reply.deferred.get()](const HttpAnswer &later) {
            deliver(deferred, later);
        });
        if (closing)
            finish();
        if (m_peerEnded)   // the client has sent its last byte: it gets its answer now
            reply.deferred->resolveNow();
        return;
    }
    QByteArray bytes = reply.head(connection);
    if (request.head.method == "HEAD")
        queue(std::move(bytes));
    else if (reply.source)
        queue(std::move(bytes), reply.source, reply.sourceSize);
    else
        queue(std::move(bytes) + reply.body);
    if (closing)
        finish();
}

void HttpConnection::reject(const HttpHead::Rejection &rejection)
{
    qCDebug(lcServer).noquote() << "Rejecting a request from" << peerAddress().toString()
                                << rejection.status << Printable::escaped(rejection.message);
    const HttpAnswer reply = HttpAnswer::message(rejection.status, rejection.message,
                                                 rejection.extraHeaders);
    queue(reply.head(HttpAnswer::Connection::Close) + reply.body);
    finish();
    m_listener->reportRejection(rejection);
}

// No more requests: the connection closes once its answers are written.
void HttpConnection::finish()
{
    if (m_state != State::Open)
        return;
    m_state = State::Finishing;
    if (!isWaiting())
        countFinishing();
}

// A closing connection leaves the listener's count of those taking requests, but not
// while it waits for a long poll's answer: that wait holds a connection like any other.
void HttpConnection::countFinishing()
{
    if (m_countedFinishing)
        return;
    m_countedFinishing = true;
    m_listener->connectionFinishing();
}

void HttpConnection::refuse(int status, const QString &message)
{
    HttpHead::Rejection rejection;
    rejection.status = status;
    rejection.message = message;
    reject(rejection);
    flush();
}

void HttpConnection::queue(QByteArray bytes, HttpAnswer::Source source, qint64 sourceSize)
{
    if (m_output.empty())
        m_lastProgress = m_listener->now();   // the wait for the client to read starts now
    addQueued(bytes.size());
    Output output;
    output.bytes = std::move(bytes);
    output.source = std::move(source);
    output.sourceSize = sourceSize;
    m_output.push_back(std::move(output));
}

void HttpConnection::addQueued(qint64 bytes)
{
    m_queued += bytes;
    m_listener->addQueued(this, bytes);
}

// Makes sure the front output has bytes to write, from its source if need be; false
// when it has nothing left (it is then removed).
bool HttpConnection::fillFront()
{
    Output &front = m_output.front();
    if (front.written < front.bytes.size())
        return true;
    if (!front.source || front.sourceAt >= front.sourceSize) {
        m_output.pop_front();
        return false;
    }
    front.bytes = front.source(front.sourceAt,
                               std::min(PieceBytes, front.sourceSize - front.sourceAt));
    front.written = 0;
    if (front.bytes.isEmpty()) {   // a source that ran dry early: the answer cannot be completed
        qCWarning(lcServer) << "An answer's body ended early; closing the connection";
        close();
        return false;
    }
    front.sourceAt += front.bytes.size();
    addQueued(front.bytes.size());
    return true;
}

void HttpConnection::flush()
{
    while (m_descriptor >= 0 && !m_output.empty()) {
        iovec parts[MaxWriteParts];
        int count = 0;
        for (std::size_t i = 0; i < m_output.size() && count < MaxWriteParts; ++i) {
            if (m_output[i].deferred)
                break;   // an answer given later: nothing after it goes out before it
            if (i == 0 && !fillFront())
                break;   // restart with the next answer at the front
            const Output &output = m_output[i];
            if (output.written >= output.bytes.size())
                break;   // an answer waiting for its source's next piece
            parts[count].iov_base = const_cast<char *>(output.bytes.constData()) + output.written;
            parts[count].iov_len = static_cast<std::size_t>(output.bytes.size() - output.written);
            ++count;
            if (output.source)
                break;   // what follows it waits for its whole body
        }
        if (count == 0 && !m_output.empty() && m_output.front().deferred)
            break;   // waiting for it
        if (count == 0)
            continue;
        msghdr message = {};
        message.msg_iov = parts;
        message.msg_iovlen = static_cast<std::size_t>(count);
        const ssize_t sent = ::sendmsg(m_descriptor, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0 && errno == EINTR)
            continue;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            m_writeNotifier->setEnabled(true);
            updateReadNotifier();
            return;
        }
        if (sent < 0) {   // the client is gone
            close();
            return;
        }
        m_lastProgress = m_listener->now();
        addQueued(-sent);
        for (qint64 left = sent; left > 0;) {
            Output &front = m_output.front();
            const qint64 take = std::min<qint64>(left, front.bytes.size() - front.written);
            front.written += take;
            left -= take;
            if (front.written == front.bytes.size() && !front.source)
                m_output.pop_front();
            else if (front.written == front.bytes.size())
                break;
        }
    }
    if (m_descriptor < 0)
        return;
    m_writeNotifier->setEnabled(false);
    if (m_state == State::Finishing && m_output.empty()) {
        finishWriting();
        return;
    }
    updateReadNotifier();
    if (!isPaused() && !m_processing && m_reader.buffered() > 0)
        process();   // requests that waited for their turn
}

void HttpConnection::finishWriting()
{
    if (m_peerEnded) {   // nothing more to read, nothing more to write
        close();
        return;
    }
    ::shutdown(m_descriptor, SHUT_WR);
    m_state = State::Lingering;
    m_lingerSince = m_listener->now();
    m_readNotifier->setEnabled(true);
}

bool HttpConnection::isPaused() const
{
    return m_queued > m_listener->limits().maxQueuedBytesPerConnection
        || m_output.size() > MaxQueuedAnswers || isWaiting();
}

void HttpConnection::updateReadNotifier()
{
    // Stop reading while answers wait to be read: the client's requests wait in the
    // kernel, not here. At the end of the stream there is nothing more to read.
    // While an answer is awaited, the client is watched (watchWhileWaiting()) until it
    // sends something.
    const bool watching = isWaiting() && !m_inputWhileWaiting;
    m_readNotifier->setEnabled(!m_peerEnded
                               && (m_state == State::Lingering || !isPaused() || watching));
}

void HttpConnection::checkTimers(qint64 now)
{
    if (m_descriptor < 0)
        return;
    const HttpListener::Limits &limits = m_listener->limits();
    if (m_state == State::Lingering) {
        if (now - m_lingerSince >= LingerMs)
            close();
        return;
    }
    const bool unsent = !m_output.empty() && !m_output.front().deferred;
    if (unsent && now - m_lastProgress >= limits.requestTimeoutMs) {
        qCWarning(lcServer).noquote() << "Dropping a client that does not read its answers:"
                                      << peerAddress().toString();
        close();
        return;
    }
    if (m_state != State::Open)
        return;
    if (m_requestSince >= 0 && now - m_requestSince >= limits.requestTimeoutMs) {
        const std::optional<HttpHead::Rejection> late = m_reader.expire(limits.requestTimeoutMs);
        if (late) {
            reject(*late);
            flush();
        }
        return;
    }
    if (isIdle() && now - m_lastActivity >= limits.idleTimeoutMs) {
        qCDebug(lcServer).noquote() << "Closing an idle connection from"
                                    << peerAddress().toString();
        close();
    }
}

void HttpConnection::close()
{
    if (m_descriptor < 0)
        return;
    m_readNotifier->setEnabled(false);
    m_writeNotifier->setEnabled(false);
    ::close(m_descriptor);
    m_descriptor = -1;
    addQueued(-m_queued);
    std::deque<Output> output = std::move(m_output);
    m_output.clear();
    for (Output &left : output) {
        if (left.deferred)
            left.deferred->drop();   // its owner learns that nobody waits any more
    }
    m_listener->forget(this, m_countedFinishing);
    deleteLater();
}
