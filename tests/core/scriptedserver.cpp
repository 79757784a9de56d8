#include "scriptedserver.h"

#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

#include "core/block.h"

CannedAnswer jsonAnswer(int status, const QByteArray &body)
{
    CannedAnswer answer;
    answer.status = status;
    answer.body = body;
    return answer;
}

CannedAnswer lastBlockAnswer(const Block &block, int difficulty)
{
    return jsonAnswer(200, "{\"last_block\": " + block.toWire() + ", \"difficulty\": "
                               + QByteArray::number(difficulty) + "}");
}

quint16 closedPort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        qFatal("cannot listen on 127.0.0.1: %s", qPrintable(probe.errorString()));
    return probe.serverPort();
}

ScriptedServer::ScriptedServer()
{
    connect(this, &QTcpServer::newConnection, this, [this] {
        while (QTcpSocket *socket = nextPendingConnection()) {
            socket->setParent(this);
            connect(socket, &QTcpSocket::readyRead, this, [this, socket] { read(socket); });
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            connect(socket, &QObject::destroyed, this,
                    [this, socket] { m_buffers.remove(socket); });
        }
    });
}

ScriptedServer::~ScriptedServer() = default;

bool ScriptedServer::start()
{
    return listen(QHostAddress::LocalHost, 0);
}

QUrl ScriptedServer::url() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(serverPort()));
}

qsizetype ScriptedServer::count(const QByteArray &path) const
{
    return std::count_if(requests.cbegin(), requests.cend(),
                         [&path](const Request &r) { return r.path == path; });
}

void ScriptedServer::read(QTcpSocket *socket)
{
    QByteArray &buffer = m_buffers[socket];
    buffer += socket->readAll();
    const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
    if (headerEnd < 0)
        return;
    const QByteArray head = buffer.left(headerEnd);
    qsizetype length = 0;
    for (const QByteArray &line : head.split('\n')) {
        if (line.toLower().startsWith("content-length:"))
            length = line.mid(15).trimmed().toLongLong();
    }
    if (buffer.size() < headerEnd + 4 + length)
        return;
    const QList<QByteArray> first = head.left(head.indexOf("\r\n")).split(' ');
    const Request request {first.value(0), first.value(1), buffer.mid(headerEnd + 4, length)};
    m_buffers.remove(socket);
    requests << request;
    QQueue<CannedAnswer> &queue = queued[request.path];
    const CannedAnswer canned = queue.isEmpty()
        ? defaults.value(request.path, jsonAnswer(404, R"({"message": "no such route"})"))
        : queue.dequeue();
    emit requested(request.path);
    if (canned.stall)
        return;   // keep the connection open and say nothing
    if (canned.delayMs > 0) {
        QTimer::singleShot(canned.delayMs, socket, [this, socket, canned] {
            answer(socket, canned);
        });
    } else {
        answer(socket, canned);
    }
}

void ScriptedServer::answer(QTcpSocket *socket, const CannedAnswer &canned)
{
    const QByteArray body = canned.sizeBytes > 0 ? QByteArray(canned.sizeBytes, 'x') : canned.body;
    QByteArray head = "HTTP/1.1 " + QByteArray::number(canned.status) + " Canned\r\n"
        "Content-Type: " + canned.contentType + "\r\n" + canned.extraHeaders;
    if (canned.trickleMs > 0) {
        // A body that never ends: one byte at a time, until the client gives up.
        socket->write(head + "Content-Length: 1000000000\r\n\r\n");
        auto *timer = new QTimer(socket);
        connect(timer, &QTimer::timeout, socket, [socket] { socket->write("x"); });
        timer->start(canned.trickleMs);
        return;
    }
    socket->write(head + "Content-Length: " + QByteArray::number(body.size())
                  + "\r\nConnection: close\r\n\r\n" + body);
    socket->disconnectFromHost();
}
