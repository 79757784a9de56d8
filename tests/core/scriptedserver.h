#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QQueue>
#include <QTcpServer>
#include <QUrl>

class QTcpSocket;
struct Block;

// One canned HTTP answer. stall: read the request and never answer; delayMs: answer
// that much later; trickleMs: send the answer one byte per trickleMs, forever
// (an endless body); sizeBytes: a body of that many bytes of 'x' instead of body;
// raw: these exact bytes instead of an answer, then close; floodBytes: a header line of
// that many bytes, sent as fast as the client reads; endless: a body without a length,
// sent as fast as the client reads, until it hangs up.
struct CannedAnswer
{
    int status = 200;
    QByteArray body;
    QByteArray contentType = "application/json";
    bool stall = false;
    int delayMs = 0;
    int trickleMs = 0;
    qint64 sizeBytes = 0;
    QByteArray raw{};          // sent as is instead of an answer (then the connection closes)
    qint64 floodBytes = 0;
    bool endless = false;
    QByteArray extraHeaders;   // whole lines, such as "X-Blockforge-Wait: 30\r\n"
};

CannedAnswer jsonAnswer(int status, const QByteArray &body);
// A chain server's GET /last_block: {"last_block": <block>, "difficulty": <difficulty>}.
CannedAnswer lastBlockAnswer(const Block &block, int difficulty);

// A port of 127.0.0.1 that nothing listens on (it did a moment ago): connections to
// it are refused.
quint16 closedPort();

// A tiny HTTP/1.1 server on 127.0.0.1 that answers each path from a queue of canned
// answers, then with that path's default answer (404 when it has none), and records
// every request. One request per connection (Connection: close).
class ScriptedServer final : public QTcpServer
{
    Q_OBJECT

public:
    struct Request
    {
        QByteArray method;
        QByteArray path;
        QByteArray body;
        QByteArray authorization;   // the Authorization header, when sent
    };

    ScriptedServer();
    ~ScriptedServer() override;

    bool start();   // listens on a free port of 127.0.0.1
    QUrl url() const;
    qsizetype count(const QByteArray &path) const;

    QHash<QByteArray, QQueue<CannedAnswer>> queued;
    QHash<QByteArray, CannedAnswer> defaults;
    QList<Request> requests;
    qint64 streamedBytes = 0;   // by flood and endless answers

signals:
    void requested(const QByteArray &path);   // a whole request arrived

private:
    void read(QTcpSocket *socket);
    void answer(QTcpSocket *socket, const CannedAnswer &answer);
    void stream(QTcpSocket *socket, QByteArray head, qint64 bytes, QByteArray tail);

    QHash<QTcpSocket *, QByteArray> m_buffers;
};
