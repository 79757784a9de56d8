#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

// The head of an HTTP/1.x request (request line and header fields), parsed by a pure
// function: bytes and limits in, a head or a rejection out.
//
// Lines end with LF, optionally preceded by CR, so LF-only, CRLF and mixed heads are the
// same head; the first empty line ends it; empty lines before the request line are
// skipped (RFC 9112, 2.2). A bare CR, obsolete line folding, whitespace before a
// header's colon, a Transfer-Encoding, and a Content-Length that is not one decimal
// number are refused. "Upgrade" and its Connection token are ignored: no protocol is
// switched, and the request is answered like any other.
namespace HttpHead
{
struct Limits
{
    qsizetype maxHeadBytes = 16 * 1024;   // from the request line to the final empty line
    qint64 maxBodyBytes = 64 * 1024;      // judged on the announced Content-Length
};

struct Head
{
    QByteArray method;           // a token, case-sensitive as sent
    QByteArray target;           // as sent: "/path?query", "*" or "http://host/path"
    int minorVersion = 1;        // HTTP/1.<minorVersion>
    qint64 contentLength = 0;
    bool keepAlive = true;       // false: the connection closes after the answer
    bool expectContinue = false; // "Expect: 100-continue"

    QByteArray path() const;     // the target's path, still percent-encoded
    QByteArray query() const;    // after the '?', without it
};

// A request refused before its body is read: the answer's status and message.
struct Rejection
{
    int status = 0;
    QString message;
    QByteArray extraHeaders;     // whole lines, such as "Allow: GET, HEAD, POST\r\n"
    QByteArray method;           // of the request line, when it was read
    QByteArray target;
};

struct Result
{
    enum class Kind { Incomplete, Complete, Rejected };
    Kind kind = Kind::Incomplete;
    qsizetype size = 0;          // Complete: the head's bytes, leading empty lines included
    Head head;                   // Complete
    Rejection rejection;         // Rejected
};

// Parses the head at the start of bytes. It judges each line as soon as it is complete
// (and a request line that no continuation can make valid before its end), consistently:
// once some bytes give Rejected or Complete, any bytes that start with them give the same
// result, so a stream may arrive in any chunks. Statuses: 400 (malformed), 405 (CONNECT,
// TRACE), 411 (Transfer-Encoding), 413 (Content-Length over the limit), 417 (an
// expectation other than 100-continue), 431 (head over the limit), 501 (unknown method).
Result parse(QByteArrayView bytes, const Limits &limits);

// How much of a head parse() has judged: the complete lines so far and what they say.
// A reader keeps one per head and resumes with more bytes of the same head, so each line
// is looked at once however the head trickles in. parse() is resume() from a fresh one.
struct Progress
{
    qsizetype judged = 0;   // bytes of judged lines, after the empty lines before the head
    int lines = 0;
    Head head;
    bool hasLength = false; // Content-Length seen
    bool close = false;     // Connection: close
    bool keepAlive = false; // Connection: keep-alive
};
Result resume(QByteArrayView bytes, const Limits &limits, Progress *progress);

// The bytes of the complete empty lines (LF or CR LF) at the start of bytes, which come
// before a request line and are skipped.
qsizetype emptyLinesAt(QByteArrayView bytes);
}
