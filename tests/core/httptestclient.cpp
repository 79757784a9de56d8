#include "httptestclient.h"

#include <QList>

HttpTestClient::HttpTestClient(quint16 port)
    : m_socket{std::make_unique<QTcpSocket>()}
{
    QObject::connect(m_socket.get(), &QTcpSocket::readyRead, m_socket.get(),
                     [this] { m_received += m_socket->readAll(); });
    m_socket->connectToHost(QHostAddress::LocalHost, port);
}

QByteArray HttpTestClient::Answer::header(const QByteArray &name) const
{
    for (const QByteArray &line : head.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && line.first(colon).trimmed().compare(name, Qt::CaseInsensitive) == 0)
            return line.sliced(colon + 1).trimmed();
    }
    return QByteArray();
}

std::vector<HttpTestClient::Answer> HttpTestClient::answers() const
{
    std::vector<Answer> result;
    qsizetype at = 0;
    while (true) {
        const qsizetype end = m_received.indexOf("\r\n\r\n", at);
        if (end < 0)
            return result;
        Answer answer;
        answer.head = m_received.sliced(at, end - at);
        const QList<QByteArray> statusLine = answer.head.first(
            std::max<qsizetype>(0, answer.head.indexOf("\r\n") < 0 ? answer.head.size()
                                                                  : answer.head.indexOf("\r\n")))
                                                 .split(' ');
        answer.status = statusLine.size() > 1 ? statusLine[1].toInt() : 0;
        const qsizetype length = answer.header("Content-Length").toLongLong();
        if (m_received.size() < end + 4 + length)
            return result;
        answer.body = m_received.sliced(end + 4, length);
        at = end + 4 + length;
        result.push_back(std::move(answer));
    }
}

QByteArray HttpTestClient::request(const QByteArray &method, const QByteArray &path,
                                   const QByteArray &body, const QByteArray &extraHeaders)
{
    QByteArray out = method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders;
    if (!body.isEmpty() || method == "POST")
        out += "Content-Type: application/json\r\nContent-Length: "
            + QByteArray::number(body.size()) + "\r\n";
    return out + "\r\n" + body;
}
