#include "core/httplistener.h"

#include <algorithm>
#include <cstring>

#include <sys/socket.h>

#include <QTcpSocket>
#include <QTimer>

#include "core/canonicaljson.h"
#include "core/logging.h"

using namespace Qt::StringLiterals;

namespace
{
constexpr int LingerMs = 2000;   // how long a rejected client may go on sending
// Answers a client may leave unread while it keeps sending requests, before it is cut off.
constexpr qint64 MaxUnsentBytes = 1 << 20;

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

bool isToken(QByteArrayView text)
{
    if (text.isEmpty())
        return false;
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 32 || u >= 127 || std::strchr("()<>@,;:\\\"/[]?={}", c))
            return false;
    }
    return true;
}

// The methods QHttpServer's parser takes without dropping the connection unanswered.
bool isKnownMethod(QByteArrayView method)
{
    for (const char *known : {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE"}) {
        if (method == known)
            return true;
    }
    return false;
}

// Visible ASCII only (RFC 3986 targets are percent-encoded).
bool isVisibleAscii(QByteArrayView text)
{
    return std::all_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 32 && u < 127;
    });
}

// A header value: visible characters, spaces and tabs (RFC 9110, 5.5).
bool isFieldValue(QByteArrayView text)
{
    return std::all_of(text.begin(), text.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u == '\t' || (u >= 32 && u != 127);
    });
}

// Whether a comma-separated header value lists token (case-insensitive).
bool listsToken(QByteArrayView value, QByteArrayView token)
{
    for (const QByteArrayView part : QByteArray(value.toByteArray()).split(',')) {
        if (part.trimmed().compare(token, Qt::CaseInsensitive) == 0)
            return true;
    }
    return false;
}
}

// Follows one connection's byte stream just far enough to find each request's head and
// the end of its body, and steps in where QHttpServer 6.4 would not. A child of the socket.
//
// QHttpServer 6.4 takes one request per readyRead and emits readyRead again for the rest,
// so bytes unread at one emission may be old. The guard has a slot before QHttpServer's
// (readBytes: what is new, and judge it) and one after (afterServer: how far QHttpServer
// got, so what is answered), and counts stream offsets between the two.
class HttpConnectionGuard final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpConnectionGuard)

public:
    HttpConnectionGuard(QTcpSocket *socket, HttpListener *listener);
    ~HttpConnectionGuard() override;

    // Connects afterServer(); call once QHttpServer has connected its own slot.
    void followServer();

private:
    enum class Phase { Idle, Head, Body, Finishing, Closing };

    void readBytes();
    void afterServer();
    bool takeHead(const char *data, qsizetype size, qsizetype *used);
    bool examineHead();
    void completeRequest();
    void timedOut();
    void reject(int status, const QString &message, bool withBody = true,
                const QByteArray &extraHeaders = QByteArray());
    void cutOffServer();
    void armTimer(int ms) { m_timer->start(ms); }

    QTcpSocket *m_socket = nullptr;                 // parent
    QPointer<HttpListener> m_listener;
    QTimer *m_timer = nullptr;                      // child of this
    Phase m_phase = Phase::Idle;
    QByteArray m_head;
    QString m_method;
    QString m_path;
    qint64 m_bodyLeft = 0;
    qint64 m_seen = 0;            // stream bytes judged so far
    qint64 m_unreadAfter = 0;     // bytes QHttpServer left unread at its last turn
    qint64 m_closeAt = -1;        // close once QHttpServer has read this far
    bool m_closeAfter = false;    // the current request asks to close after its answer
    bool m_wantsContinue = false; // the current request waits for "100 Continue"
};

HttpConnectionGuard::HttpConnectionGuard(QTcpSocket *socket, HttpListener *listener)
    : QObject{socket}
    , m_socket{socket}
    , m_listener{listener}
    , m_timer{new QTimer(this)}
{
    ++listener->m_connections;
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, &HttpConnectionGuard::timedOut);
    // Connected before QHttpServer's own slot, so this one sees every chunk first.
    connect(socket, &QTcpSocket::readyRead, this, &HttpConnectionGuard::readBytes);
    armTimer(listener->m_limits.idleTimeoutMs);
}

HttpConnectionGuard::~HttpConnectionGuard()
{
    if (m_listener)
        --m_listener->m_connections;
}

void HttpConnectionGuard::followServer()
{
    connect(m_socket, &QTcpSocket::readyRead, this, &HttpConnectionGuard::afterServer);
}

void HttpConnectionGuard::afterServer()
{
    if (m_phase == Phase::Closing)
        return;
    // Within a transaction (a partial request) QHttpServer has read all it was given.
    m_unreadAfter = m_socket->bytesAvailable();
    const qint64 read = m_seen - m_unreadAfter;
    if (m_closeAt >= 0 && read >= m_closeAt) {
        // The request that asked to close has been answered.
        m_phase = Phase::Closing;
        cutOffServer();
        m_socket->disconnectFromHost();
        armTimer(LingerMs);
        return;
    }
    if (m_wantsContinue && m_phase == Phase::Body && m_unreadAfter == 0) {
        // QHttpServer is inside this request, so every earlier one is answered.
        m_wantsContinue = false;
        m_socket->write("HTTP/1.1 100 Continue\r\n\r\n");
    }
}

void HttpConnectionGuard::cutOffServer()
{
    if (m_listener && m_listener->m_httpServer)
        disconnect(m_socket, &QTcpSocket::readyRead, m_listener->m_httpServer, nullptr);
}

void HttpConnectionGuard::readBytes()
{
    if (m_phase == Phase::Closing) {
        m_socket->readAll();   // a rejected client still sending: drop it
        return;
    }
    if (m_socket->bytesToWrite() > MaxUnsentBytes) {
        // Pipelining without reading the answers: they would pile up in memory.
        qCWarning(lcServer) << "Dropping a client that does not read its answers:"
                            << m_socket->peerAddress();
        m_phase = Phase::Closing;
        cutOffServer();
        m_socket->abort();
        m_socket->deleteLater();
        return;
    }
    // What QHttpServer left unread at its last turn was judged already.
    const qint64 available = m_socket->bytesAvailable();
    const qint64 fresh = available - m_unreadAfter;
    m_unreadAfter = available;
    if (fresh <= 0)
        return;
    const QByteArray data = m_socket->peek(available).right(fresh);
    const char *p = data.constData();
    qsizetype left = data.size();
    m_seen += left;
    if (m_phase == Phase::Finishing)
        return;   // requests after one that closes the connection are not answered
    while (left > 0 && m_phase != Phase::Closing && m_phase != Phase::Finishing) {
        if (m_phase == Phase::Idle) {
            // Empty lines between requests are allowed (RFC 9112, 2.2).
            if (*p == '\r' || *p == '\n') {
                ++p;
                --left;
                continue;
            }
            m_phase = Phase::Head;
            m_head.clear();
            armTimer(m_listener->m_limits.requestTimeoutMs);
        }
        if (m_phase == Phase::Head) {
            qsizetype used = 0;
            if (!takeHead(p, left, &used))
                return;
            p += used;
            left -= used;
            continue;
        }
        if (m_phase == Phase::Body) {
            const qint64 take = std::min<qint64>(m_bodyLeft, left);
            m_bodyLeft -= take;
            p += take;
            left -= take;
            if (m_bodyLeft == 0)
                completeRequest();
        }
    }
    if (m_phase == Phase::Finishing)
        m_closeAt = m_seen - left;   // the end of the request that closes
}

// Adds bytes to the request head; examines it once complete. False when the
// connection was rejected.
bool HttpConnectionGuard::takeHead(const char *data, qsizetype size, qsizetype *used)
{
    const qsizetype before = m_head.size();
    m_head.append(data, size);
    const qsizetype from = std::max<qsizetype>(0, before - 3);
    qsizetype end = m_head.indexOf("\r\n\r\n", from);
    qsizetype endLength = 4;
    if (end < 0) {
        end = m_head.indexOf("\n\n", std::max<qsizetype>(0, before - 1));
        endLength = 2;
    }
    if (end < 0) {
        // The request line alone can already be judged.
        const qsizetype lineEnd = m_head.indexOf('\n');
        const QByteArrayView firstLine = QByteArrayView(m_head).first(
            lineEnd < 0 ? m_head.size() : lineEnd);
        const qsizetype space = firstLine.indexOf(' ');
        const QByteArrayView method = firstLine.first(space < 0 ? firstLine.size() : space);
        if ((lineEnd >= 0 || space >= 0 || method.size() > 16) && !isToken(method)) {
            reject(400, u"Malformed request line"_s);
            return false;
        }
        if (m_head.size() > m_listener->m_limits.maxHeaderBytes) {
            reject(431, u"Request head is over the %1-byte limit"_s
                            .arg(m_listener->m_limits.maxHeaderBytes));
            return false;
        }
        *used = size;
        return true;
    }
    m_head.truncate(end + endLength);
    *used = m_head.size() - before;
    if (m_head.size() > m_listener->m_limits.maxHeaderBytes) {
        reject(431, u"Request head is over the %1-byte limit"_s
                        .arg(m_listener->m_limits.maxHeaderBytes));
        return false;
    }
    return examineHead();
}

bool HttpConnectionGuard::examineHead()
{
    const QList<QByteArray> lines = m_head.trimmed().split('\n');
    const QList<QByteArray> request = lines.first().trimmed().split(' ');
    if (request.size() != 3 || !isToken(request[0])
        || (!request[1].startsWith('/') && request[1] != "*" && !request[1].startsWith("http"))) {
        reject(400, u"Malformed request line"_s);
        return false;
    }
    if (!isVisibleAscii(request[1])) {
        reject(400, u"Malformed request target"_s);
        return false;
    }
    m_method = QString::fromLatin1(request[0]);
    m_path = QString::fromLatin1(request[1]);
    if (!isKnownMethod(request[0])) {
        reject(501, u"Method %1 is not implemented"_s.arg(m_method));
        return false;
    }
    if (request[0] == "HEAD") {
        // QHttpServer would answer HEAD with a body, which a client takes for the next answer.
        reject(405, u"Method HEAD is not allowed on %1"_s.arg(m_path), false,
               "Allow: GET, POST\r\n"_ba);
        return false;
    }
    const QByteArray &version = request[2];
    if (version != "HTTP/1.1" && version != "HTTP/1.0") {
        reject(400, u"Unsupported HTTP version \"%1\""_s.arg(QString::fromLatin1(version)));
        return false;
    }
    bool hasLength = false;
    qint64 length = 0;
    QByteArray connection;
    QByteArray expect;
    QByteArray transferEncoding;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray line = lines[i].trimmed();
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0 || !isToken(QByteArrayView(line).first(colon))) {
            reject(400, u"Malformed header line %1"_s.arg(i + 1));
            return false;
        }
        const QByteArray name = line.first(colon).toLower();
        const QByteArray value = line.sliced(colon + 1).trimmed();
        if (!isFieldValue(value)) {
            reject(400, u"Malformed value in header line %1"_s.arg(i + 1));
            return false;
        }
        if (name == "content-length") {
            bool ok = false;
            const qint64 parsed = value.toLongLong(&ok);
            if (!ok || parsed < 0 || value.startsWith('+') || (hasLength && parsed != length)) {
                reject(400, u"Invalid Content-Length"_s);
                return false;
            }
            hasLength = true;
            length = parsed;
        } else if (name == "connection") {
            connection += value + ',';
        } else if (name == "expect") {
            expect = value;
        } else if (name == "transfer-encoding") {
            transferEncoding += value;
        }
    }
    if (!transferEncoding.isEmpty() && transferEncoding.compare("identity", Qt::CaseInsensitive)) {
        reject(411, u"Chunked request bodies are not supported: send a Content-Length"_s);
        return false;
    }
    const qint64 limit = m_listener->m_limits.maxBodyBytes;
    if (length > limit) {
        reject(413, u"Request body of %1 bytes is over the %2-byte limit"_s.arg(length).arg(limit));
        return false;
    }
    if (!expect.isEmpty() && expect.compare("100-continue", Qt::CaseInsensitive)) {
        reject(417, u"Unsupported expectation \"%1\""_s.arg(QString::fromLatin1(expect)));
        return false;
    }
    m_closeAfter = listsToken(connection, "close")
        || (version == "HTTP/1.0" && !listsToken(connection, "keep-alive"));
    m_bodyLeft = length;
    if (length == 0) {
        completeRequest();
        return true;
    }
    m_phase = Phase::Body;
    m_wantsContinue = !expect.isEmpty();
    return true;
}

void HttpConnectionGuard::completeRequest()
{
    m_phase = m_closeAfter ? Phase::Finishing : Phase::Idle;
    m_head.clear();
    m_wantsContinue = false;
    armTimer(m_listener->m_limits.idleTimeoutMs);
}

void HttpConnectionGuard::timedOut()
{
    switch (m_phase) {
    case Phase::Idle:
    case Phase::Finishing:
        qCDebug(lcServer) << "Closing idle connection from" << m_socket->peerAddress();
        if (m_socket->bytesToWrite() > 0)
            m_socket->abort();   // not even reading its answers
        else
            m_socket->disconnectFromHost();
        armTimer(LingerMs);
        m_phase = Phase::Closing;
        break;
    case Phase::Head:
    case Phase::Body:
        reject(408, u"Request not completed within %1 ms"_s
                        .arg(m_listener->m_limits.requestTimeoutMs));
        break;
    case Phase::Closing:
        // Also reclaims a socket QHttpServer let go of (it drops all its connections
        // to a socket its parser rejects).
        m_socket->abort();
        m_socket->deleteLater();
        break;
    }
}

void HttpConnectionGuard::reject(int status, const QString &message, bool withBody,
                                 const QByteArray &extraHeaders)
{
    qCDebug(lcServer) << "Rejecting a request from" << m_socket->peerAddress() << status << message;
    m_phase = Phase::Closing;
    cutOffServer();
    m_socket->write(HttpListener::errorAnswer(status, message, withBody, extraHeaders));
    m_socket->flush();
    // Half-close and drain for a while, so the client reads the answer rather than a
    // reset caused by the body it is still sending.
    if (m_socket->bytesToWrite() == 0)
        ::shutdown(static_cast<int>(m_socket->socketDescriptor()), SHUT_WR);
    else
        connect(m_socket, &QTcpSocket::bytesWritten, this, [this] {
            if (m_socket->bytesToWrite() == 0)
                ::shutdown(static_cast<int>(m_socket->socketDescriptor()), SHUT_WR);
        });
    m_socket->readAll();
    armTimer(LingerMs);
    if (m_listener)
        emit m_listener->requestRejected(m_method, m_path, status);
}

HttpListener::HttpListener(const Limits &limits, QObject *parent)
    : QTcpServer{parent}
    , m_limits{limits}
{
    setListenBacklogSize(1024);
}

HttpListener::~HttpListener() = default;

void HttpListener::setHttpServer(QObject *httpServer)
{
    m_httpServer = httpServer;
    // Connected after QHttpServer's own slot (bind()), so this runs once it has taken the
    // new sockets and connected to them.
    connect(this, &QTcpServer::newConnection, this, &HttpListener::followNewConnections,
            Qt::UniqueConnection);
}

void HttpListener::followNewConnections()
{
    for (const QPointer<HttpConnectionGuard> &guard : std::as_const(m_unfollowed)) {
        if (guard)
            guard->followServer();
    }
    m_unfollowed.clear();
}

QByteArray HttpListener::errorAnswer(int status, const QString &message, bool withBody,
                                     const QByteArray &extraHeaders)
{
    const QByteArray body = CanonicalJson::dump(
        CanonicalJson::Json{{"message", message.toStdString()}});
    return "HTTP/1.1 " + QByteArray::number(status) + ' ' + reasonPhrase(status)
        + "\r\nContent-Type: application/json\r\nContent-Length: "
        + QByteArray::number(body.size()) + "\r\nConnection: close\r\n" + extraHeaders + "\r\n"
        + (withBody ? body : QByteArray());
}

void HttpListener::incomingConnection(qintptr descriptor)
{
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(descriptor)) {
        qCWarning(lcServer) << "Cannot take a new connection:" << socket->errorString();
        delete socket;
        return;
    }
    if (m_connections >= m_limits.maxConnections) {
        qCWarning(lcServer) << "Refusing a connection: already" << m_connections << "open";
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        QTimer::singleShot(LingerMs, socket, [socket] { socket->abort(); });
        socket->write(errorAnswer(503, u"Too many open connections"_s));
        socket->disconnectFromHost();
        emit requestRejected(QString(), QString(), 503);
        return;
    }
    m_unfollowed.append(new HttpConnectionGuard(socket, this));
    addPendingConnection(socket);
}

#include "httplistener.moc"
